"""The pipeline's failure policy: what stops when a node has failed for good.

The scenario: a rate node whose transform raises from a later batch on, a dependent that
started after the rate node's first batch committed, and an independent branch.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from pyspark.sql import functions as F
from pyspark.sql.types import LongType

from tauro import hookimpl
from tauro.streaming.exceptions import StreamingValidationError
from tauro.streaming.pipeline_manager import StreamingPipelineManager
from tauro.streaming.validators import StreamingValidator

from .streams import register

EVERY_SECOND = {"trigger": {"type": "processing_time", "interval": "1 second"}}
FINISHED_STATES = {"completed", "stopped", "failed", "blocked"}


def rate_node(name: str, **extra: Any) -> dict[str, Any]:
    node: dict[str, Any] = {
        "name": name,
        "input": {"format": "rate", "options": {"rowsPerSecond": 5}},
        "output": {"format": "noop"},
        "streaming": EVERY_SECOND,
    }
    node.update(extra)
    return node


def assert_no_policy_query_runs(spark: Any, grace: float = 10.0) -> None:
    """No query of the pipeline is still running once its status is final.

    Spark drops a stopped query from ``streams.active`` when its thread has finished; under
    load that may trail the stop by a moment, so a query still listed is given ``grace``
    seconds to end before it counts as left running.
    """
    deadline = time.monotonic() + grace
    while True:
        running = [q for q in spark.streams.active if q.name.startswith("policy_") and q.isActive]
        if not running or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert not running, [(q.name, q.status) for q in running]


def failing_pipeline(gate: Path, on_failure: str | None) -> dict[str, Any]:
    """``source`` raises on every row once ``gate`` exists; ``dependent`` depends on it."""

    @F.udf(LongType())
    def raise_when_gated(value: int) -> int:
        import os

        if os.path.exists(str(gate)):
            raise ValueError(f"source broke at row {value}")
        return value

    register("raise_when_gated", lambda df: df.withColumn("value", raise_when_gated("value")))
    pipeline: dict[str, Any] = {
        "nodes": [
            rate_node("source", transforms=["raise_when_gated"]),
            rate_node("dependent", depends_on=["source"]),
            rate_node("independent"),
        ]
    }
    if on_failure is not None:
        pipeline["on_failure"] = on_failure
    return pipeline


class Recorder:
    """Every status the manager publishes, and every pipeline event observers receive."""

    def __init__(self) -> None:
        self.statuses: list[dict[str, Any]] = []
        self.events: list[Any] = []
        self.lock = threading.Lock()

    def on_status(self, status: dict[str, Any]) -> None:
        with self.lock:
            self.statuses.append(status)

    @hookimpl
    def tauro_on_pipeline_status_changed(self, event: Any) -> None:
        with self.lock:
            self.events.append(event)


def assert_consistent(status: dict[str, Any]) -> None:
    nodes = status["query_statuses"]
    failed = [n for n, s in nodes.items() if s["state"] == "failed"]
    assert status["failed_queries"] == len(failed), status
    for name, node in nodes.items():
        if node["state"] in FINISHED_STATES:
            assert node["isActive"] is False, (name, status)
    if status["status"] == "error":
        assert status["active_queries"] == 0, status
        assert failed, status
    if failed and status["status"] != "error":
        assert status["status"] == "running", status
        assert "error" in status


def wait_for(manager: StreamingPipelineManager, execution_id: str, check: Any, timeout: float = 120) -> Any:
    deadline = time.monotonic() + timeout
    status = manager.status(execution_id)
    while time.monotonic() < deadline:
        status = manager.status(execution_id)
        if check(status):
            return status
        time.sleep(0.2)
    raise AssertionError(f"condition not reached: {status}")


def start_and_break(
    context: Any, tmp_path: Path, register_plugin: Any, on_failure: str | None
) -> tuple[StreamingPipelineManager, str, Recorder]:
    recorder = Recorder()
    register_plugin(recorder, f"failure_recorder_{on_failure}")
    manager = StreamingPipelineManager(context, monitor_interval=0.5, on_status=recorder.on_status)
    gate = tmp_path / "gate"
    execution_id = manager.start_pipeline(f"policy_{on_failure}", failing_pipeline(gate, on_failure))
    # The dependent starts once the source has committed a batch; only then does the source break.
    wait_for(
        manager,
        execution_id,
        lambda s: (
            s["query_statuses"]["dependent"]["isActive"]
            and s["query_statuses"]["dependent"]["state"] == "running"
        ),
    )
    gate.touch()
    return manager, execution_id, recorder


def test_stop_policy_stops_every_query_of_the_pipeline(
    context: Any, tmp_path: Path, register_plugin: Any
) -> None:
    manager, execution_id, recorder = start_and_break(context, tmp_path, register_plugin, None)
    try:
        status = manager.wait(execution_id, timeout=120)
        assert status["status"] == "error", status
        assert status["on_failure"] == "stop"
        nodes = status["query_statuses"]
        assert nodes["source"]["state"] == "failed"
        assert "source broke" in nodes["source"]["exception"]
        assert nodes["source"]["error"].startswith("[PYTHON_EXCEPTION] ValueError: source broke at row")
        assert nodes["dependent"]["state"] == "blocked"
        assert "dependency 'source' failed" in nodes["dependent"]["error"]
        assert nodes["independent"]["state"] == "stopped"
        assert status["active_queries"] == 0 and status["failed_queries"] == 1
        assert status["blocked_nodes"] == ["dependent"]
        assert "node 'source' failed" in status["error"]
        assert_no_policy_query_runs(context.spark)
        results = manager.get_results(execution_id)
        assert results["status"] == "error" and results["failed_queries"] == 1
        assert {n: r["state"] for n, r in results["nodes"].items()} == {
            "source": "failed",
            "dependent": "blocked",
            "independent": "stopped",
        }
        for snapshot in recorder.statuses:
            assert_consistent(snapshot)
        assert recorder.events[-1].new_status == "error"
        assert recorder.events[-1].failed_nodes == ("source",)
        assert recorder.events[-1].blocked_nodes == ("dependent",)
        assert [e.new_status for e in recorder.events].count("error") == 1
    finally:
        manager.shutdown(timeout=30)


def test_isolate_policy_keeps_independent_branches_running(
    context: Any, tmp_path: Path, register_plugin: Any
) -> None:
    manager, execution_id, recorder = start_and_break(context, tmp_path, register_plugin, "isolate")
    try:
        status = wait_for(
            manager,
            execution_id,
            lambda s: s["query_statuses"]["dependent"]["state"] == "blocked",
        )
        nodes = status["query_statuses"]
        assert nodes["source"]["state"] == "failed"
        assert nodes["dependent"]["isActive"] is False
        assert status["status"] == "running" and status["failed_queries"] == 1
        assert "node 'source' failed" in status["error"]
        # The independent branch goes on committing batches.
        batches = nodes["independent"]["batches"]
        status = wait_for(
            manager, execution_id, lambda s: s["query_statuses"]["independent"]["batches"] > batches + 1
        )
        assert status["query_statuses"]["independent"]["isActive"] is True
        assert status["status"] == "running"
        running_event = next(e for e in recorder.events if e.failed_nodes == ("source",))
        assert running_event.new_status == "running"
        assert manager.stop_pipeline(execution_id, timeout=30) is True
        status = manager.status(execution_id)
        assert status["status"] == "error"  # something failed, and now nothing runs
        assert status["query_statuses"]["independent"]["state"] == "stopped"
        assert status["query_statuses"]["dependent"]["state"] == "blocked"
        assert status["active_queries"] == 0
        for snapshot in recorder.statuses:
            assert_consistent(snapshot)
        assert recorder.events[-1].new_status == "error"
    finally:
        manager.shutdown(timeout=30)


def test_a_dependent_not_yet_started_is_blocked_under_either_policy(context: Any, tmp_path: Path) -> None:
    @F.udf(LongType())
    def always_raises(value: int) -> int:
        raise ValueError(f"bad row {value}")

    register("always_raises", lambda df: df.withColumn("value", always_raises("value")))
    manager = StreamingPipelineManager(context, monitor_interval=0.5)
    try:
        pipeline = {
            "on_failure": "isolate",
            "nodes": [
                rate_node("first", transforms=["always_raises"]),
                rate_node("second", depends_on=["first"]),
                rate_node("third", depends_on=["second"]),
            ],
        }
        status = manager.wait(manager.start_pipeline("never_started", pipeline), timeout=120)
        assert status["status"] == "error"
        states = {n: s["state"] for n, s in status["query_statuses"].items()}
        assert states == {"first": "failed", "second": "blocked", "third": "blocked"}
        assert status["active_queries"] == 0
    finally:
        manager.shutdown(timeout=30)


@pytest.mark.parametrize("value", ["fail_fast", "ISOLATE", "continue"])
def test_unknown_failure_policy_is_refused_with_its_field(value: str) -> None:
    pipeline = {"on_failure": value, "nodes": [rate_node("n")]}
    report = StreamingValidator().check_pipeline(pipeline, name="p")
    assert [p.field for p in report.problems] == ["on_failure"]
    assert "'stop'" in report.problems[0].message and "'isolate'" in report.problems[0].message
    with pytest.raises(StreamingValidationError, match="on_failure"):
        StreamingValidator().validate_streaming_pipeline_config(pipeline, name="p")


def test_failure_policy_must_be_a_string() -> None:
    report = StreamingValidator().check_pipeline({"on_failure": ["stop"], "nodes": [rate_node("n")]})
    assert [p.field for p in report.problems] == ["on_failure"]
