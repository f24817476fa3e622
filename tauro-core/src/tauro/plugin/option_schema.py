"""JSON Schema fragments for a format's ``options``: what ``tauro schema`` gives editors.

A reader or writer class describes its options in ``options_schema``, a JSON Schema (draft
2020-12) object for the section's ``options`` mapping; these helpers build one. Each option
accepts the spellings Tauro accepts: YAML scalars become strings for Spark, so a boolean option
takes ``true`` or ``"true"``, a number ``5`` or ``"5"``, and any scalar may be a ``${VAR}``
reference (interpolated before validation). Spark compares option names case-insensitively; the
properties use the documented spelling, and ``closed`` options accept any casing of a known name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

#: A string holding a ``${VAR}`` or ``${VAR:-default}`` reference.
INTERPOLATED: dict[str, Any] = {"type": "string", "pattern": r"\$\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\}"}
#: What an option that is not structured may hold.
SCALAR: dict[str, Any] = {"type": ["string", "number", "boolean"]}


def any_case(text: str) -> str:
    """A regular expression matching ``text`` in any letter case (JSON Schema has no ``(?i)``)."""
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in text)


def _option(description: str, forms: list[dict[str, Any]], default: Any = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"description": description, "anyOf": [*forms, INTERPOLATED]}
    if default is not None:
        schema["default"] = default
    return schema


def text_option(
    description: str, *, default: str | None = None, choices: Iterable[str] = (), pattern: str | None = None
) -> dict[str, Any]:
    """A text option; ``choices`` are matched in any case, as Spark does."""
    names = list(choices)
    forms: list[dict[str, Any]]
    if names:
        alternatives = "|".join(any_case(name) for name in names)
        forms = [{"enum": names}, {"type": "string", "pattern": rf"^\s*(?:{alternatives})\s*$"}]
    elif pattern is not None:
        forms = [{"type": "string", "pattern": pattern}]
    else:
        forms = [SCALAR]
    return _option(description, forms, default)


def bool_option(description: str, *, default: bool | None = None) -> dict[str, Any]:
    """``true`` / ``false``, as a YAML boolean or text in any case."""
    text = {"type": "string", "pattern": rf"^\s*(?:{any_case('true')}|{any_case('false')})\s*$"}
    return _option(description, [{"type": "boolean"}, text], default)


def int_option(
    description: str, *, minimum: int = 0, maximum: int | None = None, default: int | None = None
) -> dict[str, Any]:
    """A whole number >= ``minimum`` (0 or 1), as a YAML number or digits."""
    number: dict[str, Any] = {"type": "integer", "minimum": minimum}
    if maximum is not None:
        number["maximum"] = maximum
    digits = r"^\s*0*[1-9][0-9]*\s*$" if minimum >= 1 else r"^\s*[0-9]+\s*$"
    return _option(description, [number, {"type": "string", "pattern": digits}], default)


def structured_option(description: str, *, default: Any = None) -> dict[str, Any]:
    """A list or mapping (only for options the class lists in ``structured_options``), or text."""
    schema: dict[str, Any] = {
        "description": description,
        "type": ["array", "object", "string", "number", "boolean"],
    }
    if default is not None:
        schema["default"] = default
    return schema


def options_object(
    properties: Mapping[str, Mapping[str, Any]],
    *,
    required: Iterable[str] = (),
    closed: bool = False,
    open_prefixes: Iterable[str] = (),
    description: str | None = None,
) -> dict[str, Any]:
    """The schema of an ``options`` mapping.

    ``closed``: an option that is not in ``properties`` (in any case) is an error, as the
    format's validator reports it; names starting with one of ``open_prefixes`` (``kafka.``)
    pass. Open options accept any other scalar option Spark may know.
    """
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {name: dict(value) for name, value in properties.items()},
        "additionalProperties": {"anyOf": [SCALAR, INTERPOLATED]},
    }
    if description:
        schema["description"] = description
    names = list(required)
    if names:
        schema["required"] = names
    if closed:
        alternatives = [any_case(name) for name in properties] + [f"{any_case(p)}.*" for p in open_prefixes]
        schema["propertyNames"] = {"pattern": f"^(?:{'|'.join(alternatives)})$"}
    return schema


def derived_options_schema(
    required: Iterable[str], optional: Mapping[str, Any], structured: Iterable[str] = ()
) -> dict[str, Any]:
    """The schema of a class that declares no ``options_schema``: its ``required_options`` and
    ``optional_options`` (defaults shown), any other scalar option allowed."""
    nested = set(structured)
    properties: dict[str, dict[str, Any]] = {}
    for name in [*required, *optional]:
        default = optional.get(name)
        text = f"default: {default}" if default is not None else "option of this format"
        properties[name] = structured_option(text) if name in nested else text_option(text)
    return options_object(properties, required=required)
