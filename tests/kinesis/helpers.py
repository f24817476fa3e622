"""Helpers of the kinesis tests: nodes, a foreachBatch collector, bounded runs."""

from __future__ import annotations

import json
import threading
import uuid
from typing import Any

from tauro.streaming.query_manager import StreamingQueryManager
from tauro.streaming.transformations import TransformationRegistry

from .emulators import connection_options

JSON_SCHEMA = "id BIGINT, name STRING"


class Collected:
    """A foreachBatch target registered by key; rows per batch id (a replayed batch replaces)."""

    def __init__(self) -> None:
        self.key = f"collect_{uuid.uuid4().hex[:8]}"
        self.batches: dict[int, list[Any]] = {}
        self._lock = threading.Lock()
        TransformationRegistry.register(self.key, self)

    def __call__(self, df: Any, batch_id: int) -> None:
        rows = df.collect()
        with self._lock:
            self.batches[batch_id] = rows

    def rows(self) -> list[Any]:
        with self._lock:
            return [r for b in sorted(self.batches) for r in self.batches[b]]

    def ids(self) -> list[int]:
        """Record ids of raw rows (JSON in ``data``) or parsed rows (an ``id`` column)."""
        return sorted(r["id"] if "id" in r else json.loads(bytes(r["data"]))["id"] for r in self.rows())

    @property
    def output(self) -> dict[str, Any]:
        return {"format": "foreach_batch", "options": {"function": self.key}}


def kinesis_node(
    name: str, endpoint: str, stream: str, output: dict[str, Any], **input_extra: Any
) -> dict[str, Any]:
    options = {**connection_options(endpoint, stream), "startingPosition": "TRIM_HORIZON"}
    options.update(input_extra.pop("options", {}))
    return {
        "name": name,
        "input": {"format": "kinesis", "options": options, **input_extra},
        "output": output,
        "streaming": {"trigger": {"type": "available_now"}},
    }


def run_node(context: Any, node: dict[str, Any], pipeline: str = "kinesis") -> Any:
    """Start a node (available_now), wait for it to finish, always stop it; fail on its error."""
    manager = StreamingQueryManager(context)
    query = manager.create_and_start_query(node, pipeline_name=pipeline)
    try:
        finished = query.awaitTermination(240)
    finally:
        manager.stop_query(query)
    exception = query.exception()
    assert exception is None, exception
    assert finished, "the available_now query did not finish in 240 s"
    return query
