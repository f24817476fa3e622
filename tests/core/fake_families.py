"""Validators standing in for the Kafka and delta_stream families' rules (file_stream is real:
tauro-files is in this repository).

The real rules live in the families' distributions (their own issues); these register through
the same hooks to prove the mechanism, as a third-party plugin would.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pyspark.sql import DataFrame

from tauro import hookimpl
from tauro.streaming.exceptions import StreamingValidationError
from tauro.streaming.readers import BaseStreamingReader


class FakeKafkaReader(BaseStreamingReader):
    payload_column = "value"
    metadata_columns = ("topic", "partition", "offset")
    structured_options = frozenset({"assign"})

    def read(self, **options: Any) -> DataFrame:  # pragma: no cover - never run
        return self.spark.readStream.format("kafka").options(**options).load()


class FakePathReader(BaseStreamingReader):
    spark_format = "parquet"


def validate_kafka(section: Mapping[str, Any], node: Mapping[str, Any]) -> list[str]:
    options = section["options"]
    if "kafka.bootstrap.servers" not in options:
        raise StreamingValidationError(
            "Kafka bootstrap servers are required", field="options.kafka.bootstrap.servers"
        )
    chosen = [k for k in ("subscribe", "subscribePattern", "assign") if k in options]
    if len(chosen) != 1:
        raise StreamingValidationError(
            f"give exactly one of subscribe, subscribePattern, assign (found {chosen or 'none'})",
            field="options.subscribe",
        )
    return []


def validate_needs_path(section: Mapping[str, Any], node: Mapping[str, Any]) -> list[str]:
    if not section.get("path"):
        raise StreamingValidationError("is required for this format", field="path")
    return []


@hookimpl
def tauro_register_readers(registry: Any) -> None:
    registry.add("kafka", FakeKafkaReader)
    registry.add("delta_stream", FakePathReader)


@hookimpl
def tauro_register_format_validators(registry: Any) -> None:
    registry.add("kafka", validate_kafka, role="input")
    registry.add("delta_stream", validate_needs_path, role="input")
