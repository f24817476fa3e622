"""The ``otel`` plugin's hooks: each event becomes a span (a no-op until an SDK is set up)."""

from __future__ import annotations

from tauro.events import (
    PipelineStatusChangedEvent,
    QueryProgressEvent,
    QueryStartedEvent,
    QueryTerminatedEvent,
)
from tauro.plugin import hookimpl
from tauro_otel import spans


@hookimpl
def tauro_on_query_progress(event: QueryProgressEvent) -> None:
    spans.batch_span(event)


@hookimpl
def tauro_after_query_started(event: QueryStartedEvent) -> None:
    spans.query_started_span(event)


@hookimpl
def tauro_after_query_terminated(event: QueryTerminatedEvent) -> None:
    spans.query_ended_span(event)


@hookimpl
def tauro_on_pipeline_status_changed(event: PipelineStatusChangedEvent) -> None:
    spans.pipeline_span(event)
