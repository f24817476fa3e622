"""Delta tests reuse the Kafka family's broker fixtures for Kafka -> Delta."""

from __future__ import annotations

from tests.kafka.conftest import kafka, kafka_bootstrap, new_topic

__all__ = ["kafka", "kafka_bootstrap", "new_topic"]
