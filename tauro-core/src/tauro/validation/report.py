"""What validation produces (a report of problems with paths) and helpers every phase uses."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

import attrs

from tauro.checkpoints import is_remote
from tauro.config.converter import Problem
from tauro.config.models import NodeConfig, PipelineConfig
from tauro.config.policy import FormatPolicy
from tauro.errors import (
    StreamingPipelineValidationError,
    StreamingValidationError,
    summarize_problems,
)

NON_DURABLE_PREFIXES = ("/tmp", "/var/tmp", "/dev/shm")
NODE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
TIMESTAMP_TYPES = ("timestamp", "timestamp_ntz", "date")
DEPENDENCY_FIELDS = ("depends_on",)


class ValidationRules(Protocol):
    """What the phases need from the validator: the context's format policy and environment."""

    format_policy: FormatPolicy
    environment: str


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


def field_path(prefix: str, field: str) -> str:
    return f"{prefix}{field}" if prefix else field


def is_non_durable(path: str) -> bool:
    if is_remote(path):
        return False
    local = path.removeprefix("file://").removeprefix("file:")
    temp = os.path.realpath(tempfile.gettempdir())
    candidates = {*NON_DURABLE_PREFIXES, temp}
    resolved = os.path.realpath(local) if local.startswith("/") else local
    return any(resolved == c or resolved.startswith(c.rstrip("/") + "/") for c in candidates)


def normalized_path(path: str) -> str:
    return str(Path(path.removeprefix("file://").removeprefix("file:"))).rstrip("/")


def raw_name(raw: Any) -> str | None:
    if isinstance(raw, Mapping) and isinstance(raw.get("name"), str):
        return str(raw["name"])
    return getattr(raw, "name", None)


def raw_names(raw_nodes: Any) -> set[str]:
    if not isinstance(raw_nodes, list):
        return set()
    return {n for n in (raw_name(r) for r in raw_nodes) if n}


def node_name_at(raw_nodes: Any, field: str) -> str | None:
    match = re.match(r"nodes\[(\d+)\]", field or "")
    if match and isinstance(raw_nodes, list) and int(match[1]) < len(raw_nodes):
        return raw_name(raw_nodes[int(match[1])])
    return None


def problems_to_report(problems: list[Problem]) -> ValidationReport:
    report = ValidationReport()
    for field, message in problems:
        report.add(field, message)
    return report
