"""Former home of the preflight helpers; they live in ``tauro.plugin`` now."""

from __future__ import annotations

from tauro.plugin.preflight import jvm_of, require_class

__all__ = ["jvm_of", "require_class"]
