"""Whitelist registry of transformations, and the one place dynamic imports are gated.

``function: {key, params}`` and ``transforms`` entries resolve here. ``module``/``function``
imports happen only when ``STREAMING_UNSAFE_IMPORT=true``, everywhere consistently (the query
manager and foreachBatch targets both come through ``resolve_callable``).
"""

from __future__ import annotations

import importlib
import inspect
import os
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from tauro.config.converter import did_you_mean
from tauro.config.models import FunctionConfig
from tauro.errors import StreamingValidationError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

UNSAFE_IMPORT_ENV = "STREAMING_UNSAFE_IMPORT"


def unsafe_import_enabled() -> bool:
    return os.environ.get(UNSAFE_IMPORT_ENV, "").strip().lower() in ("1", "true", "yes")


class TransformationRegistry:
    """Process-wide, thread-safe map of transformation keys to callables."""

    _functions: ClassVar[dict[str, Callable[..., Any]]] = {}
    _lock: ClassVar[threading.RLock] = threading.RLock()

    @classmethod
    def register(cls, key: str, function: Callable[..., Any], *, replace: bool = True) -> None:
        if not isinstance(key, str) or not key.strip():
            raise StreamingValidationError(
                "A transformation key must be a non-empty string.",
                field="function.key",
                actual=repr(key),
                component="TransformationRegistry",
            )
        if not callable(function):
            raise StreamingValidationError(
                f"Transformation '{key}' must be callable, got {type(function).__name__}.",
                field="function.key",
                component="TransformationRegistry",
            )
        with cls._lock:
            if not replace and key in cls._functions:
                raise StreamingValidationError(
                    f"Transformation '{key}' is already registered.",
                    field="function.key",
                    component="TransformationRegistry",
                )
            cls._functions[key] = function

    @classmethod
    def unregister(cls, key: str) -> bool:
        with cls._lock:
            return cls._functions.pop(key, None) is not None

    @classmethod
    def get(cls, key: str) -> Callable[..., Any]:
        with cls._lock:
            function = cls._functions.get(key)
            known = sorted(cls._functions)
        if function is None:
            raise StreamingValidationError(
                f"Transformation '{key}' is not registered{did_you_mean(key, known)} Register it "
                f"at startup with TransformationRegistry.register('{key}', fn). Registered: "
                f"{', '.join(known) or 'none'}.",
                field="function.key",
                actual=key,
                expected=known,
                component="TransformationRegistry",
            )
        return function

    @classmethod
    def contains(cls, key: str) -> bool:
        with cls._lock:
            return key in cls._functions

    @classmethod
    def list_transformations(cls) -> list[str]:
        with cls._lock:
            return sorted(cls._functions)

    @classmethod
    def modules(cls) -> list[str]:
        """The modules the registered transformations come from (shipped to a cluster)."""
        with cls._lock:
            functions = list(cls._functions.values())
        return sorted({str(getattr(f, "__module__", "") or "") for f in functions} - {""})

    @classmethod
    def clear(cls) -> None:
        with cls._lock:
            cls._functions.clear()


def check_function_spec(spec: Any, field: str) -> StreamingValidationError | None:
    """Validation-time check of a ``function`` or ``transforms`` entry (no import happens)."""
    if spec is None or callable(spec):
        return None
    if not isinstance(spec, FunctionConfig):
        return StreamingValidationError(f"unsupported transformation {spec!r}", field=field)
    if spec.key is not None:
        if spec.module or spec.function:
            return StreamingValidationError(
                "give either 'key' or 'module' + 'function', not both", field=field
            )
        if not TransformationRegistry.contains(spec.key):
            try:
                TransformationRegistry.get(spec.key)
            except StreamingValidationError as exc:
                return StreamingValidationError(exc.message, field=f"{field}.key", actual=spec.key)
        return None
    if spec.module or spec.function:
        if not (spec.module and spec.function):
            return StreamingValidationError("dynamic imports need both 'module' and 'function'", field=field)
        if not unsafe_import_enabled():
            return StreamingValidationError(
                f"importing '{spec.module}.{spec.function}' from configuration is disabled; "
                f"register the function with TransformationRegistry.register(...) and use "
                f"'key', or set {UNSAFE_IMPORT_ENV}=true in a controlled environment",
                field=f"{field}.module",
            )
        return None
    return StreamingValidationError(
        "a transformation needs 'key' (a registered function) or 'module' + 'function'",
        field=field,
    )


def resolve_callable(spec: Any, field: str = "function") -> tuple[Callable[..., Any], dict[str, Any]]:
    """The callable and params of a ``function``/``transforms`` entry, enforcing the gate."""
    problem = check_function_spec(spec, field)
    if problem is not None:
        raise problem
    if callable(spec):
        return spec, {}
    assert isinstance(spec, FunctionConfig)
    params = dict(spec.params)
    if spec.key is not None:
        return TransformationRegistry.get(spec.key), params
    try:
        module = importlib.import_module(str(spec.module))
        function = getattr(module, str(spec.function))
    except (ImportError, AttributeError) as exc:
        raise StreamingValidationError(
            f"cannot import '{spec.module}.{spec.function}': {exc}",
            field=f"{field}.module",
        ) from exc
    if not callable(function):
        raise StreamingValidationError(
            f"'{spec.module}.{spec.function}' is not callable", field=f"{field}.function"
        )
    return function, params


def accepts_config(function: Callable[..., Any]) -> bool:
    """True when ``function`` takes a second (config) argument: ``fn(df, config)``."""
    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        return True
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in parameters)


def apply_transformation(function: Callable[..., Any], df: DataFrame, config: Mapping[str, Any]) -> DataFrame:
    result = function(df, dict(config)) if accepts_config(function) else function(df)
    return result  # type: ignore[no-any-return]
