"""``${VAR}`` and ``${VAR:-default}`` interpolation over a configuration tree.

Values come from ``variables`` first (objects allowed: a string that is exactly ``${NAME}``
becomes the object itself, e.g. a ``StructType``), then the environment. ``$${`` escapes.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

_PATTERN = re.compile(r"\$\$\{|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\}")
_WHOLE = re.compile(r"^\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\}$")


class InterpolationError(ValueError):
    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path = path


def _lookup(name: str, default: str | None, variables: Mapping[str, Any], path: str) -> Any:
    if name in variables:
        return variables[name]
    if name in os.environ:
        return os.environ[name]
    if default is not None:
        return default
    raise InterpolationError(
        path,
        f"variable ${{{name}}} is not set; export {name}=..., pass it in variables, "
        f"or give a default with ${{{name}:-value}}",
    )


def interpolate(
    value: Any,
    variables: Mapping[str, Any] | None = None,
    path: str = "",
    errors: list[InterpolationError] | None = None,
) -> Any:
    """Return a copy of ``value`` with variables substituted in every string.

    With ``errors`` given, unset variables are appended to it (every one is reported) and the
    string is left as it was; without, the first one raises ``InterpolationError``.
    """
    variables = variables or {}
    if isinstance(value, str) and errors is not None:
        try:
            return interpolate(value, variables, path)
        except InterpolationError as exc:
            errors.append(exc)
            return value
    if isinstance(value, str):
        if "$" not in value:
            return value
        whole = _WHOLE.match(value)
        if whole:
            return _lookup(whole["name"], whole["default"], variables, path)

        def replace(match: re.Match[str]) -> str:
            if match.group(0) == "$${":
                return "${"
            return str(_lookup(match["name"], match["default"], variables, path))

        return _PATTERN.sub(replace, value)
    if isinstance(value, Mapping):
        return {k: interpolate(v, variables, _join(path, str(k)), errors) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, variables, f"{path}[{i}]", errors) for i, v in enumerate(value)]
    return value


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
