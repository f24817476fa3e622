"""Health of one streaming query: ACTIVE, IDLE, STALLED, FAILED or COMPLETED.

One ``QueryHealthMonitor`` lives as long as its query (never one per poll: the stall clock must
survive between checks). It learns from two sides: ``check_health()`` reads the query
(``isActive``, ``exception()``, ``status`` and, without a listener feed, ``lastProgress``), and
the listener hub (``tauro.streaming.listener``, which imports this module) feeds
``record_progress``, ``record_idle`` and ``record_terminated``. Everything is duck-typed, so a
Spark Connect query works as well.

Rules, first match wins:

- FAILED: the query ended with an exception -> ``(False, "query failed: <redacted text>")``.
- COMPLETED: it ended cleanly (bounded trigger done, or stopped; ``mark_stopped`` makes it final
  at once) -> ``(True, "query completed")`` / ``(True, "query stopped")``. Ending cleanly is no
  problem, so it is healthy; the message tells a poller to leave its loop.
- STALLED: ``status.isTriggerActive`` seen true on every check for longer than the timeout, or
  ``status.isDataAvailable`` true with no new progress for longer than the timeout (except while
  Spark reports "Waiting for next trigger": the timeout must exceed a processing-time interval).
  Any new progress, idle heartbeat, or a check that sees the trigger inactive resets the clock.
  A real-time query (``batch_seconds`` set: its trigger interval) keeps each batch open, trigger
  active and data available, for the whole interval by design, so both clocks allow
  ``batch_seconds`` on top of the timeout: a batch is a stall only once it overruns its interval
  by the timeout.
- IDLE: running with no data available: healthy ``(True, None)``.
- ACTIVE otherwise. A latency spike (latest ``durationMs.triggerExecution`` above
  ``spike_factor`` x the median of up to ``spike_window`` earlier batches, once
  ``spike_min_batches`` exist) is a warning: ``(True, "latency spike: ...")`` until the next batch.

``check_health`` never raises: a failure to read the query gives ``(True, "health unknown: ...")``
and leaves the state as it was.
"""

from __future__ import annotations

import json
import re
import statistics
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from loguru import logger

from tauro.redaction import redact_text

__all__ = [
    "LATENCY_SPIKE",
    "HealthChange",
    "HealthState",
    "QueryHealthMonitor",
    "clean_exception_text",
    "progress_to_dict",
]


class HealthState(StrEnum):
    ACTIVE = "ACTIVE"
    IDLE = "IDLE"
    STALLED = "STALLED"
    FAILED = "FAILED"
    COMPLETED = "COMPLETED"


UNHEALTHY = frozenset({HealthState.STALLED, HealthState.FAILED})
TERMINAL = frozenset({HealthState.FAILED, HealthState.COMPLETED})
#: ``QueryUnhealthyEvent.state`` when the event reports a latency spike (a warning).
LATENCY_SPIKE = "LATENCY_SPIKE"

_WAITING_FOR_TRIGGER = "Waiting for next trigger"
_PROGRESS_FIELDS = (
    "batchId",
    "timestamp",
    "numInputRows",
    "inputRowsPerSecond",
    "processedRowsPerSecond",
    "durationMs",
)
_BATCH_TIMINGS = ("addBatch", "walCommit")
_STACK_FRAME = re.compile(r"^\s+(at \S+\(.*\)|\.\.\. \d+ more)\s*$")
_MAX_EXCEPTION_CHARS = 4000


@dataclass(frozen=True)
class HealthChange:
    """What a monitor tells its subscribers: a state change or a newly flagged spike."""

    old_state: HealthState
    state: HealthState
    message: str | None
    spike: str | None = None  # set when this change newly flags a latency spike
    exception: str | None = None


@dataclass(frozen=True)
class _Observation:
    active: bool
    exception: str | None = None
    trigger_active: bool = False
    data_available: bool = False
    status_message: str = ""
    progress: dict[str, Any] | None = None


def clean_exception_text(text: str) -> str:
    """Redacted error text without JVM stack frames or Spark's dump of the query plan."""
    text = str(text).split("\n=== Streaming Query ===", 1)[0]
    lines = [line for line in text.splitlines() if not _STACK_FRAME.match(line)]
    cleaned = "\n".join(lines).strip()
    if len(cleaned) > _MAX_EXCEPTION_CHARS:
        cleaned = cleaned[:_MAX_EXCEPTION_CHARS] + " ..."
    return redact_text(cleaned)


def progress_to_dict(progress: Any) -> dict[str, Any] | None:
    """Spark progress (classic or Connect ``StreamingQueryProgress``, dict, JSON) as a dict."""
    if progress is None:
        return None
    if isinstance(progress, str):
        return dict(json.loads(progress))
    text = getattr(progress, "json", None)
    if isinstance(text, str):
        return dict(json.loads(text))
    return dict(progress)


INPUT_METRIC = "tauro_input"


def input_rows_of(progress: Mapping[str, Any]) -> int:
    """Rows read by the batch: Tauro's observed count when present (Spark reports 0 input rows
    for Python data sources), else Spark's ``numInputRows``."""
    observed = (progress.get("observedMetrics") or {}).get(INPUT_METRIC) or {}
    rows = observed.get("rows") if isinstance(observed, Mapping) else None
    if rows is None:
        rows = progress.get("numInputRows")
    return max(int(rows or 0), 0)


def _is_executed_batch(progress: Mapping[str, Any]) -> bool:
    """False for Spark's idle heartbeat: no input rows and no batch timings."""
    durations = progress.get("durationMs") or {}
    return bool(input_rows_of(progress)) or any(k in durations for k in _BATCH_TIMINGS)


def _trigger_ms(progress: Mapping[str, Any]) -> float | None:
    value = (progress.get("durationMs") or {}).get("triggerExecution")
    return float(value) if isinstance(value, int | float) else None


def _trim(progress: Mapping[str, Any]) -> dict[str, Any]:
    trimmed = {k: progress.get(k) for k in _PROGRESS_FIELDS}
    trimmed["durationMs"] = dict(trimmed["durationMs"] or {})
    return trimmed


class QueryHealthMonitor:
    """Tracks one streaming query's health for its whole life; thread-safe."""

    def __init__(
        self,
        query: Any,
        query_name: str,
        timeout_seconds: float = 300,
        *,
        spike_factor: float = 3.0,
        spike_window: int = 20,
        spike_min_batches: int = 5,
        batch_seconds: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if timeout_seconds <= 0 or spike_factor <= 1 or spike_window < 1 or spike_min_batches < 1:
            raise ValueError(
                "timeout_seconds > 0, spike_factor > 1 and spike_window, spike_min_batches >= 1 are required"
            )
        if batch_seconds is not None and batch_seconds <= 0:
            raise ValueError("batch_seconds (a real-time query's trigger interval) must be > 0")
        self.query = query
        self.query_name = query_name
        self.timeout_seconds = float(timeout_seconds)
        #: A real-time query's batch length; None for micro-batch queries.
        self.batch_seconds = float(batch_seconds) if batch_seconds is not None else None
        self.spike_factor = float(spike_factor)
        self.spike_min_batches = spike_min_batches
        self._clock = clock
        self._lock = threading.Lock()
        self._subscribers: list[Callable[[HealthChange], None]] = []
        self._listener_fed = False
        self._state = HealthState.ACTIVE
        self._message: str | None = None
        self._exception: str | None = None
        self._terminated = False
        self._stopped = False
        self._observed: _Observation | None = None
        self._trigger_active_since: float | None = None
        self._data_waiting_since: float | None = None
        self._batches = 0
        self._input_rows = 0
        self._last_batch_id: int | None = None
        self._last_progress: dict[str, Any] | None = None
        self._seen_progress: deque[tuple[Any, ...]] = deque(maxlen=64)
        self._seen_batches: deque[Any] = deque(maxlen=256)
        self._durations: deque[float] = deque(maxlen=spike_window)
        self._spike: str | None = None
        self._spike_notice: str | None = None

    # -- public API -------------------------------------------------------------------------------
    @property
    def state(self) -> HealthState:
        """The state found by the last check or recorded event (reads nothing from Spark)."""
        with self._lock:
            return self._state

    def check_health(self) -> tuple[bool, str | None]:
        """``(is_healthy, message)``; reads the query, never raises."""
        with self._lock:
            if self._state in TERMINAL:
                return self._state not in UNHEALTHY, self._message
        try:
            observation = self._observe()
        except Exception as exc:
            reason = redact_text(f"{type(exc).__name__}: {exc}")
            logger.warning("Health check of query '{}' failed: {}", self.query_name, reason)
            return True, f"health unknown: could not read query status: {reason}"
        return self._update(lambda now: self._apply(observation, now))

    def record_progress(self, progress: Mapping[str, Any]) -> None:
        """A progress report (Spark's progress as a dict); duplicates are ignored."""
        data = dict(progress)
        self._update(lambda now: self._record_progress(data))

    def record_idle(self) -> None:
        """Spark said the query is idle (alive, waiting for data): resets the stall clock."""
        self._update(lambda now: self._reset_stall_clock())

    def record_terminated(self, exception: str | None) -> None:
        """The query terminated; ``exception`` is Spark's error text (redacted here) or None."""
        text = clean_exception_text(exception) if exception else None
        self._update(lambda now: self._mark_terminated(text))

    def mark_stopped(self) -> None:
        """Tauro stopped the query on purpose: COMPLETED from now on unless it had failed."""

        def stop(now: float) -> None:
            self._stopped = True

        self._update(stop)

    def snapshot(self) -> dict[str, Any]:
        """JSON-able view of the last known health; reads nothing from Spark."""
        with self._lock:
            stalled = self._stalled_for(self._clock()) if self._state is HealthState.STALLED else None
            snap: dict[str, Any] = {
                "state": self._state.value,
                "healthy": self._state not in UNHEALTHY,
                "message": self._message,
                "batches": self._batches,
                "last_batch_id": self._last_batch_id,
                "input_rows": self._input_rows,
                "last_progress": _trim(self._last_progress) if self._last_progress else None,
                "latency_spike": self._spike,
                "stalled_for_seconds": round(stalled, 1) if stalled is not None else None,
            }
            if self._exception is not None:
                snap["exception"] = self._exception
            if self.batch_seconds is not None:
                opened = self._trigger_active_since
                snap["real_time_batch_seconds"] = self.batch_seconds
                snap["batch_open_seconds"] = round(self._clock() - opened, 1) if opened is not None else None
            return snap

    def subscribe(self, callback: Callable[[HealthChange], None]) -> None:
        """Call ``callback`` on each state change or newly flagged spike (outside the lock)."""
        with self._lock:
            self._subscribers.append(callback)

    def unsubscribe(self, callback: Callable[[HealthChange], None]) -> None:
        with self._lock:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

    def set_listener_fed(self, fed: bool = True) -> None:
        """A listener feeds progress: ``check_health`` then skips reading ``lastProgress``."""
        with self._lock:
            self._listener_fed = fed

    # -- reading the query ------------------------------------------------------------------------
    def _observe(self) -> _Observation:
        query = self.query
        with self._lock:
            fed = self._listener_fed
        if not bool(query.isActive):  # read first: exception() is final once inactive
            exc = query.exception()
            text = clean_exception_text(str(exc)) if exc is not None else None
            progress = None if fed else progress_to_dict(query.lastProgress)
            return _Observation(active=False, exception=text, progress=progress)
        status = dict(query.status or {})
        progress = None if fed else progress_to_dict(query.lastProgress)
        return _Observation(
            active=True,
            trigger_active=bool(status.get("isTriggerActive")),
            data_available=bool(status.get("isDataAvailable")),
            status_message=str(status.get("message") or ""),
            progress=progress,
        )

    # -- state updates (called with the lock held) ------------------------------------------------
    def _update(self, change: Callable[[float], None]) -> tuple[bool, str | None]:
        with self._lock:
            now = self._clock()
            old_state = self._state
            change(now)
            notice = self._evaluate(now)
            result = (self._state not in UNHEALTHY, self._message)
            subscribers = list(self._subscribers)
            event = self._change_since(old_state, notice)
        if event is not None:
            self._notify(subscribers, event)
        return result

    def _apply(self, observation: _Observation, now: float) -> None:
        if observation.progress is not None:
            self._record_progress(observation.progress)
        if not observation.active:
            self._mark_terminated(observation.exception)
            return
        self._observed = observation
        if not observation.trigger_active:
            self._trigger_active_since = None
        elif self._trigger_active_since is None:
            self._trigger_active_since = now
        waiting = observation.data_available and not observation.status_message.startswith(
            _WAITING_FOR_TRIGGER
        )
        if not waiting:
            self._data_waiting_since = None
        elif self._data_waiting_since is None:
            self._data_waiting_since = now

    def _mark_terminated(self, exception: str | None) -> None:
        self._terminated = True
        if exception and self._exception is None:
            self._exception = exception

    def _reset_stall_clock(self) -> None:
        self._trigger_active_since = None
        self._data_waiting_since = None

    def _record_progress(self, progress: dict[str, Any]) -> None:
        key = (progress.get("runId"), progress.get("batchId"), progress.get("timestamp"))
        if key in self._seen_progress:
            return
        self._seen_progress.append(key)
        self._reset_stall_clock()
        batch_id = progress.get("batchId")
        if not _is_executed_batch(progress) or batch_id in self._seen_batches:
            return
        self._seen_batches.append(batch_id)
        self._batches += 1
        self._input_rows += input_rows_of(progress)
        duration = _trigger_ms(progress)
        if isinstance(batch_id, int) and (self._last_batch_id is None or batch_id > self._last_batch_id):
            self._last_batch_id = batch_id
            self._last_progress = _trim(progress)
            if duration is not None:
                self._check_spike(batch_id, duration)
        if duration is not None:
            self._durations.append(duration)

    def _check_spike(self, batch_id: int, duration: float) -> None:
        spike = None
        if len(self._durations) >= self.spike_min_batches:
            median = statistics.median(self._durations)
            if median > 0 and duration > self.spike_factor * median:
                spike = (
                    f"latency spike: batch {batch_id} took {duration:.0f} ms, "
                    f"{duration / median:.1f}x the median {median:.0f} ms"
                )
        if spike is not None and self._spike is None:
            self._spike_notice = spike
        self._spike = spike

    def _stalled_for(self, now: float) -> float | None:
        starts = [s for s in (self._trigger_active_since, self._data_waiting_since) if s is not None]
        if not starts:
            return None
        elapsed = now - min(starts)
        return elapsed if elapsed > self._stall_after() else None

    def _stall_after(self) -> float:
        return self.timeout_seconds + (self.batch_seconds or 0.0)

    def _evaluate(self, now: float) -> str | None:
        """Set state and message from what is known; return a newly flagged spike, if any."""
        notice, self._spike_notice = self._spike_notice, None
        if self._exception is not None:
            self._state, self._message = HealthState.FAILED, f"query failed: {self._exception}"
        elif self._terminated or self._stopped:
            self._state = HealthState.COMPLETED
            self._message = "query stopped" if self._stopped else "query completed"
        elif (stalled := self._stalled_for(now)) is not None:
            self._state, self._message = HealthState.STALLED, self._stall_message(stalled)
        else:
            idle = self._observed is not None and not self._observed.data_available
            self._state = HealthState.IDLE if idle else HealthState.ACTIVE
            self._message = self._spike
        return notice if self._state not in UNHEALTHY | TERMINAL else None

    def _stall_message(self, stalled: float) -> str:
        message = f"stalled: no progress for {stalled:.1f}s (timeout: {self.timeout_seconds:g}s)"
        if self.batch_seconds is not None:
            message = (
                f"stalled: real-time batch open for {stalled:.1f}s, longer than its "
                f"{self.batch_seconds:g}s interval plus the {self.timeout_seconds:g}s timeout"
            )
        status = self._observed.status_message if self._observed else ""
        return f"{message}; Spark status: {status}" if status else message

    def _change_since(self, old_state: HealthState, notice: str | None) -> HealthChange | None:
        if old_state is self._state and notice is None:
            return None
        return HealthChange(
            old_state=old_state,
            state=self._state,
            message=self._message,
            spike=notice,
            exception=self._exception,
        )

    def _notify(self, subscribers: list[Callable[[HealthChange], None]], event: HealthChange) -> None:
        for callback in subscribers:
            try:
                callback(event)
            except Exception as exc:
                logger.opt(exception=exc).error("Health subscriber of '{}' raised", self.query_name)
