"""The seed's reader module: the base class (from ``tauro.plugin``) and the factory over the
registry of plugin readers."""

from __future__ import annotations

from tauro.plugin.context import ContextLike
from tauro.plugin.readers import BaseStreamingReader
from tauro.plugins import get_registry
from tauro.registry import PROGRAMMATIC

__all__ = ["BaseStreamingReader", "StreamingReaderFactory"]


class StreamingReaderFactory:
    """Create readers by format name from the plugin registry."""

    @staticmethod
    def register(name: str, reader_cls: type[BaseStreamingReader]) -> None:
        """Register (or replace, with a warning) a reader from Python code."""
        get_registry().add_reader(name, reader_cls, PROGRAMMATIC)

    @staticmethod
    def create(format: str, context: ContextLike) -> BaseStreamingReader:
        cls = get_registry().reader(str(format).lower()).target
        reader: BaseStreamingReader = cls(context)
        return reader

    @staticmethod
    def get_reader_class(format: str) -> type[BaseStreamingReader]:
        cls: type[BaseStreamingReader] = get_registry().reader(str(format).lower()).target
        return cls

    @staticmethod
    def list_formats() -> list[str]:
        return get_registry().reader_names()
