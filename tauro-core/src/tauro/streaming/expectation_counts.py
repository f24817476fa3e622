"""Expectation counts that survive restarts: one small JSON file per batch beside the checkpoint.

``<checkpoint>/tauro_expectations/<batch_id>.json`` is written by the batch function after the
batch's writes and before Spark commits the batch. At start, the files of committed batches
(ids up to the newest in ``<checkpoint>/commits``) are summed into ``totals.json`` and removed;
a file of a batch that never committed is ignored, and replaced when the batch runs again. So
totals count each committed batch once, however often the query restarted.

The files go through Hadoop's FileSystem, so a checkpoint on HDFS or an object store works too.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from loguru import logger

from tauro.streaming.expectations import BatchCounts, ExpectationSet

DIRECTORY = "tauro_expectations"
TOTALS_FILE = "totals.json"
FATES = ("rows", "kept", "dropped", "quarantined", "failed")


class CheckpointFiles:
    """Small text files in one directory, through the session's Hadoop FileSystem."""

    def __init__(self, spark: Any, directory: str) -> None:
        jvm = spark.sparkContext._jvm
        self._jvm = jvm
        self._root = jvm.org.apache.hadoop.fs.Path(directory)
        self._fs = self._root.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())

    def _path(self, name: str) -> Any:
        return self._jvm.org.apache.hadoop.fs.Path(self._root, name)

    def names(self) -> list[str]:
        if not self._fs.exists(self._root):
            return []
        return [str(status.getPath().getName()) for status in self._fs.listStatus(self._root)]

    def read(self, name: str) -> str:
        stream = self._fs.open(self._path(name))
        try:
            return str(self._jvm.org.apache.commons.io.IOUtils.toString(stream, "UTF-8"))
        finally:
            stream.close()

    def write(self, name: str, text: str) -> None:
        """Write through a temporary file and a rename, so a reader never sees half a file."""
        temporary = self._path(f".{name}.tmp")
        stream = self._fs.create(temporary, True)
        try:
            stream.write(bytearray(text.encode("utf-8")))
        finally:
            stream.close()
        target = self._path(name)
        if self._fs.exists(target):
            self._fs.delete(target, False)
        self._fs.rename(temporary, target)

    def delete(self, name: str) -> None:
        self._fs.delete(self._path(name), False)


def newest_commit(spark: Any, checkpoint: str) -> int:
    """The newest committed batch id of a checkpoint, -1 when none."""
    ids = [int(n) for n in CheckpointFiles(spark, f"{checkpoint.rstrip('/')}/commits").names() if n.isdigit()]
    return max(ids, default=-1)


def empty_totals(checks: ExpectationSet) -> dict[str, Any]:
    return {
        **dict.fromkeys(FATES, 0),
        "batches": 0,
        "expectations": {e.name: {"action": e.action, "passed": 0, "failed": 0} for e in checks.expectations},
    }


def add_batch(totals: dict[str, Any], counts: BatchCounts) -> None:
    for fate in FATES:
        totals[fate] += getattr(counts, fate)
    totals["batches"] += 1
    for name, figures in counts.expectations.items():
        entry = totals["expectations"].setdefault(name, {"action": None, "passed": 0, "failed": 0})
        entry["passed"] += figures["passed"]
        entry["failed"] += figures["failed"]


def sum_committed(
    files: CheckpointFiles, committed: int, totals: dict[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """``totals`` plus the saved totals and every batch file up to ``committed``, and the names
    of those batch files."""
    names = files.names()
    if TOTALS_FILE in names:
        try:
            saved = json.loads(files.read(TOTALS_FILE))
            for fate in (*FATES, "batches"):
                totals[fate] = int(saved[fate])
            for name, figures in saved["expectations"].items():
                entry = totals["expectations"].setdefault(name, {"action": None, "passed": 0, "failed": 0})
                entry["action"] = entry["action"] or figures.get("action")
                entry["passed"], entry["failed"] = int(figures["passed"]), int(figures["failed"])
        except (ValueError, KeyError, TypeError):
            logger.warning("Ignoring unreadable expectation totals in {}", TOTALS_FILE)
    counted = []
    for name in names:
        stem = name.removesuffix(".json")
        if not stem.isdigit() or int(stem) > committed:
            continue
        try:
            add_batch(totals, BatchCounts.from_json(json.loads(files.read(name))))
        except (ValueError, KeyError, TypeError):
            logger.warning("Ignoring unreadable expectation counts {}", name)
        counted.append(name)
    return totals, counted


def checkpoint_totals(spark: Any, checkpoint: str) -> dict[str, Any]:
    """The expectation totals of a checkpoint's committed batches, read without changing it
    (e.g. after a run, for a report)."""
    files = CheckpointFiles(spark, f"{checkpoint.rstrip('/')}/{DIRECTORY}")
    empty: dict[str, Any] = {**dict.fromkeys(FATES, 0), "batches": 0, "expectations": {}}
    return sum_committed(files, newest_commit(spark, checkpoint), empty)[0]


class ExpectationTotals:
    """Per-batch and cumulative counts of one query's expectations."""

    def __init__(self, spark: Any, checkpoint: str, checks: ExpectationSet) -> None:
        self.checks = checks
        self._files = CheckpointFiles(spark, f"{checkpoint.rstrip('/')}/{DIRECTORY}")
        self._lock = threading.Lock()
        self._batches: dict[int, BatchCounts] = {}
        self.last: BatchCounts | None = None
        self._base = self._fold(newest_commit(spark, checkpoint))

    def _fold(self, committed: int) -> dict[str, Any]:
        """Sum earlier runs' committed batches into the totals file; drop their batch files."""
        totals, folded = sum_committed(self._files, committed, empty_totals(self.checks))
        if folded:
            self._files.write(TOTALS_FILE, json.dumps(totals))
            for name in folded:
                self._files.delete(name)
        return totals

    def record(self, counts: BatchCounts) -> None:
        """A batch's counts, written before the batch commits (a replay replaces them)."""
        self._files.write(f"{counts.batch_id}.json", json.dumps(counts.to_json()))
        with self._lock:
            self._batches[counts.batch_id] = counts
            self.last = counts

    def batch(self, batch_id: int) -> BatchCounts | None:
        with self._lock:
            return self._batches.get(batch_id)

    def totals(self) -> dict[str, Any]:
        with self._lock:
            batches: Iterable[BatchCounts] = list(self._batches.values())
        totals: dict[str, Any] = copy.deepcopy(self._base)
        for counts in batches:
            add_batch(totals, counts)
        return totals

    def progress_fields(self, batch_id: int | None) -> dict[str, dict[str, Any]]:
        """What a progress event carries: per expectation the batch's passed/failed (0 for a
        batch with no rows) and the cumulative totals."""
        counts = self.batch(batch_id) if batch_id is not None else None
        totals = self.totals()["expectations"]
        fields: dict[str, dict[str, Any]] = {}
        for e in self.checks.expectations:
            batch = counts.expectations.get(e.name) if counts else None
            total = totals.get(e.name, {})
            fields[e.name] = {
                "action": e.action,
                "passed": int(batch["passed"]) if batch else 0,
                "failed": int(batch["failed"]) if batch else 0,
                "total_passed": int(total.get("passed", 0)),
                "total_failed": int(total.get("failed", 0)),
            }
        return fields


_registry_lock = threading.Lock()
_by_query: dict[str, ExpectationTotals] = {}


def register_query(query_id: str, totals: ExpectationTotals) -> None:
    with _registry_lock:
        _by_query[query_id] = totals


def forget_query(query_id: str, totals: ExpectationTotals | None = None) -> None:
    with _registry_lock:
        if totals is None or _by_query.get(query_id) is totals:
            _by_query.pop(query_id, None)


def progress_expectations(progress: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The ``expectations`` field of a progress event ({} for a query without expectations)."""
    with _registry_lock:
        totals = _by_query.get(str(progress.get("id")))
    if totals is None:
        return {}
    batch_id = progress.get("batchId")
    return totals.progress_fields(int(batch_id) if batch_id is not None else None)
