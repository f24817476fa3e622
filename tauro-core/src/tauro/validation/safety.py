"""Phase 4, Safety: checkpoints (one per node, durable in production) and the per-node safety
checks."""

from __future__ import annotations

from collections.abc import Iterable

from tauro.durations import DurationError, parse_duration
from tauro.streaming.transformations import check_function_spec
from tauro.validation.report import (
    ValidatedNode,
    ValidationReport,
    ValidationRules,
    field_path,
    is_non_durable,
    normalized_path,
)


def check_node_safety(
    rules: ValidationRules, node: ValidatedNode, prefix: str, report: ValidationReport
) -> None:
    if node.config.function is not None:
        problem = check_function_spec(node.config.function, field_path(prefix, "function"))
        if problem is not None:
            report.add(problem.field, problem.message, node.name)
    for index, spec in enumerate(node.config.transforms):
        problem = check_function_spec(spec, field_path(prefix, f"transforms[{index}]"))
        if problem is not None:
            field = (problem.field or "").replace(".key", "") if problem.field else None
            report.add(field, problem.message, node.name)
    restart = node.normalized["restart"]
    if restart:
        if restart["max_attempts"] < 0:
            report.add(field_path(prefix, "restart.max_attempts"), "must be 0 or more", node.name)
        for key in ("backoff", "max_backoff"):
            try:
                if parse_duration(restart[key]) < 0:
                    report.add(field_path(prefix, f"restart.{key}"), "must not be negative", node.name)
            except DurationError as exc:
                report.add(field_path(prefix, f"restart.{key}"), str(exc), node.name)


def check_checkpoints(
    rules: ValidationRules,
    nodes: Iterable[ValidatedNode],
    report: ValidationReport,
    prefix_override: str | None,
) -> None:
    owners: dict[str, str] = {}
    for node in nodes:
        prefix = prefix_override if prefix_override is not None else f"nodes[{node.index}]."
        streaming_cp = node.normalized["streaming"]["checkpoint_location"]
        output = node.normalized["output"] or {}
        option_cp = (output.get("options") or {}).get("checkpointLocation")
        if streaming_cp and option_cp and normalized_path(streaming_cp) != normalized_path(option_cp):
            report.add(
                field_path(prefix, "output.options.checkpointLocation"),
                f"differs from streaming.checkpoint_location ('{streaming_cp}'); give the checkpoint once",
                node.name,
            )
        checkpoint = streaming_cp or option_cp
        if not checkpoint:
            continue
        field = field_path(
            prefix,
            "streaming.checkpoint_location" if streaming_cp else "output.options.checkpointLocation",
        )
        key = normalized_path(checkpoint)
        if key in owners:
            report.add(
                field,
                f"checkpoint '{checkpoint}' is also used by node "
                f"'{owners[key]}'; every node needs its own checkpoint",
                node.name,
            )
        else:
            owners[key] = node.name
        if is_non_durable(checkpoint):
            message = (
                f"checkpoint '{checkpoint}' is in a temporary directory; it may be "
                "wiped, and a restart would reprocess or lose data. Use a durable "
                "path"
            )
            if rules.environment == "production":
                report.add(field, message, node.name)
            else:
                report.warn(field, message)
