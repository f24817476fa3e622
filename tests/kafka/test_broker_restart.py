"""A broker restart mid-stream: the pipeline catches up with nothing lost or repeated.

Runs against a private broker (its own port and data), so restarting it does not disturb the
session's broker or other tests. Whether Spark's consumer rides the outage out or the query
fails and the restart policy restarts it, the end state must be the same.
"""

from __future__ import annotations

import socket
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tauro.streaming.pipeline_manager import StreamingPipelineManager

from .helpers import kafka_input, node, parquet_output
from .kafka_client import KafkaClient, broker_script


@pytest.fixture
def private_broker() -> Iterator[tuple[Any, int]]:
    script = broker_script()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    script.start(port)
    try:
        yield script, port
    finally:
        script.stop(port)


def output_ids(spark: Any, path: Path) -> Counter[int]:
    if not (path / "_spark_metadata").exists():
        return Counter()
    # An empty first batch commits no file: give the schema rather than infer it.
    return Counter(r.id for r in spark.read.schema("id BIGINT").parquet(str(path)).collect())


def wait_for_ids(spark: Any, path: Path, count: int, timeout: float) -> Counter[int]:
    deadline = time.monotonic() + timeout
    while True:
        ids = output_ids(spark, path)
        if sum(ids.values()) >= count or time.monotonic() > deadline:
            return ids
        time.sleep(0.5)


def test_pipeline_catches_up_after_a_broker_restart(
    context: Any, private_broker: tuple[Any, int], tmp_path: Path
) -> None:
    script, port = private_broker
    kafka = KafkaClient(f"127.0.0.1:{port}")
    kafka.wait_ready()
    topic = kafka.new_topic("restart", partitions=2)
    spark, out = context.spark, tmp_path / "out"
    source = kafka_input(
        kafka.bootstrap,
        topic,
        parse_json=True,
        json_schema="id BIGINT",
        # Fail fast rather than wait minutes for the broker, and let the restart policy act.
        options={"kafka.default.api.timeout.ms": 20000, "kafka.request.timeout.ms": 10000},
    )
    spec = node(
        "ingest",
        source,
        parquet_output(out),
        streaming={"trigger": {"type": "processing_time", "interval": "1 second"}},
        restart={"max_attempts": 10, "backoff": "2 seconds", "max_backoff": "10 seconds"},
    )
    manager = StreamingPipelineManager(context, monitor_interval=0.5)
    try:
        execution_id = manager.start_pipeline("broker_restart", {"nodes": [spec]})
        kafka.produce(topic, [{"id": i} for i in range(100)], key=lambda v: v["id"])
        assert sum(wait_for_ids(spark, out, 100, timeout=120).values()) == 100
        script.restart(port)
        kafka.wait_ready()
        kafka.produce(topic, [{"id": i} for i in range(100, 200)], key=lambda v: v["id"])
        ids = wait_for_ids(spark, out, 200, timeout=240)
        status = manager.get_pipeline_status(execution_id)
    finally:
        manager.shutdown(timeout=60)
    assert {i: n for i, n in ids.items() if n > 1} == {}
    assert sorted(ids) == list(range(200)), f"missing {sorted(set(range(200)) - set(ids))[:20]}; {status}"
    assert status["status"] in ("running", "restarting"), status
