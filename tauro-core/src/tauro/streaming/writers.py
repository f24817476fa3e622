"""The seed's writer module: the base class (from ``tauro.plugin``) and the factory over the
registry of plugin writers."""

from __future__ import annotations

from tauro.plugin.context import ContextLike
from tauro.plugin.writers import RESERVED_KEYWORDS, BaseStreamingWriter, apply_trigger
from tauro.plugins import get_registry
from tauro.registry import PROGRAMMATIC

__all__ = [
    "RESERVED_KEYWORDS",
    "BaseStreamingWriter",
    "StreamingWriterFactory",
    "apply_trigger",
]


class StreamingWriterFactory:
    """Create writers by format name from the plugin registry."""

    @staticmethod
    def register(name: str, writer_cls: type[BaseStreamingWriter]) -> None:
        get_registry().add_writer(name, writer_cls, PROGRAMMATIC)

    @staticmethod
    def create(sink_format: str, context: ContextLike) -> BaseStreamingWriter:
        cls = get_registry().writer(str(sink_format).lower()).target
        writer: BaseStreamingWriter = cls(context)
        return writer

    @staticmethod
    def get_writer_class(sink_format: str) -> type[BaseStreamingWriter]:
        cls: type[BaseStreamingWriter] = get_registry().writer(str(sink_format).lower()).target
        return cls

    @staticmethod
    def list_formats() -> list[str]:
        return get_registry().writer_names()
