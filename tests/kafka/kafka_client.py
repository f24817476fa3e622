"""The tests' side of a real broker: topics, producing and reading back with confluent-kafka.

The broker itself is started by ``scripts/kafka_broker.py`` (imported here as a module).
"""

from __future__ import annotations

import importlib.util
import json
import sys
import time
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parents[2]


def broker_script() -> ModuleType:
    """``scripts/kafka_broker.py`` as a module (it is a script, not part of any package)."""
    name = "tauro_kafka_broker_script"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / "kafka_broker.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


class KafkaClient:
    """Admin, producer and reader for one broker."""

    def __init__(self, bootstrap: str) -> None:
        from confluent_kafka.admin import AdminClient

        self.bootstrap = bootstrap
        self.admin = AdminClient({"bootstrap.servers": bootstrap})

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.admin.list_topics(timeout=5)
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def new_topic(self, prefix: str = "t", partitions: int = 1) -> str:
        from confluent_kafka.admin import NewTopic

        name = f"{prefix}-{uuid.uuid4().hex[:10]}"
        futures = self.admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1)])
        futures[name].result(timeout=30)
        # Metadata reaches the broker's cache shortly after creation; wait so producers see it.
        deadline = time.monotonic() + 30
        while name not in self.admin.list_topics(timeout=10).topics:
            assert time.monotonic() < deadline, f"topic {name} never appeared"
            time.sleep(0.1)
        return name

    def produce(
        self,
        topic: str,
        values: Iterable[str | bytes | Mapping[str, Any] | None],
        *,
        key: Any = None,
        partition: int | None = None,
    ) -> int:
        """Publish values (mappings as JSON) and wait for every delivery; returns the count.

        ``key`` is a function of the value, or a constant.
        """
        from confluent_kafka import Producer

        producer = Producer({"bootstrap.servers": self.bootstrap, "linger.ms": 5, "acks": "all"})
        errors: list[Any] = []
        count = 0
        for value in values:
            payload = json.dumps(value) if isinstance(value, Mapping) else value
            record_key = key(value) if callable(key) else key
            extra = {"partition": partition} if partition is not None else {}
            while True:
                try:
                    producer.produce(
                        topic,
                        value=payload,
                        key=None if record_key is None else str(record_key),
                        on_delivery=lambda err, _msg: errors.append(err) if err else None,
                        **extra,
                    )
                    break
                except BufferError:
                    producer.poll(0.1)
            count += 1
            producer.poll(0)
        remaining = producer.flush(60)
        assert remaining == 0 and not errors, f"{remaining} undelivered, errors: {errors[:3]}"
        return count

    def end_offsets(self, topic: str) -> dict[int, int]:
        from confluent_kafka import Consumer, TopicPartition

        consumer = Consumer({"bootstrap.servers": self.bootstrap, "group.id": f"probe-{uuid.uuid4().hex}"})
        try:
            partitions = self.admin.list_topics(topic, timeout=10).topics[topic].partitions
            return {
                p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in partitions
            }
        finally:
            consumer.close()

    def read_all(self, topic: str, timeout: float = 60.0) -> list[dict[str, Any]]:
        """Every record in the topic now, as dicts (key and value decoded as text)."""
        from confluent_kafka import Consumer, TopicPartition

        ends = self.end_offsets(topic)
        consumer = Consumer(
            {
                "bootstrap.servers": self.bootstrap,
                "group.id": f"reader-{uuid.uuid4().hex}",
                "enable.auto.commit": False,
            }
        )
        records: list[dict[str, Any]] = []
        try:
            consumer.assign([TopicPartition(topic, p, 0) for p in ends])
            seen = {p: 0 for p in ends}
            deadline = time.monotonic() + timeout
            while any(seen[p] < ends[p] for p in ends):
                assert time.monotonic() < deadline, f"read {len(records)} of {sum(ends.values())} records"
                message = consumer.poll(0.5)
                if message is None or message.error():
                    continue
                seen[message.partition()] = message.offset() + 1
                records.append(
                    {
                        "key": None if message.key() is None else message.key().decode(),
                        "value": None if message.value() is None else message.value().decode(),
                        "partition": message.partition(),
                        "offset": message.offset(),
                        "headers": message.headers(),
                    }
                )
        finally:
            consumer.close()
        return records
