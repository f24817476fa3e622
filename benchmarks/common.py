"""Shared helpers: alternate A and B runs, report the median ratio with min and max."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def alternate(
    a: Callable[[], object], b: Callable[[], object], pairs: int = 7
) -> tuple[list[float], list[float]]:
    """Run a, b, a, b, ... ``pairs`` times each (alternating cancels drift) and return timings."""
    times_a: list[float] = []
    times_b: list[float] = []
    for _ in range(pairs):
        times_a.append(timed(a))
        times_b.append(timed(b))
    return times_a, times_b


def report(title: str, ratios: list[float], unit: str = "x") -> str:
    line = (
        f"{title}: median {statistics.median(ratios):.3f}{unit} "
        f"(min {min(ratios):.3f}, max {max(ratios):.3f}, n={len(ratios)})"
    )
    print(line)
    return line


def alternate_both_ways(
    a: Callable[[], object], b: Callable[[], object], pairs: int
) -> tuple[list[float], list[float]]:
    """Like ``alternate``, but every other pair runs b first, so an order effect (GC or caches
    left by the previous run) does not always fall on the same side."""
    times_a: list[float] = []
    times_b: list[float] = []
    for pair in range(pairs):
        if pair % 2 == 0:
            times_a.append(timed(a))
            times_b.append(timed(b))
        else:
            times_b.append(timed(b))
            times_a.append(timed(a))
    return times_a, times_b


class RunDirs:
    """Fresh output and checkpoint directories for every run: ``base/<kind>/out<n>``, ``cp<n>``."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.count = 0

    def next(self, kind: str) -> tuple[Path, Path]:
        self.count += 1
        return self.base / kind / f"out{self.count}", self.base / kind / f"cp{self.count}"


def parquet_node(name: str, source: dict[str, Any], out: Path, checkpoint: Path) -> dict[str, Any]:
    """A node writing ``source`` to parquet files with an available_now trigger."""
    return {
        "name": name,
        "input": source,
        "output": {"format": "file", "path": str(out), "options": {"format": "parquet"}},
        "streaming": {"trigger": {"type": "available_now"}, "checkpoint_location": str(checkpoint)},
    }


def run_to_end(query: Any, stop: Callable[[Any], object] | None = None) -> None:
    """Wait for a bounded query, then stop it (through the manager when ``stop`` is given)."""
    try:
        query.awaitTermination()
    finally:
        (stop or (lambda q: q.stop()))(query)
