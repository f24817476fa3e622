"""Expectations on real micro-batches: each action's exact counts, thresholds tripping at the
right batch, fail naming the expectation, counts in status and progress events, and totals that
survive a restart of the same checkpoint."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tauro.builtin.writers import MemoryBatchStore
from tauro.streaming.query_manager import StreamingQueryManager

from .streams import Collected, memory_node, spool_with

SCHEMA = "id BIGINT, amount INT, user_id STRING, password STRING"


def rows(*specs: tuple[int, int | None, str | None]) -> list[dict[str, Any]]:
    return [{"id": i, "amount": a, "user_id": u, "password": "hunter22"} for i, a, u in specs]


#: Batch 0: 1 negative amount, 1 null user; batch 1: 2 negative amounts (one also null user).
BATCH_0 = rows((1, 10, "a"), (2, -1, "b"), (3, 5, None), (4, 7, "d"))
BATCH_1 = rows((5, -2, "e"), (6, -3, None), (7, 1, "g"))


def checked_node(
    name: str, spool: Path, output: dict[str, Any], expectations: list[Any], **extra: Any
) -> dict[str, Any]:
    node = memory_node(name, spool, output=output, expectations=expectations, **extra)
    node["input"]["schema"] = SCHEMA
    node["input"]["options"]["maxFilesPerTrigger"] = 1
    return node


def run(manager: StreamingQueryManager, node: dict[str, Any]) -> Any:
    query = manager.create_and_start_query(node, pipeline_name="exp")
    try:
        query.awaitTermination(120)
    finally:
        query.stop()
    return query


def test_warn_drop_quarantine_counts_are_exact(context: Any, tmp_path: Path) -> None:
    MemoryBatchStore.clear("exp_quarantine")
    spool = spool_with(tmp_path / "spool", BATCH_0, BATCH_1)
    out = Collected("exp_out")
    node = checked_node(
        "checked",
        spool.path,
        out.output,
        [
            {"name": "has_user", "expr": "user_id IS NOT NULL", "action": "quarantine"},
            {"name": "positive", "expr": "amount > 0", "action": "drop"},
            {"name": "small", "expr": "amount < 8", "action": "warn"},
        ],
    )
    node["input"]["dead_letter"] = {"format": "memory", "table_name": "exp_quarantine"}
    manager = StreamingQueryManager(context)
    run(manager, node)
    # Kept: broke nothing or only warn (id 1 breaks 'small').
    assert out.ids() == [1, 4, 7]
    quarantined = sorted(
        MemoryBatchStore.rows("exp_quarantine"), key=lambda r: json.loads(r["payload"])["id"]
    )
    # id 6 breaks has_user and positive: quarantine is stronger than drop, both names recorded.
    assert [(json.loads(r["payload"])["id"], r["error"], r["batch_id"]) for r in quarantined] == [
        (3, "failed expectations: has_user", 0),
        (6, "failed expectations: has_user, positive", 1),
    ]
    assert json.loads(quarantined[0]["payload"]) == {"id": 3, "amount": 5, "password": "hunter22"}
    info = manager.list_queries()[0]
    totals = info["expectations"]
    assert (totals["rows"], totals["kept"], totals["dropped"], totals["quarantined"]) == (7, 3, 2, 2)
    assert totals["expectations"] == {
        "has_user": {"action": "quarantine", "passed": 5, "failed": 2},
        "positive": {"action": "drop", "passed": 4, "failed": 3},
        "small": {"action": "warn", "passed": 6, "failed": 1},
    }
