"""A real Kafka broker for the session, and a fresh topic per test.

The broker is the one named by ``TAURO_KAFKA_BOOTSTRAP`` when set; otherwise one listening on
``TAURO_KAFKA_PORT`` (default 19092) is reused, or ``scripts/kafka_broker.py`` starts one there
(fetching Kafka from Maven Central once) and stops it at the end.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest

from .kafka_client import KafkaClient, broker_script

TEST_PORT = int(os.environ.get("TAURO_KAFKA_PORT", "19092"))


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    given = os.environ.get("TAURO_KAFKA_BOOTSTRAP")
    if given:
        yield given
        return
    script = broker_script()
    started = not script.port_open(TEST_PORT)
    if started:
        script.start(TEST_PORT)
    try:
        yield f"127.0.0.1:{TEST_PORT}"
    finally:
        if started:
            script.stop(TEST_PORT)


@pytest.fixture(scope="session")
def kafka(kafka_bootstrap: str) -> KafkaClient:
    client = KafkaClient(kafka_bootstrap)
    client.wait_ready()
    return client


@pytest.fixture
def new_topic(kafka: KafkaClient, request: pytest.FixtureRequest) -> Callable[..., str]:
    """A fresh topic per call, named after the test (topics are never shared between tests)."""
    prefix = request.node.name.split("[")[0].replace("_", "-")[:40]

    def create(partitions: int = 1) -> str:
        return kafka.new_topic(prefix, partitions)

    return create
