"""Helpers for runtime tests: memory-source nodes and collected foreachBatch output."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tauro.builtin.memory_source import MemorySpool
from tauro.streaming.transformations import TransformationRegistry


def memory_node(
    name: str, spool: Path, *, output: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    node: dict[str, Any] = {
        "name": name,
        "input": {"format": "memory", "schema": "id BIGINT, value STRING", "options": {"spool": str(spool)}},
        "output": output or {"format": "noop"},
        "streaming": {"trigger": {"type": "available_now"}},
    }
    node.update(extra)
    return node


def spool_with(path: Path, *batches: list[dict[str, Any]]) -> MemorySpool:
    spool = MemorySpool(path)
    for rows in batches:
        spool.push(rows)
    return spool


class Collected:
    """A foreachBatch target registered by key; keeps rows per batch id (replays replace)."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.batches: dict[int, list[Any]] = {}
        self._lock = threading.Lock()
        TransformationRegistry.register(key, self)

    def __call__(self, df: Any, batch_id: int) -> None:
        rows = df.collect()
        with self._lock:
            self.batches[batch_id] = rows

    def rows(self) -> list[Any]:
        with self._lock:
            return [r for b in sorted(self.batches) for r in self.batches[b]]

    def ids(self) -> list[int]:
        return sorted(r["id"] for r in self.rows())

    @property
    def output(self) -> dict[str, Any]:
        return {"format": "foreach_batch", "options": {"function": self.key}}


def register(key: str, function: Callable[..., Any]) -> None:
    TransformationRegistry.register(key, function)
