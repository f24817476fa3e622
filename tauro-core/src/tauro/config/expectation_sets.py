"""Expectations declared once at pipeline level and referred to by name from nodes.

A node's ``expectations`` entry is either a full expectation (``name``, ``expr``, ``action``) or
a reference: the name alone (``- valid_user``) or a mapping whose ``name`` is defined at pipeline
level, whose other keys override the definition (``{name: valid_user, action: drop}``), merged
deeply as every other default is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tauro.config.converter import Problem, did_you_mean
from tauro.config.merging import deep_merge


def shared_expectations(raw: Any) -> tuple[dict[str, Mapping[str, Any]], list[Problem]]:
    """The pipeline-level set by name (its shape is checked when the pipeline is structured)."""
    if raw is None:
        return {}, []
    if not isinstance(raw, list):
        return {}, [
            (
                "expectations",
                "must be a list of expectations, each {name, expr, action}; nodes refer to them by name",
            )
        ]
    shared: dict[str, Mapping[str, Any]] = {}
    problems: list[Problem] = []
    for index, entry in enumerate(raw):
        name = entry.get("name") if isinstance(entry, Mapping) else None
        if isinstance(name, str) and name in shared:
            problems.append(
                (
                    f"expectations[{index}].name",
                    f"expectation '{name}' is defined twice; names must be unique",
                )
            )
        elif isinstance(name, str):
            shared[name] = entry
    return shared, problems


def resolve_node_expectations(
    entries: Any, shared: Mapping[str, Mapping[str, Any]], path: str
) -> tuple[Any, list[Problem]]:
    """The node's entries with references replaced by the merged pipeline-level definitions."""
    if entries is None or not isinstance(entries, list):
        return entries, []  # structuring reports a wrong shape with its path
    resolved: list[Any] = []
    problems: list[Problem] = []
    for index, entry in enumerate(entries):
        if isinstance(entry, str):
            entry = {"name": entry}
        name = entry.get("name") if isinstance(entry, Mapping) else None
        if isinstance(name, str) and name in shared:
            entry = deep_merge(shared[name], entry)
        elif isinstance(entry, Mapping) and isinstance(name, str) and "expr" not in entry:
            known = list(shared)
            hint = did_you_mean(name, known) if known else "."
            problems.append(
                (
                    f"{path}[{index}]",
                    f"expectation '{name}' has no expr and the pipeline's expectations do not "
                    f"define it{hint} Give an expr, or declare it under the pipeline's "
                    "'expectations'.",
                )
            )
            continue
        resolved.append(entry)
    return resolved, problems
