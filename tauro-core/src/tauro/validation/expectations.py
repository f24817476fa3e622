"""Expectations: names, actions, thresholds and where they can run, and that each ``expr``
parses as Spark SQL (with sqlglot's Spark dialect, so no SparkSession is needed).

Unknown columns and non-boolean expressions depend on the rows a node sees, so they are
checked in the node's preflight (``tauro.streaming.expectations.check_expectation_types``).
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from tauro.config.converter import did_you_mean
from tauro.config.models import EXPECTATION_ACTIONS, ExpectationConfig
from tauro.plugins import get_registry
from tauro.validation.report import NODE_NAME, ValidatedNode, ValidationReport, field_path


def expression_problem(expr: str) -> str | None:
    """Why ``expr`` cannot be a row-level Spark SQL condition, or None when it can."""
    if not expr.strip():
        return "is empty: give a Spark SQL condition such as 'amount > 0'"
    try:
        tree = sqlglot.parse_one(expr, read="spark")
    except SqlglotError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return f"'{expr}' is not a valid Spark SQL expression: {first}"
    if tree is None or isinstance(tree, exp.Query | exp.DDL | exp.DML | exp.Command):
        return f"'{expr}' is a statement; give a condition on the row's columns, e.g. 'amount > 0'"
    if tree.find(exp.AggFunc) is not None:
        return (
            f"'{expr}' uses an aggregate function; an expectation checks each row on its own "
            "(use max_fraction or max_count for limits over a batch)"
        )
    if tree.find(exp.Window) is not None or tree.find(exp.Subquery) is not None:
        return f"'{expr}' uses a window or a subquery; an expectation checks each row on its own"
    return None


def check_expectation_list(
    expectations: Iterable[ExpectationConfig], path: str, report: ValidationReport, node: str | None
) -> None:
    """What holds for any expectation, wherever declared: name, action, expr, thresholds."""
    seen: set[str] = set()
    for index, expectation in enumerate(expectations):
        where = f"{path}[{index}]"
        name = expectation.name
        if not NODE_NAME.match(name):
            report.add(
                f"{where}.name",
                f"'{name}' is not a valid expectation name; use letters, digits, '_', '-' or '.'",
                node,
            )
        elif name in seen:
            report.add(f"{where}.name", f"expectation '{name}' is listed twice; names must be unique", node)
        seen.add(name)
        if expectation.action not in EXPECTATION_ACTIONS:
            report.add(
                f"{where}.action",
                f"unknown action '{expectation.action}'"
                f"{did_you_mean(expectation.action, list(EXPECTATION_ACTIONS))} "
                "Use warn (keep and count), drop, quarantine (to the dead-letter sink) or fail.",
                node,
            )
        problem = expression_problem(expectation.expr)
        if problem:
            report.add(f"{where}.expr", problem, node)
        fraction = expectation.max_fraction
        if fraction is not None and not 0.0 <= fraction <= 1.0:
            report.add(
                f"{where}.max_fraction",
                f"must be between 0 and 1 (a fraction of the batch's rows), not {fraction:g}",
                node,
            )
        if expectation.max_count is not None and expectation.max_count < 0:
            report.add(f"{where}.max_count", "must not be negative", node)


def check_node_expectations(node: ValidatedNode, prefix: str, report: ValidationReport) -> None:
    """A node's expectations, and whether its input, output and mode let them run."""
    expectations = node.config.expectations
    if not expectations:
        return
    name = node.name
    path = field_path(prefix, "expectations")
    check_expectation_list(expectations, path, report, name)
    section = node.normalized["input"]
    for index, expectation in enumerate(expectations):
        if expectation.action == "quarantine" and (section is None or section["dead_letter"] is None):
            report.add(
                f"{path}[{index}].action",
                f"quarantine sends the rows breaking '{expectation.name}' to the node's dead-letter "
                "sink, and this node has none: add input.dead_letter (e.g. {format: delta, path: "
                "...}) or use drop",
                name,
            )
    streaming = node.normalized["streaming"]
    if streaming["output_mode"] == "complete":
        report.add(
            path,
            "expectations check the rows each batch writes, but in complete mode every batch "
            "rewrites the whole result table; declare them on the node that feeds this one, or "
            "use update mode",
            name,
        )
    if streaming["trigger"].get("type") == "continuous":
        report.add(
            path,
            "expectations run per micro-batch, and a continuous trigger has none; use "
            "processing_time or available_now",
            name,
        )
    output = node.normalized["output"]
    registry = get_registry()
    reg = registry.writers.get(output["format"]) if output is not None else None
    if reg is not None and not reg.target.supports_write_batch():
        report.add(
            field_path(prefix, "output.format"),
            f"sink '{output['format']}' cannot write single batches; a node with expectations "
            "writes each checked batch, so choose a sink that implements write_batch (memory, "
            "delta, files, kafka)",
            name,
        )
