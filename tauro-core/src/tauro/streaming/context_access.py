"""Former home of ``ContextLike`` and ``spark_of``; they live in ``tauro.plugin`` now."""

from __future__ import annotations

from tauro.plugin.context import ContextLike, HasSpark, spark_of

__all__ = ["ContextLike", "HasSpark", "spark_of"]
