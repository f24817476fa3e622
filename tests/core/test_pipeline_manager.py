from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from pyspark.sql import functions as F
from pyspark.sql.types import LongType

from tauro import hookimpl
from tauro.streaming.exceptions import StreamingPipelineError, StreamingValidationError
from tauro.streaming.pipeline_manager import StreamingPipelineManager

from .streams import Collected, memory_node, register, spool_with


@pytest.fixture
def spm(context: Any) -> Any:
    manager = StreamingPipelineManager(context, max_concurrent_pipelines=2, monitor_interval=0.5)
    yield manager
    manager.shutdown(timeout=30)


def started_at(status: dict[str, Any], node: str) -> float:
    return float(status["query_statuses"][node]["health"].get("started_at") or 0)


def test_chain_runs_in_dependency_order(spm: Any, tmp_path: Path) -> None:
    order: list[str] = []

    def sink_for(name: str) -> Any:
        def write(df: Any, _batch_id: int) -> None:
            df.collect()  # the batch is read only when the sink consumes it
            order.append(name)

        register(f"chain_{name}", write)
        return {"format": "foreach_batch", "options": {"function": f"chain_{name}"}}

    nodes = [
        memory_node(
            n, spool_with(tmp_path / n, [{"id": i, "value": n}]).path, output=sink_for(n), depends_on=deps
        )
        for i, (n, deps) in enumerate([("c", ["b"]), ("b", ["a"]), ("a", [])])
    ]
    execution_id = spm.start_pipeline("chain", {"nodes": nodes})
    status = spm.wait(execution_id, timeout=180)
    assert status["status"] == "completed", status
    assert order == ["a", "b", "c"]
    results = spm.get_results(execution_id)
    assert {n: r["rows"] for n, r in results["nodes"].items()} == {"a": 1, "b": 1, "c": 1}
    assert {n: r["batches"] for n, r in results["nodes"].items()} == {"a": 1, "b": 1, "c": 1}
    assert results["errors"] == []


def test_diamond_independent_nodes_start_in_parallel(spm: Any, tmp_path: Path) -> None:
    sinks = {n: Collected(f"diamond_{n}") for n in "abcd"}
    nodes = [
        memory_node(
            n, spool_with(tmp_path / n, [{"id": i, "value": n}]).path, output=sinks[n].output, depends_on=deps
        )
        for i, (n, deps) in enumerate([("a", []), ("b", []), ("c", ["a", "b"]), ("d", ["c"])])
    ]
    execution_id = spm.start_pipeline("diamond", {"nodes": nodes})
    status = spm.wait(execution_id, timeout=180)
    assert status["status"] == "completed"
    assert [sinks[n].ids() for n in "abcd"] == [[0], [1], [2], [3]]
    assert status["total_queries"] == 4 and status["failed_queries"] == 0


def test_failing_dependency_blocks_dependents_other_branches_run(spm: Any, tmp_path: Path) -> None:
    @F.udf(LongType())
    def explode(value: int) -> int:
        raise ValueError(f"bad record {value}")

    register("explode", lambda df: df.withColumn("id", explode("id")))
    ok_sink = Collected("branch_ok")
    nodes = [
        memory_node(
            "bad", spool_with(tmp_path / "bad", [{"id": 1, "value": "x"}]).path, transforms=["explode"]
        ),
        memory_node(
            "after_bad", spool_with(tmp_path / "ab", [{"id": 2, "value": "x"}]).path, depends_on=["bad"]
        ),
        memory_node(
            "other", spool_with(tmp_path / "o", [{"id": 3, "value": "x"}]).path, output=ok_sink.output
        ),
    ]
    execution_id = spm.start_pipeline("branches", {"on_failure": "isolate", "nodes": nodes})
    status = spm.wait(execution_id, timeout=180)
    assert status["status"] == "error"
    statuses = status["query_statuses"]
    assert statuses["bad"]["state"] == "failed"
    assert "bad record 1" in statuses["bad"]["exception"]
    assert statuses["after_bad"]["state"] == "blocked"
    assert statuses["after_bad"]["attempts"] == 0
    assert statuses["other"]["state"] == "completed"
    assert ok_sink.ids() == [3]
    assert "node 'bad' failed" in status["error"]
    assert status["failed_queries"] == 1
    assert "exception" not in statuses["other"]


def test_restart_policy_recovers_a_transient_failure(spm: Any, tmp_path: Path) -> None:
    marker = tmp_path / "failed-once"

    @F.udf(LongType())
    def flaky(value: int) -> int:
        import os

        if not os.path.exists(str(marker)):
            open(str(marker), "w").close()
            raise RuntimeError("transient outage")
        return value

    register("flaky", lambda df: df.withColumn("id", flaky("id")))
    sink = Collected("flaky_sink")
    node = memory_node(
        "flaky",
        spool_with(tmp_path / "s", [{"id": 7, "value": "x"}]).path,
        output=sink.output,
        transforms=["flaky"],
        restart={"max_attempts": 3, "backoff": "100 ms", "max_backoff": "1 second"},
    )
    execution_id = spm.start_pipeline("flaky", {"nodes": [node]})
    status = spm.wait(execution_id, timeout=180)
    assert status["status"] == "completed", status
    assert status["query_statuses"]["flaky"]["attempts"] == 2
    assert sink.ids() == [7]


def test_stop_pipeline_within_timeout(spm: Any, tmp_path: Path) -> None:
    node = memory_node(
        "forever",
        spool_with(tmp_path / "s", [{"id": 1, "value": "x"}]).path,
        streaming={"trigger": {"type": "processing_time", "interval": "1 second"}},
    )
    execution_id = spm.start_pipeline("forever", {"nodes": [node]})
    deadline = time.monotonic() + 120
    while spm.status(execution_id)["status"] != "running" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert spm.status(execution_id)["active_queries"] == 1
    assert spm.stop_pipeline(execution_id, timeout=30) is True
    status = spm.status(execution_id)
    assert status["status"] == "stopped"
    assert status["active_queries"] == 0
    assert status["query_statuses"]["forever"]["state"] == "stopped"


def test_more_pipelines_than_slots_queue_and_all_finish(context: Any, tmp_path: Path) -> None:
    manager = StreamingPipelineManager(context, max_concurrent_pipelines=1, monitor_interval=0.5)
    try:
        release = threading.Event()
        register("hold", lambda df, _id: release.wait(60))
        blocker = memory_node(
            "hold",
            spool_with(tmp_path / "h", [{"id": 0, "value": "x"}]).path,
            output={"format": "foreach_batch", "options": {"function": "hold"}},
        )
        first = manager.start_pipeline("first", {"nodes": [blocker]})
        queued = [
            manager.start_pipeline(
                f"p{i}",
                {"nodes": [memory_node("n", spool_with(tmp_path / f"q{i}", [{"id": i, "value": "x"}]).path)]},
            )
            for i in range(3)
        ]
        assert [manager.status(e)["status"] for e in queued] == ["queued"] * 3
        release.set()
        for execution_id in [first, *queued]:
            assert manager.wait(execution_id, timeout=180)["status"] == "completed"
        listed = {p["execution_id"]: p["status"] for p in manager.list_pipelines()}
        assert set(listed.values()) == {"completed"}
    finally:
        manager.shutdown(timeout=30)


def test_bad_config_raises_before_anything_starts(spm: Any, context: Any) -> None:
    before = {q.id for q in context.spark.streams.active}
    with pytest.raises(StreamingValidationError):
        spm.start_pipeline("bad", {"nodes": [{"name": "x", "input": {"format": "nope"}}]})
    with pytest.raises(StreamingPipelineError, match="Circular"):
        spm.start_pipeline(
            "cycle",
            {
                "nodes": [
                    {
                        "name": "a",
                        "input": {"format": "rate"},
                        "output": {"format": "noop"},
                        "depends_on": ["b"],
                    },
                    {
                        "name": "b",
                        "input": {"format": "rate"},
                        "output": {"format": "noop"},
                        "depends_on": ["a"],
                    },
                ]
            },
        )
    assert spm.list_pipelines() == []
    assert {q.id for q in context.spark.streams.active} == before


def test_status_changes_reach_observers(spm: Any, tmp_path: Path, register_plugin: Any) -> None:
    changes: list[tuple[str | None, str]] = []

    class Observer:
        @hookimpl
        def tauro_on_pipeline_status_changed(self, event: Any) -> None:
            changes.append((event.old_status, event.new_status))

    register_plugin(Observer(), "status_observer")
    node = memory_node("n", spool_with(tmp_path / "s", [{"id": 1, "value": "x"}]).path)
    spm.wait(spm.start_pipeline("observed", {"nodes": [node]}), timeout=120)
    assert changes[0] == (None, "queued")
    assert changes[-1][1] == "completed"


def test_concurrent_start_and_stop_leave_consistent_state(context: Any, tmp_path: Path) -> None:
    before = {t.name for t in threading.enumerate()}
    manager = StreamingPipelineManager(context, max_concurrent_pipelines=4, monitor_interval=0.5)
    errors: list[BaseException] = []
    ids: list[str] = []
    lock = threading.Lock()

    def worker(i: int) -> None:
        try:
            node = memory_node(
                f"w{i}",
                spool_with(tmp_path / f"w{i}", [{"id": i, "value": "x"}]).path,
                streaming={"trigger": {"type": "processing_time", "interval": "1 second"}},
            )
            execution_id = manager.start_pipeline(f"worker{i}", {"nodes": [node]})
            with lock:
                ids.append(execution_id)
            if i % 2 == 0:
                manager.stop_pipeline(execution_id, timeout=60)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(240)
    assert errors == []
    assert manager.shutdown(timeout=60) is True
    statuses = {e: manager.status(e) for e in ids}
    assert len(statuses) == 8
    for status in statuses.values():
        assert status["status"] == "stopped", status
        assert status["active_queries"] == 0
    assert not [q for q in context.spark.streams.active if q.name.startswith("worker")]
    time.sleep(0.5)  # thread teardown after join is asynchronous for the pool's idle workers
    leaked = {t.name for t in threading.enumerate()} - before
    assert not [n for n in leaked if n.startswith(("tauro-pipeline", "tauro-monitor", "tauro-start"))], leaked


def test_blocked_udf_is_stalled_while_an_idle_source_is_idle(context: Any, tmp_path: Path) -> None:
    release = tmp_path / "release"

    @F.udf(LongType())
    def blocks(value: int) -> int:
        import os
        import time as clock

        deadline = clock.monotonic() + 120
        while not os.path.exists(str(release)) and clock.monotonic() < deadline:
            clock.sleep(0.1)
        return value

    register("blocks", lambda df: df.withColumn("id", blocks("id")))
    every_second = {"trigger": {"type": "processing_time", "interval": "1 second"}}
    nodes = [
        memory_node(
            "stuck",
            spool_with(tmp_path / "s", [{"id": 1, "value": "x"}]).path,
            transforms=["blocks"],
            streaming=every_second,
        ),
        memory_node("quiet", spool_with(tmp_path / "q").path, streaming=every_second),
    ]
    manager = StreamingPipelineManager(context, monitor_interval=0.5, health_timeout_seconds=3)
    try:
        execution_id = manager.start_pipeline("health", {"type": "streaming", "nodes": nodes})
        deadline = time.monotonic() + 120
        states: dict[str, str] = {}
        while time.monotonic() < deadline:
            statuses = manager.status(execution_id)["query_statuses"]
            states = {n: s["state"] for n, s in statuses.items()}
            if states == {"stuck": "stalled", "quiet": "idle"}:
                break
            time.sleep(0.5)
        assert states == {"stuck": "stalled", "quiet": "idle"}
        stuck = manager.status(execution_id)["query_statuses"]["stuck"]
        assert "stalled" in stuck["health"]["message"]
        assert manager.status(execution_id)["status"] == "running"
        release.touch()
    finally:
        release.touch()
        manager.shutdown(timeout=60)


def test_a_restarted_pipeline_does_not_reprocess_committed_input(context: Any, tmp_path: Path) -> None:
    spool = spool_with(tmp_path / "s", [{"id": 1, "value": "a"}, {"id": 2, "value": "b"}])
    sink = Collected("restarted_pipeline")
    config = {"nodes": [memory_node("n", spool.path, output=sink.output)]}
    for round_ in range(2):
        manager = StreamingPipelineManager(context, monitor_interval=0.5)
        try:
            status = manager.wait(manager.start_pipeline("again", config), timeout=120)
            assert status["status"] == "completed"
        finally:
            manager.shutdown(30)
        if round_ == 0:
            spool.push([{"id": 3, "value": "c"}])
    assert sink.ids() == [1, 2, 3]
    assert status["query_statuses"]["n"]["input_rows"] == 1  # the second run read only the new row
