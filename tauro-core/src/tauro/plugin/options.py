"""Helpers for format validators: collect every problem of a section, read options as Spark does.

Plugin validators (``fn(section, node)``) use ``Findings`` to report all problems of a section
at once, each with its field relative to the section (``options.subscribe``); core reports them
one by one. Spark compares option names case-insensitively, so lookups here do too.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

from tauro.errors import StreamingValidationError


class Findings:
    """Problems and warnings of one section; ``result()`` raises the problems together."""

    def __init__(self) -> None:
        self.problems: list[StreamingValidationError] = []
        self.warnings: list[str] = []

    def error(self, field: str | None, message: str) -> None:
        """Record a problem; ``field`` is relative to the section (``options.subscribe``)."""
        self.problems.append(StreamingValidationError(message, field=field))

    def warn(self, message: str) -> None:
        """Record a warning shown by ``tauro validate``; it does not fail validation."""
        self.warnings.append(message)

    def result(self) -> list[str]:
        """The warnings; raises one ``StreamingValidationError`` carrying every problem."""
        if self.problems:
            first = self.problems[0]
            raise StreamingValidationError(first.message, field=first.field, problems=self.problems)
        return self.warnings


def lower_keys(options: Mapping[str, Any]) -> dict[str, Any]:
    """Options keyed by lower-case name (Spark's options are case-insensitive)."""
    return {str(k).lower(): v for k, v in options.items()}


def find_option(options: Mapping[str, Any], name: str) -> tuple[str, str] | None:
    """(the key as the user spelled it, value as text) of a case-insensitive option, or None."""
    wanted = name.lower()
    for key, value in options.items():
        if str(key).lower() == wanted:
            return str(key), str(value)
    return None


def is_true(options: Mapping[str, Any], name: str) -> bool:
    """Whether a boolean option (a normalized string, or a bool from Python) is true."""
    value = lower_keys(options).get(name.lower())
    return str(value).lower() == "true"


def is_dead_letter(section: Mapping[str, Any], node: Mapping[str, Any]) -> bool:
    """Whether an output section being validated is the node's dead-letter sink."""
    source = node.get("input") or {}
    return source.get("dead_letter") is not None and dict(source["dead_letter"]) == dict(section)


def unknown_options(
    options: Mapping[str, Any], known: Iterable[str], *, cutoff: float = 0.75
) -> list[tuple[str, str | None]]:
    """(key, the closest known name as spelled in ``known`` or None) for every option not in
    ``known``, compared case-insensitively as Spark does."""
    spelled = {name.lower(): name for name in known}
    found: list[tuple[str, str | None]] = []
    for key in options:
        if str(key).lower() in spelled:
            continue
        close = difflib.get_close_matches(str(key).lower(), list(spelled), n=1, cutoff=cutoff)
        found.append((str(key), spelled[close[0]] if close else None))
    return found
