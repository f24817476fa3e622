"""Phase 3, Structure: watermarks, transforms and the node's function; across nodes, unique
names, defined dependencies without cycles, and the pipeline type."""

from __future__ import annotations

import graphlib
from collections.abc import Mapping
from typing import Any

from tauro.config.converter import did_you_mean
from tauro.config.models import PipelineConfig
from tauro.config.schemas import field_types
from tauro.durations import DurationError, parse_duration
from tauro.streaming.constants import (
    BOUNDED_TRIGGERS,
    StreamingOutputMode,
)
from tauro.validation.report import (
    NODE_NAME,
    TIMESTAMP_TYPES,
    ValidatedNode,
    ValidationReport,
    ValidationRules,
    field_path,
    raw_names,
)


def check_node_structure(
    rules: ValidationRules, node: ValidatedNode, prefix: str, report: ValidationReport
) -> None:
    name = node.name
    if not name or not NODE_NAME.match(name):
        report.add(
            field_path(prefix, "name"),
            f"'{name}' is not a valid node name; use letters, digits, '_', '-' or '.'",
            name,
        )
    streaming = node.normalized["streaming"]
    mode = streaming["output_mode"]
    modes = [m.value for m in StreamingOutputMode]
    if mode not in modes:
        report.add(
            field_path(prefix, "streaming.output_mode"),
            f"unknown output mode '{mode}'{did_you_mean(str(mode), modes)} Use append, complete or update.",
            name,
        )
    section = node.normalized["input"]
    input_wm = section["watermark"] if section else None
    stream_wm = streaming["watermark"]
    if input_wm and stream_wm:
        report.add(
            field_path(prefix, "streaming.watermark"),
            "a watermark is given twice (also in input.watermark); keep one",
            name,
        )
    for where, wm in (("input.watermark", input_wm), ("streaming.watermark", stream_wm)):
        if not wm:
            continue
        if not str(wm.get("column") or "").strip():
            report.add(field_path(prefix, f"{where}.column"), "is required: the event-time column", name)
        try:
            delay = parse_duration(wm.get("delay"))
            if delay < 0:
                report.add(field_path(prefix, f"{where}.delay"), "must not be negative", name)
        except DurationError as exc:
            report.add(field_path(prefix, f"{where}.delay"), str(exc), name)
        if where == "input.watermark" and section and section["parse_json"] and section["json_schema"]:
            check_watermark_column(
                rules, wm, section["json_schema"], node, field_path(prefix, f"{where}.column"), report
            )


def check_watermark_column(
    rules: ValidationRules,
    wm: Mapping[str, Any],
    schema: Mapping[str, Any],
    node: ValidatedNode,
    field: str,
    report: ValidationReport,
) -> None:
    types = field_types(schema)
    column = wm.get("column")
    if column not in types:
        report.add(
            field,
            f"column '{column}' is not in json_schema (columns: "
            f"{', '.join(types)}); the input watermark applies right after JSON "
            "parsing, before transforms",
            node.name,
        )
        return
    kind = types[column]
    if kind not in TIMESTAMP_TYPES:
        report.add(
            field,
            f"column '{column}' is {str(kind).upper()}, but a watermark needs a "
            f"TIMESTAMP; declare it as TIMESTAMP in json_schema, or convert it in a "
            f"transform (e.g. timestamp_seconds(col('{column}'))) and put the "
            "watermark under streaming.watermark",
            node.name,
        )


def check_pipeline_structure(
    rules: ValidationRules, pipeline: PipelineConfig, report: ValidationReport, raw_nodes: Any
) -> None:
    seen: dict[str, int] = {}
    by_name: dict[str, ValidatedNode] = {}
    for node in report.nodes:
        prefix = f"nodes[{node.index}]."
        if node.name in seen:
            report.add(
                f"{prefix}name",
                f"node name '{node.name}' is used twice (also "
                f"nodes[{seen[node.name]}]); names must be unique",
                node.name,
            )
        else:
            seen[node.name] = node.index or 0
            by_name[node.name] = node
    graph: dict[str, set[str]] = {}
    for node in report.nodes:
        prefix = f"nodes[{node.index}]."
        deps: set[str] = set()
        for i, dependency in enumerate(node.config.depends_on):
            if dependency == node.name:
                report.add(f"{prefix}depends_on[{i}]", "a node cannot depend on itself", node.name)
            elif dependency not in by_name and dependency not in raw_names(raw_nodes):
                report.add(
                    f"{prefix}depends_on[{i}]",
                    f"dependency '{dependency}' is not defined"
                    f"{did_you_mean(dependency, sorted(by_name))} Nodes: "
                    f"{', '.join(sorted(by_name))}.",
                    node.name,
                )
            else:
                deps.add(dependency)
        graph[node.name] = deps
    try:
        tuple(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as exc:
        cycle = list(exc.args[1])
        first = by_name.get(cycle[0])
        where = f"nodes[{first.index}].depends_on" if first else "depends_on"
        report.add(
            where,
            f"Circular dependency detected: {' -> '.join(reversed(cycle))}; remove one "
            "of these depends_on entries",
            cycle[0],
        )
    kinds = {node.name: node.normalized["streaming"]["trigger"].get("type") for node in report.nodes}
    bounded = sorted(n for n, k in kinds.items() if k in BOUNDED_TRIGGERS)
    unbounded = sorted(n for n, k in kinds.items() if k not in BOUNDED_TRIGGERS)
    if pipeline.type == "streaming" and bounded and unbounded:
        report.add(
            "type",
            f"pipeline mixes bounded triggers ({', '.join(bounded)}) with "
            f"continuous ones ({', '.join(unbounded)}); set type: hybrid to allow it",
        )
