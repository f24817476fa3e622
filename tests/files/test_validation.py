"""Every file_stream / file validation rule, through core's validator (no SparkSession)."""

from __future__ import annotations

from typing import Any

import pytest

from tauro.streaming.constants import STREAMING_FORMAT_CONFIGS
from tauro.streaming.validators import StreamingValidator
from tauro_files.paths import archive_overlaps_source, lies_under

SOURCE = "/data/in"


def node(
    input_extra: dict[str, Any] | None = None,
    options: dict[str, Any] | None = None,
    output: dict[str, Any] | None = None,
    streaming: dict[str, Any] | None = None,
) -> dict[str, Any]:
    section: dict[str, Any] = {
        "format": "file_stream",
        "path": SOURCE,
        "schema": "id BIGINT, name STRING",
        "options": {"format": "json", **(options or {})},
    }
    section.update(input_extra or {})
    return {
        "name": "n",
        "input": section,
        "output": output or {"format": "file", "path": "/data/out", "options": {"format": "parquet"}},
        "streaming": {"trigger": {"type": "available_now"}, **(streaming or {})},
    }


def problems(spec: dict[str, Any]) -> dict[str, str]:
    report = StreamingValidator().check_node(spec, require_output=True)
    return {p.field or "": p.message for p in report.problems}


def warnings(spec: dict[str, Any]) -> list[str]:
    report = StreamingValidator().check_node(spec, require_output=True)
    assert not report.problems, report.problems
    return report.warnings


def only_problem(spec: dict[str, Any]) -> tuple[str, str]:
    found = problems(spec)
    assert len(found) == 1, found
    return next(iter(found.items()))


def test_a_valid_node_has_no_problems_or_warnings() -> None:
    assert warnings(node()) == []
    assert STREAMING_FORMAT_CONFIGS["file_stream"]["reader"] is True
    assert STREAMING_FORMAT_CONFIGS["file"]["writer"] is True


# -- the source -------------------------------------------------------------------------------
def test_path_is_required() -> None:
    assert only_problem(node({"path": None})) == (
        "input.path",
        "is required: the directory (or glob) the source watches for new files",
    )


def test_format_defaults_to_parquet_and_must_be_known() -> None:
    # The seed's minimal file source: a path, nothing else (parquet carries its schema).
    seed = {"name": "x", "input": {"format": "file_stream", "path": "/data/t"}}
    assert StreamingValidator().validate_streaming_node_config(seed).warnings == []
    field, message = only_problem(node(options={"format": "xml"}))
    assert (field, message) == (
        "input.options.format",
        "'xml' is not a supported file format; use one of json, csv, parquet, orc, text, avro",
    )


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_schema_is_required_for_json_and_csv(fmt: str) -> None:
    field, message = only_problem(node({"schema": None}, options={"format": fmt}))
    assert field == "input.schema"
    assert f"is required for options.format {fmt}" in message
    assert "options.infer_schema: true" in message
    assert warnings(node({"schema": None}, options={"format": fmt, "infer_schema": True})) == []


@pytest.mark.parametrize("fmt", ["parquet", "orc", "avro"])
def test_self_describing_formats_need_no_schema(fmt: str) -> None:
    assert warnings(node({"schema": None}, options={"format": fmt})) == []


def test_text_has_a_fixed_schema() -> None:
    field, message = only_problem(node(options={"format": "text"}))
    assert field == "input.schema"
    assert "value STRING" in message
    assert warnings(node({"schema": None}, options={"format": "text", "infer_schema": True})) == [
        "input: infer_schema is ignored for text: its schema is always 'value STRING'"
    ]


def test_infer_schema_with_a_schema_warns() -> None:
    assert warnings(node(options={"infer_schema": True})) == [
        "input: infer_schema is ignored because a schema is given"
    ]


@pytest.mark.parametrize(
    "option", ["latestFirst", "fileNameOnly", "recursiveFileLookup", "include_source_file", "multiLine"]
)
def test_boolean_options(option: str) -> None:
    assert only_problem(node(options={option: "yes"})) == (
        f"input.options.{option}",
        "must be true or false, not 'yes'",
    )
    assert warnings(node(options={option: True})) == []


@pytest.mark.parametrize("value", [0, -1, "10m", "many"])
def test_rate_limits_are_positive_whole_numbers(value: Any) -> None:
    field, message = only_problem(node(options={"maxFilesPerTrigger": value}))
    assert field == "input.options.maxFilesPerTrigger"
    assert message == f"must be a positive whole number, not '{value}'"
    field, message = only_problem(node(options={"maxBytesPerTrigger": value}))
    assert message == f"must be a positive whole number (bytes), not '{value}'"


def test_files_and_bytes_limits_exclude_each_other() -> None:
    field, message = only_problem(node(options={"maxFilesPerTrigger": 10, "maxBytesPerTrigger": 1048576}))
    assert field == "input.options.maxBytesPerTrigger"
    assert "cannot be combined with maxFilesPerTrigger" in message


@pytest.mark.parametrize("value", ["7d", "12h", "30min", "90s", "500ms", "3600"])
def test_max_file_age_accepts_spark_durations(value: str) -> None:
    assert warnings(node(options={"maxFileAge": value})) == []


@pytest.mark.parametrize("value", ["a week", "7 days", "-1d", "1.5h"])
def test_max_file_age_rejects_other_text(value: str) -> None:
    field, message = only_problem(node(options={"maxFileAge": value}))
    assert field == "input.options.maxFileAge"
    assert "is not a duration Spark understands" in message


def test_max_file_age_ignored_with_latest_first_and_a_file_limit() -> None:
    spec = node(options={"maxFileAge": "1h", "latestFirst": True, "maxFilesPerTrigger": 5})
    assert warnings(spec) == [
        "input: maxFileAge is ignored by Spark when latestFirst and maxFilesPerTrigger are both set"
    ]


def test_path_glob_filter_must_not_be_empty() -> None:
    assert only_problem(node(options={"pathGlobFilter": " "}))[0] == "input.options.pathGlobFilter"
    assert warnings(node(options={"pathGlobFilter": "*.json"})) == []


@pytest.mark.parametrize("option", ["modifiedBefore", "modifiedAfter"])
def test_batch_only_options_are_refused(option: str) -> None:
    field, message = only_problem(node(options={option: "2024-01-01T00:00:00"}))
    assert field == f"input.options.{option}"
    assert "not allowed in a streaming file source" in message


def test_clean_source_modes() -> None:
    field, message = only_problem(node(options={"cleanSource": "move"}))
    assert (field, message) == (
        "input.options.cleanSource",
        "'move' is not a cleanSource mode; use off, archive or delete",
    )
    for mode in ("off", "delete", "DELETE"):
        assert warnings(node(options={"cleanSource": mode})) == []


def test_archive_needs_an_archive_directory() -> None:
    field, message = only_problem(node(options={"cleanSource": "archive"}))
    assert field == "input.options.sourceArchiveDir"
    assert message.startswith("is required with cleanSource: archive")


def test_archive_directory_ignored_without_archive_mode() -> None:
    assert warnings(node(options={"sourceArchiveDir": "/data/archive"})) == [
        "input: sourceArchiveDir is ignored unless cleanSource is archive"
    ]


@pytest.mark.parametrize("archive", ["/data/in/archive", "/data/in", "/data", "/", "/data/in/2024/done"])
def test_archive_directory_must_not_overlap_the_source(archive: str) -> None:
    field, message = only_problem(node(options={"cleanSource": "archive", "sourceArchiveDir": archive}))
    assert field == "input.options.sourceArchiveDir"
    assert f"'{archive}' overlaps the source path '/data/in'" in message
    assert "outside the source path" in message


@pytest.mark.parametrize("archive", ["/data/archive", "/archive", "/data/input-archive", "/other/in"])
def test_archive_directory_outside_the_source_is_fine(archive: str) -> None:
    assert warnings(node(options={"cleanSource": "archive", "sourceArchiveDir": archive})) == []


def test_archive_directory_must_be_on_the_same_file_system() -> None:
    spec = node(options={"cleanSource": "archive", "sourceArchiveDir": "s3a://bucket/archive"})
    field, message = only_problem(spec)
    assert field == "input.options.sourceArchiveDir"
    assert "same file system" in message


def test_spark_archive_rule_with_globs() -> None:
    # Compared at the smaller depth, as Spark's FileStreamSource does.
    assert archive_overlaps_source("/data/*/in", "/data/archive")
    assert archive_overlaps_source("/data/{a,b}/in", "/data/b/in/archive")
    assert not archive_overlaps_source("/data/{a,b}/in", "/data/b/x/y")
    assert not archive_overlaps_source("/data/{a,b}/in", "/data/c")
    assert archive_overlaps_source("/data/[^x]*", "/data/archive")
    assert not archive_overlaps_source("/data/[^a]*", "/data/archive")
    assert archive_overlaps_source("s3a://b/in/*", "s3a://b/in/x")
    assert lies_under("/data/in/sub/file", "/data/in") and not lies_under("/data/input", "/data/in")


def test_parse_json_needs_the_text_format() -> None:
    spec = node({"parse_json": True, "json_schema": "a STRING"})
    field, message = only_problem(spec)
    assert field == "input.parse_json"
    assert "Use options.format: text" in message
    text = node({"parse_json": True, "json_schema": "a STRING", "schema": None}, options={"format": "text"})
    assert warnings(text) == []


def test_source_file_column_must_not_clash() -> None:
    spec = node({"schema": "id BIGINT, source_file STRING"}, options={"include_source_file": True})
    field, message = only_problem(spec)
    assert field == "input.options.include_source_file"
    assert "the schema already has one" in message
    spec = node(
        {"schema": None, "parse_json": True, "json_schema": "source_file STRING"},
        options={"format": "text", "include_source_file": True},
    )
    assert only_problem(spec)[0] == "input.options.include_source_file"


def test_dead_letters_without_the_source_file_warn() -> None:
    spec = node(
        {
            "schema": None,
            "parse_json": True,
            "json_schema": "a STRING",
            "dead_letter": {"format": "memory", "table_name": "dead"},
        },
        options={"format": "text"},
        output={"format": "memory"},
    )
    assert warnings(spec) == [
        "input: dead letters will not say which file a bad record came from; "
        "set options.include_source_file: true"
    ]


def test_continuous_trigger_is_refused() -> None:
    found = problems(node(streaming={"trigger": {"type": "continuous", "interval": "1 second"}}))
    assert "does not support continuous processing" in found["input"]
    assert "does not support continuous processing" in found["output"]


def test_several_problems_are_reported_together() -> None:
    found = problems(node(options={"maxFilesPerTrigger": 0, "cleanSource": "archive", "latestFirst": "no"}))
    assert set(found) == {
        "input.options.maxFilesPerTrigger",
        "input.options.sourceArchiveDir",
        "input.options.latestFirst",
    }


# -- the sink ---------------------------------------------------------------------------------
def test_output_path_is_required_and_the_format_known() -> None:
    found = problems(node(output={"format": "file", "options": {"format": "yaml"}}))
    assert found["output.path"] == "is required: the directory the files are written to"
    assert "use one of json, csv, parquet, orc, text, avro" in found["output.options.format"]
    assert warnings(node(output={"format": "file", "path": "/data/out"})) == []  # parquet


@pytest.mark.parametrize("mode", ["complete", "update"])
def test_file_sink_is_append_only(mode: str) -> None:
    field, message = only_problem(node(streaming={"output_mode": mode}))
    assert field == "output"
    assert f"streaming.output_mode is '{mode}', but Spark's file sink only supports append" in message
    assert "Set output_mode: append" in message


def test_output_inside_the_source_path_is_refused() -> None:
    spec = node(output={"format": "file", "path": "/data/in/out", "options": {"format": "json"}})
    field, message = only_problem(spec)
    assert field == "output.path"
    assert "would be read again as new input" in message


def test_dead_letter_file_sink() -> None:
    base = {"schema": None, "parse_json": True, "json_schema": "a STRING"}
    options = {"format": "text", "include_source_file": True}
    out = {"format": "file", "path": "/data/out", "options": {"format": "json"}}
    ok = node(
        {**base, "dead_letter": {"format": "file", "path": "/data/dead", "options": {"format": "json"}}},
        options,
        out,
    )
    assert warnings(ok) == []
    # Dead letters are written per batch: the node's output mode does not apply to them.
    text = node(
        {**base, "dead_letter": {"format": "file", "path": "/data/dead", "options": {"format": "text"}}},
        options,
        out,
    )
    field, message = only_problem(text)
    assert field == "input.dead_letter.options.format"
    assert "dead letters have several" in message
    same = node(
        {**base, "dead_letter": {"format": "file", "path": "/data/out/dead", "options": {"format": "json"}}},
        options,
        out,
    )
    field, message = only_problem(same)
    assert field == "input.dead_letter.path"
    assert "give dead letters their own directory" in message


def test_table_name_is_ignored_with_a_warning() -> None:
    spec = node(
        output={"format": "file", "path": "/data/out", "table_name": "t", "options": {"format": "csv"}}
    )
    assert warnings(spec) == ["output: table_name 't' is ignored: file formats use path"]
