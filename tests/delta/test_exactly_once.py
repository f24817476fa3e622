"""Exactly-once through crashes: one ``tauro run`` holds five streams side by side (JSON files
-> Delta append, the same files through expectations -> Delta with quarantined rows in a Delta
dead-letter table, a table's Change Data Feed -> Delta merge, Kafka -> Delta append, and the
same topic -> parquet files through Spark's file sink) with processing-time triggers while input keeps
arriving. The process group (Python driver and JVM) is SIGKILLed five times at random moments,
timed from commits in the checkpoints, and restarted; a last bounded run drains the rest.

Every file row and every Kafka message is then in each of its outputs exactly once (a
quarantined row in the dead-letter table once, with its reason), the merge
table equals the source table's final state (inserts, updates and deletes applied once, in
order), and every restart kept the merge query's id, which its idempotence rests on: each of its
Delta commits carries that id and a batch id, and no batch id was committed twice.

One process for all five keeps the crash loop to six JVM starts in the whole suite.
"""

from __future__ import annotations

import json
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

import pytest

from tauro.streaming.expectation_counts import checkpoint_totals
from tests.kafka.kafka_client import KafkaClient

PIPELINE = """
name: delta_crash
nodes:
  - name: files_in
    input:
      format: file_stream
      path: ${LANDING}
      schema: "id BIGINT, note STRING"
      options: {format: json, maxFilesPerTrigger: 50}
    output:
      format: delta
      path: ${FILES_OUT}
    streaming:
      trigger: {type: "${TRIGGER:-processing_time}", interval: "1 second"}
      checkpoint_location: ${CHECKPOINTS}/files_in
  - name: checked_files
    input:
      format: file_stream
      path: ${LANDING}
      schema: "id BIGINT, note STRING"
      options: {format: json, maxFilesPerTrigger: 50}
      dead_letter:
        format: delta
        path: ${QUARANTINE}
    expectations:
      - {name: not_third, expr: "id % 3 <> 0", action: quarantine}
      - {name: not_seventh, expr: "id % 7 <> 0", action: drop}
    output:
      format: delta
      path: ${CHECKED_OUT}
    streaming:
      trigger: {type: "${TRIGGER:-processing_time}", interval: "1 second"}
      checkpoint_location: ${CHECKPOINTS}/checked_files
  - name: mirror
    input:
      format: delta_stream
      path: ${USERS}
      options: {startingVersion: 0, maxFilesPerTrigger: 100}
    output:
      format: delta
      path: ${MIRROR}
      options: {merge_keys: [id]}
    streaming:
      trigger: {type: "${TRIGGER:-processing_time}", interval: "1 second"}
      checkpoint_location: ${CHECKPOINTS}/mirror
  - name: kafka_in
    input:
      format: kafka
      options:
        kafka.bootstrap.servers: ${BOOTSTRAP}
        subscribe: ${TOPIC}
        startingOffsets: earliest
        maxOffsetsPerTrigger: 5000
      parse_json: true
      json_schema: "id BIGINT, note STRING"
    output:
      format: delta
      path: ${KAFKA_OUT}
    streaming:
      trigger: {type: "${TRIGGER:-processing_time}", interval: "1 second"}
      checkpoint_location: ${CHECKPOINTS}/kafka_in
  - name: kafka_files
    input:
      format: kafka
      options:
        kafka.bootstrap.servers: ${BOOTSTRAP}
        subscribe: ${TOPIC}
        startingOffsets: earliest
        maxOffsetsPerTrigger: 5000
      parse_json: true
      json_schema: "id BIGINT, note STRING"
    output:
      format: parquet
      path: ${PARQUET_OUT}
    streaming:
      trigger: {type: "${TRIGGER:-processing_time}", interval: "1 second"}
      checkpoint_location: ${CHECKPOINTS}/kafka_files
"""


class Feeder(threading.Thread):
    """Keeps input arriving: JSON files, Kafka messages and changes to the users table."""

    def __init__(
        self, spark: Any, kafka: KafkaClient, topic: str, landing: Path, users: Path, seed: int
    ) -> None:
        super().__init__(daemon=True)
        self.spark, self.kafka, self.topic, self.landing, self.users = spark, kafka, topic, landing, users
        self.rng = random.Random(seed)
        self.files_sent = self.kafka_sent = 0
        self.next_user = 100
        self.stopping = threading.Event()
        self.error: BaseException | None = None

    def write_file(self) -> None:
        ids = range(self.files_sent, self.files_sent + 30)
        temp = self.landing.parent / f".{ids.start}.json"
        temp.write_text("".join(f'{{"id": {i}, "note": "f{i}"}}\n' for i in ids))
        os.replace(temp, self.landing / f"part-{ids.start:08d}.json")  # appears whole
        self.files_sent += len(ids)

    def change_users(self) -> None:
        table = f"delta.`{self.users}`"
        action = self.rng.choice(["insert", "update", "update", "delete"])
        if action == "insert":
            first = self.next_user
            self.next_user += 5
            values = ", ".join(f"({i}, 'u{i}', 0)" for i in range(first, first + 5))
            self.spark.sql(f"INSERT INTO {table} VALUES {values}")
        elif action == "update":
            low = self.rng.randrange(0, self.next_user)
            self.spark.sql(
                f"UPDATE {table} SET version = version + 1, name = concat('u', id, 'v', version + 1) "
                f"WHERE id BETWEEN {low} AND {low + 7}"
            )
        else:
            self.spark.sql(f"DELETE FROM {table} WHERE id = {self.rng.randrange(0, self.next_user)}")

    def run(self) -> None:
        try:
            step = 0
            while not self.stopping.is_set():
                self.write_file()
                burst = range(self.kafka_sent, self.kafka_sent + 50)
                self.kafka.produce(
                    self.topic, [{"id": i, "note": f"k{i}"} for i in burst], key=lambda v: v["id"]
                )
                self.kafka_sent += len(burst)
                if step % 4 == 0:
                    self.change_users()
                step += 1
                # Input keeps arriving at a pace the last bounded run drains in a few batches.
                self.stopping.wait(0.5)
        except BaseException as exc:  # reported by the test
            self.error = exc


def committed(checkpoints: Path) -> int:
    return sum(
        len([p for p in (c / "commits").iterdir() if p.name.isdigit()])
        for c in checkpoints.glob("*")
        if (c / "commits").is_dir()
    )


def tauro_run(tmp_path: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    log = (tmp_path / "runs.log").open("ab")
    command = [
        sys.executable,
        "-m",
        "tauro.cli",
        "run",
        str(tmp_path / "pipeline.yaml"),
        "--quiet",
        "--context",
        str(tmp_path / "context.yaml"),
    ]
    # Its own process group: SIGKILL takes the JVM down with the driver.
    return subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def ids_of(spark: Any, path: Path, fmt: str = "delta") -> Counter[int]:
    return Counter(r.id for r in spark.read.format(fmt).load(str(path)).select("id").collect())


def query_id(checkpoint: Path) -> str:
    """The id Spark keeps in a checkpoint: a restart from it runs under the same id."""
    return str(json.loads((checkpoint / "metadata").read_text())["id"])


def transactions(table: Path) -> list[tuple[str, int]]:
    """(appId, version) of every Delta commit of the table that carried a txn action."""
    found = []
    for commit in sorted((table / "_delta_log").glob("*.json")):
        for line in commit.read_text().splitlines():
            txn = json.loads(line).get("txn")
            if txn:
                found.append((txn["appId"], int(txn["version"])))
    return found


def check_expectations(spark: Any, paths: dict[str, Path], sent: int, seed: int) -> None:
    """Quarantined rows are in the dead-letter table once, with the reason; dropped rows
    nowhere; the counts kept beside the checkpoint count every committed batch once."""
    quarantine = spark.read.format("delta").load(str(paths["quarantine"])).collect()
    aside = Counter(json.loads(r.payload)["id"] for r in quarantine)
    expected_aside = {i for i in range(sent) if i % 3 == 0}
    assert set(aside) == expected_aside and max(aside.values()) == 1, f"seed {seed}"
    assert {r.error for r in quarantine} >= {"failed expectations: not_third"}
    assert {r.error for r in quarantine} <= {
        "failed expectations: not_third",
        "failed expectations: not_third, not_seventh",
    }
    kept = ids_of(spark, paths["checked_out"])
    assert set(kept) == {i for i in range(sent) if i % 3 and i % 7} and max(kept.values()) == 1
    totals = checkpoint_totals(spark, str(paths["checkpoints"] / "checked_files"))
    assert (totals["rows"], totals["quarantined"], totals["kept"]) == (sent, len(aside), len(kept))
    assert totals["expectations"]["not_third"]["failed"] == len(aside), f"seed {seed}"


@pytest.mark.timeout(1200)  # whole processes: several JVM starts
def test_sigkill_five_times_into_delta_loses_and_repeats_nothing(
    kafka: KafkaClient, new_topic: Any, tmp_path: Path, spark: Any
) -> None:
    topic = new_topic(partitions=2)
    landing, users = tmp_path / "landing", tmp_path / "users"
    landing.mkdir()
    spark.createDataFrame(
        [(i, f"u{i}", 0) for i in range(100)], "id BIGINT, name STRING, version INT"
    ).write.format("delta").option("delta.enableChangeDataFeed", "true").save(str(users))
    paths = {
        name: tmp_path / name
        for name in (
            "files_out",
            "kafka_out",
            "parquet_out",
            "mirror",
            "checkpoints",
            "checked_out",
            "quarantine",
        )
    }
    (tmp_path / "pipeline.yaml").write_text(PIPELINE)
    (tmp_path / "context.yaml").write_text(
        "spark: {master: 'local[2]', conf: {spark.ui.enabled: false, spark.sql.shuffle.partitions: 2}}\n"
        "base_dir: state\n"
    )
    env = {
        **os.environ,
        "BOOTSTRAP": kafka.bootstrap,
        "TOPIC": topic,
        "LANDING": str(landing),
        "USERS": str(users),
        **{name.upper(): str(path) for name, path in paths.items()},
    }
    seed = random.randrange(1 << 30)
    print(f"random seed {seed}")
    rng = random.Random(seed)
    mirror_ids: set[str] = set()
    feeder = Feeder(spark, kafka, topic, landing, users, seed)
    feeder.start()
    run: subprocess.Popen[bytes] | None = None
    try:
        for kill in range(5):
            run = tauro_run(tmp_path, env)
            before = committed(paths["checkpoints"])
            # A safety net for a hung run, not a speed check: a loaded machine starts slowly.
            deadline = time.monotonic() + 600
            # Kill mid-stream: after this run committed at least one batch, at a random moment.
            while committed(paths["checkpoints"]) <= before:
                assert run.poll() is None, f"run {kill} exited early; see {tmp_path / 'runs.log'}"
                assert time.monotonic() < deadline, f"run {kill} committed nothing in 600 s (seed {seed})"
                time.sleep(0.2)
            time.sleep(rng.uniform(0.0, 2.5))
            os.killpg(run.pid, signal.SIGKILL)
            run.wait(30)
            if (paths["checkpoints"] / "mirror" / "metadata").exists():
                mirror_ids.add(query_id(paths["checkpoints"] / "mirror"))
    finally:
        if run is not None and run.poll() is None:  # a failed assertion leaves no run behind
            os.killpg(run.pid, signal.SIGKILL)
            run.wait(30)
        feeder.stopping.set()
        feeder.join(60)
    assert feeder.error is None, feeder.error
    final = tauro_run(tmp_path, {**env, "TRIGGER": "available_now"})
    try:
        code = final.wait(900)
    finally:
        if final.poll() is None:
            os.killpg(final.pid, signal.SIGKILL)
    assert code == 0, (tmp_path / "runs.log").read_text()[-5000:]

    outputs = (
        ("files_out", "delta", feeder.files_sent),
        ("kafka_out", "delta", feeder.kafka_sent),
        ("parquet_out", "parquet", feeder.kafka_sent),
    )
    for name, fmt, sent in outputs:
        ids = ids_of(spark, paths[name], fmt)
        duplicated = {i: n for i, n in ids.items() if n > 1}
        missing = set(range(sent)) - set(ids)
        assert not duplicated and not missing, (
            f"{name}, seed {seed}: duplicated {duplicated}, missing {sorted(missing)[:20]}"
        )
        assert len(ids) == sent > 0
    check_expectations(spark, paths, feeder.files_sent, seed)
    expected = spark.read.format("delta").load(str(users)).orderBy("id").collect()
    mirrored = spark.read.format("delta").load(str(paths["mirror"])).orderBy("id").collect()
    assert [tuple(r) for r in mirrored] == [tuple(r) for r in expected], f"seed {seed}"

    # The merge query ran under one id through every restart, and each of its commits names
    # that id with a batch id no other commit repeats.
    mirror_ids.add(query_id(paths["checkpoints"] / "mirror"))
    assert len(mirror_ids) == 1, mirror_ids
    txns = transactions(paths["mirror"])
    assert txns and {app for app, _ in txns} == mirror_ids
    versions = [version for _, version in txns]
    assert len(versions) == len(set(versions)), f"a batch committed twice: {versions}"
