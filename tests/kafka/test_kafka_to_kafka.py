"""Kafka -> Kafka on the real broker: rows as JSON values, keys, topic routing, dead letters."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tauro.streaming.exceptions import StreamingValidationError
from tauro.streaming.query_manager import StreamingQueryManager

from .helpers import EVENT_SCHEMA, events, kafka_input, kafka_output, node, parquet_output, run_node
from .kafka_client import KafkaClient


def test_parsed_rows_are_published_as_json_with_a_key_column(
    context: Any, kafka: KafkaClient, new_topic: Any
) -> None:
    source_topic, target_topic = new_topic(), new_topic()
    kafka.produce(source_topic, events(range(4)))
    source = kafka_input(kafka.bootstrap, source_topic, parse_json=True, json_schema=EVENT_SCHEMA)
    output = kafka_output(kafka.bootstrap, target_topic, key_column="id")
    run_node(context, node("relay", source, output))
    published = sorted(kafka.read_all(target_topic), key=lambda r: int(r["key"]))
    assert [r["key"] for r in published] == ["0", "1", "2", "3"]
    assert [json.loads(r["value"]) for r in published] == events(range(4))


def test_a_value_column_is_published_as_is_and_a_topic_column_routes_rows(
    context: Any, kafka: KafkaClient, new_topic: Any
) -> None:
    from tauro.streaming import TransformationRegistry

    source_topic, clicks, buys = new_topic(), new_topic(), new_topic()
    kafka.produce(source_topic, [*events(range(3), kind="click"), *events(range(3, 5), kind="buy")])

    def route(df: Any) -> Any:
        from pyspark.sql import functions as F

        target = F.when(F.col("kind") == "click", F.lit(clicks)).otherwise(F.lit(buys))
        return df.select(target.alias("topic"), F.format_string("%d:%s", "id", "kind").alias("value"))

    TransformationRegistry.register("route_by_kind", route)
    source = kafka_input(kafka.bootstrap, source_topic, parse_json=True, json_schema=EVENT_SCHEMA)
    run_node(
        context, node("router", source, kafka_output(kafka.bootstrap, None), transforms=["route_by_kind"])
    )
    assert sorted(r["value"] for r in kafka.read_all(clicks)) == ["0:click", "1:click", "2:click"]
    assert sorted(r["value"] for r in kafka.read_all(buys)) == ["3:buy", "4:buy"]


def test_dead_letters_can_go_to_a_kafka_topic(
    context: Any, kafka: KafkaClient, new_topic: Any, tmp_path: Path
) -> None:
    source_topic, dead_topic = new_topic(), new_topic()
    kafka.produce(source_topic, [{"id": 1, "kind": "a", "amount": 1.0}, "{broken"])
    source = kafka_input(
        kafka.bootstrap,
        source_topic,
        parse_json=True,
        json_schema=EVENT_SCHEMA,
        dead_letter=kafka_output(kafka.bootstrap, dead_topic),
    )
    run_node(context, node("to_dead_topic", source, parquet_output(tmp_path / "out")))
    [letter] = [json.loads(r["value"]) for r in kafka.read_all(dead_topic)]
    assert (letter["payload"], letter["topic"], letter["partition"], letter["offset"]) == (
        "{broken",
        source_topic,
        0,
        1,
    )
    assert letter["error"]


def test_rows_without_a_topic_are_refused_before_the_query_starts(
    context: Any, kafka: KafkaClient, new_topic: Any
) -> None:
    source = kafka_input(kafka.bootstrap, new_topic(), parse_json=True, json_schema=EVENT_SCHEMA)
    manager = StreamingQueryManager(context)
    with pytest.raises(StreamingValidationError, match="needs a topic") as info:
        manager.create_and_start_query(node("no_topic", source, kafka_output(kafka.bootstrap, None)), "kafka")
    assert info.value.field == "output.options.topic"  # checked by the sink before the start
    assert context.spark.streams.active == []


def test_a_failing_sasl_query_never_shows_the_password(
    context: Any, kafka: KafkaClient, new_topic: Any
) -> None:
    """SASL against the plaintext test broker fails; status and error must not echo the secret."""
    from tauro.streaming.pipeline_manager import StreamingPipelineManager

    password = "pw-" + "s3cr3t-value"
    module = "org.apache.kafka.common.security.plain.PlainLoginModule"
    jaas = f'{module} required username="u" password="{password}";'
    source = kafka_input(
        kafka.bootstrap,
        new_topic(),
        options={
            "kafka.security.protocol": "SASL_PLAINTEXT",
            "kafka.sasl.mechanism": "PLAIN",
            "kafka.sasl.jaas.config": jaas,
            "kafka.default.api.timeout.ms": 5000,
            "kafka.request.timeout.ms": 3000,
        },
    )
    manager = StreamingPipelineManager(context, monitor_interval=0.5)
    try:
        execution_id = manager.start_pipeline("sasl", {"nodes": [node("sasl", source, {"format": "noop"})]})
        status = manager.wait(execution_id, timeout=240)
        results = manager.get_results(execution_id)
    finally:
        manager.shutdown(timeout=60)
    assert status["status"] == "error", status
    text = json.dumps([status, results], default=str)
    assert "IllegalSaslStateException" in text  # the real failure is reported
    assert password not in text
