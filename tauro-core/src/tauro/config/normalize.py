"""Turn a structured node into the read-only sections validators, readers and writers see.

Option values become strings (booleans lower-case) as Spark expects; lists and mappings are
allowed only for options the format's reader/writer declares in ``structured_options`` and are
passed to Spark as JSON. Schemas become Spark's JSON form.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import attrs

from tauro.config.converter import Problem
from tauro.config.models import InputConfig, NodeConfig, OutputConfig, WatermarkConfig
from tauro.config.names import DEFAULT_STREAMING_CONFIG
from tauro.config.schemas import SchemaError, schema_to_json
from tauro.plugins import get_registry


def option_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple | Mapping):
        return json.dumps(value, separators=(",", ":"), default=str)
    return str(value)


def normalize_options(
    options: Mapping[str, Any], structured: frozenset[str], path: str
) -> tuple[dict[str, Any], list[Problem]]:
    result: dict[str, Any] = {}
    problems: list[Problem] = []
    for key, value in options.items():
        where = f"{path}.{key}"
        if callable(value) and key in structured:
            result[str(key)] = value  # e.g. a foreach_batch function given from Python
        elif value is None:
            problems.append((where, "has no value; give a value or remove the option"))
        elif isinstance(value, list | tuple | Mapping) and key not in structured:
            problems.append(
                (
                    where,
                    f"must be a single value (string, number or boolean), not a "
                    f"{'list' if isinstance(value, list | tuple) else 'mapping'}; "
                    "this format does not take structured values here",
                )
            )
        elif not isinstance(value, str | int | float | bool | list | tuple | Mapping):
            problems.append((where, f"must be a string, number or boolean, not {type(value).__name__}"))
        else:
            result[str(key)] = option_value(value)
    return result, problems


def _schema(value: Any, path: str, problems: list[Problem]) -> dict[str, Any] | None:
    if value is None:
        return None
    try:
        return schema_to_json(value)
    except SchemaError as exc:
        problems.append((path, f"{exc}"))
        return None


def _watermark(value: WatermarkConfig | None) -> dict[str, Any] | None:
    return attrs.asdict(value) if value is not None else None


def _output(
    section: OutputConfig, structured: frozenset[str], path: str, problems: list[Problem]
) -> dict[str, Any]:
    options, option_problems = normalize_options(section.options, structured, f"{path}.options")
    problems.extend(option_problems)
    return {
        "format": section.format.lower(),
        "path": section.path,
        "table_name": section.table_name,
        "partition_by": list(section.partition_by) if section.partition_by else None,
        "options": options,
    }


def _input(
    section: InputConfig,
    structured: frozenset[str],
    dl_structured: frozenset[str],
    path: str,
    problems: list[Problem],
) -> dict[str, Any]:
    options, option_problems = normalize_options(section.options, structured, f"{path}.options")
    problems.extend(option_problems)
    return {
        "format": section.format.lower(),
        "path": section.path,
        "table_name": section.table_name,
        "options": options,
        "schema": _schema(section.schema, f"{path}.schema", problems),
        "parse_json": section.parse_json,
        "json_schema": _schema(section.json_schema, f"{path}.json_schema", problems),
        "watermark": _watermark(section.watermark),
        "dead_letter": (
            _output(section.dead_letter, dl_structured, f"{path}.dead_letter", problems)
            if section.dead_letter
            else None
        ),
    }


def _structured(kind: str, format_name: str | None) -> frozenset[str]:
    if not format_name:
        return frozenset()
    registry = get_registry()
    table = registry.readers if kind == "reader" else registry.writers
    reg = table.get(format_name.lower())
    return reg.target.structured_options if reg is not None else frozenset()


def normalize_node(node: NodeConfig, path: str = "") -> tuple[dict[str, Any], list[Problem]]:
    """The normalized node as plain dicts (see ``freeze`` for the read-only view)."""
    prefix = f"{path}." if path else ""
    problems: list[Problem] = []
    streaming = node.streaming
    trigger = (
        attrs.asdict(streaming.trigger)
        if streaming.trigger is not None
        else dict(DEFAULT_STREAMING_CONFIG["trigger"])
    )
    normalized: dict[str, Any] = {
        "name": node.name,
        "description": node.description,
        "input": None,
        "transforms": list(node.transforms),
        "function": node.function,
        "output": None,
        "streaming": {
            "trigger": trigger,
            "output_mode": (streaming.output_mode or DEFAULT_STREAMING_CONFIG["output_mode"]),
            "checkpoint_location": streaming.checkpoint_location,
            "query_name": streaming.query_name,
            "watermark": _watermark(streaming.watermark),
            "options": normalize_options(streaming.options, frozenset(), f"{prefix}streaming.options")[0],
        },
        "depends_on": list(node.depends_on),
        "restart": attrs.asdict(node.restart) if node.restart is not None else None,
        "expectations": [attrs.asdict(e) for e in node.expectations],
    }
    if node.input is not None:
        dl_format = node.input.dead_letter.format if node.input.dead_letter else None
        normalized["input"] = _input(
            node.input,
            _structured("reader", node.input.format),
            _structured("writer", dl_format),
            f"{prefix}input",
            problems,
        )
    if node.output is not None:
        normalized["output"] = _output(
            node.output, _structured("writer", node.output.format), f"{prefix}output", problems
        )
    _, stream_option_problems = normalize_options(
        streaming.options, frozenset(), f"{prefix}streaming.options"
    )
    problems.extend(stream_option_problems)
    problems.extend(_query_option_clashes(streaming.options, f"{prefix}streaming.options"))
    return normalized, problems


#: Query options that have a field of their own (``streaming.options`` are set on the query's
#: ``DataStreamWriter``, where these would fight the field or the keyword core passes).
_QUERY_OPTION_FIELDS = {
    "checkpointLocation": "streaming.checkpoint_location",
    "checkpoint_location": "streaming.checkpoint_location",
    "queryName": "streaming.query_name",
    "query_name": "streaming.query_name",
    "outputMode": "streaming.output_mode",
    "output_mode": "streaming.output_mode",
    "trigger": "streaming.trigger",
    "path": "output.path",
    "table_name": "output.table_name",
    "partition_by": "output.partition_by",
}


def _query_option_clashes(options: Mapping[str, Any], path: str) -> list[Problem]:
    return [
        (f"{path}.{key}", f"has a field of its own: set {_QUERY_OPTION_FIELDS[key]} instead")
        for key in options
        if key in _QUERY_OPTION_FIELDS
    ]


def freeze(value: Any) -> Any:
    """A read-only deep view: mappings become ``MappingProxyType``, lists become tuples."""
    if isinstance(value, Mapping):
        return MappingProxyType({k: freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(freeze(v) for v in value)
    return value
