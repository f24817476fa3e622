"""What ``tauro schema`` shows editors for file options, built from the names in ``options``.

Spark's file sources take many format options (``header``, ``sep``, ...) and the validators pass
unknown ones on, so the schemas stay open.
"""

from __future__ import annotations

from typing import Any

from tauro.plugin import bool_option, int_option, options_object, text_option
from tauro_files.options import (
    BOOLEAN_OPTIONS,
    CLEAN_SOURCE_MODES,
    DEFAULT_FORMAT,
    FORMAT,
    FORMATS,
    INCLUDE_SOURCE_FILE,
    INFER_SCHEMA,
    POSITIVE_INT_OPTIONS,
)

_DESCRIPTIONS = {
    INFER_SCHEMA: "Infer the schema from the files present at start (json, csv) instead of giving schema.",
    INCLUDE_SOURCE_FILE: "Add a source_file column with each row's file path.",
    "maxFilesPerTrigger": "Most new files per micro-batch.",
    "maxBytesPerTrigger": "About how many bytes of new files per micro-batch (not with maxFilesPerTrigger).",
    "latestFirst": "Process the newest files first.",
    "fileNameOnly": "Recognise new files by name only, not by full path.",
    "maxFileAge": "Ignore files older than this, e.g. 7d, 12h, 30min.",
    "pathGlobFilter": "Read only files whose names match this glob, e.g. *.json.",
    "recursiveFileLookup": "Read files in subdirectories too.",
    "cleanSource": "What to do with a file once processed.",
    "sourceArchiveDir": "Where cleanSource: archive moves processed files.",
    "header": "csv: the first line holds the column names.",
    "multiLine": "json, csv: a record may span several lines.",
    "compression": "Compression codec of the files written, e.g. snappy, gzip.",
}
_FORMAT = text_option("The file format.", default=DEFAULT_FORMAT, choices=FORMATS)
_NAMES = (
    INFER_SCHEMA,
    INCLUDE_SOURCE_FILE,
    "maxFilesPerTrigger",
    "maxBytesPerTrigger",
    "latestFirst",
    "fileNameOnly",
    "maxFileAge",
    "pathGlobFilter",
    "recursiveFileLookup",
    "sourceArchiveDir",
    "header",
    "multiLine",
)


def _option(name: str) -> dict[str, Any]:
    text = _DESCRIPTIONS.get(name, f"Spark's file option {name}.")
    if name.lower() in BOOLEAN_OPTIONS:
        return bool_option(text)
    if name.lower() in POSITIVE_INT_OPTIONS:
        return int_option(text, minimum=1)
    return text_option(text)


SOURCE_SCHEMA = options_object(
    {
        FORMAT: _FORMAT,
        **{name: _option(name) for name in _NAMES},
        "cleanSource": text_option(_DESCRIPTIONS["cleanSource"], default="off", choices=CLEAN_SOURCE_MODES),
    },
    description="Tauro's format, infer_schema, include_source_file, and Spark's file source options.",
)
SINK_SCHEMA = options_object(
    {FORMAT: _FORMAT, "compression": text_option(_DESCRIPTIONS["compression"])},
    description="The file format, and Spark's options of that format's writer.",
)
