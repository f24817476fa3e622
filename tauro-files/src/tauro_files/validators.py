"""Validators for ``file_stream`` inputs and ``file`` outputs (no SparkSession needed).

Each collects every problem of its section and raises them together as one
``StreamingValidationError`` whose ``problems`` core reports one by one, each with its field
relative to the section (``options.cleanSource``). Warnings are returned as strings.
Spark itself checks most of these only once the query runs, as a failed query.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from tauro.plugin import Findings, find_option, is_dead_letter, is_true
from tauro_files.options import (
    BATCH_ONLY_OPTIONS,
    BOOLEAN_OPTIONS,
    CLEAN_SOURCE_MODES,
    DEFAULT_FORMAT,
    FORMAT,
    FORMATS,
    GENERIC_SINK,
    GENERIC_SOURCE,
    INCLUDE_SOURCE_FILE,
    INFER_SCHEMA,
    POSITIVE_INT_OPTIONS,
    SCHEMALESS_FORMATS,
    SOURCE_FILE_COLUMN,
)
from tauro_files.paths import archive_overlaps_source, lies_under, same_file_system

#: Spark's time strings (``Utils.timeStringAsMs``): a number with an optional unit; no unit = ms.
_TIME_STRING = re.compile(r"^\s*\d+\s*(us|ms|s|m|min|h|d)?\s*$", re.IGNORECASE)
_FORMAT_LIST = ", ".join(FORMATS)
FILE_SOURCE_NAMES = frozenset({GENERIC_SOURCE, *FORMATS})
FILE_SINK_NAMES = frozenset({GENERIC_SINK, *FORMATS})


def _schema_columns(schema: Mapping[str, Any] | None) -> list[str]:
    return [str(f["name"]) for f in (schema or {}).get("fields", ())]


def _check_format(options: Mapping[str, Any], found: Findings) -> str | None:
    given = find_option(options, FORMAT)
    if given is None:
        return DEFAULT_FORMAT
    key, value = given
    fmt = value.lower()
    if fmt not in FORMATS:
        found.error(f"options.{key}", f"'{value}' is not a supported file format; use one of {_FORMAT_LIST}")
        return None
    return fmt


def _check_path(section: Mapping[str, Any], found: Findings, what: str) -> str | None:
    path = section.get("path")
    if not path:
        found.error("path", f"is required: {what}")
        return None
    if section.get("table_name"):
        found.warn(f"table_name '{section['table_name']}' is ignored: file formats use path")
    return str(path)


def _check_scalar_options(options: Mapping[str, Any], found: Findings) -> None:
    for key, value in options.items():
        name = key.lower()
        if name in BOOLEAN_OPTIONS and str(value).lower() not in ("true", "false"):
            found.error(f"options.{key}", f"must be true or false, not '{value}'")
        if name in POSITIVE_INT_OPTIONS and not (str(value).isdigit() and int(value) > 0):
            unit = " (bytes)" if name == "maxbytespertrigger" else ""
            found.error(f"options.{key}", f"must be a positive whole number{unit}, not '{value}'")


def _check_trigger(node: Mapping[str, Any], found: Findings, what: str) -> None:
    trigger = (node.get("streaming") or {}).get("trigger") or {}
    if trigger.get("type") == "continuous":
        found.error(
            None,
            f"Spark's file {what} does not support continuous processing; use a processing_time or "
            "available_now trigger",
        )


# -- the source -------------------------------------------------------------------------------
def _check_rate_limits(options: Mapping[str, Any], found: Findings) -> None:
    files, size = find_option(options, "maxFilesPerTrigger"), find_option(options, "maxBytesPerTrigger")
    if files and size:
        found.error(
            f"options.{size[0]}",
            "cannot be combined with maxFilesPerTrigger (Spark allows one limit per trigger); keep one",
        )
    age = find_option(options, "maxFileAge")
    if age and not _TIME_STRING.match(age[1]):
        found.error(
            f"options.{age[0]}",
            f"'{age[1]}' is not a duration Spark understands; use a number with a unit, e.g. '7d', "
            "'12h', '30min' or '90s'",
        )
    if age and files and is_true(options, "latestFirst"):
        found.warn("maxFileAge is ignored by Spark when latestFirst and maxFilesPerTrigger are both set")
    glob_filter = find_option(options, "pathGlobFilter")
    if glob_filter and not glob_filter[1].strip():
        found.error(
            f"options.{glob_filter[0]}", "must be a glob such as '*.json'; remove it to read every file"
        )
    for key in options:
        if key.lower() in BATCH_ONLY_OPTIONS:
            found.error(
                f"options.{key}",
                "is not allowed in a streaming file source (Spark supports it for batch reads only); "
                "use maxFileAge to skip old files",
            )


def _check_clean_source(path: str | None, options: Mapping[str, Any], found: Findings) -> None:
    clean = find_option(options, "cleanSource")
    archive = find_option(options, "sourceArchiveDir")
    mode = clean[1].lower() if clean else "off"
    if clean and mode not in CLEAN_SOURCE_MODES:
        found.error(
            f"options.{clean[0]}", f"'{clean[1]}' is not a cleanSource mode; use off, archive or delete"
        )
        return
    if mode != "archive":
        if archive:
            found.warn(f"{archive[0]} is ignored unless cleanSource is archive")
        return
    if archive is None or not archive[1].strip():
        found.error(
            "options.sourceArchiveDir",
            "is required with cleanSource: archive: the directory processed files are moved to "
            "(outside the source path)",
        )
        return
    if path is None:
        return
    key, target = archive
    if not same_file_system(path, target):
        found.error(
            f"options.{key}", f"'{target}' must be on the same file system as the source path '{path}'"
        )
    elif archive_overlaps_source(path, target):
        found.error(
            f"options.{key}",
            f"'{target}' overlaps the source path '{path}': archived files could match the source "
            "again. Choose a directory outside the source path that is not one of its parents "
            "(Spark compares both paths down to the shorter one's depth), e.g. a sibling directory",
        )


def _check_schema(section: Mapping[str, Any], fmt: str, found: Findings) -> None:
    options = section["options"]
    schema = section.get("schema")
    infer = is_true(options, INFER_SCHEMA)
    if fmt == "text":
        if schema is not None:
            found.error("schema", "must not be set for options.format text: text rows are one 'value STRING'")
        if infer:
            found.warn(f"{INFER_SCHEMA} is ignored for text: its schema is always 'value STRING'")
        return
    if fmt in SCHEMALESS_FORMATS and schema is None and not infer:
        found.error(
            "schema",
            f"is required for options.format {fmt}: give the files' schema (DDL such as "
            f"'id BIGINT, name STRING', a JSON dict or a StructType), or set options.{INFER_SCHEMA}: "
            "true to infer it from the files present when the query starts",
        )
    if schema is not None and infer:
        found.warn(f"{INFER_SCHEMA} is ignored because a schema is given")


def _check_payload(section: Mapping[str, Any], fmt: str, found: Findings) -> None:
    options = section["options"]
    with_file = is_true(options, INCLUDE_SOURCE_FILE)
    if with_file and SOURCE_FILE_COLUMN in _schema_columns(section.get("schema")):
        found.error(
            f"options.{INCLUDE_SOURCE_FILE}",
            f"adds a '{SOURCE_FILE_COLUMN}' column, but the schema already has one; rename that column",
        )
    if not section.get("parse_json"):
        return
    if fmt != "text":
        found.error(
            "parse_json",
            f"parses the text payload column 'value', which options.format {fmt} does not have. Use "
            "options.format: text (one JSON record per line; wholetext: true for one per file), "
            "or drop parse_json and give schema so Spark parses the files itself",
        )
    if with_file and SOURCE_FILE_COLUMN in _schema_columns(section.get("json_schema")):
        found.error(
            f"options.{INCLUDE_SOURCE_FILE}",
            f"adds a '{SOURCE_FILE_COLUMN}' column, but json_schema has one too; rename that field",
        )
    if section.get("dead_letter") is not None and not with_file:
        found.warn(
            "dead letters will not say which file a bad record came from; "
            f"set options.{INCLUDE_SOURCE_FILE}: true"
        )


def validate_file_stream_input(section: Mapping[str, Any], node: Mapping[str, Any]) -> list[str]:
    """Validate a ``file_stream`` input section."""
    found = Findings()
    options = section["options"]
    path = _check_path(section, found, "the directory (or glob) the source watches for new files")
    fmt = _check_format(options, found)
    _check_scalar_options(options, found)
    _check_rate_limits(options, found)
    _check_clean_source(path, options, found)
    if fmt is not None:
        _check_schema(section, fmt, found)
        _check_payload(section, fmt, found)
    _check_trigger(node, found, "source")
    return found.result()


# -- the sink ---------------------------------------------------------------------------------
def validate_file_output(section: Mapping[str, Any], node: Mapping[str, Any]) -> list[str]:
    """Validate a ``file`` output (or dead-letter) section."""
    found = Findings()
    options = section["options"]
    path = _check_path(section, found, "the directory the files are written to")
    fmt = _check_format(options, found)
    _check_scalar_options(options, found)
    dead_letter = is_dead_letter(section, node)
    mode = (node.get("streaming") or {}).get("output_mode")
    if not dead_letter and mode not in (None, "append"):
        found.error(
            None,
            f"streaming.output_mode is '{mode}', but Spark's file sink only supports append: files "
            "once written are never rewritten, so updated or complete results cannot replace them. "
            "Set output_mode: append (aggregations then need a watermark), or write to a sink that "
            "supports update/complete (e.g. delta)",
        )
    if dead_letter and fmt == "text":
        found.error(
            f"options.{FORMAT}",
            "text files hold one string column, but dead letters have several (payload, error, "
            "batch_id, ...); use json, csv, parquet, orc or avro",
        )
    source = node.get("input") or {}
    reads_files = source.get("format") in FILE_SOURCE_NAMES and source.get("path")
    if path and reads_files and lies_under(path, str(source["path"])):
        found.error(
            "path",
            f"'{path}' lies in the source path '{source['path']}': the sink's files would be read "
            "again as new input; write elsewhere",
        )
    output = node.get("output") or {}
    if path and dead_letter and output.get("format") in FILE_SINK_NAMES and output.get("path"):
        other = str(output["path"])
        if lies_under(path, other) or lies_under(other, path):
            found.error(
                "path", f"'{path}' overlaps the output path '{other}'; give dead letters their own directory"
            )
    if not dead_letter:
        _check_trigger(node, found, "sink")
    return found.result()
