"""The one private cattrs converter, and the translation of its errors into paths and hints.

Errors never escape as cattrs traces: ``structure_with_problems`` returns ``(value, problems)``
where each problem is a ``(path, message)`` pair such as
``("nodes[1].input.fromat", "unknown key 'fromat'; did you mean 'format'?")``.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.errors import (
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
)
from cattrs.gen import make_dict_structure_fn

from tauro.config import models
from tauro.config.models import FunctionConfig

T = TypeVar("T")
Problem = tuple[str, str]


def _type_name(value: Any) -> str:
    return {
        dict: "mapping",
        list: "list",
        str: "string",
        bool: "boolean",
        int: "integer",
        float: "number",
        type(None): "null",
    }.get(type(value), type(value).__name__)


def _strict_str(value: Any, _: Any) -> str:
    if isinstance(value, str):
        return value
    raise TypeError(f"expected a string, got {_type_name(value)} {value!r}")


def _strict_bool(value: Any, _: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise TypeError(f"expected true or false, got {_type_name(value)} {value!r}")


def _strict_int(value: Any, _: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise TypeError(f"expected an integer, got {_type_name(value)} {value!r}")


def _strict_float(value: Any, _: Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise TypeError(f"expected a number, got {_type_name(value)} {value!r}")


def _mapping(value: Any, _: Any) -> dict[str, Any]:
    if isinstance(value, Mapping):
        return {str(k): v for k, v in value.items()}
    raise TypeError(f"expected a mapping of keys to values, got {_type_name(value)} {value!r}")


def _str_tuple(value: Any, _: Any) -> tuple[str, ...]:
    # A single name is accepted where a list of names is expected (depends_on: bronze).
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list | tuple):
        bad = [v for v in value if not isinstance(v, str)]
        if bad:
            raise TypeError(f"expected a list of strings, found {_type_name(bad[0])} {bad[0]!r}")
        return tuple(value)
    raise TypeError(f"expected a list of strings, got {_type_name(value)} {value!r}")


def _callable_or_function(value: Any, _: Any) -> Any:
    """``function`` / ``transforms`` entries: a callable, a registered key, or a mapping."""
    if value is None or callable(value):
        return value
    if isinstance(value, str):
        return FunctionConfig(key=value)
    if isinstance(value, Mapping):
        return _converter.structure(value, FunctionConfig)
    raise TypeError(
        f"expected a registered transformation key, a mapping with 'key' (and 'params'), or a "
        f"callable; got {_type_name(value)} {value!r}"
    )


def _transforms(value: Any, _: Any) -> tuple[Any, ...]:
    if value is None:
        return ()
    if not isinstance(value, list | tuple):
        value = [value]
    return tuple(_callable_or_function(v, None) for v in value)


def _attrs_factory(cls: type) -> Callable[[Any, Any], Any]:
    inner: Callable[[Any, Any], Any] = make_dict_structure_fn(cls, _converter, _cattrs_forbid_extra_keys=True)

    def structure(value: Any, _: Any) -> Any:
        if not isinstance(value, Mapping):
            raise TypeError(f"expected a mapping, got {_type_name(value)} {value!r}")
        return inner(value, cls)

    return structure


_converter = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
_converter.register_structure_hook(str, _strict_str)
_converter.register_structure_hook(bool, _strict_bool)
_converter.register_structure_hook(int, _strict_int)
_converter.register_structure_hook(float, _strict_float)
_converter.register_structure_hook_func(lambda t: t == Mapping[str, Any], _mapping)
_converter.register_structure_hook_func(lambda t: t == tuple[str, ...], _str_tuple)
_converter.register_structure_hook_factory(attrs.has, _attrs_factory)


def _register_special_fields() -> None:
    # Field-level hooks: ``function`` and ``transforms`` of a node accept callables too.
    node_hook = make_dict_structure_fn(
        models.NodeConfig,
        _converter,
        _cattrs_forbid_extra_keys=True,
        function=cattrs.gen.override(struct_hook=_callable_or_function),
        transforms=cattrs.gen.override(struct_hook=_transforms),
    )

    def structure_node(value: Any, _: Any) -> models.NodeConfig:
        if not isinstance(value, Mapping):
            raise TypeError(f"expected a node mapping, got {_type_name(value)} {value!r}")
        node: models.NodeConfig = node_hook(value, models.NodeConfig)
        return node

    _converter.register_structure_hook(models.NodeConfig, structure_node)


_register_special_fields()


def _walk(exc: BaseException, path: str) -> Iterator[tuple[str, BaseException]]:
    if isinstance(exc, ClassValidationError):
        attribute_errors, others = exc.group_exceptions()
        for error, attribute in attribute_errors:
            yield from _walk(error, _join(path, attribute.name))
        for other in others:
            yield from _walk(other, path)
    elif isinstance(exc, IterableValidationError):
        item_errors, rest = exc.group_exceptions()
        for failure, item in item_errors:
            yield from _walk(failure, f"{path}[{item.index}]")
        for remaining in rest:
            yield from _walk(remaining, path)
    elif isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            yield from _walk(inner, path)
    else:
        yield path, exc


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def did_you_mean(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    # Ends a sentence either way, so callers can continue with the next one.
    return f"; did you mean '{close[0]}'?" if close else "."


def _describe(path: str, exc: BaseException) -> list[Problem]:
    if isinstance(exc, ForbiddenExtraKeysError):
        allowed = sorted(f.name for f in attrs.fields(exc.cl))
        return [
            (
                _join(path, key),
                f"unknown key '{key}'{did_you_mean(key, allowed)} Allowed keys here: "
                f"{', '.join(allowed)}. Format-specific settings go under 'options'.",
            )
            for key in sorted(exc.extra_fields)
        ]
    if isinstance(exc, KeyError):
        return [(path, "is required but missing")]
    message = str(exc) or type(exc).__name__
    return [(path, message)]


def structure_with_problems(value: Any, cls: type[T], path: str = "") -> tuple[T | None, list[Problem]]:
    """Structure ``value`` into ``cls``; never raises for bad input, returns the problems."""
    try:
        return _converter.structure(value, cls), []
    except Exception as exc:
        problems: list[Problem] = []
        for where, inner in _walk(exc, path):
            problems.extend(_describe(where, inner))
        return None, problems


def unstructure(value: Any) -> Any:
    return _converter.unstructure(value)
