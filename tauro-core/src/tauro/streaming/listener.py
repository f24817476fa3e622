"""One ``StreamingQueryListener`` per SparkSession, feeding Tauro's health monitors and hooks.

Spark's listener callbacks only queue a small record and return. One daemon thread,
``tauro-events``, applies the records in order: it updates the tracked query's monitor, then calls
``on_progress`` / ``on_terminated`` and the lifecycle hooks; whatever raises is logged and skipped.

Events of queries Tauro does not track reach no callback or hook. As a query can finish before
``track`` runs, recent progress (200 records, 60 s) and terminated events (1000, 10 min) of
untracked queries are kept and replayed on ``track``. Health changes found by pollers come from
the monitor to the same thread, so each reaches the hooks once; ``on_terminated`` runs once per
tracked run and after its last progress: an end seen by a poll waits up to ``END_GRACE_SECONDS``
for the listener's own event. Without listener support the hub warns and works from polls.
"""

from __future__ import annotations

import atexit
import functools
import json
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from loguru import logger

from tauro.events import (
    QueryProgressEvent,
    QueryStartedEvent,
    QueryTerminatedEvent,
    QueryUnhealthyEvent,
)
from tauro.plugin.preflight import is_connect
from tauro.plugins import get_plugin_manager
from tauro.streaming.expectation_counts import progress_expectations
from tauro.streaming.health_monitor import (
    LATENCY_SPIKE,
    TERMINAL,
    UNHEALTHY,
    HealthChange,
    HealthState,
    QueryHealthMonitor,
    input_rows_of,
)

__all__ = ["QueryEventHub", "get_event_hub", "shutdown_event_hubs"]

#: How long an end seen by a poll waits for the listener's own terminated event (which follows
#: the query's last progress events), before ``on_terminated`` runs without it.
END_GRACE_SECONDS = 3.0

TerminatedCallback = Callable[[str, str | None], None]
ProgressCallback = Callable[[str, dict[str, Any]], None]
#: Dead letters a batch wrote, by batch id (taken once: the count is forgotten after).
DeadLetterCount = Callable[[int], int]


@dataclass(frozen=True, eq=False)
class _Record:
    kind: str  # track | progress | idle | terminated | health | stop
    query_id: str
    run_id: str | None = None
    payload: Any = None
    arrived: float = field(default_factory=time.monotonic)


def _same_run(a: str | None, b: str | None) -> bool:
    return a is None or b is None or a == b


class _PendingBuffer:
    """Records of queries not tracked (yet), bounded by count and age."""

    def __init__(self, max_entries: int, max_age: float) -> None:
        self._records: deque[_Record] = deque(maxlen=max_entries)
        self._max_age = max_age

    def add(self, record: _Record) -> None:
        self._expire()
        self._records.append(record)

    def pop(self, query_id: str, run_id: str | None) -> list[_Record]:
        self._expire()
        matched = [r for r in self._records if r.query_id == query_id and _same_run(r.run_id, run_id)]
        if matched:
            keep = [r for r in self._records if all(r is not m for m in matched)]
            self._records = deque(keep, maxlen=self._records.maxlen)
        return matched

    def _expire(self) -> None:
        limit = time.monotonic() - self._max_age
        while self._records and self._records[0].arrived < limit:
            self._records.popleft()


@dataclass(eq=False)
class _Tracked:
    query_id: str
    run_id: str | None
    monitor: QueryHealthMonitor
    node_name: str | None
    pipeline_name: str | None
    execution_id: str | None
    on_terminated: TerminatedCallback | None
    on_progress: ProgressCallback | None
    dead_letters_of: DeadLetterCount | None = None
    subscriber: Callable[[HealthChange], None] | None = None
    activated: bool = False
    terminated: bool = False

    def event_fields(self) -> dict[str, Any]:
        return {
            "query_id": self.query_id,
            "run_id": self.run_id,
            "query_name": self.monitor.query_name,
            "node_name": self.node_name,
            "pipeline_name": self.pipeline_name,
            "execution_id": self.execution_id,
            "timestamp": time.time(),
        }


@functools.cache
def _listener_class() -> type:
    """The pyspark listener subclass, built on first use so importing Tauro needs no pyspark."""
    from pyspark.sql.streaming.listener import StreamingQueryListener

    class TauroQueryListener(StreamingQueryListener):  # type: ignore[misc]
        """Hands each event to the hub's queue and returns at once."""

        def __init__(self, receive: Callable[[Callable[[], _Record]], None]) -> None:
            super().__init__()
            self._receive = receive

        def onQueryStarted(self, event: Any) -> None:  # called synchronously by start()
            pass

        def onQueryProgress(self, event: Any) -> None:
            def record() -> _Record:
                data = json.loads(event.progress.json)
                return _Record("progress", str(data.get("id")), str(data.get("runId")), data)

            self._receive(record)

        def onQueryIdle(self, event: Any) -> None:
            self._receive(lambda: _Record("idle", str(event.id), str(event.runId)))

        def onQueryTerminated(self, event: Any) -> None:
            self._receive(lambda: _Record("terminated", str(event.id), str(event.runId), event.exception))

        @property
        def _jlistener(self) -> Any:
            # Classic sessions: answer the JVM with a lean object instead of pyspark's wrapper,
            # which turns every progress event into Python objects field by field (dozens of
            # py4j round trips). With many queries that made Spark drop listener events.
            from pyspark import SparkContext

            if not hasattr(self, "_tauro_jlistener"):
                lean = _LeanJavaListener(self._receive)
                self._tauro_jlistener = SparkContext._jvm.PythonStreamingQueryListenerWrapper(lean)
            return self._tauro_jlistener

    return TauroQueryListener


class _LeanJavaListener:
    """Implements Spark's Java listener interface through py4j with two calls per event."""

    def __init__(self, receive: Callable[[Callable[[], _Record]], None]) -> None:
        self._receive = receive

    def onQueryStarted(self, jevent: Any) -> None:  # Java interface names, hence camelCase
        pass

    def onQueryProgress(self, jevent: Any) -> None:
        text = jevent.progress().json()

        def record() -> _Record:
            data = json.loads(text)
            return _Record("progress", str(data.get("id")), str(data.get("runId")), data)

        self._receive(record)

    def onQueryIdle(self, jevent: Any) -> None:
        query_id, run_id = jevent.id().toString(), jevent.runId().toString()
        self._receive(lambda: _Record("idle", query_id, run_id))

    def onQueryTerminated(self, jevent: Any) -> None:
        error = jevent.exception()
        text = error.get() if error.isDefined() else None
        query_id, run_id = jevent.id().toString(), jevent.runId().toString()
        self._receive(lambda: _Record("terminated", query_id, run_id, text))

    class Java:
        implements = ["org.apache.spark.sql.streaming.PythonStreamingQueryListener"]


def _run_id(query: Any) -> str | None:
    try:
        return str(query.runId)
    except Exception:
        return None


class QueryEventHub:
    """One per SparkSession: a single StreamingQueryListener whose callbacks return at once and
    hand events to one Tauro dispatcher thread."""

    def __init__(self, spark: Any) -> None:
        self.spark = spark
        self._queue: queue.Queue[_Record] = queue.Queue()
        self._lock = threading.Lock()
        self._tracked: dict[str, _Tracked] = {}
        self._closed = False
        self._pending_progress = _PendingBuffer(200, 60.0)
        self._pending_terminated = _PendingBuffer(1000, 600.0)
        self._awaiting_end: dict[_Tracked, tuple[float, str | None]] = {}  # dispatcher-only
        self._listener: Any = None
        self._thread = threading.Thread(target=self._run, name="tauro-events", daemon=True)
        self._thread.start()
        self._listener = self._add_listener()

    @property
    def listening(self) -> bool:
        """False in poll-only mode (the session accepted no listener)."""
        return self._listener is not None

    @property
    def closed(self) -> bool:
        return self._closed

    # -- public API -------------------------------------------------------------------------------
    def track(
        self,
        query: Any,
        monitor: QueryHealthMonitor,
        *,
        node_name: str | None = None,
        pipeline_name: str | None = None,
        execution_id: str | None = None,
        on_terminated: TerminatedCallback | None = None,
        on_progress: ProgressCallback | None = None,
        dead_letters_of: DeadLetterCount | None = None,
    ) -> None:
        """Route this query's events to ``monitor``, the callbacks and the lifecycle hooks.

        ``dead_letters_of(batch_id)`` gives the dead letters a batch wrote, for progress events.
        """
        entry = _Tracked(
            str(query.id),
            _run_id(query),
            monitor,
            node_name,
            pipeline_name,
            execution_id,
            on_terminated,
            on_progress,
            dead_letters_of,
        )
        entry.subscriber = functools.partial(self._on_health_change, entry)
        with self._lock:
            if self._closed:
                logger.warning("Event hub is closed; query '{}' is not tracked", monitor.query_name)
                return
            previous = self._tracked.get(entry.query_id)
            self._tracked[entry.query_id] = entry
        if previous is not None and previous.subscriber is not None:
            previous.monitor.unsubscribe(previous.subscriber)
        monitor.set_listener_fed(self.listening)
        self._queue.put(_Record("track", entry.query_id, entry.run_id, entry))
        monitor.subscribe(entry.subscriber)

    def untrack(self, query_id: str) -> None:
        """Stop routing events of ``query_id``; nothing happens if it is not tracked."""
        with self._lock:
            entry = self._tracked.pop(str(query_id), None)
        if entry is not None and entry.subscriber is not None:
            entry.monitor.unsubscribe(entry.subscriber)

    def close(self) -> None:
        """Remove the listener, deliver what is queued, stop the thread. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        if self._listener is not None:
            try:
                self.spark.streams.removeListener(self._listener)
            except Exception as exc:
                logger.debug("Could not remove the Tauro listener: {}", exc)
        self._queue.put(_Record("stop", ""))
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout=10)
        with self._lock:
            entries, self._tracked = list(self._tracked.values()), {}
        for entry in entries:
            if entry.subscriber is not None:
                entry.monitor.unsubscribe(entry.subscriber)

    # -- receiving ----------------------------------------------------------------------------
    def _add_listener(self) -> Any:
        try:
            listener = _listener_class()(self._receive)
            self.spark.streams.addListener(listener)
        except Exception as exc:
            logger.warning("Spark session accepts no query listener ({}): health works from polls only", exc)
            return None
        return listener

    def _receive(self, make: Callable[[], _Record]) -> None:
        """Called on Spark's listener thread: build a record, queue it, never raise."""
        if self._closed:
            return
        try:
            self._queue.put(make())
        except Exception as exc:
            logger.warning("Tauro could not read a streaming query event: {}", exc)

    def _on_health_change(self, entry: _Tracked, change: HealthChange) -> None:
        if threading.current_thread() is self._thread:
            self._handle_health(entry, change)
        elif not self._closed:
            self._queue.put(_Record("health", entry.query_id, entry.run_id, (entry, change)))

    # -- the dispatcher thread ----------------------------------------------------------------
    def _run(self) -> None:
        while True:
            try:
                record: _Record | None = self._queue.get(timeout=self._wait_seconds())
            except queue.Empty:
                record = None
            if record is not None and record.kind == "stop":
                self._finish_awaiting(force=True)
                return
            try:
                if record is not None:
                    self._dispatch(record)
                self._finish_awaiting()
            except Exception as exc:
                logger.opt(exception=exc).error(
                    "Tauro event dispatcher: '{}' event failed", record.kind if record else "timer"
                )

    def _wait_seconds(self) -> float | None:
        if not self._awaiting_end:
            return None
        first = min(deadline for deadline, _ in self._awaiting_end.values())
        return max(first - time.monotonic(), 0.0)

    def _dispatch(self, record: _Record) -> None:
        if record.kind == "track":
            self._activate(record.payload)
        elif record.kind == "health":
            self._handle_health(*record.payload)
        elif (entry := self._entry_for(record)) is None:
            self._buffer(record)
        elif record.kind == "progress":
            self._handle_progress(entry, record.payload)
        elif record.kind == "idle":
            entry.monitor.record_idle()
        elif record.kind == "terminated":
            self._handle_terminated(entry, record.payload)

    def _entry_for(self, record: _Record) -> _Tracked | None:
        with self._lock:
            entry = self._tracked.get(record.query_id)
        if entry is None or not entry.activated or not _same_run(entry.run_id, record.run_id):
            return None
        return entry

    def _is_current(self, entry: _Tracked) -> bool:
        with self._lock:
            return self._tracked.get(entry.query_id) is entry

    def _buffer(self, record: _Record) -> None:
        if record.kind == "progress":
            self._pending_progress.add(record)
        elif record.kind == "terminated":
            self._pending_terminated.add(record)

    def _activate(self, entry: _Tracked) -> None:
        if not self._is_current(entry):
            return
        entry.activated = True
        self._hook("tauro_after_query_started", QueryStartedEvent(**entry.event_fields()))
        pending = self._pending_progress.pop(entry.query_id, entry.run_id) + self._pending_terminated.pop(
            entry.query_id, entry.run_id
        )
        for record in sorted(pending, key=lambda r: r.arrived):
            self._dispatch(record)
        if not entry.terminated and entry.monitor.state in TERMINAL:
            self._end_seen(entry, entry.monitor.snapshot().get("exception"))

    def _handle_progress(self, entry: _Tracked, progress: dict[str, Any]) -> None:
        entry.monitor.record_progress(progress)
        self._call(entry.on_progress, entry.query_id, progress)
        event = QueryProgressEvent(
            **entry.event_fields(),
            progress=progress,
            expectations=progress_expectations(progress),
            input_rows=input_rows_of(progress),
            dead_letters=self._batch_dead_letters(entry, progress),
        )
        self._hook("tauro_on_query_progress", event)

    def _handle_terminated(self, entry: _Tracked, exception: str | None) -> None:
        entry.monitor.record_terminated(exception)  # cleans and redacts the text
        self._awaiting_end.pop(entry, None)
        if not entry.terminated:
            self._finish(entry, entry.monitor.snapshot().get("exception"))

    def _handle_health(self, entry: _Tracked, change: HealthChange) -> None:
        if not entry.activated or not self._is_current(entry):
            return
        if change.state in UNHEALTHY and change.old_state is not change.state:
            self._unhealthy(entry, change.state.value, change.message or change.state.value)
        if change.spike:
            self._unhealthy(entry, LATENCY_SPIKE, change.spike)
        if change.state in TERMINAL and not entry.terminated:
            self._end_seen(entry, change.exception if change.state is HealthState.FAILED else None)

    def _end_seen(self, entry: _Tracked, exception: str | None) -> None:
        """A poll (or ``mark_stopped``) saw the end: with a listener, wait briefly for its event."""
        if not self.listening:
            self._finish(entry, exception)
        else:
            deadline = self._awaiting_end.get(entry, (time.monotonic() + END_GRACE_SECONDS, None))[0]
            self._awaiting_end[entry] = (deadline, exception)

    def _finish_awaiting(self, *, force: bool = False) -> None:
        now = time.monotonic()
        for entry, (deadline, exception) in list(self._awaiting_end.items()):
            if force or deadline <= now:
                del self._awaiting_end[entry]
                if not entry.terminated and self._is_current(entry):
                    self._finish(entry, exception)

    def _unhealthy(self, entry: _Tracked, state: str, message: str) -> None:
        self._hook(
            "tauro_on_query_unhealthy",
            QueryUnhealthyEvent(**entry.event_fields(), state=state, message=message),
        )

    def _finish(self, entry: _Tracked, exception: str | None) -> None:
        entry.terminated = True
        # Plugins hear of the end first: once a node's owner sees it (and a pipeline reports the
        # node done), every observer has been told.
        self._hook(
            "tauro_after_query_terminated", QueryTerminatedEvent(**entry.event_fields(), exception=exception)
        )
        self._call(entry.on_terminated, entry.query_id, exception)

    @staticmethod
    def _batch_dead_letters(entry: _Tracked, progress: dict[str, Any]) -> int:
        batch_id = progress.get("batchId")
        if entry.dead_letters_of is None or batch_id is None:
            return 0
        try:
            return int(entry.dead_letters_of(int(batch_id)))
        except Exception as exc:
            logger.opt(exception=exc).error("Tauro could not count the dead letters of a batch")
            return 0

    @staticmethod
    def _call(callback: Callable[..., Any] | None, *args: Any) -> None:
        if callback is None:
            return
        try:
            callback(*args)
        except Exception as exc:
            logger.opt(exception=exc).error("Tauro event callback {} raised; ignored", callback)

    @staticmethod
    def _hook(name: str, event: Any) -> None:
        try:
            get_plugin_manager().call_observers(name, event=event)
        except Exception as exc:
            logger.opt(exception=exc).error("Lifecycle hook {} could not be called", name)


_hubs: dict[int, QueryEventHub] = {}
_hubs_lock = threading.Lock()


def get_event_hub(spark: Any) -> QueryEventHub:
    """The hub of this SparkSession, created (and its listener added) on first use."""
    global _exit_hook_registered, _connect_exit_hook_registered
    with _hubs_lock:
        if is_connect(spark):
            if not _connect_exit_hook_registered:
                # A Connect client's listener thread is not a daemon: atexit would run only
                # after it is joined, i.e. never. This hook runs before non-daemon threads are
                # joined, so removing the listener lets the process exit.
                threading._register_atexit(shutdown_event_hubs)  # type: ignore[attr-defined]
                _connect_exit_hook_registered = True
        elif not _exit_hook_registered:
            # Remove listeners before the interpreter exits: otherwise the JVM keeps calling
            # back into a Python that has gone, and logs py4j connection errors.
            atexit.register(shutdown_event_hubs)
            _exit_hook_registered = True
        hub = _hubs.get(id(spark))
        if hub is None or hub.closed or hub.spark is not spark:
            hub = QueryEventHub(spark)
            _hubs[id(spark)] = hub
        return hub


_exit_hook_registered = False
_connect_exit_hook_registered = False


def shutdown_event_hubs() -> None:
    """Close every hub (removing its listener); the next ``get_event_hub`` makes a new one."""
    with _hubs_lock:
        hubs = list(_hubs.values())
        _hubs.clear()
    for hub in hubs:
        hub.close()
