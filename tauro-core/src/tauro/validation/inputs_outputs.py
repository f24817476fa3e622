"""Phase 1, I/O: every input, output and dead-letter format is registered, allowed by the
format policy and accepted by its plugin's validators; required options and fields are given."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tauro.config.converter import did_you_mean
from tauro.config.normalize import freeze
from tauro.errors import (
    StreamingValidationError,
)
from tauro.plugin.readers import BaseStreamingReader
from tauro.plugin.writers import BaseStreamingWriter
from tauro.plugins import get_registry
from tauro.streaming.constants import (
    STREAMING_FORMAT_CONFIGS,
    StreamingOutputMode,
)
from tauro.validation.report import ValidatedNode, ValidationReport, ValidationRules, field_path


def check_io(
    rules: ValidationRules, node: ValidatedNode, prefix: str, report: ValidationReport, require_output: bool
) -> None:
    section = node.normalized["input"]
    if section is None:
        report.add(
            field_path(prefix, "input"),
            "is required: give the source's 'format' (and its 'options')",
            node.name,
        )
    else:
        check_input(rules, node, section, prefix, report)
        if section["dead_letter"] is not None:
            check_dead_letter(rules, node, section, section["dead_letter"], prefix, report)
    check_output(rules, node, section, prefix, report, require_output)


def check_input(
    rules: ValidationRules,
    node: ValidatedNode,
    section: Mapping[str, Any],
    prefix: str,
    report: ValidationReport,
) -> None:
    """The input's format, its plugin's validators, required options and fields, parse_json."""
    registry = get_registry()
    name = node.name
    fmt = section["format"]
    if format_known(rules, "input", fmt, field_path(prefix, "input.format"), name, report):
        reader = registry.readers[fmt].target
        run_validators(rules, fmt, "input", section, node, field_path(prefix, "input."), report)
        required_options(rules, fmt, section, field_path(prefix, "input"), name, report)
        required_fields(rules, fmt, reader, section, field_path(prefix, "input"), name, report)
        if reader.dev_only:
            message = f"format '{fmt}' is for development only: it has no replay, so a restart loses data"
            if rules.environment == "production":
                report.add(field_path(prefix, "input.format"), message, name)
            else:
                report.warn(field_path(prefix, "input.format"), message)
        if section["parse_json"]:
            if reader.payload_column is None:
                report.add(
                    field_path(prefix, "input.parse_json"),
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
                    field_path(prefix, "input.json_schema"),
                    "is required when parse_json is true: give the payload's "
                    "schema as DDL ('id BIGINT, ts TIMESTAMP'), a JSON dict or "
                    "a StructType",
                    name,
                )
        elif section["json_schema"] is not None:
            report.warn(field_path(prefix, "input.json_schema"), "is ignored because parse_json is false")


def check_dead_letter(
    rules: ValidationRules,
    node: ValidatedNode,
    section: Mapping[str, Any],
    dead_letter: Mapping[str, Any],
    prefix: str,
    report: ValidationReport,
) -> None:
    """The dead-letter sink: parse_json on, a registered writer that can write single batches."""
    registry = get_registry()
    name = node.name
    dl_path = field_path(prefix, "input.dead_letter")
    quarantines = any(e.action == "quarantine" for e in node.config.expectations)
    if not section["parse_json"] and not quarantines:
        report.add(
            dl_path,
            "needs parse_json: true or an expectation with action quarantine (dead letters are "
            "the records that fail JSON parsing or do not fit json_schema, and quarantined rows)",
            name,
        )
    dl_fmt = dead_letter["format"]
    if format_known(rules, "output", dl_fmt, f"{dl_path}.format", name, report, check_policy=False):
        writer = registry.writers[dl_fmt].target
        if not writer.supports_write_batch():
            report.add(
                f"{dl_path}.format",
                f"format '{dl_fmt}' cannot write single batches, so it cannot "
                "receive dead letters; use memory, delta or a file sink",
                name,
            )
        run_validators(rules, dl_fmt, "output", dead_letter, node, f"{dl_path}.", report)
        required_options(rules, dl_fmt, dead_letter, dl_path, name, report)
        required_fields(rules, dl_fmt, writer, dead_letter, dl_path, name, report)


def check_output(
    rules: ValidationRules,
    node: ValidatedNode,
    section: Mapping[str, Any] | None,
    prefix: str,
    report: ValidationReport,
    require_output: bool,
) -> None:
    """The output's format, its plugin's validators, required options, batch writes, output mode."""
    registry = get_registry()
    name = node.name
    output = node.normalized["output"]
    if output is None:
        if require_output:
            report.add(
                field_path(prefix, "output"),
                "is required: give the sink's 'format' (e.g. delta, console, memory)",
                name,
            )
        return
    fmt = output["format"]
    if format_known(rules, "output", fmt, field_path(prefix, "output.format"), name, report):
        writer = registry.writers[fmt].target
        run_validators(rules, fmt, "output", output, node, field_path(prefix, "output."), report)
        required_options(rules, fmt, output, field_path(prefix, "output"), name, report)
        required_fields(rules, fmt, writer, output, field_path(prefix, "output"), name, report)
        if section is not None and section["dead_letter"] is not None and not writer.supports_write_batch():
            report.add(
                field_path(prefix, "output.format"),
                f"sink '{fmt}' cannot write single batches; with a dead_letter the node runs as one "
                "foreachBatch query, so choose a sink that implements write_batch (memory, delta, files)",
                name,
            )
        modes = writer.supported_output_modes
        mode = node.normalized["streaming"]["output_mode"]
        if modes is not None and mode in StreamingOutputMode.__members__.values() and mode not in modes:
            report.add(
                field_path(prefix, "streaming.output_mode"),
                f"sink '{fmt}' supports output modes {', '.join(sorted(modes))}, not '{mode}'",
                name,
            )


def format_known(
    rules: ValidationRules,
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
        streaming = rules.format_policy.streaming_equivalent(fmt) if role == "input" else None
        if streaming is not None and streaming in table and streaming != fmt:
            hint = (
                f"; '{fmt}' is a batch format, read it as a stream with format "
                f"'{streaming}'" + (f" and options.format: {fmt}" if streaming == "file_stream" else "") + "."
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
        problem = rules.format_policy.check(role, fmt)
        if problem:
            report.add(field, problem, node_name)
            return False
    return True


def required_options(
    rules: ValidationRules,
    fmt: str,
    section: Mapping[str, Any],
    path: str,
    node_name: str,
    report: ValidationReport,
) -> None:
    # Runs after the format's validators: a field they already explained is not repeated.
    reported = {p.field for p in report.problems}
    for option in STREAMING_FORMAT_CONFIGS.required_options(fmt):
        field = f"{path}.options.{option}"
        if option not in section.get("options", {}) and field not in reported:
            report.add(field, f"is required by format '{fmt}'", node_name)


def required_fields(
    rules: ValidationRules,
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


def run_validators(
    rules: ValidationRules,
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
                report.add(f"{prefix}{field}" if field else prefix.rstrip("."), problem.message, node.name)
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
