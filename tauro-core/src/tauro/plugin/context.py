"""Accept a ``tauro.config.Context`` or a plain dict with a ``spark`` key wherever a context goes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias

from tauro.errors import StreamingValidationError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


class HasSpark(Protocol):
    """Anything with a ``spark`` session, such as ``tauro.config.Context``."""

    @property
    def spark(self) -> SparkSession: ...


#: What readers and writers are constructed with: a Context, or a dict with a ``spark`` key.
ContextLike: TypeAlias = HasSpark | Mapping[str, Any]


def spark_of(context: ContextLike | None) -> SparkSession:
    """The SparkSession of a context; a clear error when there is none."""
    spark = None
    if isinstance(context, Mapping):
        spark = context.get("spark")
    elif context is not None:
        spark = getattr(context, "spark", None)
    if spark is None:
        raise StreamingValidationError(
            "The context has no Spark session: pass a tauro.config.Context (which builds one) "
            "or a dict with a 'spark' key holding a SparkSession.",
            field="context.spark",
            component="Context",
            expected="SparkSession",
            actual="None",
        )
    return spark


def runs_over_connect(context: ContextLike | None) -> bool:
    """Whether the context's session is (or will be) a Spark Connect session, without building
    one: a Context with a remote, or a session already there that is a Connect client."""
    if isinstance(context, Mapping):
        spark = context.get("spark")
    elif context is None:
        return False
    elif getattr(context, "remote", None):
        return True
    else:
        has_spark = getattr(context, "has_spark", None)
        spark = context.spark if not callable(has_spark) or has_spark() else None
    return spark is not None and type(spark).__module__.startswith("pyspark.sql.connect")
