"""The delta family against the format conformance suite (``tauro.testing``)."""

from __future__ import annotations

from typing import Any, ClassVar

from tauro.testing import FormatConformance


class TestDeltaConformance(FormatConformance):
    format = "delta"
    plugin = "delta"
    input: ClassVar[dict[str, Any]] = {"path": "{tmp}/table"}
    output: ClassVar[dict[str, Any]] = {"path": "{tmp}/table"}
    required_input_fields = ("path",)
    required_output_fields = ("path",)
    failing_preflight_input: ClassVar[dict[str, Any]] = {"path": "{tmp}/no_such_table"}
