"""Render a pipeline's node DAG as Mermaid or Graphviz dot."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def _label(node: Mapping[str, Any]) -> str:
    source = (node.get("input") or {}).get("format", "?")
    sink = (node.get("output") or {}).get("format", "?")
    return f"{node['name']}\\n{source} → {sink}"


def _ident(name: str) -> str:
    return "n_" + "".join(c if c.isalnum() else "_" for c in name)


def render_graph(nodes: Sequence[Mapping[str, Any]], fmt: str = "mermaid") -> str:
    if fmt == "dot":
        lines = ["digraph pipeline {", "  rankdir=LR;"]
        for node in nodes:
            lines.append(f'  {_ident(node["name"])} [label="{_label(node)}", shape=box];')
        for node in nodes:
            for dependency in node.get("depends_on") or ():
                lines.append(f"  {_ident(dependency)} -> {_ident(node['name'])};")
        lines.append("}")
        return "\n".join(lines)
    lines = ["flowchart LR"]
    for node in nodes:
        label = _label(node).replace("\\n", "<br/>")
        lines.append(f'  {_ident(node["name"])}["{label}"]')
    for node in nodes:
        for dependency in node.get("depends_on") or ():
            lines.append(f"  {_ident(dependency)} --> {_ident(node['name'])}")
    return "\n".join(lines)
