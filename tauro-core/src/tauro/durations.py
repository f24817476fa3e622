"""Parse human durations: "10 seconds", "5 minutes", "30s", "1 hour", "500 ms", "1.5 h"."""

from __future__ import annotations

import re

DURATION_UNITS = {
    "ms": 0.001,
    "milli": 0.001,
    "millis": 0.001,
    "millisecond": 0.001,
    "milliseconds": 0.001,
    "s": 1.0,
    "sec": 1.0,
    "secs": 1.0,
    "second": 1.0,
    "seconds": 1.0,
    "m": 60.0,
    "min": 60.0,
    "mins": 60.0,
    "minute": 60.0,
    "minutes": 60.0,
    "h": 3600.0,
    "hr": 3600.0,
    "hrs": 3600.0,
    "hour": 3600.0,
    "hours": 3600.0,
    "d": 86400.0,
    "day": 86400.0,
    "days": 86400.0,
    "w": 604800.0,
    "week": 604800.0,
    "weeks": 604800.0,
}
_DURATION = re.compile(r"^\s*(?P<num>[+-]?\d+(?:\.\d+)?)\s*(?P<unit>[a-zA-Z]+)\s*$")


class DurationError(ValueError):
    """A duration string could not be parsed; the message says what is accepted."""


def parse_duration(text: object) -> float:
    """Return the duration in seconds. Negative values parse (callers decide if they are allowed)."""
    if isinstance(text, bool) or not isinstance(text, str | int | float):
        raise DurationError(f"expected a duration such as '10 seconds', got {type(text).__name__} {text!r}")
    if isinstance(text, int | float):
        raise DurationError(
            f"{text!r} has no unit; write it with one, e.g. '{text} seconds' or '{text} minutes'"
        )
    match = _DURATION.match(text)
    if not match:
        raise DurationError(
            f"{text!r} is not a duration; use a number and a unit, e.g. '10 seconds', "
            "'5 minutes', '30s', '1 hour'"
        )
    unit = match["unit"].lower()
    if unit not in DURATION_UNITS:
        raise DurationError(
            f"unknown unit {match['unit']!r} in {text!r}; use ms, seconds, minutes, hours or days"
        )
    return float(match["num"]) * DURATION_UNITS[unit]


def spark_interval(text: object) -> str:
    """A duration as Spark's interval parser reads it (triggers, watermarks): Spark accepts
    neither "30s" nor "500 ms" nor "5 min", so every accepted spelling is rewritten."""
    return format_seconds(parse_duration(text))


def format_seconds(seconds: float) -> str:
    """Spark-friendly text for a duration, e.g. 90.0 -> '90 seconds'."""
    if seconds == int(seconds):
        return f"{int(seconds)} seconds"
    return f"{int(seconds * 1000)} milliseconds"
