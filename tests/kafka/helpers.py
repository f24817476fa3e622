"""Nodes and bounded runs for Kafka tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tauro.streaming.query_manager import StreamingQueryManager

EVENT_SCHEMA = "id BIGINT, kind STRING, amount DOUBLE"


def kafka_input(bootstrap: str, topic: str, **extra: Any) -> dict[str, Any]:
    options = {"kafka.bootstrap.servers": bootstrap, "subscribe": topic, "startingOffsets": "earliest"}
    options.update(extra.pop("options", {}))
    return {"format": "kafka", "options": options, **extra}


def parquet_output(path: Path) -> dict[str, Any]:
    return {"format": "file", "path": str(path), "options": {"format": "parquet"}}


def kafka_output(bootstrap: str, topic: str | None, **options: Any) -> dict[str, Any]:
    given = {"kafka.bootstrap.servers": bootstrap, **options}
    if topic is not None:
        given["topic"] = topic
    return {"format": "kafka", "options": given}


def node(name: str, source: dict[str, Any], output: dict[str, Any], **extra: Any) -> dict[str, Any]:
    streaming = {"trigger": {"type": "available_now"}, **extra.pop("streaming", {})}
    return {"name": name, "input": source, "output": output, "streaming": streaming, **extra}


def run_node(context: Any, spec: dict[str, Any], pipeline: str = "kafka") -> Any:
    """Run a node with an available_now trigger to its end; always stop it."""
    manager = StreamingQueryManager(context)
    query = manager.create_and_start_query(spec, pipeline_name=pipeline)
    try:
        query.awaitTermination(240)
    finally:
        manager.stop_query(query)
    assert query.exception() is None, query.exception()
    return query


def events(ids: range, kind: str = "click") -> list[dict[str, Any]]:
    return [{"id": i, "kind": kind, "amount": i / 2} for i in ids]
