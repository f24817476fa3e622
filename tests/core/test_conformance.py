"""Core's own formats against the format conformance suite (``tauro.testing``)."""

from __future__ import annotations

from typing import Any, ClassVar

from tauro.testing import FormatConformance

ROWS = [{"id": 1, "name": "alpha"}, {"id": 2, "name": "beta"}]


class TestMemoryConformance(FormatConformance):
    format = "memory"
    plugin = "builtin"
    input: ClassVar[dict[str, Any]] = {"schema": "id BIGINT, name STRING", "options": {"rows": ROWS}}
    output: ClassVar[dict[str, Any]] = {}
    required_input_fields = ("schema",)
    # Reader (a spool of rows) and writer (Spark's memory sink) keep separate stores.
    round_trip = False
    expected_rows = ROWS
    # A test source: its options are Tauro's own few, unknown ones are not checked.
    unknown_options = "ignored"


class TestConsoleConformance(FormatConformance):
    format = "console"
    plugin = "builtin"
    roles = ("output",)
    output: ClassVar[dict[str, Any]] = {"options": {"numRows": "5"}}
    # Spark's console sink takes a few display options and ignores the rest.
    unknown_options = "ignored"
