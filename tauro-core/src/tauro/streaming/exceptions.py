"""The seed's exception names; they live in ``tauro.errors`` (import them from there)."""

from __future__ import annotations

from tauro.errors import (
    CONTEXT_KEYS,
    StreamingError,
    StreamingFormatNotSupportedError,
    StreamingPipelineError,
    StreamingPipelineValidationError,
    StreamingQueryError,
    StreamingValidationError,
    TauroError,
    create_error_context,
    handle_streaming_error,
    summarize_problems,
)

__all__ = [
    "CONTEXT_KEYS",
    "StreamingError",
    "StreamingFormatNotSupportedError",
    "StreamingPipelineError",
    "StreamingPipelineValidationError",
    "StreamingQueryError",
    "StreamingValidationError",
    "TauroError",
    "create_error_context",
    "handle_streaming_error",
    "summarize_problems",
]
