"""What ``tauro schema`` shows editors for Kafka options, built from the names in ``options``.

The validators report an option that is neither one of these nor a ``kafka.*`` client setting,
so both schemas are closed with ``kafka.`` open.
"""

from __future__ import annotations

from typing import Any

from tauro.plugin import bool_option, int_option, options_object, structured_option, text_option
from tauro_kafka.options import (
    BOOLEAN_OPTIONS,
    BOOTSTRAP,
    KEEP_METADATA,
    KEY_COLUMN,
    METADATA_COLUMNS,
    NON_NEGATIVE_INT_OPTIONS,
    POSITIVE_INT_OPTIONS,
    ROW_AS_JSON,
    SASL_MECHANISM,
    SASL_MECHANISMS,
    SECURITY_PROTOCOL,
    SECURITY_PROTOCOLS,
    SINK_OPTIONS,
    SOURCE_OPTIONS,
)

#: What an option does, where a word helps; the others are Spark's Kafka options as documented.
_DESCRIPTIONS = {
    BOOTSTRAP: "Brokers, host:port separated by commas.",
    "subscribe": "Topics to read, separated by commas (one of subscribe, subscribePattern, assign).",
    "subscribePattern": "A regular expression of topics to read.",
    "assign": "Partitions to read: a mapping of topic to partition numbers.",
    "startingOffsets": "Where a new query starts: earliest, latest, or offsets per partition.",
    "failOnDataLoss": "Fail when data may have been lost (topics deleted, offsets out of range).",
    "maxOffsetsPerTrigger": "Most offsets read per micro-batch.",
    "includeHeaders": "Read (or write) the record headers.",
    KEEP_METADATA: f"Kafka columns kept beside the parsed JSON: a list of {', '.join(METADATA_COLUMNS)}, "
    "or true for all but headers.",
    "topic": "The topic to write to (or give rows a 'topic' column).",
    KEY_COLUMN: "The column whose value becomes the record key.",
    ROW_AS_JSON: "Write the whole row as one JSON object into the record value.",
}
_STRUCTURED = frozenset({"assign", "startingoffsets", "startingoffsetsbytimestamp", KEEP_METADATA})


def _option(name: str) -> dict[str, Any]:
    text = _DESCRIPTIONS.get(name, f"Spark's Kafka option {name}.")
    low = name.lower()
    if low in _STRUCTURED:
        return structured_option(text)
    if low in BOOLEAN_OPTIONS:
        return bool_option(text)
    if low in POSITIVE_INT_OPTIONS:
        return int_option(text, minimum=1)
    if low in NON_NEGATIVE_INT_OPTIONS:
        return int_option(text)
    return text_option(text)


_CONNECTION = {
    BOOTSTRAP: text_option(_DESCRIPTIONS[BOOTSTRAP]),
    SECURITY_PROTOCOL: text_option("How clients reach the brokers.", choices=SECURITY_PROTOCOLS),
    SASL_MECHANISM: text_option("The SASL mechanism.", choices=SASL_MECHANISMS),
}

SOURCE_SCHEMA = options_object(
    {**_CONNECTION, **{name: _option(name) for name in (*SOURCE_OPTIONS, KEEP_METADATA)}},
    required=(BOOTSTRAP,),
    closed=True,
    open_prefixes=("kafka.",),
)
SINK_SCHEMA = options_object(
    {**_CONNECTION, **{name: _option(name) for name in (*SINK_OPTIONS, KEY_COLUMN, ROW_AS_JSON)}},
    required=(BOOTSTRAP,),
    closed=True,
    open_prefixes=("kafka.",),
)
