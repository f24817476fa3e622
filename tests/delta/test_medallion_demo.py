"""The medallion demo's pipeline, transforms and generator (at a small fixed size), run on the
test session through the test kit with nothing replaced: the tables end with the rows the
generator's input implies. (`tauro run` itself, as `./dev demo` calls it, is covered by the CLI
tests; a second JVM here would only repeat its start.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tauro.config.context import Context
from tauro.streaming.expectation_counts import checkpoint_totals
from tauro.testing import run_pipeline
from tests.conftest import REPO

DEMO = REPO / "examples" / "medallion"
EVENTS = 2_000


@pytest.mark.timeout(900)
def test_medallion_demo_runs_to_completion_with_the_expected_tables(spark: Any, tmp_path: Path) -> None:
    sys.path.insert(0, str(DEMO))
    try:
        from generate import event, expected, expected_expectations
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
    run_pipeline(
        DEMO / "pipeline.yaml",
        context=Context(spark=spark, base_dir=base),
        collect=(),  # every table is written for real
        imports=[str(DEMO / "transforms.py")],
        variables={"LANDING": str(landing)},
        timeout=600,
    )
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
        if float(e["amount"]) >= 0 and e["user_id"] is not None:  # type: ignore[arg-type]
            newest[e["user_id"]] = i
    assert latest == newest
    # Silver's expectations: counted once per event (repeats dropped before them), negative
    # amounts in the quarantine table with their reason.
    silver = checkpoint_totals(spark, str(base / "checkpoints" / "medallion" / "silver"))
    want = expected_expectations(EVENTS)
    assert {k: silver[k] for k in ("rows", "kept", "dropped", "quarantined")} == {
        k: want[k] for k in ("rows", "kept", "dropped", "quarantined")
    }
    assert silver["expectations"]["has_user"]["failed"] == want["has_user_failed"]
    assert silver["expectations"]["non_negative_amount"]["failed"] == want["non_negative_amount_failed"]
    quarantine = spark.read.format("delta").load(str(warehouse / "silver_quarantine")).collect()
    reasons = {r.error for r in quarantine}
    assert reasons == {
        "failed expectations: non_negative_amount",
        "failed expectations: has_user, non_negative_amount",
    }
    gold = {r.action: r.events for r in spark.read.format("delta").load(str(warehouse / "gold")).collect()}
    assert sum(gold.values()) == counts["silver"]
    assert set(gold) == {"click", "view", "buy"}
