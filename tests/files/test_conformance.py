"""The files family against the format conformance suite (``tauro.testing``)."""

from __future__ import annotations

from typing import Any, ClassVar

from tauro.testing import FormatConformance

SCHEMA = "id BIGINT, name STRING"


class TestParquetConformance(FormatConformance):
    format = "parquet"
    plugin = "files"
    input: ClassVar[dict[str, Any]] = {"path": "{tmp}/data", "schema": SCHEMA}
    output: ClassVar[dict[str, Any]] = {"path": "{tmp}/data"}
    required_input_fields = ("path",)
    required_output_fields = ("path",)
    # Spark's file options differ per file format and are passed through unchecked.
    unknown_options = "ignored"


class TestJsonFilesConformance(FormatConformance):
    format = "file_stream"
    writer_format = "file"
    plugin = "files"
    input: ClassVar[dict[str, Any]] = {
        "path": "{tmp}/data",
        "schema": SCHEMA,
        "options": {"format": "json"},
    }
    output: ClassVar[dict[str, Any]] = {"path": "{tmp}/data", "options": {"format": "json"}}
    required_input_fields = ("path", "schema")
    required_output_fields = ("path",)
    unknown_options = "ignored"
