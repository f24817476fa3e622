"""Helpers for Delta tests: nodes over the memory spool, table reads, commit history."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.bounded_run import run_node as bounded_run
from tests.core.streams import spool_with

SCHEMA = "id BIGINT, name STRING, amount DOUBLE, seq BIGINT"


def spool_node(
    name: str, spool: Path, output: dict[str, Any], schema: str = SCHEMA, **extra: Any
) -> dict[str, Any]:
    node: dict[str, Any] = {
        "name": name,
        "input": {"format": "memory", "schema": schema, "options": {"spool": str(spool)}},
        "output": output,
        "streaming": {"trigger": {"type": "available_now"}},
    }
    node.update(extra)
    return node


def run_node(context: Any, node: dict[str, Any], pipeline: str = "delta") -> Any:
    return bounded_run(context, node, pipeline)


def rows(spark: Any, path: Path | str, order: str = "id") -> list[tuple[Any, ...]]:
    return [tuple(r) for r in spark.read.format("delta").load(str(path)).orderBy(order).collect()]


def history(spark: Any, path: Path | str) -> list[Any]:
    """The table's commits, oldest first."""
    return spark.sql(f"DESCRIBE HISTORY delta.`{path}`").orderBy("version").collect()


__all__ = ["SCHEMA", "history", "rows", "run_node", "spool_node", "spool_with"]
