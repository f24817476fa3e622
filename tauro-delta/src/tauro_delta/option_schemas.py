"""What ``tauro schema`` shows editors for Delta options, built from the names in ``options``.

Options Delta does not know are warnings (or errors when close to a known name) in the
validators, so the schemas stay open: any other scalar option passes, as ``delta.*`` table
properties of the sink do.
"""

from __future__ import annotations

from typing import Any

from tauro.plugin import bool_option, int_option, options_object, structured_option, text_option
from tauro_delta.options import (
    BOOLEAN_SINK_OPTIONS,
    BOOLEAN_SOURCE_OPTIONS,
    MERGE_KEYS,
    POSITIVE_INT_SOURCE_OPTIONS,
    SEQUENCE_BY,
    SINK_OPTIONS,
    SOURCE_OPTIONS,
)

_DESCRIPTIONS = {
    "startingVersion": "Table version a new query starts at, or latest "
    "(default: the current state, then new commits).",
    "startingTimestamp": "Time a new query starts at, e.g. 2026-01-31 (not with startingVersion).",
    "maxFilesPerTrigger": "Most files per micro-batch (default 1000).",
    "maxBytesPerTrigger": "About how many bytes per micro-batch.",
    "skipChangeCommits": "Ignore commits that update or delete rows.",
    "ignoreDeletes": "Ignore commits that only delete whole partitions.",
    "readChangeFeed": "Read the Change Data Feed (always on for delta_stream).",
    "mergeSchema": "Add new columns to the table.",
    "overwriteSchema": "Replace the table's schema (complete mode).",
    MERGE_KEYS: "MERGE each batch on these keys: a list or comma-separated names.",
    SEQUENCE_BY: "With merge_keys: column(s) ordering changes; the newest wins.",
}


def _option(name: str, booleans: tuple[str, ...], positive: tuple[str, ...] = ()) -> dict[str, Any]:
    text = _DESCRIPTIONS.get(name, f"Delta's option {name}.")
    if name in booleans:
        return bool_option(text)
    if name in positive:
        return int_option(text, minimum=1)
    return text_option(text)


def source_schema(names: tuple[str, ...]) -> dict[str, Any]:
    return options_object(
        {name: _option(name, BOOLEAN_SOURCE_OPTIONS, POSITIVE_INT_SOURCE_OPTIONS) for name in names}
    )


SOURCE_SCHEMA = source_schema(SOURCE_OPTIONS)
CHANGE_FEED_SCHEMA = source_schema((*SOURCE_OPTIONS, "readChangeFeed"))
SINK_SCHEMA = options_object(
    {
        **{name: _option(name, BOOLEAN_SINK_OPTIONS) for name in SINK_OPTIONS},
        MERGE_KEYS: structured_option(_DESCRIPTIONS[MERGE_KEYS]),
        SEQUENCE_BY: structured_option(_DESCRIPTIONS[SEQUENCE_BY]),
    },
    description="Delta's sink options; delta.<property> sets a table property.",
)
