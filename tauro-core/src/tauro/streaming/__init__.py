"""The seed's public streaming API: ``from tauro.streaming import ...``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = [
    "QueryHealthMonitor",
    "StreamingPipelineManager",
    "StreamingQueryManager",
    "StreamingReaderFactory",
    "StreamingValidator",
    "StreamingWriterFactory",
    "TransformationRegistry",
]

_LAZY = {
    "QueryHealthMonitor": "tauro.streaming.health",
    "StreamingPipelineManager": "tauro.streaming.pipeline_manager",
    "StreamingQueryManager": "tauro.streaming.query_manager",
    "StreamingReaderFactory": "tauro.streaming.readers",
    "StreamingWriterFactory": "tauro.streaming.writers",
    "StreamingValidator": "tauro.streaming.validators",
    "TransformationRegistry": "tauro.streaming.transformations",
}

if TYPE_CHECKING:
    from tauro.streaming.health import QueryHealthMonitor
    from tauro.streaming.pipeline_manager import StreamingPipelineManager
    from tauro.streaming.query_manager import StreamingQueryManager
    from tauro.streaming.readers import StreamingReaderFactory
    from tauro.streaming.transformations import TransformationRegistry
    from tauro.streaming.validators import StreamingValidator
    from tauro.streaming.writers import StreamingWriterFactory


def __getattr__(name: str) -> Any:
    # Lazy so that ``import tauro.streaming.constants`` never pays for the managers.
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(name)
