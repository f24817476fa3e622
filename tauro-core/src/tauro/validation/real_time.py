"""Phase 2, Trigger (real-time mode): what Spark 4.2 runs with ``trigger: {type: real_time}``.

Checked from the configuration alone: update output mode, a source and a sink that declare
``supports_real_time``, no dead letters or expectations (both run in ``foreachBatch``, which
real-time mode refuses). Whether the query's transformations are stateless, and whether the
session has a task slot for every source partition, need Spark: see
``tauro.streaming.real_time``, run before the query starts.
"""

from __future__ import annotations

from tauro.plugins import get_registry
from tauro.streaming.constants import StreamingOutputMode, StreamingTrigger
from tauro.validation.report import ValidatedNode, ValidationReport, field_path

#: What every real-time message ends with when the fix may be to leave real-time mode.
OR_MICRO_BATCH = "or use trigger type processing_time"


def is_real_time(node: ValidatedNode) -> bool:
    return bool(node.normalized["streaming"]["trigger"].get("type") == StreamingTrigger.REAL_TIME)


def real_time_formats(role: str) -> list[str]:
    """Registered formats whose reader (``input``) or writer (``output``) runs in real-time mode."""
    registry = get_registry()
    table = registry.readers if role == "input" else registry.writers
    return sorted(name for name, reg in table.items() if reg.target.supports_real_time)


def check_real_time(node: ValidatedNode, prefix: str, report: ValidationReport) -> None:
    """Report what a real-time node's configuration asks of Spark that real-time mode refuses."""
    if not is_real_time(node):
        return
    name = node.name
    streaming = node.normalized["streaming"]
    mode = streaming["output_mode"]
    if mode != StreamingOutputMode.UPDATE:
        report.add(
            field_path(prefix, "streaming.output_mode"),
            f"real-time mode writes in update mode only, not '{mode}' (Spark refuses the others): "
            f"set streaming.output_mode: update, {OR_MICRO_BATCH}",
            name,
        )
    registry = get_registry()
    section = node.normalized["input"]
    if section is not None:
        fmt = section["format"]
        reg = registry.readers.get(fmt)
        if reg is not None and not reg.target.supports_real_time:
            report.add(
                field_path(prefix, "input.format"),
                f"source '{fmt}' cannot run in real-time mode; sources that can: "
                f"{', '.join(real_time_formats('input')) or 'none installed'}. Read from one of "
                f"them, {OR_MICRO_BATCH}",
                name,
            )
        if section["dead_letter"] is not None:
            report.add(
                field_path(prefix, "input.dead_letter"),
                "dead letters are written per micro-batch with foreachBatch, which real-time mode "
                f"does not run: remove input.dead_letter, {OR_MICRO_BATCH}",
                name,
            )
        watermark = section["watermark"] or streaming["watermark"]
        if watermark is not None:
            where = "input.watermark" if section["watermark"] else "streaming.watermark"
            report.warn(
                field_path(prefix, where),
                "has no effect in real-time mode: a watermark bounds the state of aggregations "
                "and joins, and real-time queries are stateless",
            )
    output = node.normalized["output"]
    if output is not None:
        fmt = output["format"]
        reg = registry.writers.get(fmt)
        if reg is not None and not reg.target.supports_real_time:
            report.add(
                field_path(prefix, "output.format"),
                f"sink '{fmt}' cannot run in real-time mode; sinks that can: "
                f"{', '.join(real_time_formats('output')) or 'none installed'}. Write to one of "
                f"them, {OR_MICRO_BATCH}",
                name,
            )
    if node.config.expectations:
        report.add(
            field_path(prefix, "expectations"),
            "expectations are checked per micro-batch with foreachBatch, which real-time mode "
            f"does not run: move them to a node downstream, {OR_MICRO_BATCH}",
            name,
        )
