"""The one format registry: readers, writers and format validators, each with its owner.

Plugins fill it through the registration hooks, which receive the small facades below bound to
the calling plugin, so every entry knows which plugin added it. Two plugins adding one name is a
conflict: the name stays unusable and every use names both plugins.
"""

from __future__ import annotations

import re
import threading
from typing import Any

import attrs
from loguru import logger

from tauro.errors import (
    StreamingFormatNotSupportedError,
    StreamingValidationError,
)
from tauro.plugin.readers import BaseStreamingReader
from tauro.plugin.registration import (
    ROLES,
    ReaderRegistry,
    Role,
    Validator,
    ValidatorRegistry,
    WriterRegistry,
    reader_class_problems,
    writer_class_problems,
)
from tauro.plugin.writers import BaseStreamingWriter

__all__ = [
    "PROGRAMMATIC",
    "FormatRegistry",
    "ReaderRegistry",
    "Registration",
    "Role",
    "Validator",
    "ValidatorRegistration",
    "ValidatorRegistry",
    "WriterRegistry",
]

FORMAT_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
PROGRAMMATIC = "<programmatic>"


@attrs.frozen
class Registration:
    name: str
    target: Any
    plugin: str


@attrs.frozen
class ValidatorRegistration:
    name: str
    function: Validator
    role: Role
    plugin: str


class FormatRegistry:
    """Thread-safe store of readers, writers and validators keyed by format name."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self.readers: dict[str, Registration] = {}
        self.writers: dict[str, Registration] = {}
        self.validators: list[ValidatorRegistration] = []
        # name -> plugins that each tried to own it (kind is "reader" or "writer").
        self.conflicts: dict[tuple[str, str], list[str]] = {}

    # -- adding -------------------------------------------------------------------------------
    def _check_name(self, name: str, plugin: str) -> str:
        if not isinstance(name, str) or not FORMAT_NAME.match(name):
            raise StreamingValidationError(
                f"Plugin '{plugin}' registered format name {name!r}; format names are lower-case "
                "identifiers such as 'kafka' or 'file_stream'.",
                component="FormatRegistry",
                field="format",
            )
        return name

    def _add(self, kind: str, table: dict[str, Registration], reg: Registration) -> None:
        with self._lock:
            existing = table.get(reg.name)
            if reg.plugin == PROGRAMMATIC:
                if existing is not None:
                    logger.warning(
                        "Format '{}' {} from plugin '{}' replaced by a programmatic registration",
                        reg.name,
                        kind,
                        existing.plugin,
                    )
                self.conflicts.pop((kind, reg.name), None)
                table[reg.name] = reg
                return
            if existing is not None and existing.plugin != reg.plugin:
                owners = self.conflicts.setdefault((kind, reg.name), [existing.plugin])
                if reg.plugin not in owners:
                    owners.append(reg.plugin)
                logger.error(
                    "Plugins {} both register {} format '{}'; it is unusable until one is "
                    "disabled (TAURO_DISABLE_PLUGINS)",
                    " and ".join(repr(o) for o in owners),
                    kind,
                    reg.name,
                )
                return
            table[reg.name] = reg

    def add_reader(self, name: str, cls: type, plugin: str) -> None:
        self._check_name(name, plugin)
        if not (isinstance(cls, type) and issubclass(cls, BaseStreamingReader)):
            raise StreamingValidationError(
                f"Plugin '{plugin}' registered {cls!r} as reader '{name}'; readers must subclass "
                "tauro.plugin.BaseStreamingReader.",
                component="FormatRegistry",
            )
        self._check_class(plugin, "reader", name, reader_class_problems(cls))
        self._add("reader", self.readers, Registration(name, cls, plugin))

    def add_writer(self, name: str, cls: type, plugin: str) -> None:
        self._check_name(name, plugin)
        if not (isinstance(cls, type) and issubclass(cls, BaseStreamingWriter)):
            raise StreamingValidationError(
                f"Plugin '{plugin}' registered {cls!r} as writer '{name}'; writers must subclass "
                "tauro.plugin.BaseStreamingWriter.",
                component="FormatRegistry",
            )
        self._check_class(plugin, "writer", name, writer_class_problems(cls))
        self._add("writer", self.writers, Registration(name, cls, plugin))

    @staticmethod
    def _check_class(plugin: str, kind: str, name: str, problems: list[str]) -> None:
        if problems:
            raise StreamingValidationError(
                f"Plugin '{plugin}' registered {kind} '{name}' with malformed class attributes: "
                + "; ".join(problems),
                component="FormatRegistry",
                field=problems[0].split(" ", 1)[0],
            )

    def add_validator(self, name: str, fn: Validator, role: str, plugin: str) -> None:
        self._check_name(name, plugin)
        if role not in ROLES:
            raise StreamingValidationError(
                f"Plugin '{plugin}' registered a validator for '{name}' with role {role!r}; "
                "use 'input', 'output' or 'both'.",
                component="FormatRegistry",
            )
        if not callable(fn):
            raise StreamingValidationError(
                f"Plugin '{plugin}' registered a validator for '{name}' that is not callable.",
                component="FormatRegistry",
            )
        with self._lock:
            self.validators.append(ValidatorRegistration(name, fn, role, plugin))  # type: ignore[arg-type]

    def remove_plugin(self, plugin: str) -> None:
        """Forget everything ``plugin`` registered (used when it fails or is unregistered)."""
        with self._lock:
            for table in (self.readers, self.writers):
                for name in [n for n, r in table.items() if r.plugin == plugin]:
                    del table[name]
            self.validators = [v for v in self.validators if v.plugin != plugin]
            for key, owners in list(self.conflicts.items()):
                if plugin in owners:
                    owners.remove(plugin)
                    if len(owners) <= 1:
                        del self.conflicts[key]

    # -- lookup -------------------------------------------------------------------------------
    def _get(self, kind: str, table: dict[str, Registration], name: str) -> Registration:
        with self._lock:
            owners = self.conflicts.get((kind, name))
            if owners:
                raise StreamingFormatNotSupportedError(
                    f"Format '{name}' is registered as a {kind} by several plugins "
                    f"({', '.join(repr(o) for o in owners)}); disable all but one with "
                    f"TAURO_DISABLE_PLUGINS.",
                    field="format",
                    actual=name,
                    component="FormatRegistry",
                )
            reg = table.get(name)
        if reg is None:
            known = ", ".join(sorted(table)) or "none"
            raise StreamingFormatNotSupportedError(
                f"No {kind} is registered for format '{name}'. Known {kind}s: {known}. "
                f"Install the plugin that provides it (e.g. 'pip install tauro-{name.split('_')[0]}') "
                f"or check the spelling.",
                field="format",
                expected=known,
                actual=name,
                component="FormatRegistry",
            )
        return reg

    def reader(self, name: str) -> Registration:
        return self._get("reader", self.readers, name)

    def writer(self, name: str) -> Registration:
        return self._get("writer", self.writers, name)

    def validators_for(self, name: str, role: str) -> list[ValidatorRegistration]:
        with self._lock:
            return [v for v in self.validators if v.name == name and v.role in (role, "both")]

    def reader_names(self) -> list[str]:
        with self._lock:
            return sorted(self.readers)

    def writer_names(self) -> list[str]:
        with self._lock:
            return sorted(self.writers)

    def formats_of(self, plugin: str) -> dict[str, list[str]]:
        with self._lock:
            return {
                "readers": sorted(n for n, r in self.readers.items() if r.plugin == plugin),
                "writers": sorted(n for n, r in self.writers.items() if r.plugin == plugin),
                "validators": sorted({f"{v.name}:{v.role}" for v in self.validators if v.plugin == plugin}),
            }
