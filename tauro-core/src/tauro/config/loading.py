"""Reading pipeline files and dicts: YAML/JSON, interpolation, default merging, structuring.

Everything here collects problems instead of stopping at the first, so ``tauro validate`` can
show every mistake at once. Problems are ``(path, message)`` pairs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
import yaml

from tauro.config.converter import Problem, did_you_mean, structure_with_problems
from tauro.config.expectation_sets import resolve_node_expectations, shared_expectations
from tauro.config.interpolation import InterpolationError, interpolate
from tauro.config.merging import deep_merge
from tauro.config.models import PIPELINE_KEYS, NodeConfig, PipelineConfig, StreamingConfig
from tauro.errors import StreamingValidationError


def read_config_file(path: str | Path) -> Any:
    """Parse a YAML or JSON file (``yaml.safe_load`` only); a clear error names line and column."""
    file = Path(path)
    if not file.is_file():
        raise StreamingValidationError(
            f"Configuration file '{file}' does not exist or is not a file.",
            field="file",
            actual=str(file),
            component="ConfigLoader",
        )
    text = file.read_text(encoding="utf-8")
    try:
        if file.suffix.lower() == ".json":
            return json.loads(text)
        return yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise StreamingValidationError(
            f"{file}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}. "
            "Fix the syntax (a missing comma or quote is the usual cause).",
            field="file",
            component="ConfigLoader",
        ) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise StreamingValidationError(
            f"{file}: invalid YAML{where}: {problem}. Check indentation and quoting there.",
            field="file",
            component="ConfigLoader",
        ) from exc


def select_pipeline(raw: Any, pipeline: str | None = None) -> tuple[str | None, Any]:
    """From a file's content, the pipeline to use: the only one, or ``pipelines[NAME]``."""
    if isinstance(raw, Mapping) and "pipelines" in raw:
        pipelines = raw["pipelines"]
        if not isinstance(pipelines, Mapping) or not pipelines:
            raise StreamingValidationError(
                "'pipelines' must map pipeline names to pipeline definitions.",
                field="pipelines",
                component="ConfigLoader",
            )
        names = [str(n) for n in pipelines]
        if pipeline is None:
            if len(names) == 1:
                pipeline = names[0]
            else:
                raise StreamingValidationError(
                    f"This file defines several pipelines ({', '.join(names)}); choose one with "
                    "--pipeline NAME.",
                    field="pipelines",
                    component="ConfigLoader",
                )
        if pipeline not in pipelines:
            raise StreamingValidationError(
                f"No pipeline named '{pipeline}' in this file{did_you_mean(pipeline, names)} "
                f"Defined: {', '.join(names)}.",
                field=f"pipelines.{pipeline}",
                component="ConfigLoader",
            )
        return pipeline, pipelines[pipeline]
    if pipeline is not None and isinstance(raw, Mapping) and raw.get("name") not in (None, pipeline):
        raise StreamingValidationError(
            f"This file holds pipeline '{raw.get('name')}', not '{pipeline}'.",
            field="name",
            component="ConfigLoader",
        )
    return pipeline, raw


def list_pipelines(raw: Any) -> list[str]:
    if isinstance(raw, Mapping) and isinstance(raw.get("pipelines"), Mapping):
        return [str(n) for n in raw["pipelines"]]
    if isinstance(raw, Mapping):
        return [str(raw.get("name") or "pipeline")]
    return []


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def interpolate_tree(
    raw: Any, variables: Mapping[str, Any] | None, path: str = ""
) -> tuple[Any, list[Problem]]:
    errors: list[InterpolationError] = []
    value = interpolate(raw, variables, path, errors)
    return value, [(e.path, str(e)) for e in errors]


def prepare_node(
    raw: Any,
    path: str,
    defaults: Mapping[str, Any] | None = None,
    restart_defaults: Mapping[str, Any] | None = None,
    checkpoint_base: str | None = None,
    shared_expectations: Mapping[str, Mapping[str, Any]] | None = None,
) -> tuple[NodeConfig | None, list[Problem]]:
    """Merge pipeline defaults into one raw node and structure it."""
    if not isinstance(raw, Mapping):
        return None, [
            (path, f"a node must be a mapping with 'name', 'input', 'output', ...; got {type(raw).__name__}")
        ]
    node = dict(raw)
    streaming = node.get("streaming")
    if defaults:
        if streaming is None:
            streaming = {}
        if isinstance(streaming, Mapping):
            streaming = deep_merge(defaults, streaming)
    if checkpoint_base and isinstance(streaming, Mapping | type(None)):
        streaming = dict(streaming or {})
        if not streaming.get("checkpoint_location") and isinstance(node.get("name"), str):
            streaming["checkpoint_location"] = f"{checkpoint_base.rstrip('/')}/{node['name']}"
    if streaming is not None:
        node["streaming"] = streaming
    if restart_defaults and isinstance(node.get("restart", {}), Mapping):
        node["restart"] = deep_merge(restart_defaults, node.get("restart") or {})
    reference_problems: list[Problem] = []
    if "expectations" in node:
        node["expectations"], reference_problems = resolve_node_expectations(
            node["expectations"], shared_expectations or {}, _join(path, "expectations")
        )
    structured, problems = structure_with_problems(node, NodeConfig, path)
    return structured, reference_problems + problems


@attrs.frozen
class PreparedPipeline:
    """A pipeline as far as it could be structured: the nodes that structured, each with its
    index in the original ``nodes`` list (for error paths), and every problem found."""

    pipeline: PipelineConfig | None
    indices: tuple[int, ...]
    problems: list[Problem]


def prepare_pipeline(
    raw: Any,
    variables: Mapping[str, Any] | None = None,
    name: str | None = None,
) -> PreparedPipeline:
    """Raw pipeline (dict/YAML content) to a ``PipelineConfig`` with every problem collected."""
    if not isinstance(raw, Mapping):
        return PreparedPipeline(
            None,
            (),
            [
                (
                    "",
                    "a pipeline must be a mapping with 'nodes' (and optionally 'name', 'type', "
                    f"'streaming', 'restart'); got {type(raw).__name__}",
                )
            ],
        )
    raw, problems = interpolate_tree(raw, variables)
    for key in raw:
        if key not in PIPELINE_KEYS:
            problems.append(
                (
                    str(key),
                    f"unknown pipeline key '{key}'"
                    f"{did_you_mean(str(key), list(PIPELINE_KEYS))} Allowed keys: "
                    f"{', '.join(PIPELINE_KEYS)}.",
                )
            )
    nodes_raw = raw.get("nodes")
    if nodes_raw is None:
        problems.append(("nodes", "is required: list the pipeline's nodes under 'nodes'"))
        nodes_raw = []
    elif not isinstance(nodes_raw, list):
        problems.append(("nodes", f"must be a list of nodes, got {type(nodes_raw).__name__}"))
        nodes_raw = []
    elif not nodes_raw:
        problems.append(("nodes", "is empty: a pipeline needs at least one node"))

    defaults_raw = raw.get("streaming") or {}
    checkpoint_base: str | None = None
    defaults: dict[str, Any] = {}
    if not isinstance(defaults_raw, Mapping):
        problems.append(("streaming", f"expected a mapping, got {type(defaults_raw).__name__}"))
    else:
        defaults = dict(defaults_raw)
        _, default_problems = structure_with_problems(defaults, StreamingConfig, "streaming")
        problems.extend(default_problems)
        base = defaults.pop("checkpoint_location", None)
        checkpoint_base = base if isinstance(base, str) else None
        if defaults.pop("query_name", None) is not None:
            problems.append(
                ("streaming.query_name", "query_name is per node; set it in each node's 'streaming'")
            )
    restart_defaults = raw.get("restart")
    if restart_defaults is not None and not isinstance(restart_defaults, Mapping):
        problems.append(("restart", "expected a mapping {max_attempts, backoff, max_backoff}"))
        restart_defaults = None

    shared, shared_problems = shared_expectations(raw.get("expectations"))
    problems.extend(shared_problems)
    nodes: list[NodeConfig] = []
    indices: list[int] = []
    for index, node_raw in enumerate(nodes_raw):
        node, node_problems = prepare_node(
            node_raw, f"nodes[{index}]", defaults, restart_defaults, checkpoint_base, shared
        )
        problems.extend(node_problems)
        if node is not None:
            nodes.append(node)
            indices.append(index)

    header_keys = ("name", "type", "description", "restart", "on_failure", "expectations")
    header = {k: raw[k] for k in header_keys if k in raw}
    if name is not None and "name" not in header:
        header["name"] = name
    if isinstance(defaults_raw, Mapping):
        header["streaming"] = dict(defaults_raw)
    pipeline, header_problems = structure_with_problems(header, PipelineConfig)
    problems.extend(header_problems)
    if pipeline is None:
        return PreparedPipeline(None, (), problems)
    return PreparedPipeline(attrs.evolve(pipeline, nodes=tuple(nodes)), tuple(indices), problems)
