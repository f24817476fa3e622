"""Real-time mode Kafka -> Kafka on the real broker, and what validation and preflight refuse.

The shared session is local[2]: a stateless Kafka -> Kafka real-time query is one stage whose
tasks are the source's partitions, so a 1-partition topic needs one slot of the two.
Spark's Kafka sink is at-least-once: records of a batch that never committed (the query was
stopped while it was open) are written again after a restart. The tests count them.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from tauro.streaming.exceptions import StreamingValidationError
from tauro.streaming.query_manager import StreamingQueryManager
from tauro.streaming.transformations import TransformationRegistry

from .helpers import EVENT_SCHEMA, events, kafka_input, kafka_output
from .kafka_client import KafkaClient


def real_time_node(
    kafka: KafkaClient, source: str, target: str, interval: str, **extra: Any
) -> dict[str, Any]:
    return {
        "name": "relay",
        "input": kafka_input(kafka.bootstrap, source, parse_json=True, json_schema=EVENT_SCHEMA),
        "output": kafka_output(kafka.bootstrap, target, key_column="id"),
        "streaming": {"trigger": {"type": "real_time", "interval": interval}, "output_mode": "update"},
        **extra,
    }


def published_ids(kafka: KafkaClient, topic: str) -> list[int]:
    return [json.loads(r["value"])["id"] for r in kafka.read_all(topic)]


def wait_for_ids(kafka: KafkaClient, topic: str, wanted: set[int], timeout: float = 60.0) -> list[int]:
    """Every id published to ``topic`` once all of ``wanted`` are there (records stream in)."""
    deadline = time.monotonic() + timeout
    while True:
        ids = published_ids(kafka, topic)
        if wanted <= set(ids):
            return ids
        assert time.monotonic() < deadline, f"missing ids {sorted(wanted - set(ids))}"
        time.sleep(0.2)


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def test_records_arrive_while_the_batch_is_open_and_a_restart_replays_it(
    context: Any, kafka: KafkaClient, new_topic: Any
) -> None:
    """Records are published within seconds while the first batch (1 minute) is still open;
    stopped mid-batch, the query restarts from its checkpoint and loses nothing. The open batch
    never committed, so its records are written again: exactly those are the duplicates."""
    source, target = new_topic(), new_topic()
    config = real_time_node(kafka, source, target, "1 minute")
    manager = StreamingQueryManager(context)
    query = manager.create_and_start_query(config, pipeline_name="rtm")
    try:
        kafka.produce(source, events(range(5)))
        started = time.monotonic()
        wait_for_ids(kafka, target, set(range(5)))
        latency = time.monotonic() - started
        assert query.lastProgress is None, "the first real-time batch ended before the records arrived"
        assert query.status["isTriggerActive"]
        health = manager.managed_queries()[0].monitor
        assert health.check_health() == (True, None)
        assert health.snapshot()["real_time_batch_seconds"] == 60.0
        print(f"records published {latency:.1f}s after they were produced, batch still open")
    finally:
        assert manager.stop_query(query, timeout=0)
    query = manager.create_and_start_query(config, pipeline_name="rtm")
    try:
        kafka.produce(source, events(range(5, 10)))
        ids = wait_for_ids(kafka, target, set(range(10)))
    finally:
        manager.stop_query(query, timeout=0)
    duplicates = {i: n - 1 for i, n in Counter(ids).items() if n > 1}
    print(f"after the restart: {len(ids)} records for 10 ids, duplicates {duplicates}")
    assert set(duplicates) <= set(range(5)), "only the uncommitted batch's records may repeat"


def test_a_restart_after_a_committed_batch_resumes_without_loss_or_repeats(
    context: Any, kafka: KafkaClient, new_topic: Any
) -> None:
    source, target = new_topic(), new_topic()
    config = real_time_node(kafka, source, target, "5 seconds")
    manager = StreamingQueryManager(context)
    query = manager.create_and_start_query(config, pipeline_name="rtm")
    try:
        kafka.produce(source, events(range(5)))
        wait_for_ids(kafka, target, set(range(5)))
        wait_until(
            lambda: sum(p["numInputRows"] for p in query.recentProgress) >= 5,
            "a committed batch holding the first records",
        )
        health = manager.managed_queries()[0].monitor
        assert health.snapshot()["batches"] >= 1
    finally:
        assert manager.stop_query(query, timeout=0)
    kafka.produce(source, events(range(5, 10)))  # while the query is stopped
    query = manager.create_and_start_query(config, pipeline_name="rtm")
    try:
        ids = wait_for_ids(kafka, target, set(range(10)))
    finally:
        manager.stop_query(query, timeout=0)
    assert Counter(ids) == Counter(range(10)), "a committed batch is not written again"


def test_an_aggregation_is_refused_before_the_query_starts(
    context: Any, kafka: KafkaClient, new_topic: Any
) -> None:
    def count_kinds(df: Any) -> Any:
        return df.groupBy("kind").count()

    TransformationRegistry.register("rtm_count_kinds", count_kinds)
    source, target = new_topic(), new_topic()
    config = real_time_node(kafka, source, target, "5 seconds", transforms=["rtm_count_kinds"])
    manager = StreamingQueryManager(context)
    with pytest.raises(StreamingValidationError) as caught:
        manager.create_and_start_query(config, pipeline_name="rtm")
    assert caught.value.field == "transforms"
    assert "stateless queries only" in caught.value.message
    assert "an aggregation (groupBy/agg, count, a window)" in caught.value.message
    assert not context.spark.streams.active


def test_more_source_partitions_than_task_slots_are_refused(
    context: Any, kafka: KafkaClient, new_topic: Any
) -> None:
    source, target = new_topic(partitions=3), new_topic()
    manager = StreamingQueryManager(context)
    with pytest.raises(StreamingValidationError) as caught:
        manager.create_and_start_query(
            real_time_node(kafka, source, target, "5 seconds"), pipeline_name="rtm"
        )
    message = caught.value.message
    assert "each of the source's 3 partitions at once" in message
    assert "2 task slots (master local[2])" in message and "local[3]" in message
    assert not context.spark.streams.active


def test_an_unsupported_sink_and_output_mode_are_refused_by_validation(
    context: Any, kafka: KafkaClient, new_topic: Any
) -> None:
    config = real_time_node(kafka, "events", "unused", "5 minutes")
    config["output"] = {"format": "memory", "table_name": "rtm_out"}
    config["streaming"]["output_mode"] = "append"
    with pytest.raises(StreamingValidationError) as caught:
        StreamingQueryManager(context).create_and_start_query(config, pipeline_name="rtm")
    found = {p.field: p.message for p in caught.value.problems}
    assert set(found) == {"output.format", "streaming.output_mode"}
    assert "sinks that can: console, kafka" in found["output.format"]
    assert "set streaming.output_mode: update" in found["streaming.output_mode"]
