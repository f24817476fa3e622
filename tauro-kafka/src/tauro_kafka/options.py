"""Names shared by the Kafka reader, writer and validators: Spark's options and Tauro's own.

Spark compares option names case-insensitively, so the sets here are lower-case.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

#: Spark's Kafka connector for the running Spark version (Spark 4 is built for Scala 2.13 only).
CONNECTOR_PACKAGE = "org.apache.spark:spark-sql-kafka-0-10_2.13:{version}"
CONNECTOR_CLASS = "org.apache.spark.sql.kafka010.KafkaSourceProvider"

BOOTSTRAP = "kafka.bootstrap.servers"
SUBSCRIPTIONS = ("subscribe", "subscribePattern", "assign")

# Tauro's own options: consumed by the plugin, never passed to Spark.
#: Source: Kafka columns kept beside the parsed JSON columns (a list, or true for all).
KEEP_METADATA = "keep_metadata"
#: Sink: the column whose value becomes the record key.
KEY_COLUMN = "key_column"
#: Sink: write the whole row as one JSON object into the record value.
ROW_AS_JSON = "row_as_json"
TAURO_OPTIONS = frozenset({KEEP_METADATA.lower(), KEY_COLUMN.lower(), ROW_AS_JSON.lower()})

#: The Kafka source's columns that ``keep_metadata`` may keep (``headers`` needs includeHeaders,
#: which Tauro then sets).
METADATA_COLUMNS = ("key", "topic", "partition", "offset", "timestamp", "timestampType", "headers")
#: Kept with dead letters: where each bad record is in Kafka.
DEAD_LETTER_COLUMNS = ("topic", "partition", "offset")
#: The columns Spark's Kafka sink reads from each row.
SINK_COLUMNS = ("key", "value", "topic", "partition", "headers")

#: Source options of Spark's Kafka connector, besides ``kafka.*`` consumer settings.
SOURCE_OPTIONS = (
    *SUBSCRIPTIONS,
    "startingOffsets",
    "startingOffsetsByTimestamp",
    "startingTimestamp",
    "startingOffsetsByTimestampStrategy",
    "failOnDataLoss",
    "kafkaConsumer.pollTimeoutMs",
    "fetchOffset.numRetries",
    "fetchOffset.retryIntervalMs",
    "maxOffsetsPerTrigger",
    "minOffsetsPerTrigger",
    "maxTriggerDelay",
    "minPartitions",
    "maxRecordsPerPartition",
    "groupIdPrefix",
    "includeHeaders",
)
#: Options that end a batch query; a stream has no end.
ENDING_OPTIONS = frozenset({"endingoffsets", "endingoffsetsbytimestamp", "endingtimestamp"})
#: Sink options of Spark's Kafka connector, besides ``kafka.*`` producer settings.
SINK_OPTIONS = ("topic", "includeHeaders")

BOOLEAN_OPTIONS = frozenset({"failondataloss", "includeheaders", ROW_AS_JSON})
POSITIVE_INT_OPTIONS = frozenset(
    {
        "maxoffsetspertrigger",
        "minoffsetspertrigger",
        "minpartitions",
        "maxrecordsperpartition",
        "kafkaconsumer.polltimeoutms",
        "fetchoffset.retryintervalms",
    }
)
NON_NEGATIVE_INT_OPTIONS = frozenset({"fetchoffset.numretries", "startingtimestamp"})

#: Kafka client settings Spark manages itself and refuses (with why and what to use instead).
FORBIDDEN_CONSUMER = {
    "kafka.auto.offset.reset": "Spark tracks offsets itself; use startingOffsets (earliest or latest)",
    "kafka.enable.auto.commit": "Spark keeps offsets in the query's checkpoint, not in Kafka",
    "kafka.key.deserializer": "Spark always reads keys as bytes; cast the key column in a transform",
    "kafka.value.deserializer": "Spark always reads values as bytes; use parse_json or cast the value",
    "kafka.interceptor.classes": "Spark's consumer cannot run interceptors, which could break its offsets",
}
FORBIDDEN_PRODUCER = {
    "kafka.key.serializer": "Spark always writes keys as bytes or strings; give a key column",
    "kafka.value.serializer": "Spark always writes values as bytes or strings; give a value column",
    "kafka.interceptor.classes": "Spark's producer cannot run interceptors",
}

SECURITY_PROTOCOL = "kafka.security.protocol"
SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
SASL_MECHANISM = "kafka.sasl.mechanism"
SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "GSSAPI", "OAUTHBEARER")
JAAS_CONFIG = "kafka.sasl.jaas.config"


def split_options(options: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """(Tauro's options keyed lower-case, Spark's options as given) of a section's options."""
    tauro: dict[str, str] = {}
    spark: dict[str, str] = {}
    for key, value in options.items():
        if value is None:
            continue
        if str(key).lower() in TAURO_OPTIONS:
            tauro[str(key).lower()] = str(value)
        else:
            spark[str(key)] = str(value)
    return tauro, spark


def parse_keep_metadata(value: str | None) -> list[str]:
    """The columns ``keep_metadata`` names: a JSON list, comma-separated names, true or false.

    Raises ValueError naming the first unknown column.
    """
    if value is None or value.strip().lower() in ("", "false"):
        return []
    text = value.strip()
    if text.lower() == "true":
        return [c for c in METADATA_COLUMNS if c != "headers"]
    names = json.loads(text) if text.startswith("[") else [n.strip() for n in text.split(",")]
    if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
        raise ValueError("must be a list of column names")
    known = {c.lower(): c for c in METADATA_COLUMNS}
    columns: list[str] = []
    for name in names:
        if name.lower() not in known:
            raise ValueError(f"'{name}' is not a Kafka column; choose from {', '.join(METADATA_COLUMNS)}")
        columns.append(known[name.lower()])
    return list(dict.fromkeys(columns))
