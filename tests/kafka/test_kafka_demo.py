"""The Kafka variant of the demo, run as `./dev kafka-demo` runs it, against the session broker."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

from .kafka_client import REPO, KafkaClient


def test_kafka_demo_runs_to_completion(kafka: KafkaClient, spark: Any, tmp_path: Path) -> None:
    run = uuid.uuid4().hex[:8]
    env = {**os.environ, "TAURO_DEMO_BASE": str(tmp_path / "demo"), "KAFKA_BOOTSTRAP": kafka.bootstrap}
    demo = REPO / "examples"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tauro.cli",
            "run",
            str(demo / "kafka-demo" / "pipeline.yaml"),
            "--quiet",
            "--import",
            str(demo / "demo" / "transforms.py"),
            "--context",
            str(demo / "kafka-demo" / "context.yaml"),
            "--var",
            f"RUN={run}",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert len(kafka.read_all(f"demo-events-{run}")) == 7
    dead = kafka.read_all(f"demo-dead-letters-{run}")
    assert len(dead) == 2
    clean = spark.read.parquet(str(tmp_path / "demo" / "output" / "clean_events"))
    assert sorted(r.user_id for r in clean.collect()) == ["u1", "u2", "u3"]
    assert {"partition", "offset", "batch_id"} <= set(clean.columns)
    assert "|click |2     |4.5   |" in result.stdout
