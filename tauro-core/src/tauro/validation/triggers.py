"""Phase 2, Trigger: the trigger type and interval, and what each trigger allows."""

from __future__ import annotations

from tauro.config.converter import did_you_mean
from tauro.config.names import REAL_TIME_MIN_SECONDS
from tauro.durations import DurationError, parse_duration
from tauro.streaming.constants import (
    MAX_TRIGGER_SECONDS,
    StreamingTrigger,
)
from tauro.validation.report import ValidatedNode, ValidationReport, ValidationRules, field_path


def check_trigger(rules: ValidationRules, node: ValidatedNode, prefix: str, report: ValidationReport) -> None:
    trigger = node.normalized["streaming"]["trigger"]
    field = field_path(prefix, "streaming.trigger")
    kind = trigger.get("type")
    valid = [t.value for t in StreamingTrigger]
    if kind not in valid:
        report.add(
            f"{field}.type",
            f"unknown trigger type '{kind}'{did_you_mean(str(kind), valid)} Use one of {', '.join(valid)}.",
            node.name,
        )
        return
    interval = trigger.get("interval")
    if kind == StreamingTrigger.PROCESSING_TIME:
        if interval is None:
            report.add(
                f"{field}.interval",
                "is required for processing_time triggers, e.g. '10 seconds'",
                node.name,
            )
            return
        check_interval(rules, interval, f"{field}.interval", node.name, report, allow_zero=True)
    elif kind == StreamingTrigger.CONTINUOUS:
        if interval is not None:
            check_interval(rules, interval, f"{field}.interval", node.name, report)
    elif kind == StreamingTrigger.REAL_TIME:
        if interval is not None and check_interval(rules, interval, f"{field}.interval", node.name, report):
            seconds = parse_duration(interval)
            if seconds < REAL_TIME_MIN_SECONDS:
                report.add(
                    f"{field}.interval",
                    f"'{interval}' is shorter than Spark's minimum real-time batch of "
                    f"{REAL_TIME_MIN_SECONDS:g} seconds; the interval is how often the query "
                    "checkpoints, not its latency (records are written as they arrive): use "
                    "'5 minutes' (Spark's default) or at least '5 seconds'",
                    node.name,
                )
    else:
        if kind == StreamingTrigger.ONCE:
            report.warn(
                f"{field}.type",
                "trigger 'once' is deprecated in Spark; use 'available_now', which also respects rate limits",
            )
        if interval is not None:
            report.warn(f"{field}.interval", f"is ignored for '{kind}' triggers")


def check_interval(
    rules: ValidationRules,
    interval: str,
    field: str,
    node_name: str,
    report: ValidationReport,
    *,
    allow_zero: bool = False,
) -> bool:
    """Report a malformed, non-positive or too long interval; True when it is fine.

    ``allow_zero``: a processing-time trigger of "0 seconds" is Spark's "as fast as possible"
    (the next batch starts when the previous one ends), the lowest-latency micro-batch setting.
    """
    try:
        seconds = parse_duration(interval)
    except DurationError as exc:
        report.add(field, str(exc), node_name)
        return False
    if seconds < 0 or (seconds == 0 and not allow_zero):
        minimum = "zero or more ('0 seconds': as fast as possible)" if allow_zero else "greater than zero"
        report.add(field, f"'{interval}' must be {minimum}", node_name)
        return False
    if seconds > MAX_TRIGGER_SECONDS:
        report.add(field, f"'{interval}' is longer than 365 days; use a shorter interval", node_name)
        return False
    return True
