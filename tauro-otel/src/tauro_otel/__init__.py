"""OpenTelemetry spans for Tauro pipelines: one per micro-batch, and short ones for a run's
start, stop and failure. A no-op until the application (or ``opentelemetry-instrument``)
configures an SDK and an exporter."""

from __future__ import annotations

from tauro_otel.spans import INSTRUMENTATION, use_tracer_provider

__version__ = "0.1.0"
__all__ = ["INSTRUMENTATION", "use_tracer_provider"]
