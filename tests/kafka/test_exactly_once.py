"""Exactly-once through crashes: ``tauro run`` reading Kafka is SIGKILLed five times while
messages keep arriving, then restarted; every message is in the output exactly once.

The sink is Spark's file sink (exactly-once through its ``_spark_metadata`` log), as Delta's
jar is not served by Maven Central here; the Kafka side — offsets in the checkpoint,
replay of the uncommitted batch — is what this proves.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from .kafka_client import KafkaClient

PIPELINE = """
name: crash_test
nodes:
  - name: ingest
    input:
      format: kafka
      options:
        kafka.bootstrap.servers: ${BOOTSTRAP}
        subscribe: ${TOPIC}
        startingOffsets: earliest
        maxOffsetsPerTrigger: 400
      parse_json: true
      json_schema: "id BIGINT, note STRING"
    output:
      format: file
      path: ${OUT}
      options: {format: parquet}
    streaming:
      trigger: {type: "${TRIGGER:-processing_time}", interval: "1 second"}
      checkpoint_location: ${CHECKPOINT}
"""


class Producer(threading.Thread):
    """Publishes ids 0, 1, 2, ... in small bursts until stopped."""

    def __init__(self, kafka: KafkaClient, topic: str) -> None:
        super().__init__(daemon=True)
        self.kafka, self.topic = kafka, topic
        self.sent = 0
        self.stopping = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.stopping.is_set():
                burst = range(self.sent, self.sent + 50)
                self.kafka.produce(
                    self.topic, [{"id": i, "note": f"n{i}"} for i in burst], key=lambda v: v["id"]
                )
                self.sent += len(burst)
                self.stopping.wait(0.1)
        except BaseException as exc:  # reported by the test
            self.error = exc


def committed_batches(checkpoint: Path) -> int:
    commits = checkpoint / "commits"
    return len([p for p in commits.iterdir() if p.name.isdigit()]) if commits.exists() else 0


def tauro_run(tmp_path: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    log = (tmp_path / "runs.log").open("ab")
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tauro.cli",
            "run",
            str(tmp_path / "pipeline.yaml"),
            "--quiet",
            "--context",
            str(tmp_path / "context.yaml"),
        ],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: SIGKILL takes the JVM down with it
    )


def test_sigkill_five_times_loses_and_repeats_nothing(
    kafka: KafkaClient, new_topic: Any, tmp_path: Path, spark: Any
) -> None:
    topic = new_topic(partitions=2)
    out, checkpoint = tmp_path / "out", tmp_path / "checkpoint"
    (tmp_path / "pipeline.yaml").write_text(PIPELINE)
    (tmp_path / "context.yaml").write_text(
        "spark: {master: 'local[2]', conf: {spark.ui.enabled: false, spark.sql.shuffle.partitions: 2}}\n"
        "base_dir: state\n"
    )
    env = {
        **os.environ,
        "BOOTSTRAP": kafka.bootstrap,
        "TOPIC": topic,
        "OUT": str(out),
        "CHECKPOINT": str(checkpoint),
    }
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    producer = Producer(kafka, topic)
    producer.start()
    try:
        for kill in range(5):
            run = tauro_run(tmp_path, env)
            before = committed_batches(checkpoint)
            deadline = time.monotonic() + 180
            # Kill mid-stream: after this run committed at least one batch, at a random moment.
            while committed_batches(checkpoint) <= before:
                assert run.poll() is None, f"run {kill} exited early; see {tmp_path / 'runs.log'}"
                assert time.monotonic() < deadline, f"run {kill} committed nothing in 180 s (seed {seed})"
                time.sleep(0.2)
            time.sleep(rng.uniform(0.0, 2.5))
            os.killpg(run.pid, signal.SIGKILL)
            run.wait(30)
    finally:
        producer.stopping.set()
        producer.join(60)
    assert producer.error is None, producer.error
    # The last run drains what is left and ends by itself.
    final = tauro_run(tmp_path, {**env, "TRIGGER": "available_now"})
    assert final.wait(300) == 0, (tmp_path / "runs.log").read_text()[-5000:]
    ids = Counter(row.id for row in spark.read.parquet(str(out)).select("id").collect())
    duplicated = {i: n for i, n in ids.items() if n > 1}
    missing = set(range(producer.sent)) - set(ids)
    assert not duplicated and not missing, (
        f"seed {seed}: duplicated {duplicated}, missing {sorted(missing)[:20]}"
    )
    assert len(ids) == producer.sent > 0
