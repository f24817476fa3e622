"""Phase 2, Trigger: the trigger type and interval, and what each trigger allows."""

from __future__ import annotations

from tauro.config.converter import did_you_mean
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
        check_interval(rules, interval, f"{field}.interval", node.name, report)
    elif kind == StreamingTrigger.CONTINUOUS:
        if interval is not None:
            check_interval(rules, interval, f"{field}.interval", node.name, report)
    else:
        if kind == StreamingTrigger.ONCE:
            report.warn(
                f"{field}.type",
                "trigger 'once' is deprecated in Spark; use 'available_now', which also respects rate limits",
            )
        if interval is not None:
            report.warn(f"{field}.interval", f"is ignored for '{kind}' triggers")


def check_interval(
    rules: ValidationRules, interval: str, field: str, node_name: str, report: ValidationReport
) -> None:
    try:
        seconds = parse_duration(interval)
    except DurationError as exc:
        report.add(field, str(exc), node_name)
        return
    if seconds <= 0:
        report.add(field, f"'{interval}' must be greater than zero", node_name)
    elif seconds > MAX_TRIGGER_SECONDS:
        report.add(field, f"'{interval}' is longer than 365 days; use a shorter interval", node_name)
