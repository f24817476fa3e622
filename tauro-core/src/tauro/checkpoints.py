"""Checkpoint locations and the cross-process lock that keeps one query per checkpoint.

A checkpoint path never contains a run id: a restarted query must find the offsets and state it
left behind. Because the path is stable, two runs of the same node would share it, and Spark
corrupts a checkpoint written by two queries at once. ``CheckpointLock`` prevents that for local
checkpoints with an OS file lock kept beside the checkpoint directory.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import socket
import threading
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

from loguru import logger

from tauro.errors import StreamingQueryError, StreamingValidationError
from tauro.processes import process_alive

# Remote file systems: locking is local-only there and temporary-path checks do not apply.
# Any other ``scheme://`` (except file) also counts as remote.
REMOTE_SCHEMES = (
    "s3://",
    "s3a://",
    "s3n://",
    "abfss://",
    "abfs://",
    "wasbs://",
    "gs://",
    "hdfs://",
    "dbfs:/",
)
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+://")
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")

DEFAULT_PIPELINE = "_queries"
LOCK_SUFFIX = ".tauro.lock"
HOLDER_SUFFIX = ".tauro.holder"

HolderRecord = dict[str, Any]


def is_remote(path: str) -> bool:
    """True for object-store and distributed-filesystem URIs (s3a://, abfss://, hdfs://, ...)."""
    if path.startswith(REMOTE_SCHEMES):
        return True
    return bool(_URI.match(path)) and not path.lower().startswith("file:")


_LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
_warned_checkpoints: set[str] = set()


def warn_if_workers_cannot_see(checkpoint: str, master: str) -> bool:
    """Warn (once per checkpoint) when a local checkpoint path is used with executors that may
    run on other hosts: every executor must see the checkpoint and the state it holds.

    Returns whether it warned. Local masters, masters on this host and remote paths are fine.
    """
    if is_remote(checkpoint) or master.startswith("local"):
        return False
    hosts = re.findall(r"^[a-z]+://([^/]+)", master)
    names = [h.rsplit(":", 1)[0] for part in hosts for h in part.split(",")]
    if names and all(name in _LOCAL_HOSTS or name == socket.gethostname() for name in names):
        return False
    if checkpoint in _warned_checkpoints:
        return False
    _warned_checkpoints.add(checkpoint)
    logger.warning(
        "Checkpoint {} is a local path, but the executors of {} may run on other hosts: put "
        "checkpoints on storage every executor sees (HDFS, S3, ABFS, GCS, or a shared mount), "
        "or state and commits may be lost",
        checkpoint,
        master,
    )
    return True


def safe_name(name: str) -> str:
    """Make a pipeline or node name usable as one path segment."""
    cleaned = _UNSAFE.sub("_", name)
    # "." and ".." only contain allowed characters but would escape the checkpoint base.
    if not cleaned or set(cleaned) == {"."}:
        cleaned = "_" * max(len(cleaned), 1)
    return cleaned


def _normalize(path: str) -> str:
    """Absolute local path without ``file:`` prefix or trailing slash; remote URIs unchanged."""
    if is_remote(path):
        return path
    local = path.removeprefix("file://").removeprefix("file:")
    return os.path.abspath(os.path.expanduser(local))


def _same_location(first: str, second: str) -> bool:
    if is_remote(first) or is_remote(second):
        return first.rstrip("/") == second.rstrip("/")
    return _normalize(first) == _normalize(second)


def resolve_checkpoint(
    node_name: str,
    pipeline_name: str | None,
    streaming_checkpoint: str | None,
    option_checkpoint: str | None,
    checkpoint_base: str,
) -> str:
    """Return the checkpoint location of a node.

    Precedence: ``streaming.checkpoint_location``, then ``output.options.checkpointLocation``,
    then ``<checkpoint_base>/<pipeline or _queries>/<node>``. Local paths come back absolute;
    remote URIs come back unchanged. Giving both locations with different values is an error.
    """
    if (
        streaming_checkpoint
        and option_checkpoint
        and not _same_location(streaming_checkpoint, option_checkpoint)
    ):
        raise StreamingValidationError(
            f"output.options.checkpointLocation ('{option_checkpoint}') differs from "
            f"streaming.checkpoint_location ('{streaming_checkpoint}'); give the checkpoint "
            "once, preferably as streaming.checkpoint_location",
            field="output.options.checkpointLocation",
            node_name=node_name,
            expected=streaming_checkpoint,
            actual=option_checkpoint,
        )
    explicit = streaming_checkpoint or option_checkpoint
    if explicit:
        return _normalize(explicit)
    pipeline = safe_name(pipeline_name) if pipeline_name is not None else DEFAULT_PIPELINE
    segments = f"{pipeline}/{safe_name(node_name)}"
    if is_remote(checkpoint_base):
        return f"{checkpoint_base.rstrip('/')}/{segments}"
    return os.path.join(_normalize(checkpoint_base), segments)


# Spark writes each offsets/commits entry to a hidden temp file (``.<batch>.<uuid>.tmp``, plus
# its ``.crc`` on the local file system) and renames it into place.
_INTERRUPTED_WRITE = re.compile(r"^\..*\.tmp(\.crc)?$")


def remove_interrupted_writes(checkpoint: str) -> list[str]:
    """Delete the temp files a killed run left in a checkpoint that never planned a batch.

    Spark refuses to start batch 0 unless ``offsets`` and ``commits`` are empty
    (``STATE_STORE_CHECKPOINT_LOCATION_NOT_EMPTY``), so a process killed while writing its very
    first offsets entry would leave a checkpoint no restart can use. Such a temp file was never
    renamed into place, so nothing was planned or committed; removing it loses nothing. The
    query id in ``metadata`` is kept. Call only while holding the checkpoint's lock. Returns
    the removed paths; remote checkpoints are left alone.
    """
    if is_remote(checkpoint):
        return []
    root = _normalize(checkpoint)
    logs = [os.path.join(root, name) for name in ("offsets", "commits")]
    entries = {log: os.listdir(log) if os.path.isdir(log) else [] for log in logs}
    if any(name.isdigit() for name in entries[logs[0]]):
        return []  # a planned batch: Spark resumes from it and ignores temp files
    removed = []
    for log, names in entries.items():
        for name in names:
            if _INTERRUPTED_WRITE.match(name):
                path = os.path.join(log, name)
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)
                    removed.append(path)
    if removed:
        logger.warning(
            "Checkpoint {}: removed {} unfinished write(s) left by a run killed before its first "
            "batch was planned: {}",
            root,
            len(removed),
            ", ".join(os.path.relpath(path, root) for path in removed),
        )
    return removed


def _lock_files(checkpoint: str) -> tuple[str, str]:
    """Lock and holder file paths, siblings of the checkpoint directory (not inside it)."""
    base = _normalize(checkpoint).rstrip("/") or "/"
    return base + LOCK_SUFFIX, base + HOLDER_SUFFIX


def read_holder(checkpoint: str) -> HolderRecord | None:
    """The holder record of a local checkpoint, or None (remote, absent or unreadable)."""
    if is_remote(checkpoint):
        return None
    _, holder_file = _lock_files(checkpoint)
    try:
        with open(holder_file, encoding="utf-8") as handle:
            record = json.load(handle)
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def describe_holder(record: HolderRecord | None) -> str:
    """One-line description of a holder record for messages."""
    if not record:
        return "an unknown process (no holder record yet)"
    text = f"host {record.get('host', '?')}, pid {record.get('pid', '?')}"
    text += f", execution id {record.get('execution_id') or '-'}"
    if record.get("query_name"):
        text += f", query {record['query_name']}"
    return text + f", since {record.get('started_at', '?')}"


def _process_gone(record: HolderRecord) -> bool | None:
    """True when the record's process is dead, False when alive, None when unknowable."""
    pid = record.get("pid")
    if record.get("host") != socket.gethostname() or not isinstance(pid, int) or pid <= 0:
        return None
    return not process_alive(pid)


# Locks held by this process, keyed by lock file. flock already refuses a second open file
# description in the same process, but the registry gives a clearer message, covers threads
# racing between open() and flock(), and keeps a held lock referenced (so its fd is never
# closed by garbage collection) for the life of the query.
_registry_guard = threading.Lock()
_held: dict[str, CheckpointLock] = {}


def _after_fork_in_child() -> None:
    # A forked child shares the parent's open file descriptions; if it kept them, the lock
    # would outlive the parent. Close the child's copies (the parent's lock is unaffected).
    global _registry_guard
    _registry_guard = threading.Lock()
    for lock in list(_held.values()):
        lock._forget_in_child()
    _held.clear()


os.register_at_fork(after_in_child=_after_fork_in_child)


class CheckpointLock:
    """Exclusive lock on a checkpoint for the life of one streaming query.

    Local checkpoints use ``flock`` on ``<checkpoint>.tauro.lock`` and record who holds it in
    ``<checkpoint>.tauro.holder``. The kernel releases the lock when the holder dies, so a
    crashed run never blocks a restart. Remote checkpoints are not locked (a warning says so).
    """

    def __init__(
        self,
        checkpoint: str,
        *,
        execution_id: str | None,
        query_name: str | None,
    ) -> None:
        self.checkpoint = _normalize(checkpoint)
        self.execution_id = execution_id
        self.query_name = query_name
        self.remote = is_remote(checkpoint)
        self.lock_file, self.holder_file = _lock_files(checkpoint)
        self._fd: int | None = None
        self._record: HolderRecord | None = None
        self._release_guard = threading.Lock()

    @property
    def held(self) -> bool:
        """True while this instance holds the lock (always False for remote checkpoints)."""
        return self._fd is not None

    @property
    def holder(self) -> HolderRecord | None:
        """Our holder record while held, otherwise the record on disk (who holds it), if any."""
        if self._record is not None:
            return dict(self._record)
        return None if self.remote else read_holder(self.checkpoint)

    def acquire(self) -> None:
        """Take the lock or raise ``StreamingQueryError`` naming the current holder.

        Does nothing if this instance already holds the lock.
        """
        if self.remote:
            logger.warning(
                "Checkpoint {} is remote: cross-process locking is local-only, so s3a/abfss/"
                "hdfs checkpoints are not locked; make sure only one run uses it",
                self.checkpoint,
            )
            return
        if self.held:
            return
        with _registry_guard:
            other = _held.get(self.lock_file)
            if other is not None:
                raise self._refusal(other.holder, in_process=True)
            # Reserve before flock so a racing thread in this process sees the entry.
            _held[self.lock_file] = self
        try:
            self._lock_and_record()
        except BaseException:
            with _registry_guard:
                if _held.get(self.lock_file) is self:
                    del _held[self.lock_file]
            raise

    def _lock_and_record(self) -> None:
        os.makedirs(os.path.dirname(self.lock_file) or "/", exist_ok=True)
        # os.open fds are non-inheritable (PEP 446), so exec'd children (the JVM) never hold
        # the lock after we exit.
        fd = os.open(self.lock_file, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise self._refusal(read_holder(self.checkpoint), in_process=False) from None
        except BaseException:
            os.close(fd)
            raise
        try:
            previous = read_holder(self.checkpoint)
            if previous is not None:
                self._warn_stale(previous)
            record: HolderRecord = {
                "host": socket.gethostname(),
                "pid": os.getpid(),
                "execution_id": self.execution_id,
                "query_name": self.query_name,
                "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
            }
            self._write_holder(record)
        except BaseException:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
            raise
        self._fd = fd
        self._record = record

    def _warn_stale(self, previous: HolderRecord) -> None:
        # We hold the flock, so whoever wrote this record no longer does: it died or exited
        # without release(). Say whom we replace so an operator can match it to a crashed run.
        gone = _process_gone(previous)
        if gone is True:
            reason = "that process is dead"
        elif gone is False:
            reason = "that pid is alive but no longer holds the lock (pid reused?)"
        else:
            reason = "it no longer holds the lock"
        logger.warning(
            "Checkpoint {}: replacing stale holder record of {}; {}",
            self.checkpoint,
            describe_holder(previous),
            reason,
        )

    def _write_holder(self, record: HolderRecord) -> None:
        # Write then rename so readers (error messages, `tauro status`) never see half a record.
        temp = f"{self.holder_file}.{os.getpid()}.tmp"
        with open(temp, "w", encoding="utf-8") as handle:
            json.dump(record, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, self.holder_file)

    def _refusal(self, record: HolderRecord | None, *, in_process: bool) -> StreamingQueryError:
        who = describe_holder(record)
        where = "another query in this process" if in_process else "another run"
        execution = (record or {}).get("execution_id")
        stop = f"`tauro stop {execution}`" if execution else "`tauro stop`"
        return StreamingQueryError(
            f"Checkpoint {self.checkpoint} is in use by {where} ({who}). Two queries must not "
            f"write one checkpoint: stop that run with {stop}, or give this query another "
            f"checkpoint location. Lock file: {self.lock_file}",
            operation="acquire",
            component="CheckpointLock",
            field="streaming.checkpoint_location",
            node_name=self.query_name,
            details=record,
        )

    def release(self) -> None:
        """Remove the holder record and free the lock. Safe to call more than once, and from
        several threads at once (a stop and the listener's terminated event may race)."""
        with self._release_guard:
            self._release()

    def _release(self) -> None:
        fd = self._fd
        if fd is None:
            return
        try:
            # Remove the record while still locked, so we never delete a successor's record.
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.holder_file)
            # The lock file stays: unlinking it would let a process that already opened the old
            # inode and a process creating a new one both "hold" the lock.
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
            self._fd = None
            self._record = None
            with _registry_guard:
                if _held.get(self.lock_file) is self:
                    del _held[self.lock_file]

    def _forget_in_child(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
        self._fd = None
        self._record = None

    def __enter__(self) -> CheckpointLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()

    def __repr__(self) -> str:
        state = "held" if self.held else "free"
        return f"CheckpointLock({self.checkpoint!r}, {state})"
