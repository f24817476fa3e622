"""Validators for ``delta`` and ``delta_stream`` sections (no SparkSession needed).

Delta ignores options it does not know and checks the others when the query runs; here every
problem of a section is reported at once, with its field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from tauro.plugin import Findings, find_option, is_dead_letter, unknown_options
from tauro_delta.options import (
    BOOLEAN_SINK_OPTIONS,
    BOOLEAN_SOURCE_OPTIONS,
    CDF_SOURCE_OPTIONS,
    MERGE_KEYS,
    POSITIVE_INT_SOURCE_OPTIONS,
    PROPERTY_PREFIX,
    SEQUENCE_BY,
    SINK_OPTIONS,
    SOURCE_OPTIONS,
    is_table_name,
    parse_columns,
)

#: Timestamps Delta accepts for startingTimestamp: a date, or a date and time.
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$")


def _check_location(section: Mapping[str, Any], found: Findings) -> None:
    path, name = section.get("path"), section.get("table_name")
    if not path and not name:
        found.error("path", "a Delta table needs 'path' (a directory) or 'table_name' (under the warehouse)")
    elif path and name:
        found.error("table_name", "give 'path' or 'table_name', not both: a table has one location")
    elif name and not is_table_name(str(name)):
        found.error(
            "table_name",
            f"'{name}' is not a table name: letters, digits and '_', not starting with a digit "
            "(it becomes a directory under the warehouse); use 'path' for other locations",
        )


def _check_booleans(options: Mapping[str, Any], names: tuple[str, ...], found: Findings) -> None:
    lowered = {n.lower() for n in names}
    for key, value in options.items():
        if str(key).lower() in lowered and str(value).strip().lower() not in ("true", "false"):
            found.error(f"options.{key}", f"must be true or false, not '{value}'")


def _check_unknown(options: Mapping[str, Any], known: tuple[str, ...], found: Findings, role: str) -> None:
    for key, close in unknown_options(options, known):
        if key.lower().startswith(PROPERTY_PREFIX) and role == "sink":
            continue
        hint = f"; did you mean '{close}'?" if close else f"; Delta's {role} options: {', '.join(known)}"
        if close:
            found.error(f"options.{key}", f"'{key}' is not an option of the Delta {role}{hint}")
        else:
            found.warn(f"options.{key} is not an option of the Delta {role} and is ignored by Delta{hint}")


def _check_starting(options: Mapping[str, Any], found: Findings, cdf: bool) -> None:
    version = find_option(options, "startingVersion")
    timestamp = find_option(options, "startingTimestamp")
    if version and timestamp:
        found.error(
            f"options.{timestamp[0]}",
            "give startingVersion or startingTimestamp, not both: Delta refuses the pair",
        )
    if version and not (version[1].isdigit() or version[1].strip().lower() == "latest"):
        found.error(
            f"options.{version[0]}", f"'{version[1]}' is not a table version: use a number >= 0 or latest"
        )
    if timestamp and not _TIMESTAMP.match(timestamp[1].strip()):
        found.error(
            f"options.{timestamp[0]}",
            f"'{timestamp[1]}' is not a timestamp Delta reads; use e.g. 2026-01-31 or 2026-01-31 12:00:00",
        )
    change_feed = find_option(options, "readChangeFeed")
    if cdf and change_feed and change_feed[1].strip().lower() == "false":
        found.error(
            f"options.{change_feed[0]}",
            "delta_stream always reads the Change Data Feed; to stream appended rows use format: delta",
        )
    if not cdf and change_feed and change_feed[1].strip().lower() == "true":
        found.warn(
            "options.readChangeFeed: true on format delta reads the change feed; format: delta_stream says so"
        )
    for name in POSITIVE_INT_SOURCE_OPTIONS:
        given = find_option(options, name)
        if given and not (given[1].isdigit() and int(given[1]) > 0):
            found.error(f"options.{given[0]}", f"must be a positive whole number, not '{given[1]}'")


def _check_source(section: Mapping[str, Any], cdf: bool) -> list[str]:
    found = Findings()
    _check_location(section, found)
    options = section.get("options") or {}
    _check_unknown(options, CDF_SOURCE_OPTIONS if cdf else SOURCE_OPTIONS, found, "source")
    _check_booleans(options, BOOLEAN_SOURCE_OPTIONS, found)
    _check_starting(options, found, cdf)
    if section.get("schema") is not None:
        found.warn("input.schema is ignored for Delta sources: the table's own schema is used")
    return found.result()


def validate_delta_input(section: Mapping[str, Any], node: Mapping[str, Any]) -> list[str]:
    return _check_source(section, cdf=False)


def validate_delta_stream_input(section: Mapping[str, Any], node: Mapping[str, Any]) -> list[str]:
    return _check_source(section, cdf=True)


def validate_delta_output(section: Mapping[str, Any], node: Mapping[str, Any]) -> list[str]:
    found = Findings()
    _check_location(section, found)
    options = section.get("options") or {}
    _check_unknown(options, (*SINK_OPTIONS, MERGE_KEYS, SEQUENCE_BY), found, "sink")
    _check_booleans(options, BOOLEAN_SINK_OPTIONS, found)
    boolean_properties = ("delta.enablechangedatafeed", "delta.appendonly")
    for key, value in options.items():
        if str(key).lower() in boolean_properties and str(value).strip().lower() not in ("true", "false"):
            found.error(f"options.{key}", f"must be true or false, not '{value}'")
    keys = find_option(options, MERGE_KEYS)
    sequence = find_option(options, SEQUENCE_BY)
    mode = str((node.get("streaming") or {}).get("output_mode") or "append").lower()
    if keys is not None:
        key_columns = parse_columns(options[keys[0]])
        if not key_columns:
            found.error(f"options.{keys[0]}", "name the key columns rows are matched on, e.g. [user_id]")
        if partitioned := section.get("partition_by"):
            found.warn(
                f"partition_by {list(partitioned)} applies when Tauro creates the table; merges keep "
                "the table's partitioning"
            )
    elif sequence is not None:
        found.error(
            f"options.{sequence[0]}",
            "sequence_by orders the rows of a merge; set options.merge_keys too, or remove it",
        )
    elif mode == "update" and not is_dead_letter(section, node):
        found.error(
            "options.merge_keys",
            "Delta's streaming sink writes append or complete mode, not update; set options.merge_keys "
            "to upsert rows by key, or use output_mode append or complete",
        )
    if sequence is not None and not parse_columns(options[sequence[0]]):
        found.error(f"options.{sequence[0]}", "name the column(s) that order changes, e.g. updated_at")
    return found.result()
