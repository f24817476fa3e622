"""Helpers for file tests: write input files atomically, build nodes, run bounded queries."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from tests.bounded_run import run_node as bounded_run


def publish(path: Path, text: str) -> Path:
    """Write a file the way producers should: to a temp name, then an atomic rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.parent / f".{path.name}.tmp"
    temp.write_text(text)
    os.replace(temp, path)
    return path


def json_lines(path: Path, rows: Iterable[Mapping[str, Any] | str]) -> Path:
    lines = [row if isinstance(row, str) else json.dumps(row) for row in rows]
    return publish(path, "\n".join(lines) + "\n")


def csv_file(path: Path, header: list[str], rows: Iterable[list[Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.parent / f".{path.name}.tmp"
    with temp.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    os.replace(temp, path)
    return path


def file_node(
    name: str,
    source: Path | str,
    fmt: str,
    *,
    output: dict[str, Any],
    schema: str | None = None,
    **input_extra: Any,
) -> dict[str, Any]:
    options = {"format": fmt, **input_extra.pop("options", {})}
    section: dict[str, Any] = {"format": "file_stream", "path": str(source), "options": options}
    if schema is not None:
        section["schema"] = schema
    section.update(input_extra)
    return {
        "name": name,
        "input": section,
        "output": output,
        "streaming": {"trigger": {"type": "available_now"}},
    }


def file_output(path: Path | str, fmt: str, **extra: Any) -> dict[str, Any]:
    options = {"format": fmt, **extra.pop("options", {})}
    return {"format": "file", "path": str(path), "options": options, **extra}


def run_node(context: Any, node: dict[str, Any], pipeline: str = "files") -> Any:
    """Run a node with a bounded trigger to its end (see ``tests.bounded_run``)."""
    return bounded_run(context, node, pipeline)


def spark_file(path: Path) -> str:
    """A local path as Spark's ``_metadata.file_path`` spells it."""
    return f"file:{path}"
