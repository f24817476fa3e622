"""What the registration hooks receive, and the load-time check of a plugin's classes.

``tauro_register_readers(registry)`` gets a ``ReaderRegistry`` bound to the calling plugin (and
likewise for writers and validators), so every entry knows which plugin added it. The classes a
plugin registers are checked here, when the plugin loads: a malformed class attribute (say
``optional_options`` given as a tuple) fails the plugin with a message naming the attribute,
instead of a traceback later in validation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal, Protocol

from tauro.plugin.readers import BaseStreamingReader
from tauro.plugin.writers import BaseStreamingWriter

Role = Literal["input", "output", "both"]
#: ``fn(section, node) -> None | Iterable[str]``: raise StreamingValidationError, return warnings.
Validator = Callable[[Mapping[str, Any], Mapping[str, Any]], Iterable[str] | None]
ROLES: tuple[Role, ...] = ("input", "output", "both")
OUTPUT_MODES = frozenset({"append", "complete", "update"})


class RegistryStore(Protocol):
    """The store the facades write to (``tauro.registry.FormatRegistry``)."""

    def add_reader(self, name: str, cls: type, plugin: str) -> None: ...

    def add_writer(self, name: str, cls: type, plugin: str) -> None: ...

    def add_validator(self, name: str, fn: Validator, role: str, plugin: str) -> None: ...


class _PluginBound:
    def __init__(self, registry: RegistryStore, plugin: str) -> None:
        self._registry = registry
        self.plugin = plugin

    def __repr__(self) -> str:
        return f"{type(self).__name__}(plugin={self.plugin!r})"


class ReaderRegistry(_PluginBound):
    """Passed to ``tauro_register_readers``."""

    def add(self, name: str, reader_cls: type[BaseStreamingReader]) -> None:
        """Register ``reader_cls`` (a ``BaseStreamingReader`` subclass) as format ``name``."""
        self._registry.add_reader(name, reader_cls, self.plugin)


class WriterRegistry(_PluginBound):
    """Passed to ``tauro_register_writers``."""

    def add(self, name: str, writer_cls: type[BaseStreamingWriter]) -> None:
        """Register ``writer_cls`` (a ``BaseStreamingWriter`` subclass) as format ``name``."""
        self._registry.add_writer(name, writer_cls, self.plugin)


class ValidatorRegistry(_PluginBound):
    """Passed to ``tauro_register_format_validators``."""

    def add(self, name: str, validator: Validator, role: Role = "both") -> None:
        """Register ``validator`` for format ``name`` as an ``input``, ``output`` or ``both``."""
        self._registry.add_validator(name, validator, role, self.plugin)


# -- class checks ---------------------------------------------------------------------------------
def _is_str_collection(value: Any) -> bool:
    return isinstance(value, (tuple, list, set, frozenset)) and all(isinstance(item, str) for item in value)


def _optional_str(value: Any) -> str | None:
    return None if value is None or isinstance(value, str) else "a string or None"


def _str_collection(value: Any) -> str | None:
    return None if _is_str_collection(value) else "a tuple of option names (strings)"


def _mapping(value: Any) -> str | None:
    return None if isinstance(value, Mapping) else "a dict of option name to default (or None)"


def _options_schema(value: Any) -> str | None:
    if value is None or (isinstance(value, Mapping) and value.get("type") == "object"):
        return None
    return "None or a JSON Schema mapping with type 'object' (see tauro.plugin.options_object)"


def _bool(value: Any) -> str | None:
    return None if isinstance(value, bool) else "True or False"


def _output_modes(value: Any) -> str | None:
    if value is None or (_is_str_collection(value) and set(value) <= OUTPUT_MODES):
        return None
    return "None or a frozenset of 'append', 'complete', 'update'"


_COMMON: dict[str, Callable[[Any], str | None]] = {
    "spark_format": _optional_str,
    "structured_options": _str_collection,
    "required_options": _str_collection,
    "optional_options": _mapping,
    "options_schema": _options_schema,
    "requires_path": _bool,
    "supports_real_time": _bool,
}
_READER: dict[str, Callable[[Any], str | None]] = {
    **_COMMON,
    "payload_column": _optional_str,
    "metadata_columns": _str_collection,
    "requires_schema": _bool,
    "spark_counts_rows": _bool,
    "dev_only": _bool,
}
_WRITER: dict[str, Callable[[Any], str | None]] = {
    **_COMMON,
    "supported_output_modes": _output_modes,
}
_READER_METHODS = ("read", "preflight", "parse_keep_columns", "source_partitions", "connect_refusal")
_WRITER_METHODS = (
    "write",
    "configure",
    "start",
    "write_batch",
    "preflight",
    "check_schema",
    "connect_refusal",
)


def _problems(
    cls: type, checks: Mapping[str, Callable[[Any], str | None]], methods: Iterable[str]
) -> list[str]:
    found = []
    for attribute, check in checks.items():
        value = getattr(cls, attribute)
        expected = check(value)
        if expected is not None:
            found.append(f"{cls.__name__}.{attribute} is {value!r}; it must be {expected}")
    for method in methods:
        if not callable(getattr(cls, method)):
            found.append(f"{cls.__name__}.{method} must be a method")
    return found


def reader_class_problems(cls: type[BaseStreamingReader]) -> list[str]:
    """What is wrong with a reader class's declared attributes ([] when nothing)."""
    return _problems(cls, _READER, _READER_METHODS)


def writer_class_problems(cls: type[BaseStreamingWriter]) -> list[str]:
    """What is wrong with a writer class's declared attributes ([] when nothing)."""
    return _problems(cls, _WRITER, _WRITER_METHODS)
