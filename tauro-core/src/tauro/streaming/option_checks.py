"""Former home of the option-check helpers; they live in ``tauro.plugin`` now."""

from __future__ import annotations

from tauro.plugin.options import (
    Findings,
    find_option,
    is_dead_letter,
    is_true,
    lower_keys,
    unknown_options,
)

__all__ = ["Findings", "find_option", "is_dead_letter", "is_true", "lower_keys", "unknown_options"]
