"""Kafka -> files on the real broker and the real local Spark: parsing, dead letters, offsets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pyspark.testing import assertDataFrameEqual

from .helpers import EVENT_SCHEMA, events, kafka_input, node, parquet_output, run_node
from .kafka_client import KafkaClient


def test_json_values_become_columns(context: Any, kafka: KafkaClient, new_topic: Any, tmp_path: Path) -> None:
    spark = context.spark
    topic = new_topic(partitions=2)
    kafka.produce(topic, events(range(1, 11)), key=lambda e: e["id"])
    out = tmp_path / "out"
    source = kafka_input(kafka.bootstrap, topic, parse_json=True, json_schema=EVENT_SCHEMA)
    query = run_node(context, node("parse", source, parquet_output(out)))
    assert sum(p["numInputRows"] for p in query.recentProgress) == 10
    expected = spark.createDataFrame([(i, "click", i / 2) for i in range(1, 11)], EVENT_SCHEMA)
    assertDataFrameEqual(spark.read.parquet(str(out)), expected)


def test_keep_metadata_keeps_kafka_columns_beside_the_parsed_ones(
    context: Any, kafka: KafkaClient, new_topic: Any, tmp_path: Path
) -> None:
    spark = context.spark
    topic = new_topic()
    kafka.produce(topic, events(range(3)), key=lambda e: f"user-{e['id']}")
    out = tmp_path / "out"
    source = kafka_input(
        kafka.bootstrap,
        topic,
        parse_json=True,
        json_schema=EVENT_SCHEMA,
        options={"keep_metadata": ["key", "topic", "partition", "offset"]},
    )
    run_node(context, node("keep", source, parquet_output(out)))
    actual = spark.read.parquet(str(out))
    assert actual.columns == ["id", "kind", "amount", "key", "topic", "partition", "offset"]
    rows = sorted((r.id, r.key, r.topic, r.partition, r.offset) for r in actual.collect())
    assert rows == [(i, f"user-{i}", topic, 0, i) for i in range(3)]


def test_malformed_values_reach_the_dead_letter_sink_with_topic_partition_and_offset(
    context: Any, kafka: KafkaClient, new_topic: Any, tmp_path: Path
) -> None:
    spark = context.spark
    topic = new_topic()
    values = [
        {"id": 1, "kind": "a", "amount": 1.0},
        "not json",
        {"id": 2, "kind": "b", "amount": "lots"},
        {"id": 3, "kind": "c", "amount": 3.0},
        "[1, 2]",
    ]
    kafka.produce(topic, values)
    out, dead = tmp_path / "out", tmp_path / "dead"
    source = kafka_input(
        kafka.bootstrap,
        topic,
        parse_json=True,
        json_schema=EVENT_SCHEMA,
        dead_letter={"format": "file", "path": str(dead), "options": {"format": "json"}},
    )
    run_node(context, node("dl", source, parquet_output(out)))
    good = spark.read.parquet(str(out))  # written batch by batch: out/batch_id=<id>/
    assert "batch_id" in good.columns
    expected = spark.createDataFrame([(1, "a", 1.0), (3, "c", 3.0)], EVENT_SCHEMA)
    assertDataFrameEqual(good.drop("batch_id"), expected)
    letters = sorted(spark.read.json(str(dead)).collect(), key=lambda r: r.offset)
    assert [(r.payload, r.topic, r.partition, r.offset) for r in letters] == [
        ("not json", topic, 0, 1),
        (json.dumps(values[2]), topic, 0, 2),
        ("[1, 2]", topic, 0, 4),
    ]
    assert all(r.error and r.batch_id is not None for r in letters)


def test_starting_offsets_earliest_reads_history_latest_only_what_comes_after(
    context: Any, kafka: KafkaClient, new_topic: Any, tmp_path: Path
) -> None:
    spark = context.spark
    topic = new_topic()
    kafka.produce(topic, events(range(5), kind="old"))
    earliest, latest = tmp_path / "earliest", tmp_path / "latest"

    def spec(name: str, path: Path, start: str) -> dict[str, Any]:
        options = {"startingOffsets": start}
        source = kafka_input(
            kafka.bootstrap, topic, parse_json=True, json_schema=EVENT_SCHEMA, options=options
        )
        return node(name, source, parquet_output(path))

    run_node(context, spec("from_latest", latest, "latest"))  # records the end offsets: nothing read
    kafka.produce(topic, events(range(5, 8), kind="new"))
    run_node(context, spec("from_latest", latest, "latest"))  # resumes from its checkpoint
    run_node(context, spec("from_earliest", earliest, "earliest"))
    assert sorted(r.id for r in spark.read.parquet(str(earliest)).collect()) == list(range(8))
    assert sorted((r.id, r.kind) for r in spark.read.parquet(str(latest)).collect()) == [
        (5, "new"),
        (6, "new"),
        (7, "new"),
    ]


def test_assign_with_per_partition_starting_offsets(
    context: Any, kafka: KafkaClient, new_topic: Any, tmp_path: Path
) -> None:
    spark = context.spark
    topic = new_topic(partitions=2)
    kafka.produce(topic, events(range(0, 4)), partition=0)
    kafka.produce(topic, events(range(10, 14)), partition=1)
    out = tmp_path / "out"
    source = kafka_input(
        kafka.bootstrap,
        topic,
        parse_json=True,
        json_schema=EVENT_SCHEMA,
        options={
            "subscribe": None,
            "assign": {topic: [0, 1]},
            # partition 0 from offset 2; partition 1 from the beginning (-2)
            "startingOffsets": {topic: {"0": 2, "1": -2}},
        },
    )
    del source["options"]["subscribe"]
    run_node(context, node("assigned", source, parquet_output(out)))
    assert sorted(r.id for r in spark.read.parquet(str(out)).collect()) == [2, 3, 10, 11, 12, 13]
