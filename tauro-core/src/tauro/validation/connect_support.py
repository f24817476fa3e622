"""Phase: what cannot run over Spark Connect, refused before anything starts, with the reason.

A Connect server runs ``foreachBatch`` functions in its own Python, which has the session's
artifacts on its UDF workers but not on the ``foreachBatch`` runner, so Tauro's code there
(dead letters, expectations) cannot be imported. Formats say for themselves what they cannot
do (``connect_refusal`` of their reader or writer: Python data sources).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tauro.plugins import get_registry
from tauro.validation.report import ValidatedNode, ValidationReport, field_path

#: Why Tauro's own foreachBatch code cannot run on a Connect server.
FOREACH_BATCH_REASON = (
    "it runs as a foreachBatch function on the Spark Connect server, whose foreachBatch runner "
    "cannot import Tauro (session artifacts reach only the server's UDF workers)"
)


def check_connect_support(node: ValidatedNode, prefix: str, report: ValidationReport) -> None:
    """Refuse what a node needs that a Spark Connect session cannot run."""
    name = node.name
    if node.config.expectations:
        report.add(
            field_path(prefix, "expectations"),
            f"not supported over Spark Connect: expectations are checked per batch in Tauro's code; "
            f"{FOREACH_BATCH_REASON}. Run this node on a classic session, or express the checks "
            "as a filter in a transform",
            name,
        )
    section = node.normalized.get("input")
    if isinstance(section, Mapping):
        if section.get("dead_letter") is not None:
            report.add(
                field_path(prefix, "input.dead_letter"),
                f"not supported over Spark Connect: dead letters are split per batch in Tauro's "
                f"code; {FOREACH_BATCH_REASON}. Remove dead_letter (bad records then have null "
                "columns) or run this node on a classic session",
                name,
            )
            _refusal("writer", section["dead_letter"], field_path(prefix, "input.dead_letter"), name, report)
        _refusal("reader", section, field_path(prefix, "input"), name, report)
    output = node.normalized.get("output")
    if isinstance(output, Mapping):
        _refusal("writer", output, field_path(prefix, "output"), name, report)


def _refusal(kind: str, section: Mapping[str, Any], path: str, node: str, report: ValidationReport) -> None:
    registry = get_registry()
    table = registry.readers if kind == "reader" else registry.writers
    entry = table.get(str(section.get("format")))
    if entry is None:
        return  # unknown formats are reported by the input/output phase
    refusal = entry.target.connect_refusal(section.get("options") or {})
    if refusal is not None:
        field, reason = refusal
        report.add(f"{path}.{field}", f"not supported over Spark Connect: {reason}", node)
