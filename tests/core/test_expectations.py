"""Expectations on real micro-batches: each action's exact counts, thresholds tripping at the
right batch, fail naming the expectation, counts in status and progress events, and totals that
survive a restart of the same checkpoint."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tauro import hookimpl
from tauro.builtin.writers import MemoryBatchStore
from tauro.errors import ExpectationFailedError
from tauro.events import QueryProgressEvent
from tauro.streaming.pipeline_manager import StreamingPipelineManager
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


class ProgressRecorder:
    def __init__(self) -> None:
        self.events: list[Any] = []

    @hookimpl
    def tauro_on_query_progress(self, event: QueryProgressEvent) -> None:
        if event.expectations:
            self.events.append(event)


def threshold_pipeline(spool: Path, out: Collected, max_count: int) -> dict[str, Any]:
    node = checked_node("silver", spool, out.output, ["positive", "has_user"])
    node["restart"] = {"max_attempts": 3, "backoff": "1 second"}
    return {
        "name": "thresholds",
        # Declared once; the node refers to them by name and overrides nothing.
        "expectations": [
            {"name": "positive", "expr": "amount > 0", "action": "drop", "max_count": max_count},
            {"name": "has_user", "expr": "user_id IS NOT NULL"},
        ],
        "nodes": [node],
    }


def test_threshold_trips_at_the_batch_that_exceeds_it_and_totals_survive_the_rerun(
    context: Any, tmp_path: Path, register_plugin: Any
) -> None:
    recorder = ProgressRecorder()
    register_plugin(recorder, "expectation_progress")
    spool = spool_with(tmp_path / "spool", BATCH_0, BATCH_1)
    out = Collected("exp_threshold_out")
    manager = StreamingPipelineManager(context, monitor_interval=0.5)
    try:
        # Batch 0 drops 1 row (allowed), batch 1 would drop 2: more than max_count 1.
        first = manager.start_pipeline("thresholds", threshold_pipeline(spool.path, out, max_count=1))
        status = manager.wait(first, timeout=180)
        node = status["query_statuses"]["silver"]
        assert status["status"] == "error", status
        assert node["state"] == "failed"
        assert node["attempts"] == 1  # deterministic: the restart policy does not retry it
        assert node["error"].startswith(
            "expectation 'positive' (amount > 0) of node 'silver' failed in batch 1: 2 of 3 rows"
        )
        assert out.ids() == [1, 3, 4]  # batch 0 kept (id 3 only warns); batch 1 not written
        assert node["expectations"]["expectations"]["positive"] == {
            "action": "drop",
            "passed": 3,
            "failed": 1,
        }
        assert node["batches"] == 1
        [event] = [e for e in recorder.events if e.progress["batchId"] == 0]
        assert event.expectations["positive"] == {
            "action": "drop",
            "passed": 3,
            "failed": 1,
            "total_passed": 3,
            "total_failed": 1,
        }
        assert event.expectations["has_user"]["failed"] == 1

        # Raised threshold, same checkpoint: batch 1 runs again and counts once.
        second = manager.start_pipeline("thresholds", threshold_pipeline(spool.path, out, max_count=5))
        status = manager.wait(second, timeout=180)
        assert status["status"] == "completed", status
        results = manager.get_results(second)["nodes"]["silver"]
        totals = results["expectations"]
        assert (totals["rows"], totals["kept"], totals["dropped"], totals["batches"]) == (7, 4, 3, 2)
        assert totals["expectations"]["positive"] == {"action": "drop", "passed": 4, "failed": 3}
        assert totals["expectations"]["has_user"] == {"action": "warn", "passed": 5, "failed": 2}
        assert out.ids() == [1, 3, 4, 7]  # id 3 and 6 only warn (has_user); 2, 5, 6 dropped
    finally:
        manager.shutdown()


def test_fail_names_the_expectation_batch_and_a_redacted_sample(context: Any, tmp_path: Path) -> None:
    spool = spool_with(tmp_path / "spool", BATCH_0)
    out = Collected("exp_fail_out")
    node = checked_node(
        "strict", spool.path, out.output, [{"name": "positive", "expr": "amount > 0", "action": "fail"}]
    )
    manager = StreamingQueryManager(context)
    with pytest.raises(Exception, match="expectation 'positive'"):
        run(manager, node)
    [managed] = manager.managed_queries()
    failure = managed.expectation_failure
    assert isinstance(failure, ExpectationFailedError)
    assert (failure.expectation, failure.batch_id) == ("positive", 0)
    assert [json.loads(row) for row in failure.sample] == [
        {"id": 2, "amount": -1, "user_id": "b", "password": "***"}
    ]
    assert failure.context["node_name"] == "strict"
    assert out.rows() == []  # nothing of the failed batch was written
    assert managed.info()["expectations"]["batches"] == 0


@pytest.mark.parametrize(
    "function",
    [
        pytest.param(lambda df, batch_id: None, id="never_reads_the_batch"),
        pytest.param(lambda df, batch_id: df.limit(1).collect(), id="reads_one_row"),
    ],
)
def test_counts_are_exact_whatever_the_output_reads(context: Any, tmp_path: Path, function: Any) -> None:
    """Counts come from the output's write when it reads the whole batch; a function that reads
    none or part of it gets them from an aggregation instead."""
    from tauro.streaming import TransformationRegistry

    TransformationRegistry.register("exp_partial_reader", function)
    spool = spool_with(tmp_path / "spool", BATCH_0, BATCH_1)
    output = {"format": "foreach_batch", "options": {"function": "exp_partial_reader"}}
    node = checked_node(
        "partial",
        spool.path,
        output,
        [
            {"name": "positive", "expr": "amount > 0", "action": "drop"},
            {"name": "has_user", "expr": "user_id IS NOT NULL", "action": "warn"},
        ],
    )
    manager = StreamingQueryManager(context)
    run(manager, node)
    totals = manager.list_queries()[0]["expectations"]
    assert (totals["rows"], totals["kept"], totals["dropped"]) == (7, 4, 3)
    assert totals["expectations"]["has_user"] == {"action": "warn", "passed": 5, "failed": 2}
