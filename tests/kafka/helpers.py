"""Nodes and bounded runs for Kafka tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.bounded_run import run_node as bounded_run

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


def run_node(context: Any, node: dict[str, Any], pipeline: str = "kafka") -> Any:
    """Run a node with a bounded trigger to its end (see ``tests.bounded_run``)."""
    return bounded_run(context, node, pipeline)


def events(ids: range, kind: str = "click") -> list[dict[str, Any]]:
    return [{"id": i, "kind": kind, "amount": i / 2} for i in ids]
