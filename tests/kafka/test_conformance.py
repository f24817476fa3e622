"""The kafka family against the format conformance suite (``tauro.testing``), on the broker."""

from __future__ import annotations

import json
from typing import Any, ClassVar

import pytest

from tauro.testing import FormatConformance

from .kafka_client import KafkaClient

ROWS = [{"id": 1, "name": "alpha"}, {"id": 2, "name": "beta"}, {"id": 3, "name": "gamma"}]


class TestKafkaConformance(FormatConformance):
    format = "kafka"
    plugin = "kafka"
    input: ClassVar[dict[str, Any]] = {
        "options": {
            "kafka.bootstrap.servers": "{bootstrap}",
            "subscribe": "{topic}",
            "startingOffsets": "earliest",
        },
        "parse_json": True,
        "json_schema": "id BIGINT, name STRING",
    }
    output: ClassVar[dict[str, Any]] = {
        "options": {"kafka.bootstrap.servers": "{bootstrap}", "topic": "{topic}"}
    }
    secret_options: ClassVar[dict[str, str]] = {
        "kafka.sasl.jaas.config": "org.apache.kafka.common.security.plain.PlainLoginModule required "
        'username="u" password="conformance-s3cret";',
        "kafka.ssl.truststore.password": "conformance-truststore-pw",
    }
    # The sink writes a JSON value; the source parses it back into columns.
    sample_rows: ClassVar[list[dict[str, Any]]] = [{"value": json.dumps(r)} for r in ROWS]
    sample_schema = "value STRING"
    expected_rows = ROWS

    @pytest.fixture
    def target(self, kafka: KafkaClient, new_topic: Any) -> dict[str, Any]:
        return {"bootstrap": kafka.bootstrap, "topic": new_topic()}
