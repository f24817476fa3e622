"""What ``tauro run`` and ``tauro status`` print: a status table that fits the terminal (80
columns by default), details under it, and plain progress lines for logs and pipes.

Plain text by design: it reads the same in a terminal, a CI log and a file, and its width is
known exactly (a table that wraps one word per line helps nobody).
"""

from __future__ import annotations

import textwrap
import time
from collections.abc import Mapping
from typing import Any

#: Short words for node states, so the state column stays narrow.
SHORT_STATE = {
    "waiting": "waiting",
    "starting": "starting",
    "running": "running",
    "idle": "idle",
    "stalled": "stalled",
    "restarting": "retrying",
    "failed": "failed",
    "blocked": "blocked",
    "completed": "done",
    "stopped": "stopped",
}
FINISHED_STATES = frozenset({"completed", "stopped", "failed", "blocked"})
_MIN_NODE_WIDTH = 8


def _count(value: Any) -> str:
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return "-"


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def rows_per_second(node: Mapping[str, Any]) -> float | None:
    """The node's latest processing rate from Spark's progress (None before the first batch)."""
    progress = node.get("last_progress") or {}
    rate = progress.get("processedRowsPerSecond")
    try:
        return float(rate) if rate is not None else None
    except (TypeError, ValueError):
        return None


def node_detail(node: Mapping[str, Any]) -> str | None:
    health = node.get("health") or {}
    detail = node.get("error") or node.get("exception") or health.get("message")
    if not detail or detail == "query completed":
        return None
    return " ".join(str(detail).split())


def render_status(status: Mapping[str, Any], width: int = 80) -> str:
    """The status table and the details under it, every line at most ``width`` characters."""
    nodes: dict[str, Mapping[str, Any]] = dict(status.get("query_statuses") or {})
    header = (
        f"{status.get('pipeline_name')}  {status.get('status')}  "
        f"{status.get('active_queries', 0)}/{status.get('total_queries', len(nodes))} active"
    )
    if status.get("failed_queries"):
        header += f", {status['failed_queries']} failed"
    lines = [_clip(header, width), _clip(f"run {status.get('execution_id')}", width)]
    if not nodes:
        if status.get("error"):
            lines += textwrap.wrap(f"error: {status['error']}", width, subsequent_indent="  ")
        return "\n".join(lines)
    columns: list[tuple[str, list[str]]] = [
        ("state", [SHORT_STATE.get(str(n.get("state")), str(n.get("state"))) for n in nodes.values()]),
        ("batches", [_count(n.get("batches", 0)) for n in nodes.values()]),
        ("rows", [_count(n.get("input_rows", 0)) for n in nodes.values()]),
    ]
    rates = [rows_per_second(n) for n in nodes.values()]
    if any(r is not None for r in rates):
        columns.append(("rows/s", ["-" if r is None else f"{r:,.0f}" for r in rates]))
    if any(int(n.get("dead_letters") or 0) for n in nodes.values()):
        columns.append(("dead", [_count(n.get("dead_letters", 0)) for n in nodes.values()]))
    for fate in ("dropped", "quarantined"):
        figures = [int((n.get("expectations") or {}).get(fate) or 0) for n in nodes.values()]
        if any(figures):
            columns.append((fate, [_count(f) for f in figures]))
    if any(int(n.get("attempts") or 0) > 1 for n in nodes.values()):
        columns.append(("restarts", [str(max(int(n.get("attempts") or 0) - 1, 0)) for n in nodes.values()]))
    widths = [max(len(title), *(len(v) for v in values)) for title, values in columns]
    fixed = sum(w + 2 for w in widths)
    node_width = max(min(max(len("node"), *(len(n) for n in nodes)), width - fixed), _MIN_NODE_WIDTH)
    title = "node".ljust(node_width) + "".join(
        f"  {t:<{w}}" if t == "state" else f"  {t:>{w}}" for (t, _), w in zip(columns, widths, strict=True)
    )
    lines.append(_clip(title, width))
    for index, name in enumerate(nodes):
        row = _clip(name, node_width).ljust(node_width)
        for (title_text, values), column_width in zip(columns, widths, strict=True):
            value = values[index]
            row += f"  {value:<{column_width}}" if title_text == "state" else f"  {value:>{column_width}}"
        lines.append(_clip(row, width))
    for name, node in nodes.items():
        detail = node_detail(node)
        if detail:
            lines += textwrap.wrap(
                f"{name}: {detail}", width, subsequent_indent="  ", max_lines=4, placeholder=" …"
            )
    return "\n".join(lines)


def progress_line(name: str, node: Mapping[str, Any], width: int = 80) -> str:
    """``node: 1,234 rows, 567 rows/s, 3 batches (state)`` for logs and pipes."""
    rate = rows_per_second(node)
    parts = [f"{_count(node.get('input_rows', 0))} rows"]
    if rate is not None:
        parts.append(f"{rate:,.0f} rows/s")
    batches = int(node.get("batches") or 0)
    parts.append(f"{batches:,} batch{'es' if batches != 1 else ''}")
    state = SHORT_STATE.get(str(node.get("state")), str(node.get("state")))
    return _clip(f"{name}: {', '.join(parts)} ({state})", width)


class ProgressLines:
    """Plain progress lines for a pipe or a CI log: one per bounded node when its figures or
    state changed, at most every ``interval`` seconds, and always when it finishes."""

    def __init__(self, bounded: set[str], interval: float = 5.0, width: int = 80) -> None:
        self.bounded = bounded
        self.interval = interval
        self.width = width
        self._shown: dict[str, tuple[Any, ...]] = {}
        self._last = 0.0

    def lines(self, status: Mapping[str, Any], *, force: bool = False) -> list[str]:
        now = time.monotonic()
        due = force or now - self._last >= self.interval
        out: list[str] = []
        for name, node in (status.get("query_statuses") or {}).items():
            if name not in self.bounded:
                continue
            key = (node.get("state"), node.get("input_rows"), node.get("batches"))
            if self._shown.get(name) == key:
                continue
            finished = node.get("state") in FINISHED_STATES
            if due or finished:
                self._shown[name] = key
                out.append(progress_line(name, node, self.width))
        if out:
            self._last = now
        return out
