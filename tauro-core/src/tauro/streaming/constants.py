"""Format, trigger and output-mode names, defaults, and the format-config view of the registry."""

from __future__ import annotations

import threading
from collections.abc import Iterator, MutableMapping
from typing import Any

from tauro.config.names import (
    BOUNDED_TRIGGERS,
    DEFAULT_STREAMING_CONFIG,
    MAX_TRIGGER_SECONDS,
    StreamingFormat,
    StreamingOutputMode,
    StreamingTrigger,
)
from tauro.plugins import get_registry

__all__ = [
    "BOUNDED_TRIGGERS",
    "DEFAULT_HEALTH_TIMEOUT_SECONDS",
    "DEFAULT_MONITOR_INTERVAL_SECONDS",
    "DEFAULT_STREAMING_CONFIG",
    "MAX_TRIGGER_SECONDS",
    "STREAMING_FORMAT_CONFIGS",
    "FormatConfigView",
    "StreamingFormat",
    "StreamingOutputMode",
    "StreamingTrigger",
]

DEFAULT_HEALTH_TIMEOUT_SECONDS = 300.0
DEFAULT_MONITOR_INTERVAL_SECONDS = 5.0


class FormatConfigView(MutableMapping[str, dict[str, Any]]):
    """``STREAMING_FORMAT_CONFIGS``: built from the registry on every read.

    Entries a user sets (``STREAMING_FORMAT_CONFIGS["x"] = {"required_options": [...]}``) are
    kept as overrides and enforced by validation, as the seed's extension guide promises.
    """

    def __init__(self) -> None:
        self._overrides: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def _from_registry(self, name: str) -> dict[str, Any] | None:
        registry = get_registry()
        classes = [t[name].target for t in (registry.readers, registry.writers) if name in t]
        if not classes:
            return None
        required: list[str] = []
        optional: dict[str, Any] = {}
        for cls in classes:
            required += [o for o in cls.required_options if o not in required]
            optional.update(cls.optional_options)
        return {
            "required_options": required,
            "optional_options": optional,
            "reader": name in registry.readers,
            "writer": name in registry.writers,
        }

    def __getitem__(self, name: str) -> dict[str, Any]:
        with self._lock:
            if name in self._overrides:
                return self._overrides[name]
        built = self._from_registry(name)
        if built is None:
            raise KeyError(name)
        return built

    def __setitem__(self, name: str, value: dict[str, Any]) -> None:
        with self._lock:
            self._overrides[name] = dict(value)

    def __delitem__(self, name: str) -> None:
        with self._lock:
            del self._overrides[name]

    def _names(self) -> list[str]:
        registry = get_registry()
        with self._lock:
            overrides = list(self._overrides)
        return sorted({*registry.reader_names(), *registry.writer_names(), *overrides})

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())

    def required_options(self, name: str) -> list[str]:
        try:
            return list(self[name].get("required_options") or [])
        except KeyError:
            return []


STREAMING_FORMAT_CONFIGS = FormatConfigView()
