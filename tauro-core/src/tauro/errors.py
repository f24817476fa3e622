"""Tauro's errors: ``TauroError`` and the seed's ``Streaming*`` hierarchy under it.

Every error carries a ``.context`` dictionary.

``context`` always has the keys operation, component, field, expected, actual, node_name and
details (``None`` where unknown). Messages and context values are redacted of secrets.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable, Sequence
from typing import Any, ParamSpec, TypeVar, overload

from tauro.redaction import redact, redact_text

CONTEXT_KEYS = ("operation", "component", "field", "expected", "actual", "node_name", "details")

P = ParamSpec("P")
R = TypeVar("R")


def create_error_context(
    operation: str | None = None,
    component: str | None = None,
    field: str | None = None,
    expected: Any = None,
    actual: Any = None,
    node_name: str | None = None,
    details: Any = None,
    **extra: Any,
) -> dict[str, Any]:
    """Build the ``.context`` dictionary errors carry; extra keys are kept, secrets redacted."""
    context: dict[str, Any] = {
        "operation": operation,
        "component": component,
        "field": field,
        "expected": expected,
        "actual": actual,
        "node_name": node_name,
        "details": details,
    }
    context.update(extra)
    redacted: dict[str, Any] = redact(context)
    if field and redacted.get("actual") is not None:
        # The value of a secret field is secret even though the key is "actual".
        redacted["actual"] = redact(redacted["actual"], field.rsplit(".", 1)[-1])
    return redacted


class TauroError(Exception):
    """Root of every error Tauro raises; catch it to handle any of them."""


class StreamingError(TauroError):
    """Base of every streaming error (the seed's name). ``.context`` holds where and why."""

    def __init__(
        self,
        message: str,
        *,
        context: dict[str, Any] | None = None,
        cause: BaseException | None = None,
        **context_fields: Any,
    ) -> None:
        ctx = create_error_context(**context_fields)
        if context:
            ctx.update(redact(context))
        if cause is not None:
            ctx.setdefault("cause", redact_text(f"{type(cause).__name__}: {cause}"))
            self.__cause__ = cause
        self.context: dict[str, Any] = ctx
        self.message = redact_text(message)
        super().__init__(self.message)

    @property
    def field(self) -> str | None:
        value = self.context.get("field")
        return str(value) if value is not None else None

    def __str__(self) -> str:
        return self.message


class StreamingValidationError(StreamingError):
    """A configuration is invalid. Raised before anything runs.

    ``problems`` holds every problem found, each a ``StreamingValidationError`` with its own
    ``field`` path, when a whole pipeline was validated at once.
    """

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        problems: Sequence[StreamingValidationError] = (),
        warnings: Sequence[str] = (),
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("component", "StreamingValidator")
        super().__init__(message, field=field, **kwargs)
        self.problems: list[StreamingValidationError] = list(problems) or [self]
        self.warnings: list[str] = list(warnings)


class StreamingFormatNotSupportedError(StreamingValidationError):
    """A format name has no registered reader or writer."""


class StreamingQueryError(StreamingError):
    """A streaming query failed to start or failed while running."""


class ExpectationFailedError(StreamingQueryError):
    """Rows of a micro-batch broke an expectation whose action is ``fail``, or more rows broke
    one than its ``max_fraction`` / ``max_count`` allow. Raised before the batch's output is
    written, so the batch is not committed and a restart runs it again; being deterministic, it
    is not retried by a restart policy.

    ``expectation``, ``batch_id`` and ``sample`` (a few offending rows as JSON, redacted) are
    also in ``context``.
    """

    def __init__(
        self,
        message: str,
        *,
        expectation: str,
        batch_id: int,
        sample: Sequence[str] = (),
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("component", "Expectations")
        kwargs.setdefault("operation", "check_expectations")
        super().__init__(
            message,
            context={"expectation": expectation, "batch_id": batch_id, "sample": list(sample)},
            **kwargs,
        )
        self.expectation = expectation
        self.batch_id = batch_id
        self.sample = [redact_text(row) for row in sample]


class StreamingPipelineError(StreamingError):
    """Pipeline orchestration failed: dependencies, scheduling, stop or status."""


class StreamingPipelineValidationError(StreamingValidationError, StreamingPipelineError):
    """A pipeline is invalid (e.g. a dependency cycle): both a validation and a pipeline error."""


def summarize_problems(problems: Iterable[StreamingValidationError]) -> str:
    lines = []
    for problem in problems:
        prefix = f"{problem.field}: " if problem.field else ""
        lines.append(f"  - {prefix}{problem.message}")
    return "\n".join(lines)


@overload
def handle_streaming_error(func: Callable[P, R], *, error: None = None) -> Callable[P, R]: ...


@overload
def handle_streaming_error(
    func: None = None, *, error: type[StreamingError]
) -> Callable[[Callable[P, R]], Callable[P, R]]: ...


def handle_streaming_error(
    func: Callable[P, R] | None = None, *, error: type[StreamingError] | None = None
) -> Any:
    """Wrap non-Tauro exceptions raised by ``func`` into ``StreamingError`` with context.

    Tauro's own errors pass through unchanged (their context is already precise); anything else
    becomes ``error`` naming the operation and component, with the original as ``__cause__``.
    Used bare (``@handle_streaming_error``, the seed's form) the class follows the seed's
    convention: ``StreamingPipelineError`` for methods of a pipeline manager class, otherwise
    ``StreamingQueryError``. Core passes ``error=`` explicitly.
    """

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        return _wrap_errors(fn, error or _seed_error_class(fn))

    return decorate(func) if func is not None else decorate


def _component_of(func: Callable[..., Any]) -> str:
    qualname = func.__qualname__
    return qualname.split(".")[-2] if "." in qualname else func.__module__


def _seed_error_class(func: Callable[..., Any]) -> type[StreamingError]:
    # The seed names its managers StreamingQueryManager / StreamingPipelineManager.
    return StreamingPipelineError if "Pipeline" in _component_of(func) else StreamingQueryError


def _wrap_errors(func: Callable[P, R], error_cls: type[StreamingError]) -> Callable[P, R]:
    component = _component_of(func)

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except StreamingError:
            raise
        except Exception as exc:
            node_name = _node_name_from_args(func, args, kwargs)
            raise error_cls(
                f"{func.__name__} failed: {type(exc).__name__}: {exc}",
                operation=func.__name__,
                component=component,
                node_name=node_name,
                details=f"{type(exc).__name__}: {exc}",
                cause=exc,
            ) from exc

    return wrapper


def _node_name_from_args(func: Callable[..., Any], args: Any, kwargs: Any) -> str | None:
    try:
        bound = inspect.signature(func).bind_partial(*args, **kwargs)
    except TypeError:
        return None
    node = bound.arguments.get("node_config")
    if isinstance(node, dict):
        name = node.get("name")
        return str(name) if name is not None else None
    return None
