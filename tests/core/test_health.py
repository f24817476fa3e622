"""QueryHealthMonitor and QueryEventHub: pure logic, then real queries on the shared local Spark."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tauro import hookimpl
from tauro.events import (
    QueryProgressEvent,
    QueryStartedEvent,
    QueryTerminatedEvent,
    QueryUnhealthyEvent,
)
from tauro.streaming.health import (
    LATENCY_SPIKE,
    HealthChange,
    HealthState,
    QueryEventHub,
    QueryHealthMonitor,
    get_event_hub,
    shutdown_event_hubs,
)

WAIT = 5.0  # bound for asynchronous callbacks


class ManualClock:
    """The monitor's clock, advanced by the test."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Recorder:
    """An observer plugin that keeps every lifecycle event."""

    def __init__(self) -> None:
        self.events: list[Any] = []
        self.lock = threading.Lock()
        self.seen = threading.Condition(self.lock)

    def _add(self, event: Any) -> None:
        with self.seen:
            self.events.append(event)
            self.seen.notify_all()

    def of(self, query_id: str, kind: type | None = None) -> list[Any]:
        with self.lock:
            return [
                e for e in self.events if e.query_id == query_id and (kind is None or isinstance(e, kind))
            ]

    def wait_for(self, query_id: str, kind: type) -> list[Any]:
        with self.seen:
            self.seen.wait_for(
                lambda: any(isinstance(e, kind) and e.query_id == query_id for e in self.events), timeout=WAIT
            )
        found = self.of(query_id, kind)
        assert found, f"no {kind.__name__} for {query_id}"
        return found

    @hookimpl
    def tauro_after_query_started(self, event: QueryStartedEvent) -> None:
        self._add(event)

    @hookimpl
    def tauro_on_query_progress(self, event: QueryProgressEvent) -> None:
        self._add(event)

    @hookimpl
    def tauro_on_query_unhealthy(self, event: QueryUnhealthyEvent) -> None:
        self._add(event)

    @hookimpl
    def tauro_after_query_terminated(self, event: QueryTerminatedEvent) -> None:
        self._add(event)


class Raiser:
    """An observer that fails in every hook."""

    @hookimpl
    def tauro_after_query_started(self, event: Any) -> None:
        raise RuntimeError("observer bug")

    @hookimpl
    def tauro_on_query_progress(self, event: Any) -> None:
        raise RuntimeError("observer bug")

    @hookimpl
    def tauro_after_query_terminated(self, event: Any) -> None:
        raise RuntimeError("observer bug")


class Termination:
    """An ``on_terminated`` callback the test can wait for."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.calls: list[tuple[str, str | None]] = []

    def __call__(self, query_id: str, exception: str | None) -> None:
        self.calls.append((query_id, exception))
        self.done.set()

    def wait(self) -> tuple[str, str | None]:
        assert self.done.wait(WAIT), "on_terminated was not called"
        return self.calls[0]


@pytest.fixture(autouse=True)
def _close_hubs() -> Iterator[None]:
    yield
    shutdown_event_hubs()


@pytest.fixture
def recorder(register_plugin: Callable[[Any, str], Any]) -> Recorder:
    plugin = Recorder()
    register_plugin(plugin, "test-recorder")
    return plugin


def progress(batch_id: int, duration_ms: int, rows: int = 10, **extra: Any) -> dict[str, Any]:
    """A progress dict shaped like Spark's (``json.loads(event.progress.json)``)."""
    return {
        "id": "q",
        "runId": "r",
        "batchId": batch_id,
        "timestamp": f"t{batch_id}",
        "numInputRows": rows,
        "inputRowsPerSecond": 1.0,
        "processedRowsPerSecond": 2.0,
        "durationMs": {"addBatch": duration_ms - 10, "triggerExecution": duration_ms},
        "sources": [],
        "sink": {},
        **extra,
    }


# -- pure logic: no Spark ------------------------------------------------------------------------
def test_a_latency_spike_is_a_warning_and_clears_on_the_next_batch() -> None:
    monitor = QueryHealthMonitor(None, "q")
    for batch_id, ms in enumerate([780, 790, 800, 790, 785, 795, 790, 788, 792, 790, 789]):
        monitor.record_progress(progress(batch_id, ms))
    monitor.record_progress(progress(11, 4100))
    snap = monitor.snapshot()
    expected = "latency spike: batch 11 took 4100 ms, 5.2x the median 790 ms"
    assert snap["latency_spike"] == expected
    assert (snap["state"], snap["healthy"], snap["message"]) == ("ACTIVE", True, expected)
    monitor.record_progress(progress(12, 800))
    assert monitor.snapshot()["latency_spike"] is None
    assert monitor.snapshot()["message"] is None


def test_no_spike_before_enough_batches_and_only_within_the_window() -> None:
    few = QueryHealthMonitor(None, "q", spike_min_batches=5)
    for batch_id in range(4):
        few.record_progress(progress(batch_id, 100))
    few.record_progress(progress(4, 5000))
    assert few.snapshot()["latency_spike"] is None

    # The window holds the last 3 batches (1000 ms each), so 2500 ms is no spike there.
    windowed = QueryHealthMonitor(None, "q", spike_window=3, spike_min_batches=3)
    for batch_id, ms in enumerate([100, 100, 100, 1000, 1000, 1000]):
        windowed.record_progress(progress(batch_id, ms))
    windowed.record_progress(progress(6, 2500))
    assert windowed.snapshot()["latency_spike"] is None
    windowed.record_progress(progress(7, 3500))
    assert windowed.snapshot()["latency_spike"].startswith("latency spike: batch 7 took 3500 ms")


def test_subscribers_hear_a_spike_once_per_transition() -> None:
    monitor = QueryHealthMonitor(None, "q", spike_min_batches=3)
    changes: list[HealthChange] = []
    monitor.subscribe(changes.append)
    for batch_id, ms in enumerate([100, 100, 100, 900, 950, 100, 1000]):
        monitor.record_progress(progress(batch_id, ms))
    spikes = [c.spike for c in changes if c.spike]
    assert len(spikes) == 2
    assert spikes[0].startswith("latency spike: batch 3") and "batch 6" in spikes[1]
    monitor.record_terminated(None)
    monitor.record_progress(progress(7, 100))
    monitor.record_progress(progress(8, 5000))  # a late report after the end: no notice
    assert len([c for c in changes if c.spike]) == 2
    assert changes[-1].state is HealthState.COMPLETED


def test_progress_is_counted_once_and_idle_heartbeats_are_not_batches() -> None:
    monitor = QueryHealthMonitor(None, "q")
    monitor.record_progress(progress(0, 500, rows=7))
    monitor.record_progress(progress(0, 500, rows=7))  # the same batch from a poll
    idle = {
        "batchId": 1,
        "timestamp": "idle",
        "numInputRows": 0,
        "durationMs": {"latestOffset": 1, "triggerExecution": 1},
    }
    monitor.record_progress(idle)
    monitor.record_progress(progress(1, 400, rows=3))
    snap = monitor.snapshot()
    assert (snap["batches"], snap["input_rows"], snap["last_batch_id"]) == (2, 10, 1)
    assert snap["last_progress"] == {
        "batchId": 1,
        "timestamp": "t1",
        "numInputRows": 3,
        "inputRowsPerSecond": 1.0,
        "processedRowsPerSecond": 2.0,
        "durationMs": {"addBatch": 390, "triggerExecution": 400},
    }
    assert "exception" not in snap and snap["stalled_for_seconds"] is None
    json.dumps(snap)


def test_a_recorded_failure_is_redacted_and_final() -> None:
    monitor = QueryHealthMonitor(None, "q")
    monitor.record_terminated(
        "org.apache.spark.SparkException: boom password=hunter2\n"
        "\tat org.apache.spark.Foo.bar(Foo.scala:1)\n\t... 12 more\n"
        "=== Streaming Query ===\nIdentifier: x"
    )
    healthy, message = monitor.check_health()  # does not touch the (missing) query
    assert not healthy
    assert message == "query failed: org.apache.spark.SparkException: boom password=***"
    snap = monitor.snapshot()
    assert snap["state"] == "FAILED" and snap["exception"].endswith("boom password=***")
    monitor.mark_stopped()
    assert monitor.state is HealthState.FAILED


def test_check_health_never_raises() -> None:
    monitor = QueryHealthMonitor(object(), "q")  # no isActive, no status
    healthy, message = monitor.check_health()
    assert healthy and message is not None and message.startswith("health unknown:")
    assert monitor.state is HealthState.ACTIVE


def test_invalid_settings_are_rejected() -> None:
    with pytest.raises(ValueError):
        QueryHealthMonitor(None, "q", timeout_seconds=0)


# -- real queries --------------------------------------------------------------------------------
def _json_dir(path: Path, rows: int = 0) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    if rows:
        (path / "part-0.json").write_text("".join(f'{{"a": "{i}"}}\n' for i in range(rows)))
    return path


def _file_stream(spark: Any, directory: Path) -> Any:
    return spark.readStream.schema("a STRING").json(str(directory))


def _rate(spark: Any) -> Any:
    return spark.readStream.format("rate").option("rowsPerSecond", 1).option("numPartitions", 1).load()


def _wait_for_file(path: Path, timeout: float = 60.0) -> None:
    # The signal comes from a Python worker process: no in-process event can carry it.
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def _failing_udf() -> Any:
    from pyspark.sql.functions import udf

    @udf("long")
    def explode(value):  # type: ignore[no-untyped-def]  (hints would make it a pandas UDF)
        raise ValueError("boom password=hunter2")

    return explode


def _blocking_udf(started: Path, release: Path) -> Any:
    from pyspark.sql.functions import udf

    started_at, release_at = str(started), str(release)

    @udf("long")
    def block(value):  # type: ignore[no-untyped-def]  (hints would make it a pandas UDF)
        import os
        import time

        open(started_at, "a").close()
        deadline = time.monotonic() + 30
        while not os.path.exists(release_at) and time.monotonic() < deadline:
            time.sleep(0.05)
        return value

    return block


def test_an_idle_source_is_idle_and_healthy_past_the_timeout(spark: Any, tmp_path: Path) -> None:
    source = _json_dir(tmp_path / "empty")
    query = _file_stream(spark, source).writeStream.format("noop").trigger(processingTime="1 hour").start()
    try:
        deadline = time.monotonic() + 60
        while query.lastProgress is None:  # the first (empty) trigger has finished
            assert time.monotonic() < deadline
            time.sleep(0.05)
        clock = ManualClock()
        monitor = QueryHealthMonitor(query, "idle", timeout_seconds=1.0, clock=clock)
        assert monitor.check_health() == (True, None)
        clock.advance(5)
        assert monitor.check_health() == (True, None)
        assert monitor.state is HealthState.IDLE
        snap = monitor.snapshot()
        assert (snap["batches"], snap["last_batch_id"], snap["stalled_for_seconds"]) == (0, None, None)
    finally:
        query.stop()


def test_a_blocked_batch_is_stalled_once_and_recovers(spark: Any, tmp_path: Path, recorder: Recorder) -> None:
    started, release = tmp_path / "started", tmp_path / "release"
    query = _rate(spark).select(_blocking_udf(started, release)("value")).writeStream.format("noop").start()
    resumed = threading.Event()
    try:
        clock = ManualClock()
        monitor = QueryHealthMonitor(query, "blocked", timeout_seconds=2, clock=clock)
        get_event_hub(spark).track(
            query,
            monitor,
            node_name="blocked",
            on_progress=lambda qid, p: resumed.set() if release.exists() else None,
        )
        _wait_for_file(started)
        assert monitor.check_health()[0]
        for _ in range(3):  # a progress event of an earlier batch may reset the clock once
            clock.advance(2.5)
            healthy, message = monitor.check_health()
            if not healthy:
                break
        assert monitor.state is HealthState.STALLED
        assert message is not None and message.startswith("stalled: no progress for 2.5s")
        assert "(timeout: 2s)" in message
        assert monitor.snapshot()["stalled_for_seconds"] == 2.5
        clock.advance(1)
        assert not monitor.check_health()[0]  # still stalled: no second event

        release.touch()
        assert resumed.wait(30), "the query did not resume"
        assert monitor.check_health()[0]
        assert monitor.state in (HealthState.ACTIVE, HealthState.IDLE)
        unhealthy = recorder.of(str(query.id), QueryUnhealthyEvent)
        assert [(e.state, e.node_name) for e in unhealthy] == [("STALLED", "blocked")]
        assert unhealthy[0].message.startswith("stalled:")
    finally:
        release.touch()
        query.stop()


def test_a_failing_udf_is_failed_and_on_terminated_fires(spark: Any, recorder: Recorder) -> None:
    hub = get_event_hub(spark)
    query = _rate(spark).select(_failing_udf()("value")).writeStream.format("noop").start()
    terminated = Termination()
    monitor = QueryHealthMonitor(query, "failing")
    hub.track(query, monitor, pipeline_name="p", execution_id="e1", on_terminated=terminated)
    try:
        with pytest.raises(Exception, match="boom"):
            query.awaitTermination(60)
        query_id, exception = terminated.wait()
        assert query_id == str(query.id)
        assert exception is not None and "ValueError: boom password=***" in exception
        assert "hunter2" not in exception and "\tat " not in exception

        healthy, message = monitor.check_health()
        assert not healthy and monitor.state is HealthState.FAILED
        assert message is not None and message.startswith("query failed: ")
        assert "ValueError: boom" in message and "hunter2" not in message
        assert "ValueError: boom" in monitor.snapshot()["exception"]

        ended = recorder.wait_for(query_id, QueryTerminatedEvent)
        assert len(ended) == 1 and ended[0].exception == exception
        assert (ended[0].pipeline_name, ended[0].execution_id) == ("p", "e1")
        failed = recorder.of(query_id, QueryUnhealthyEvent)
        assert [e.state for e in failed] == ["FAILED"]
        assert len(terminated.calls) == 1
    finally:
        query.stop()


def test_a_graceful_stop_is_completed_and_healthy(spark: Any, tmp_path: Path) -> None:
    source = _json_dir(tmp_path / "in", rows=3)
    queries = [_file_stream(spark, source).writeStream.format("noop").start() for _ in range(2)]
    try:
        marked, unmarked = (QueryHealthMonitor(q, f"q{i}") for i, q in enumerate(queries))
        terminated = Termination()
        get_event_hub(spark).track(queries[0], marked, on_terminated=terminated)
        for query in queries:
            query.processAllAvailable()
        assert marked.check_health()[0] and unmarked.check_health()[0]
        for query in queries:
            query.stop()
        marked.mark_stopped()
        assert marked.check_health() == (True, "query stopped")
        assert unmarked.check_health() == (True, "query completed")
        assert marked.state is unmarked.state is HealthState.COMPLETED
        assert terminated.wait() == (str(queries[0].id), None)
        assert "exception" not in marked.snapshot()
    finally:
        for query in queries:
            query.stop()


def test_an_available_now_query_completes_with_its_batches(
    spark: Any, tmp_path: Path, recorder: Recorder, register_plugin: Callable[[Any, str], Any]
) -> None:
    register_plugin(Raiser(), "test-raiser")  # an observer that raises breaks nothing
    source = _json_dir(tmp_path / "in", rows=2)
    hub = get_event_hub(spark)
    query = _file_stream(spark, source).writeStream.format("noop").trigger(availableNow=True).start()
    terminated, progressed = Termination(), []
    monitor = QueryHealthMonitor(query, "bounded")
    batches_at_end: list[int] = []

    def on_terminated(query_id: str, exception: str | None) -> None:
        batches_at_end.append(monitor.snapshot()["batches"])
        terminated(query_id, exception)

    hub.track(
        query,
        monitor,
        node_name="n",
        on_terminated=on_terminated,
        on_progress=lambda qid, p: progressed.append((qid, p["batchId"])),
    )
    try:
        assert query.awaitTermination(60)
        # A poll may see the end before the listener delivered the last progress: the callback
        # still runs after it.
        assert monitor.check_health() == (True, "query completed")
        assert terminated.wait() == (str(query.id), None)
        assert batches_at_end == [1]
        assert monitor.state is HealthState.COMPLETED
        snap = monitor.snapshot()
        assert (snap["batches"], snap["input_rows"], snap["last_batch_id"]) == (1, 2, 0)
        assert progressed == [(str(query.id), 0)]
        events = recorder.of(str(query.id))
        assert [type(e) for e in events] == [QueryStartedEvent, QueryProgressEvent, QueryTerminatedEvent]
        assert events[1].progress["numInputRows"] == 2
        assert {e.node_name for e in events} == {"n"}
        assert {e.query_name for e in events} == {"bounded"}
    finally:
        query.stop()


def test_untracked_queries_are_ignored_and_a_early_termination_is_replayed_on_track(
    spark: Any, tmp_path: Path, recorder: Recorder
) -> None:
    hub = get_event_hub(spark)
    failing = _rate(spark).select(_failing_udf()("value")).writeStream.format("noop").start()
    with pytest.raises(Exception, match="boom"):
        failing.awaitTermination(60)
    # A tracked query started after it: once its end is dispatched, so are the earlier events.
    source = _json_dir(tmp_path / "in", rows=1)
    tracked = _file_stream(spark, source).writeStream.format("noop").trigger(availableNow=True).start()
    seen: list[str] = []
    done = Termination()
    hub.track(
        tracked,
        QueryHealthMonitor(tracked, "tracked"),
        on_terminated=done,
        on_progress=lambda qid, p: seen.append(qid),
    )
    try:
        tracked.awaitTermination(60)
        done.wait()
        assert set(seen) == {str(tracked.id)}
        assert recorder.of(str(failing.id)) == []

        late = Termination()
        monitor = QueryHealthMonitor(failing, "late")
        hub.track(failing, monitor, on_terminated=late)
        query_id, exception = late.wait()
        assert query_id == str(failing.id) and exception and "ValueError: boom" in exception
        assert monitor.state is HealthState.FAILED  # from the replayed event, no poll needed
        kinds = [type(e) for e in recorder.of(query_id)]
        assert kinds[0] is QueryStartedEvent and kinds[-1] is QueryTerminatedEvent
    finally:
        tracked.stop()
        failing.stop()


def test_close_removes_the_listener_and_stops_the_thread(spark: Any, tmp_path: Path) -> None:
    def listeners() -> int:
        return len(spark._jsparkSession.streams().listListeners())

    before = listeners()
    hub = get_event_hub(spark)
    assert hub.listening and get_event_hub(spark) is hub
    assert listeners() == before + 1
    hub.close()
    hub.close()  # idempotent
    assert listeners() == before
    assert hub.closed
    assert not any(t.name == "tauro-events" and t.is_alive() for t in threading.enumerate())

    source = _json_dir(tmp_path / "in", rows=1)
    query = _file_stream(spark, source).writeStream.format("noop").trigger(availableNow=True).start()
    calls: list[str] = []
    try:
        hub.track(
            query,
            QueryHealthMonitor(query, "after-close"),
            on_progress=lambda qid, p: calls.append(qid),
            on_terminated=lambda qid, e: calls.append(qid),
        )
        assert query.awaitTermination(60)
        fresh = get_event_hub(spark)
        assert fresh is not hub and fresh.listening
        assert calls == []
    finally:
        query.stop()


def test_a_latency_spike_reaches_observers_as_a_warning(
    spark: Any, tmp_path: Path, recorder: Recorder
) -> None:
    source = _json_dir(tmp_path / "empty")
    query = _file_stream(spark, source).writeStream.format("noop").trigger(processingTime="1 hour").start()
    try:
        monitor = QueryHealthMonitor(query, "spiky", spike_min_batches=2)
        get_event_hub(spark).track(query, monitor)
        for batch_id, ms in [(0, 100), (1, 100), (2, 1000), (3, 1200)]:
            monitor.record_progress(progress(batch_id, ms))  # synthetic batches of this query
        found = recorder.wait_for(str(query.id), QueryUnhealthyEvent)
        assert [(e.state, e.message) for e in found] == [
            (LATENCY_SPIKE, "latency spike: batch 2 took 1000 ms, 10.0x the median 100 ms")
        ]
        assert monitor.snapshot()["healthy"]
    finally:
        query.stop()


class _SessionWithoutListeners:
    """A session whose ``streams`` accepts no listener, as with some Spark Connect servers."""

    streams = None


def test_without_listener_support_the_hub_works_from_polls(
    spark: Any, tmp_path: Path, recorder: Recorder
) -> None:
    hub = QueryEventHub(_SessionWithoutListeners())
    source = _json_dir(tmp_path / "in", rows=4)
    query = _file_stream(spark, source).writeStream.format("noop").trigger(availableNow=True).start()
    try:
        assert not hub.listening
        monitor = QueryHealthMonitor(query, "polled")
        done = Termination()
        hub.track(query, monitor, on_terminated=done)
        assert query.awaitTermination(60)
        assert monitor.check_health() == (True, "query completed")
        assert done.wait() == (str(query.id), None)
        snap = monitor.snapshot()
        assert (snap["batches"], snap["input_rows"], snap["last_batch_id"]) == (1, 4, 0)
        kinds = [type(e) for e in recorder.of(str(query.id))]
        assert kinds == [QueryStartedEvent, QueryTerminatedEvent]
    finally:
        hub.close()
        query.stop()
