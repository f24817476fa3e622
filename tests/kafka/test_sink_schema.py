"""The Kafka sink's schema check before the start: scalars cast to text, nested types refused."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tauro.streaming import TransformationRegistry
from tauro.streaming.exceptions import StreamingValidationError
from tauro.streaming.query_manager import StreamingQueryManager

from .helpers import kafka_output, node
from .kafka_client import KafkaClient

EVERY_SECOND = {"trigger": {"type": "processing_time", "interval": "1 second"}}


def rate_input(rows_per_second: int = 20) -> dict[str, Any]:
    return {"format": "rate", "options": {"rowsPerSecond": rows_per_second}}


def publish_until(context: Any, kafka: KafkaClient, topic: str, config: dict[str, Any], count: int) -> Any:
    """Run the node until the topic holds ``count`` records (or it fails); always stop it."""
    manager = StreamingQueryManager(context)
    query = manager.create_and_start_query(config, pipeline_name="kafka_schema")
    try:
        deadline = time.monotonic() + 120
        while sum(kafka.end_offsets(topic).values()) < count and time.monotonic() < deadline:
            assert query.isActive, query.exception()
            time.sleep(0.5)
    finally:
        manager.stop_query(query)
    assert query.exception() is None, query.exception()
    return kafka.read_all(topic)


def test_rate_into_kafka_casts_the_bigint_value_to_text(
    context: Any, kafka: KafkaClient, new_topic: Any
) -> None:
    topic = new_topic()
    config = node("rate_to_kafka", rate_input(), kafka_output(kafka.bootstrap, topic), streaming=EVERY_SECOND)
    records = publish_until(context, kafka, topic, config, 5)
    values = sorted(int(r["value"]) for r in records)
    assert len(values) >= 5
    assert values == list(range(len(values)))  # the rate source's 0, 1, 2, ... as text


def test_row_as_json_writes_the_whole_row(context: Any, kafka: KafkaClient, new_topic: Any) -> None:
    topic = new_topic()
    output = kafka_output(kafka.bootstrap, topic, row_as_json=True, key_column="value")
    config = node("rate_as_json", rate_input(), output, streaming=EVERY_SECOND)
    records = publish_until(context, kafka, topic, config, 3)
    rows = [json.loads(r["value"]) for r in records]
    assert all(set(row) == {"timestamp", "value"} for row in rows)
    assert sorted(r["key"] for r in records) == sorted(str(row["value"]) for row in rows)


@pytest.mark.parametrize(
    ("transform", "column", "kind"),
    [
        (lambda df: df.selectExpr("struct(value, timestamp) AS value"), "value", "STRUCT<VALUE:BIGINT"),
        (lambda df: df.selectExpr("array(value) AS value"), "value", "ARRAY<BIGINT>"),
        (lambda df: df.selectExpr("CAST(value AS STRING) AS value", "map('a', value) AS key"), "key", "MAP"),
    ],
    ids=["struct", "array", "map"],
)
def test_a_nested_column_is_refused_before_the_start(
    context: Any, kafka: KafkaClient, new_topic: Any, transform: Any, column: str, kind: str
) -> None:
    topic = new_topic()
    TransformationRegistry.register("nested_for_kafka", transform)
    config = node(
        "nested",
        rate_input(),
        kafka_output(kafka.bootstrap, topic),
        transforms=["nested_for_kafka"],
        streaming=EVERY_SECOND,
    )
    before = {q.id for q in context.spark.streams.active}
    with pytest.raises(StreamingValidationError) as info:
        StreamingQueryManager(context).create_and_start_query(config, pipeline_name="kafka_schema")
    message = info.value.message
    assert f"column '{column}' is {kind}" in message
    assert "to_json(struct(*))" in message and "row_as_json" in message
    assert info.value.context["field"] == "output"
    assert {q.id for q in context.spark.streams.active} == before
    assert sum(kafka.end_offsets(topic).values()) == 0


def test_a_nested_key_column_is_refused_with_its_name(
    context: Any, kafka: KafkaClient, new_topic: Any
) -> None:
    topic = new_topic()
    TransformationRegistry.register("with_tags", lambda df: df.selectExpr("value", "array('a', 'b') AS tags"))
    output = kafka_output(kafka.bootstrap, topic, key_column="tags")
    config = node("keyed", rate_input(), output, transforms=["with_tags"], streaming=EVERY_SECOND)
    with pytest.raises(StreamingValidationError) as info:
        StreamingQueryManager(context).create_and_start_query(config, pipeline_name="kafka_schema")
    assert "column 'tags' is ARRAY<STRING>" in info.value.message
    assert info.value.context["field"] == "output.options.key_column"
