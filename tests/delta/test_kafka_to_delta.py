"""Kafka -> Delta on the real broker: JSON values become table columns, bad values go aside,
and a Kafka key stream upserts a Delta table by key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pyspark.testing import assertDataFrameEqual

from tests.kafka.helpers import EVENT_SCHEMA, events, kafka_input, node
from tests.kafka.kafka_client import KafkaClient

from .helpers import history, rows, run_node


def test_json_values_become_delta_columns(
    context: Any, kafka: KafkaClient, new_topic: Any, tmp_path: Path
) -> None:
    spark = context.spark
    topic = new_topic(partitions=2)
    kafka.produce(topic, events(range(1, 11)), key=lambda e: e["id"])
    table = tmp_path / "events"
    source = kafka_input(kafka.bootstrap, topic, parse_json=True, json_schema=EVENT_SCHEMA)
    query = run_node(context, node("parse", source, {"format": "delta", "path": str(table)}))
    assert sum(p["numInputRows"] for p in query.recentProgress) == 10
    expected = spark.createDataFrame([(i, "click", i / 2) for i in range(1, 11)], EVENT_SCHEMA)
    assertDataFrameEqual(spark.read.format("delta").load(str(table)), expected)
    kafka.produce(topic, events(range(11, 13), kind="view"))
    run_node(context, node("parse", source, {"format": "delta", "path": str(table)}))
    assert [r[0] for r in rows(spark, table)] == list(range(1, 13))


def test_malformed_values_go_to_a_delta_dead_letter_table(
    context: Any, kafka: KafkaClient, new_topic: Any, tmp_path: Path
) -> None:
    spark = context.spark
    topic = new_topic()
    kafka.produce(
        topic, [{"id": 1, "kind": "a", "amount": 1.0}, "not json", {"id": 2, "kind": "b", "amount": 2.0}]
    )
    good, dead = tmp_path / "good", tmp_path / "dead"
    source = kafka_input(
        kafka.bootstrap,
        topic,
        parse_json=True,
        json_schema=EVENT_SCHEMA,
        dead_letter={"format": "delta", "path": str(dead)},
    )
    run_node(context, node("dl", source, {"format": "delta", "path": str(good)}))
    assert [r.id for r in spark.read.format("delta").load(str(good)).orderBy("id").collect()] == [1, 2]
    letters = spark.read.format("delta").load(str(dead)).collect()
    assert [(r.payload, r.topic, r.offset) for r in letters] == [("not json", topic, 1)]
    assert [h["operation"] for h in history(spark, dead)].count("WRITE") == 1


def test_kafka_changes_upsert_a_delta_table_newest_first(
    context: Any, kafka: KafkaClient, new_topic: Any, tmp_path: Path
) -> None:
    spark = context.spark
    topic = new_topic(partitions=2)
    changes = [{"user": u, "seq": s, "plan": f"p{s}"} for s in (3, 1, 2) for u in ("a", "b")]
    kafka.produce(topic, changes, key=lambda c: c["user"])
    table = tmp_path / "users"
    source = kafka_input(
        kafka.bootstrap, topic, parse_json=True, json_schema="user STRING, seq INT, plan STRING"
    )
    output = {
        "format": "delta",
        "path": str(table),
        "options": {"merge_keys": ["user"], "sequence_by": "seq"},
    }
    run_node(context, node("upsert", source, output, streaming={"output_mode": "update"}))
    assert rows(spark, table, "user") == [("a", 3, "p3"), ("b", 3, "p3")]
