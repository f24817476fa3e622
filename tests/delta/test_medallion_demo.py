"""The medallion demo, run as `./dev demo` runs it (at a small fixed size): the tables end with
the rows the generator's input implies."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO

DEMO = REPO / "examples" / "medallion"
EVENTS = 2_000


@pytest.mark.timeout(900)  # whole processes: several JVM starts
def test_medallion_demo_runs_to_completion_with_the_expected_tables(spark: Any, tmp_path: Path) -> None:
    sys.path.insert(0, str(DEMO))
    try:
        from generate import event, expected
    finally:
        sys.path.remove(str(DEMO))
    landing, base = tmp_path / "landing", tmp_path / "demo"
    generated = subprocess.run(
        [sys.executable, str(DEMO / "generate.py"), str(landing), "--events", str(EVENTS), "--files", "4"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert generated.returncode == 0, generated.stderr
    env = {**os.environ, "TAURO_DEMO_BASE": str(base), "LANDING": str(landing)}
    command = [
        sys.executable, "-m", "tauro.cli", "run", str(DEMO / "pipeline.yaml"), "--quiet",
        "--import", str(DEMO / "transforms.py"), "--context", str(DEMO / "context.yaml"),
    ]  # fmt: skip
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    warehouse = base / "warehouse"
    counts = {t: spark.read.format("delta").load(str(warehouse / t)).count() for t in expected(EVENTS)}
    assert counts == expected(EVENTS)
    latest = {
        r.user_id: r.event_id
        for r in spark.read.format("delta").load(str(warehouse / "latest_per_user")).collect()
    }
    newest = {}
    for i in range(EVENTS):
        e = event(i)
        if float(e["amount"]) >= 0:  # type: ignore[arg-type]
            newest[e["user_id"]] = i
    assert latest == newest
    gold = {r.action: r.events for r in spark.read.format("delta").load(str(warehouse / "gold")).collect()}
    assert sum(gold.values()) == counts["silver"]
    assert set(gold) == {"click", "view", "buy"}
