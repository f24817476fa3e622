"""Spans from Tauro's events: one per micro-batch (recorded when Spark reports the batch, with
the batch's own start and duration), and short ones for a run's start, stop and failure."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import Status, StatusCode, TracerProvider

from tauro.events import (
    PipelineStatusChangedEvent,
    QueryEvent,
    QueryProgressEvent,
    QueryStartedEvent,
    QueryTerminatedEvent,
)

INSTRUMENTATION = "tauro_otel"
_provider: TracerProvider | None = None
#: Spark's progress timings present only for a batch that ran (not for an idle heartbeat).
_BATCH_TIMINGS = ("addBatch", "walCommit")


def use_tracer_provider(provider: TracerProvider | None) -> None:
    """Record Tauro's spans with ``provider`` instead of OpenTelemetry's global one (``None``:
    the global one again)."""
    global _provider
    _provider = provider


def _tracer() -> trace.Tracer:
    return trace.get_tracer(INSTRUMENTATION, tracer_provider=_provider)


def _query_attributes(event: QueryEvent) -> dict[str, Any]:
    found = {
        "tauro.pipeline": event.pipeline_name,
        "tauro.node": event.node_name,
        "tauro.execution_id": event.execution_id,
        "tauro.query_name": event.query_name,
        "tauro.query_id": event.query_id,
    }
    return {k: v for k, v in found.items() if v is not None}


def _nanos(seconds: float) -> int:
    return int(seconds * 1_000_000_000)


def _batch_start(progress: Any, fallback: float) -> float:
    text = progress.get("timestamp")
    if isinstance(text, str):
        try:
            return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
        except ValueError:
            pass
    return fallback


def batch_span(event: QueryProgressEvent) -> None:
    progress = event.progress
    durations = progress.get("durationMs") or {}
    if not event.input_rows and not any(k in durations for k in _BATCH_TIMINGS):
        return  # an idle heartbeat, not a batch
    seconds = event.batch_seconds or 0.0
    start = _batch_start(progress, event.timestamp - seconds)
    attributes: dict[str, Any] = {
        **_query_attributes(event),
        "tauro.batch_id": event.batch_id if event.batch_id is not None else -1,
        "tauro.input_rows": event.input_rows,
        "tauro.dead_letters": event.dead_letters,
        "tauro.outcome": "ok",
    }
    rate = progress.get("processedRowsPerSecond")
    if rate is not None:
        attributes["tauro.processed_rows_per_second"] = float(rate)
    failed = sum(int(c.get("failed") or 0) for c in event.expectations.values())
    if event.expectations:
        attributes["tauro.expectation_failed_rows"] = failed
    span = _tracer().start_span("tauro.batch", start_time=_nanos(start), attributes=attributes)
    span.end(end_time=_nanos(start + seconds))


def query_started_span(event: QueryStartedEvent) -> None:
    _instant("tauro.query.start", event.timestamp, _query_attributes(event))


def query_ended_span(event: QueryTerminatedEvent) -> None:
    attributes = {**_query_attributes(event), "tauro.outcome": "failed" if event.exception else "stopped"}
    if event.exception is None:
        _instant("tauro.query.stop", event.timestamp, attributes)
    else:
        _instant("tauro.query.failure", event.timestamp, attributes, error=event.exception)


#: Pipeline statuses that are worth a span: the run's start, its end, and its failure.
_RUN_SPANS = {
    "starting": "tauro.run.start",
    "completed": "tauro.run.stop",
    "stopped": "tauro.run.stop",
    "error": "tauro.run.failure",
}


def pipeline_span(event: PipelineStatusChangedEvent) -> None:
    name = _RUN_SPANS.get(event.new_status)
    if name is None or event.old_status == event.new_status:
        return
    attributes: dict[str, Any] = {
        "tauro.pipeline": event.pipeline_name,
        "tauro.execution_id": event.execution_id,
        "tauro.status": event.new_status,
    }
    if event.failed_nodes:
        attributes["tauro.failed_nodes"] = list(event.failed_nodes)
    error = (event.error or "pipeline failed") if event.new_status == "error" else None
    _instant(name, event.timestamp, attributes, error=error)


def _instant(name: str, at: float, attributes: dict[str, Any], *, error: str | None = None) -> None:
    """A span of (almost) no length at ``at``: a moment of a run, not the run itself."""
    span = _tracer().start_span(name, start_time=_nanos(at), attributes=attributes)
    if error is not None:
        span.set_status(Status(StatusCode.ERROR, error.splitlines()[0] if error else None))
        span.add_event("exception", {"exception.message": error}, timestamp=_nanos(at))
    span.end(end_time=_nanos(at))
