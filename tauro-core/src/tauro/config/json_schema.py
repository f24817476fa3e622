"""JSON Schemas (draft 2020-12) of pipeline files and context files, for editors.

Built from the attrs models (their fields, types and defaults) and from the registry: the formats
are those registered, and each format's ``options`` are described by its reader's or writer's
``options_schema``, so the schema follows the installed plugins. Every shape the loader accepts
is accepted (a single name where a list is expected, ``"true"`` for a boolean, ``${VAR}`` in any
scalar); wrong keys, wrong types and unknown enum values are rejected where validation rejects them.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from typing import Any

import attrs

from tauro.config import models
from tauro.config.context import ENVIRONMENTS, ContextFile, FormatPolicySection, SparkSection
from tauro.config.names import DEFAULT_STREAMING_CONFIG, StreamingOutputMode, StreamingTrigger
from tauro.durations import DURATION_UNITS
from tauro.plugin.option_schema import INTERPOLATED, any_case, derived_options_schema
from tauro.plugins import get_registry
from tauro.registry import FormatRegistry

DRAFT = "https://json-schema.org/draft/2020-12/schema"
_UNIT_PATTERN = "|".join(any_case(unit) for unit in sorted(DURATION_UNITS, key=len, reverse=True))
#: What ``parse_duration`` accepts: a number and a unit ("10 seconds", "30s", "1.5 h").
DURATION: dict[str, Any] = {
    "anyOf": [
        {"type": "string", "pattern": rf"^\s*[+-]?\d+(\.\d+)?\s*(?:{_UNIT_PATTERN})\s*$"},
        INTERPOLATED,
    ],
    "examples": ["10 seconds", "5 minutes", "30s", "1 hour", "500 ms"],
}
_BOOL_TEXT = {"type": "string", "pattern": rf"^\s*(?:{any_case('true')}|{any_case('false')})\s*$"}
_NAME = {"anyOf": [{"type": "string", "pattern": r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$"}, INTERPOLATED]}
_NAMES = {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
#: A Spark schema: DDL text ("id BIGINT, ts TIMESTAMP") or Spark's JSON form.
_SPARK_SCHEMA = {"type": ["string", "object", "null"]}

#: What each key means, as editors show it. A test checks every model field has one.
DESCRIPTIONS: dict[str, str] = {
    "PipelineConfig.name": "Pipeline name (default: the file's stem); part of query names and checkpoints.",
    "PipelineConfig.type": "'streaming', or 'hybrid' to mix bounded and continuous triggers.",
    "PipelineConfig.description": "Free text.",
    "PipelineConfig.nodes": "The pipeline's nodes: each reads an input, transforms it and writes an output.",
    "PipelineConfig.streaming": "Defaults merged deeply into every node's 'streaming'; its "
    "checkpoint_location is a base directory (each node's checkpoint is <base>/<node>).",
    "PipelineConfig.restart": "Default restart policy for every node.",
    "PipelineConfig.on_failure": "When a node has failed for good: 'stop' stops the pipeline, "
    "'isolate' stops only its downstream.",
    "PipelineConfig.expectations": "Expectations declared once; nodes refer to them by name.",
    "NodeConfig.name": "Unique in the pipeline: letters, digits, '_', '-', '.'.",
    "NodeConfig.description": "Free text.",
    "NodeConfig.input": "The source.",
    "NodeConfig.transforms": "Registered transformation keys, or {key, params} mappings, applied in order.",
    "NodeConfig.function": "One more transformation after 'transforms': a key or {key, params} "
    "({module, function} only with STREAMING_UNSAFE_IMPORT=true).",
    "NodeConfig.output": "The sink.",
    "NodeConfig.streaming": "Trigger, output mode, checkpoint, query name, watermark.",
    "NodeConfig.depends_on": "Node names this node waits for (one name or a list).",
    "NodeConfig.restart": "Restart policy (default: no restarts).",
    "NodeConfig.expectations": "Data-quality rules checked on every row before the write: names "
    "of pipeline-level expectations or mappings.",
    "InputConfig.format": "A registered reader (`tauro plugins` lists them).",
    "InputConfig.path": "Location of path-based sources.",
    "InputConfig.table_name": "Table of table-based sources.",
    "InputConfig.options": "Options of the format, passed to the source as strings.",
    "InputConfig.schema": "The source's schema: Spark DDL ('id BIGINT, ts TIMESTAMP') or Spark's JSON form.",
    "InputConfig.parse_json": "Parse the reader's payload column as JSON with json_schema.",
    "InputConfig.json_schema": "The payload's schema (required with parse_json).",
    "InputConfig.watermark": "{column, delay}; the column must be a TIMESTAMP.",
    "InputConfig.dead_letter": "Where records that do not parse (and quarantined rows) go: "
    "a sink with batch writes.",
    "OutputConfig.format": "A registered writer (`tauro plugins` lists them).",
    "OutputConfig.path": "Location of path-based sinks.",
    "OutputConfig.table_name": "Table of table-based sinks.",
    "OutputConfig.partition_by": "Partition columns (one name or a list).",
    "OutputConfig.options": "Options of the format, passed to the sink as strings.",
    "StreamingConfig.trigger": "When micro-batches run.",
    "StreamingConfig.output_mode": "'append', 'complete' or 'update' (a sink may support fewer).",
    "StreamingConfig.checkpoint_location": "Stable checkpoint directory "
    "(default: <checkpoint base>/<pipeline>/<node>).",
    "StreamingConfig.query_name": "Query name (default: <pipeline>__<node>); unique among active queries.",
    "StreamingConfig.watermark": "{column, delay}, applied after the transformations.",
    "StreamingConfig.options": "Extra streaming options.",
    "TriggerConfig.type": "processing_time, available_now, once (deprecated by Spark) or continuous.",
    "TriggerConfig.interval": "Interval of processing_time and continuous triggers, e.g. '10 seconds'.",
    "WatermarkConfig.column": "The event-time column (a TIMESTAMP).",
    "WatermarkConfig.delay": "How late data may arrive, e.g. '10 minutes'.",
    "FunctionConfig.key": "A transformation registered with TransformationRegistry.",
    "FunctionConfig.params": "Passed as the second argument to fn(df, params).",
    "FunctionConfig.module": "Module to import (only with STREAMING_UNSAFE_IMPORT=true).",
    "FunctionConfig.function": "Function of that module.",
    "ExpectationConfig.name": "Unique in the node; the name in counts and reasons.",
    "ExpectationConfig.expr": "A Spark SQL boolean expression over the row's columns (NULL is a violation).",
    "ExpectationConfig.action": "warn (keep, count), drop, quarantine (to input.dead_letter) or fail.",
    "ExpectationConfig.max_fraction": "Fail when more than this fraction (0 to 1) of a batch breaks it.",
    "ExpectationConfig.max_count": "Fail when more than this many rows of a batch break it.",
    "RestartPolicy.max_attempts": "Restarts before the node fails for good.",
    "RestartPolicy.backoff": "Wait before the first restart, doubled each time.",
    "RestartPolicy.max_backoff": "Longest wait between restarts.",
    "ContextFile.spark": "Spark settings of the session Tauro builds.",
    "ContextFile.base_dir": "Where runs, memory spools, default checkpoints and the warehouse live.",
    "ContextFile.checkpoint_base": "Base of default checkpoints (default: <base_dir>/checkpoints).",
    "ContextFile.output_path": "Base for relative output paths.",
    "ContextFile.warehouse": "Where table_name tables live.",
    "ContextFile.environment": "dev or production (production refuses temporary checkpoints).",
    "ContextFile.format_policy": "Which formats this context allows.",
    "SparkSection.master": "Spark master URL.",
    "SparkSection.remote": "Spark Connect server URL (sc://host:port); Tauro then sets no master.",
    "SparkSection.app_name": "Spark application name.",
    "SparkSection.conf": "Spark configuration (spark.* keys).",
    "SparkSection.plugins": "Plugins whose packages the session always gets ('all' or names).",
    "FormatPolicySection.inputs": "Formats allowed as inputs (omit for all registered).",
    "FormatPolicySection.outputs": "Formats allowed as outputs (omit for all registered).",
    "FormatPolicySection.batch_to_streaming": "Which streaming format stands for a batch one "
    "(delta: delta_stream).",
}


def _choices(values: typing.Iterable[str]) -> dict[str, Any]:
    return {"anyOf": [{"enum": list(values)}, INTERPOLATED]}


def _bool() -> dict[str, Any]:
    return {"anyOf": [{"type": "boolean"}, _BOOL_TEXT, INTERPOLATED]}


def _int(minimum: int | None = None) -> dict[str, Any]:
    number: dict[str, Any] = {"type": "integer"}
    if minimum is not None:
        number["minimum"] = minimum
    return {"anyOf": [number, {"type": "string", "pattern": r"^\s*-?\d+\s*$"}, INTERPOLATED]}


def _number(minimum: float, maximum: float) -> dict[str, Any]:
    number = {"type": "number", "minimum": minimum, "maximum": maximum}
    return {"anyOf": [number, {"type": "string", "pattern": r"^\s*[0-9.eE+-]+\s*$"}, INTERPOLATED]}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    # if/else rather than anyOf with null: errors inside ``schema`` keep their own path.
    return {"if": {"type": "null"}, "else": schema}


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/$defs/{name}"}


def _function() -> dict[str, Any]:
    return {"anyOf": [{"type": "string"}, _ref("FunctionConfig")]}


#: Fields whose accepted shape the type annotation does not say (enums, durations, references).
OVERRIDES: dict[str, dict[str, Any]] = {
    "PipelineConfig.type": _choices(models.PIPELINE_TYPES),
    "PipelineConfig.on_failure": _choices(models.FAILURE_POLICIES),
    "PipelineConfig.nodes": {"type": "array", "minItems": 1, "items": _ref("NodeConfig")},
    "PipelineConfig.streaming": _ref("PipelineStreamingConfig"),
    "PipelineConfig.expectations": {"type": "array", "items": _ref("ExpectationConfig")},
    "NodeConfig.name": _NAME,
    "NodeConfig.transforms": {
        "anyOf": [{"type": "null"}, _function(), {"type": "array", "items": _function()}]
    },
    "NodeConfig.function": {"anyOf": [{"type": "null"}, _function()]},
    "NodeConfig.expectations": {
        "type": "array",
        "items": {"anyOf": [{"type": "string"}, _ref("ExpectationReference")]},
    },
    "InputConfig.schema": _SPARK_SCHEMA,
    "InputConfig.json_schema": _SPARK_SCHEMA,
    "InputConfig.dead_letter": _nullable(_ref("DeadLetterConfig")),
    "StreamingConfig.output_mode": _nullable(_choices(m.value for m in StreamingOutputMode)),
    "TriggerConfig.type": _choices(t.value for t in StreamingTrigger),
    "TriggerConfig.interval": _nullable(DURATION),
    "WatermarkConfig.delay": DURATION,
    "ExpectationConfig.name": _NAME,
    "ExpectationConfig.action": _choices(models.EXPECTATION_ACTIONS),
    "ExpectationConfig.max_fraction": _nullable(_number(0, 1)),
    "ExpectationConfig.max_count": _nullable(_int(0)),
    "RestartPolicy.max_attempts": _int(0),
    "RestartPolicy.backoff": DURATION,
    "RestartPolicy.max_backoff": DURATION,
    "ContextFile.environment": _choices(ENVIRONMENTS),
}
#: Defaults applied by normalization rather than by the model.
DEFAULTS: dict[str, Any] = {
    "TriggerConfig.type": DEFAULT_STREAMING_CONFIG["trigger"]["type"],
    "TriggerConfig.interval": DEFAULT_STREAMING_CONFIG["trigger"]["interval"],
    "StreamingConfig.output_mode": DEFAULT_STREAMING_CONFIG["output_mode"],
}


def _from_type(hint: Any) -> dict[str, Any]:
    """The schema of an annotation: str, bool, int, float, mappings, name lists, models, unions."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = typing.get_args(hint)
        inner = [_from_type(a) for a in args if a is not type(None)]
        if type(None) not in args:
            return inner[0] if len(inner) == 1 else {"anyOf": inner}
        return _nullable(inner[0] if len(inner) == 1 else {"anyOf": inner})
    if hint is str:
        return {"type": "string"}
    if hint is bool:
        return _bool()
    if hint is int:
        return _int()
    if hint is float:
        return _number(float("-inf"), float("inf"))
    if hint == tuple[str, ...]:
        return _NAMES
    if typing.get_origin(hint) is Mapping or hint is Mapping:
        return {"type": "object"}
    if attrs.has(hint):
        return _ref(hint.__name__)
    return {}


def model_schema(
    cls: type, *, exclude: tuple[str, ...] = (), required: tuple[str, ...] | None = None
) -> dict[str, Any]:
    """A closed object schema of an attrs model: one property per field, with its description
    and default; fields without a default are required unless ``required`` says otherwise."""
    hints = typing.get_type_hints(cls)
    properties: dict[str, Any] = {}
    needed: list[str] = []
    for field in attrs.fields(cls):
        if field.name in exclude:
            continue
        key = f"{cls.__name__}.{field.name}"
        schema = dict(OVERRIDES.get(key) or _from_type(hints[field.name]))
        schema["description"] = DESCRIPTIONS[key]
        default = DEFAULTS.get(key, field.default)
        if (
            default is not attrs.NOTHING
            and not hasattr(default, "factory")  # attrs.Factory: an empty mapping or model
            and default not in (None, ())
        ):
            schema["default"] = default
        if field.default is attrs.NOTHING:
            needed.append(field.name)
        properties[field.name] = schema
    result: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if cls.__doc__ and not cls.__doc__.startswith(cls.__name__):
        result["description"] = " ".join(cls.__doc__.split())
    names = needed if required is None else list(required)
    if names:
        result["required"] = names
    return result


def _options_of(target: Any) -> dict[str, Any]:
    declared = getattr(target, "options_schema", None)
    if declared is not None:
        return dict(declared)
    return derived_options_schema(target.required_options, target.optional_options, target.structured_options)


def _format_dispatch(
    base: dict[str, Any], registrations: Mapping[str, Any], kind: str, defs: dict[str, Any]
) -> dict[str, Any]:
    """``base`` with its ``format`` limited to the registered names and, for each, the options
    (and required ``path``) of that format's class."""
    names = sorted(registrations)
    base["properties"]["format"] = {
        **base["properties"]["format"],
        "anyOf": [
            {"enum": names},
            INTERPOLATED,
        ],
    }
    base["properties"]["format"]["description"] += " Installed: " + ", ".join(
        f"{name} ({registrations[name].plugin})" for name in names
    )
    branches = []
    for name in names:
        target = registrations[name].target
        options_def = f"{name}.{kind}.options"
        defs[options_def] = _options_of(target)
        then: dict[str, Any] = {"properties": {"options": _ref(options_def)}}
        if getattr(target, "requires_path", False):
            then["required"] = ["path"]
        if getattr(target, "requires_schema", False):
            then["required"] = [*then.get("required", []), "schema"]
        branches.append(
            {"if": {"properties": {"format": {"const": name}}, "required": ["format"]}, "then": then}
        )
    base["allOf"] = branches
    return base


def _with_node_trigger_rule(pipeline: dict[str, Any]) -> dict[str, Any]:
    """Without a trigger type in the pipeline's defaults, a node's trigger needs its own."""
    has_default_type = {
        "required": ["streaming"],
        "properties": {
            "streaming": {"required": ["trigger"], "properties": {"trigger": {"required": ["type"]}}}
        },
    }
    node_needs_type = {
        "properties": {"streaming": {"properties": {"trigger": _nullable({"required": ["type"]})}}}
    }
    pipeline["if"] = {"not": has_default_type}
    pipeline["then"] = {"properties": {"nodes": {"items": node_needs_type}}}
    return pipeline


def pipeline_schema(registry: FormatRegistry | None = None) -> dict[str, Any]:
    """The JSON Schema of a pipeline file: one pipeline, or several under ``pipelines``."""
    registry = registry or get_registry()
    readers, writers = dict(registry.readers), dict(registry.writers)
    batch_writers = {n: r for n, r in writers.items() if r.target.supports_write_batch()}
    defs: dict[str, Any] = {}
    defs["PipelineConfig"] = _with_node_trigger_rule(model_schema(models.PipelineConfig, required=("nodes",)))
    defs["NodeConfig"] = model_schema(models.NodeConfig, required=("name", "input"))
    defs["InputConfig"] = _format_dispatch(model_schema(models.InputConfig), readers, "input", defs)
    defs["OutputConfig"] = _format_dispatch(model_schema(models.OutputConfig), writers, "output", defs)
    dead_letter = _format_dispatch(model_schema(models.OutputConfig), batch_writers, "output", defs)
    dead_letter["description"] = "A sink that writes per batch (its writer implements write_batch)."
    defs["DeadLetterConfig"] = dead_letter
    node_streaming = model_schema(models.StreamingConfig)
    node_streaming["properties"]["trigger"]["else"] = _ref("NodeTriggerConfig")
    defs["StreamingConfig"] = node_streaming
    defs["PipelineStreamingConfig"] = model_schema(models.StreamingConfig, exclude=("query_name",))
    defs["TriggerConfig"] = model_schema(models.TriggerConfig)
    # A node's trigger merges over the pipeline's: its type may come from there.
    defs["NodeTriggerConfig"] = model_schema(models.TriggerConfig, required=())
    defs["WatermarkConfig"] = model_schema(models.WatermarkConfig)
    defs["FunctionConfig"] = model_schema(models.FunctionConfig)
    defs["ExpectationConfig"] = model_schema(models.ExpectationConfig)
    # A node's entry may name a pipeline-level expectation and override some of its keys.
    defs["ExpectationReference"] = model_schema(models.ExpectationConfig, required=("name",))
    defs["RestartPolicy"] = model_schema(models.RestartPolicy)
    defs["PipelinesFile"] = {
        "type": "object",
        "description": "Several pipelines by name (run one with --pipeline NAME).",
        "properties": {
            "pipelines": {
                "type": "object",
                "minProperties": 1,
                "additionalProperties": _ref("PipelineConfig"),
            }
        },
        "required": ["pipelines"],
        "additionalProperties": False,
    }
    return {
        "$schema": DRAFT,
        "title": "Tauro pipeline configuration",
        "description": "A Tauro pipeline file (YAML or JSON): one pipeline, or several under 'pipelines'.",
        # if/then rather than anyOf, so an error is reported at its own path, not at the root.
        "if": {"type": "object", "required": ["pipelines"]},
        "then": _ref("PipelinesFile"),
        "else": _ref("PipelineConfig"),
        "$defs": defs,
    }


def context_schema() -> dict[str, Any]:
    """The JSON Schema of a context file (``Context.load_from_file``)."""
    defs = {
        "SparkSection": model_schema(SparkSection),
        "FormatPolicySection": model_schema(FormatPolicySection),
    }
    return {
        "$schema": DRAFT,
        "title": "Tauro context file",
        **model_schema(ContextFile),
        "$defs": defs,
    }
