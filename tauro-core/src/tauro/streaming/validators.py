"""``StreamingValidator``: four phases (I/O, Trigger, Structure, Safety) before anything runs.

Every problem is collected with its path (``nodes[1].input.options.subscribe``) and raised
together in one ``StreamingValidationError`` whose ``problems`` lists them all.
"""

from __future__ import annotations

import graphlib
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

from tauro.checkpoints import is_remote
from tauro.config.converter import Problem, did_you_mean
from tauro.config.durations import DurationError, parse_duration
from tauro.config.loading import prepare_node, prepare_pipeline
from tauro.config.models import FAILURE_POLICIES, NodeConfig, PipelineConfig
from tauro.config.normalize import freeze, normalize_node
from tauro.config.policy import FormatPolicy
from tauro.config.schemas import field_types
from tauro.errors import (
    StreamingPipelineValidationError,
    StreamingValidationError,
    summarize_problems,
)
from tauro.plugin.readers import BaseStreamingReader
from tauro.plugin.writers import BaseStreamingWriter
from tauro.plugins import get_registry
from tauro.redaction import collect_secrets
from tauro.streaming.constants import (
    BOUNDED_TRIGGERS,
    MAX_TRIGGER_SECONDS,
    STREAMING_FORMAT_CONFIGS,
    StreamingOutputMode,
    StreamingTrigger,
)
from tauro.streaming.transformations import check_function_spec

NON_DURABLE_PREFIXES = ("/tmp", "/var/tmp", "/dev/shm")
NODE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
TIMESTAMP_TYPES = ("timestamp", "timestamp_ntz", "date")
DEPENDENCY_FIELDS = ("depends_on",)


@attrs.define
class ValidatedNode:
    """A node that passed structuring: its model, normalized dict and original index."""

    index: int | None
    config: NodeConfig
    normalized: dict[str, Any]

    @property
    def name(self) -> str:
        return self.config.name


@attrs.define
class ValidationReport:
    """What validation found. ``raise_for_problems`` turns problems into one error."""

    pipeline: PipelineConfig | None = None
    nodes: list[ValidatedNode] = attrs.field(factory=list)
    problems: list[StreamingValidationError] = attrs.field(factory=list)
    warnings: list[str] = attrs.field(factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, field: str | None, message: str, node_name: str | None = None, **context: Any) -> None:
        self.problems.append(
            StreamingValidationError(
                message, field=field or None, node_name=node_name, operation="validate", **context
            )
        )

    def warn(self, field: str | None, message: str) -> None:
        self.warnings.append(f"{field}: {message}" if field else message)

    def raise_for_problems(self, what: str = "Configuration") -> None:
        if not self.problems:
            return
        dependency = any((p.field or "").split(".")[-1].startswith("depends_on") for p in self.problems)
        error_cls = StreamingPipelineValidationError if dependency else StreamingValidationError
        count = len(self.problems)
        first = self.problems[0]
        raise error_cls(
            f"{what} has {count} problem{'s' if count != 1 else ''}:\n{summarize_problems(self.problems)}",
            field=first.field,
            problems=self.problems,
            warnings=self.warnings,
            node_name=first.context.get("node_name"),
            operation="validate",
            details=[f"{p.field}: {p.message}" for p in self.problems],
        )


def _p(prefix: str, field: str) -> str:
    return f"{prefix}{field}" if prefix else field


def is_non_durable(path: str) -> bool:
    if is_remote(path):
        return False
    local = path.removeprefix("file://").removeprefix("file:")
    temp = os.path.realpath(tempfile.gettempdir())
    candidates = {*NON_DURABLE_PREFIXES, temp}
    resolved = os.path.realpath(local) if local.startswith("/") else local
    return any(resolved == c or resolved.startswith(c.rstrip("/") + "/") for c in candidates)


class StreamingValidator:
    """Validate nodes and pipelines. ``format_policy`` restricts formats (from the Context)."""

    def __init__(
        self,
        format_policy: FormatPolicy | Mapping[str, Any] | None = None,
        *,
        environment: str = "dev",
    ) -> None:
        self.format_policy = (
            format_policy
            if isinstance(format_policy, FormatPolicy | type(None))
            else FormatPolicy.from_mapping(format_policy)
        ) or FormatPolicy()
        self.environment = environment

    # -- public API (the seed's) -------------------------------------------------------------
    def validate_streaming_node_config(
        self, node_config: Mapping[str, Any] | NodeConfig, *, require_output: bool = False
    ) -> ValidationReport:
        """Validate one node; raises ``StreamingValidationError`` listing every problem."""
        report = self.check_node(node_config, require_output=require_output)
        name = report.nodes[0].name if report.nodes else None
        report.raise_for_problems(f"Node '{name}'" if name else "Node")
        return report

    def validate_streaming_pipeline_config(
        self,
        pipeline_config: Mapping[str, Any],
        *,
        require_output: bool = True,
        variables: Mapping[str, Any] | None = None,
        name: str | None = None,
    ) -> ValidationReport:
        """Validate a whole pipeline; raises one error listing every problem with its path."""
        report = self.check_pipeline(
            pipeline_config, require_output=require_output, variables=variables, name=name
        )
        label = report.pipeline.name if report.pipeline and report.pipeline.name else name
        report.raise_for_problems(f"Pipeline '{label}'" if label else "Pipeline")
        return report

    # -- non-raising checks -------------------------------------------------------------------
    def check_node(
        self, node_config: Mapping[str, Any] | NodeConfig, *, require_output: bool = False
    ) -> ValidationReport:
        report = ValidationReport()
        node: NodeConfig | None
        problems: list[Problem]
        if isinstance(node_config, NodeConfig):
            node, problems = node_config, []
        else:
            collect_secrets(node_config)
            node, problems = prepare_node(node_config, "")
        for field, message in problems:
            report.add(field, message, _raw_name(node_config))
        if node is None:
            return report
        validated = self._normalize(node, None, "", report)
        self._check_node(validated, "", report, require_output)
        self._check_checkpoints([validated], report, "")
        return report

    def check_pipeline(
        self,
        pipeline_config: Mapping[str, Any],
        *,
        require_output: bool = True,
        variables: Mapping[str, Any] | None = None,
        name: str | None = None,
    ) -> ValidationReport:
        collect_secrets(pipeline_config)
        prepared = prepare_pipeline(pipeline_config, variables, name)
        report = ValidationReport(pipeline=prepared.pipeline)
        raw_nodes = pipeline_config.get("nodes") if isinstance(pipeline_config, Mapping) else None
        for field, message in prepared.problems:
            report.add(field, message, _node_name_at(raw_nodes, field))
        pipeline = prepared.pipeline
        if pipeline is None:
            return report
        if pipeline.type not in ("streaming", "hybrid"):
            report.add("type", f"pipeline type must be 'streaming' or 'hybrid', not '{pipeline.type}'")
        if pipeline.on_failure not in FAILURE_POLICIES:
            report.add(
                "on_failure",
                f"unknown failure policy '{pipeline.on_failure}'"
                f"{did_you_mean(pipeline.on_failure, list(FAILURE_POLICIES))} Use 'stop' (stop every "
                "query of the pipeline when a node has failed) or 'isolate' (stop only what depends "
                "on the failed node).",
            )
        for index, node in zip(prepared.indices, pipeline.nodes, strict=True):
            prefix = f"nodes[{index}]."
            validated = self._normalize(node, index, prefix, report)
            self._check_node(validated, prefix, report, require_output)
        self._check_structure(pipeline, report, raw_nodes)
        self._check_checkpoints(report.nodes, report, None)
        return report

    # -- phases -------------------------------------------------------------------------------
    def _normalize(
        self, node: NodeConfig, index: int | None, prefix: str, report: ValidationReport
    ) -> ValidatedNode:
        normalized, problems = normalize_node(node, prefix.rstrip("."))
        for field, message in problems:
            report.add(field, message, node.name)
        validated = ValidatedNode(index=index, config=node, normalized=normalized)
        report.nodes.append(validated)
        return validated

    def _check_node(
        self, node: ValidatedNode, prefix: str, report: ValidationReport, require_output: bool
    ) -> None:
        self._phase_io(node, prefix, report, require_output)
        self._phase_trigger(node, prefix, report)
        self._phase_structure_node(node, prefix, report)
        self._phase_safety_node(node, prefix, report)

    # Phase 1: I/O ----------------------------------------------------------------------------
    def _phase_io(
        self, node: ValidatedNode, prefix: str, report: ValidationReport, require_output: bool
    ) -> None:
        registry = get_registry()
        name = node.name
        section = node.normalized["input"]
        if section is None:
            report.add(
                _p(prefix, "input"), "is required: give the source's 'format' (and its 'options')", name
            )
        else:
            fmt = section["format"]
            if self._format_known("input", fmt, _p(prefix, "input.format"), name, report):
                reader = registry.readers[fmt].target
                self._run_validators(fmt, "input", section, node, _p(prefix, "input."), report)
                self._required_options(fmt, section, _p(prefix, "input"), name, report)
                self._required_fields(fmt, reader, section, _p(prefix, "input"), name, report)
                if reader.dev_only:
                    message = (
                        f"format '{fmt}' is for development only: it has no replay, so a restart loses data"
                    )
                    if self.environment == "production":
                        report.add(_p(prefix, "input.format"), message, name)
                    else:
                        report.warn(_p(prefix, "input.format"), message)
                if section["parse_json"]:
                    if reader.payload_column is None:
                        report.add(
                            _p(prefix, "input.parse_json"),
                            f"format '{fmt}' has no payload column to parse as JSON; "
                            "remove parse_json or use a source such as kafka or kinesis",
                            name,
                        )
                    if (
                        section["json_schema"] is None
                        and node.config.input is not None
                        and node.config.input.json_schema is None
                    ):
                        report.add(
                            _p(prefix, "input.json_schema"),
                            "is required when parse_json is true: give the payload's "
                            "schema as DDL ('id BIGINT, ts TIMESTAMP'), a JSON dict or "
                            "a StructType",
                            name,
                        )
                elif section["json_schema"] is not None:
                    report.warn(_p(prefix, "input.json_schema"), "is ignored because parse_json is false")
            dead_letter = section["dead_letter"]
            if dead_letter is not None:
                dl_path = _p(prefix, "input.dead_letter")
                if not section["parse_json"]:
                    report.add(
                        dl_path,
                        "needs parse_json: true (dead letters are the records "
                        "that fail JSON parsing or do not fit json_schema)",
                        name,
                    )
                dl_fmt = dead_letter["format"]
                if self._format_known(
                    "output", dl_fmt, f"{dl_path}.format", name, report, check_policy=False
                ):
                    writer = registry.writers[dl_fmt].target
                    if not writer.supports_write_batch():
                        report.add(
                            f"{dl_path}.format",
                            f"format '{dl_fmt}' cannot write single batches, so it cannot "
                            "receive dead letters; use memory, delta or a file sink",
                            name,
                        )
                    self._run_validators(dl_fmt, "output", dead_letter, node, f"{dl_path}.", report)
                    self._required_options(dl_fmt, dead_letter, dl_path, name, report)
                    self._required_fields(dl_fmt, writer, dead_letter, dl_path, name, report)
        output = node.normalized["output"]
        if output is None:
            if require_output:
                report.add(
                    _p(prefix, "output"),
                    "is required: give the sink's 'format' (e.g. delta, console, memory)",
                    name,
                )
            return
        fmt = output["format"]
        if self._format_known("output", fmt, _p(prefix, "output.format"), name, report):
            writer = registry.writers[fmt].target
            self._run_validators(fmt, "output", output, node, _p(prefix, "output."), report)
            self._required_options(fmt, output, _p(prefix, "output"), name, report)
            self._required_fields(fmt, writer, output, _p(prefix, "output"), name, report)
            if (
                section is not None
                and section["dead_letter"] is not None
                and not writer.supports_write_batch()
            ):
                report.add(
                    _p(prefix, "output.format"),
                    f"sink '{fmt}' cannot write single batches; with a dead_letter the node runs as one "
                    "foreachBatch query, so choose a sink that implements write_batch (memory, delta, files)",
                    name,
                )
            modes = writer.supported_output_modes
            mode = node.normalized["streaming"]["output_mode"]
            if modes is not None and mode in StreamingOutputMode.__members__.values() and mode not in modes:
                report.add(
                    _p(prefix, "streaming.output_mode"),
                    f"sink '{fmt}' supports output modes {', '.join(sorted(modes))}, not '{mode}'",
                    name,
                )

    def _format_known(
        self,
        role: str,
        fmt: str,
        field: str,
        node_name: str,
        report: ValidationReport,
        check_policy: bool = True,
    ) -> bool:
        registry = get_registry()
        table = registry.readers if role == "input" else registry.writers
        kind = "reader" if role == "input" else "writer"
        owners = registry.conflicts.get((kind, fmt))
        if owners:
            report.add(
                field,
                f"format '{fmt}' is registered by several plugins "
                f"({', '.join(repr(o) for o in owners)}); disable all but one with TAURO_DISABLE_PLUGINS",
                node_name,
            )
            return False
        if fmt not in table:
            hint = ""
            streaming = self.format_policy.streaming_equivalent(fmt) if role == "input" else None
            if streaming is not None and streaming in table and streaming != fmt:
                hint = (
                    f"; '{fmt}' is a batch format, read it as a stream with format "
                    f"'{streaming}'"
                    + (f" and options.format: {fmt}" if streaming == "file_stream" else "")
                    + "."
                )
            else:
                hint = did_you_mean(fmt, sorted(table))
            known = ", ".join(sorted(table)) or "none"
            report.add(
                field,
                f"no {kind} is registered for format '{fmt}'{hint} Known {kind}s: "
                f"{known}. Install the plugin that provides it.",
                node_name,
                expected=known,
                actual=fmt,
            )
            return False
        if check_policy:
            problem = self.format_policy.check(role, fmt)
            if problem:
                report.add(field, problem, node_name)
                return False
        return True

    def _required_options(
        self, fmt: str, section: Mapping[str, Any], path: str, node_name: str, report: ValidationReport
    ) -> None:
        # Runs after the format's validators: a field they already explained is not repeated.
        reported = {p.field for p in report.problems}
        for option in STREAMING_FORMAT_CONFIGS.required_options(fmt):
            field = f"{path}.options.{option}"
            if option not in section.get("options", {}) and field not in reported:
                report.add(field, f"is required by format '{fmt}'", node_name)

    def _required_fields(
        self,
        fmt: str,
        cls: type[BaseStreamingReader] | type[BaseStreamingWriter],
        section: Mapping[str, Any],
        path: str,
        node_name: str,
        report: ValidationReport,
    ) -> None:
        # What the reader/writer class declares (requires_path, requires_schema); a field the
        # format's validators already explained is not repeated.
        reported = {p.field for p in report.problems}
        needs_schema = issubclass(cls, BaseStreamingReader) and cls.requires_schema
        wanted = [("path", cls.requires_path), ("schema", needs_schema)]
        for key, required in wanted:
            field = f"{path}.{key}"
            if required and section.get(key) in (None, "") and field not in reported:
                report.add(field, f"is required by format '{fmt}'", node_name)

    def _run_validators(
        self,
        fmt: str,
        role: str,
        section: Mapping[str, Any],
        node: ValidatedNode,
        prefix: str,
        report: ValidationReport,
    ) -> None:
        frozen_section = freeze(section)
        frozen_node = freeze(node.normalized)
        for registration in get_registry().validators_for(fmt, role):
            try:
                warnings = registration.function(frozen_section, frozen_node)
            except StreamingValidationError as exc:
                for problem in exc.problems:
                    field = problem.field
                    report.add(
                        f"{prefix}{field}" if field else prefix.rstrip("."), problem.message, node.name
                    )
                continue
            except Exception as exc:
                report.add(
                    prefix.rstrip("."),
                    f"validator of plugin '{registration.plugin}' for format '{fmt}' "
                    f"crashed ({type(exc).__name__}: {exc}); report it to the plugin's "
                    "authors",
                    node.name,
                    component=registration.plugin,
                )
                continue
            for warning in warnings or ():
                report.warn(prefix.rstrip("."), str(warning))

    # Phase 2: Trigger ------------------------------------------------------------------------
    def _phase_trigger(self, node: ValidatedNode, prefix: str, report: ValidationReport) -> None:
        trigger = node.normalized["streaming"]["trigger"]
        field = _p(prefix, "streaming.trigger")
        kind = trigger.get("type")
        valid = [t.value for t in StreamingTrigger]
        if kind not in valid:
            report.add(
                f"{field}.type",
                f"unknown trigger type '{kind}'"
                f"{did_you_mean(str(kind), valid)} Use one of {', '.join(valid)}.",
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
            self._check_interval(interval, f"{field}.interval", node.name, report)
        elif kind == StreamingTrigger.CONTINUOUS:
            if interval is not None:
                self._check_interval(interval, f"{field}.interval", node.name, report)
        else:
            if kind == StreamingTrigger.ONCE:
                report.warn(
                    f"{field}.type",
                    "trigger 'once' is deprecated in Spark; use "
                    "'available_now', which also respects rate limits",
                )
            if interval is not None:
                report.warn(f"{field}.interval", f"is ignored for '{kind}' triggers")

    def _check_interval(self, interval: str, field: str, node_name: str, report: ValidationReport) -> None:
        try:
            seconds = parse_duration(interval)
        except DurationError as exc:
            report.add(field, str(exc), node_name)
            return
        if seconds <= 0:
            report.add(field, f"'{interval}' must be greater than zero", node_name)
        elif seconds > MAX_TRIGGER_SECONDS:
            report.add(field, f"'{interval}' is longer than 365 days; use a shorter interval", node_name)

    # Phase 3: Structure (per node) ------------------------------------------------------------
    def _phase_structure_node(self, node: ValidatedNode, prefix: str, report: ValidationReport) -> None:
        name = node.name
        if not name or not NODE_NAME.match(name):
            report.add(
                _p(prefix, "name"),
                f"'{name}' is not a valid node name; use letters, digits, '_', '-' or '.'",
                name,
            )
        streaming = node.normalized["streaming"]
        mode = streaming["output_mode"]
        modes = [m.value for m in StreamingOutputMode]
        if mode not in modes:
            report.add(
                _p(prefix, "streaming.output_mode"),
                f"unknown output mode '{mode}'"
                f"{did_you_mean(str(mode), modes)} Use append, complete or update.",
                name,
            )
        section = node.normalized["input"]
        input_wm = section["watermark"] if section else None
        stream_wm = streaming["watermark"]
        if input_wm and stream_wm:
            report.add(
                _p(prefix, "streaming.watermark"),
                "a watermark is given twice (also in input.watermark); keep one",
                name,
            )
        for where, wm in (("input.watermark", input_wm), ("streaming.watermark", stream_wm)):
            if not wm:
                continue
            if not str(wm.get("column") or "").strip():
                report.add(_p(prefix, f"{where}.column"), "is required: the event-time column", name)
            try:
                delay = parse_duration(wm.get("delay"))
                if delay < 0:
                    report.add(_p(prefix, f"{where}.delay"), "must not be negative", name)
            except DurationError as exc:
                report.add(_p(prefix, f"{where}.delay"), str(exc), name)
            if where == "input.watermark" and section and section["parse_json"] and section["json_schema"]:
                self._check_watermark_column(
                    wm, section["json_schema"], node, _p(prefix, f"{where}.column"), report
                )

    def _check_watermark_column(
        self,
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

    # Phase 4: Safety (per node) ---------------------------------------------------------------
    def _phase_safety_node(self, node: ValidatedNode, prefix: str, report: ValidationReport) -> None:
        if node.config.function is not None:
            problem = check_function_spec(node.config.function, _p(prefix, "function"))
            if problem is not None:
                report.add(problem.field, problem.message, node.name)
        for index, spec in enumerate(node.config.transforms):
            problem = check_function_spec(spec, _p(prefix, f"transforms[{index}]"))
            if problem is not None:
                field = (problem.field or "").replace(".key", "") if problem.field else None
                report.add(field, problem.message, node.name)
        restart = node.normalized["restart"]
        if restart:
            if restart["max_attempts"] < 0:
                report.add(_p(prefix, "restart.max_attempts"), "must be 0 or more", node.name)
            for key in ("backoff", "max_backoff"):
                try:
                    if parse_duration(restart[key]) < 0:
                        report.add(_p(prefix, f"restart.{key}"), "must not be negative", node.name)
                except DurationError as exc:
                    report.add(_p(prefix, f"restart.{key}"), str(exc), node.name)

    # Pipeline-level structure and safety ------------------------------------------------------
    def _check_structure(self, pipeline: PipelineConfig, report: ValidationReport, raw_nodes: Any) -> None:
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
                elif dependency not in by_name and dependency not in _raw_names(raw_nodes):
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

    def _check_checkpoints(
        self, nodes: Iterable[ValidatedNode], report: ValidationReport, prefix_override: str | None
    ) -> None:
        owners: dict[str, str] = {}
        for node in nodes:
            prefix = prefix_override if prefix_override is not None else f"nodes[{node.index}]."
            streaming_cp = node.normalized["streaming"]["checkpoint_location"]
            output = node.normalized["output"] or {}
            option_cp = (output.get("options") or {}).get("checkpointLocation")
            if streaming_cp and option_cp and _norm(streaming_cp) != _norm(option_cp):
                report.add(
                    _p(prefix, "output.options.checkpointLocation"),
                    f"differs from streaming.checkpoint_location ('{streaming_cp}'); "
                    "give the checkpoint once",
                    node.name,
                )
            checkpoint = streaming_cp or option_cp
            if not checkpoint:
                continue
            field = _p(
                prefix,
                "streaming.checkpoint_location" if streaming_cp else "output.options.checkpointLocation",
            )
            key = _norm(checkpoint)
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
                if self.environment == "production":
                    report.add(field, message, node.name)
                else:
                    report.warn(field, message)


def _norm(path: str) -> str:
    return str(Path(path.removeprefix("file://").removeprefix("file:"))).rstrip("/")


def _raw_name(raw: Any) -> str | None:
    if isinstance(raw, Mapping) and isinstance(raw.get("name"), str):
        return str(raw["name"])
    return getattr(raw, "name", None)


def _raw_names(raw_nodes: Any) -> set[str]:
    if not isinstance(raw_nodes, list):
        return set()
    return {n for n in (_raw_name(r) for r in raw_nodes) if n}


def _node_name_at(raw_nodes: Any, field: str) -> str | None:
    match = re.match(r"nodes\[(\d+)\]", field or "")
    if match and isinstance(raw_nodes, list) and int(match[1]) < len(raw_nodes):
        return _raw_name(raw_nodes[int(match[1])])
    return None


def problems_to_report(problems: list[Problem]) -> ValidationReport:
    report = ValidationReport()
    for field, message in problems:
        report.add(field, message)
    return report
