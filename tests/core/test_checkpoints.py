"""Checkpoint path resolution and the cross-process checkpoint lock (real processes, no mocks)."""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from loguru import logger

import tauro
from tauro.checkpoints import (
    CheckpointLock,
    is_remote,
    read_holder,
    resolve_checkpoint,
    safe_name,
)
from tauro.streaming.exceptions import StreamingQueryError, StreamingValidationError

SRC = str(Path(tauro.__file__).resolve().parent.parent)
CHILD_START_TIMEOUT = 60.0  # a cold interpreter importing tauro on a busy 2-core box

CHILD_CODE = """
import sys
from tauro.checkpoints import CheckpointLock
lock = CheckpointLock(sys.argv[1], execution_id="child-run", query_name="orders")
lock.acquire()
print("locked", flush=True)
sys.stdin.read()
"""


@pytest.fixture
def warnings_log() -> Iterator[list[str]]:
    """Collect tauro's loguru warnings (the package disables its logger by default)."""
    messages: list[str] = []
    logger.enable("tauro")
    sink_id = logger.add(messages.append, level="WARNING", format="{message}")
    try:
        yield messages
    finally:
        logger.remove(sink_id)
        logger.disable("tauro")


def _start_child(checkpoint: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [SRC, os.getenv("PYTHONPATH")])),
    }
    return subprocess.Popen(
        [sys.executable, "-c", CHILD_CODE, str(checkpoint)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )


def _wait_for_line(proc: subprocess.Popen[bytes], expected: bytes, timeout: float) -> None:
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    buffer = b""
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        while expected + b"\n" not in buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not selector.select(remaining):
                break
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                break  # child exited
            buffer += chunk
    if expected + b"\n" not in buffer:
        proc.kill()
        _, err = proc.communicate(timeout=10)
        pytest.fail(f"child did not print {expected!r}: stdout={buffer!r} stderr={err!r}")


@pytest.fixture
def locking_child(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    """A child process holding the lock on ``tmp_path/cp``; always killed afterwards."""
    checkpoint = tmp_path / "cp"
    proc = _start_child(checkpoint)
    try:
        _wait_for_line(proc, b"locked", CHILD_START_TIMEOUT)
        yield proc, checkpoint
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)


# -- path resolution ------------------------------------------------------------------------


def test_streaming_checkpoint_wins(tmp_path: Path) -> None:
    path = resolve_checkpoint("n", "p", str(tmp_path / "a"), None, str(tmp_path / "base"))
    assert path == str(tmp_path / "a")


def test_option_checkpoint_used_when_no_streaming_checkpoint(tmp_path: Path) -> None:
    path = resolve_checkpoint("n", "p", None, f"file:{tmp_path}/b/", str(tmp_path / "base"))
    assert path == str(tmp_path / "b")


def test_same_checkpoint_given_twice_is_accepted(tmp_path: Path) -> None:
    cp = tmp_path / "cp"
    path = resolve_checkpoint("n", None, str(cp), f"file://{cp}/", "/unused")
    assert path == str(cp)


def test_different_checkpoints_are_refused_with_field(tmp_path: Path) -> None:
    with pytest.raises(StreamingValidationError) as info:
        resolve_checkpoint("n", None, str(tmp_path / "a"), str(tmp_path / "b"), "/unused")
    assert info.value.field == "output.options.checkpointLocation"
    assert info.value.context["node_name"] == "n"
    assert "once" in info.value.message


def test_default_under_base_pipeline_and_node(tmp_path: Path) -> None:
    base = tmp_path / "base"
    assert resolve_checkpoint("orders", "sales", None, None, str(base)) == str(base / "sales" / "orders")
    assert resolve_checkpoint("orders", None, None, None, f"{base}/") == str(base / "_queries" / "orders")


def test_default_is_stable_across_calls(tmp_path: Path) -> None:
    # No run id in the path: a restart must land in the same directory.
    first = resolve_checkpoint("n", "p", None, None, str(tmp_path))
    assert first == resolve_checkpoint("n", "p", None, None, str(tmp_path))


def test_relative_paths_become_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert resolve_checkpoint("n", "p", None, None, "checkpoints") == str(
        tmp_path / "checkpoints" / "p" / "n"
    )
    assert resolve_checkpoint("n", "p", "rel/cp", None, "/unused") == str(tmp_path / "rel/cp")


def test_names_are_sanitized(tmp_path: Path) -> None:
    path = resolve_checkpoint("my node/x:1", "sales pipeline*", None, None, str(tmp_path))
    assert path == str(tmp_path / "sales_pipeline_" / "my_node_x_1")
    assert safe_name("ok_name-1.2") == "ok_name-1.2"
    assert safe_name("..") == "__"
    assert safe_name("") == "_"


@pytest.mark.parametrize(
    "uri",
    [
        "s3a://bucket/cp/orders",
        "abfss://c@acct.dfs.core.windows.net/cp/",
        "hdfs://nn:8020/cp",
        "gs://bucket/cp",
        "s3://bucket/cp",
    ],
)
def test_remote_uris_are_untouched(uri: str) -> None:
    assert is_remote(uri)
    assert resolve_checkpoint("n", "p", uri, None, "/unused") == uri


def test_remote_base_joins_names() -> None:
    path = resolve_checkpoint("my node", None, None, None, "s3a://bucket/cps/")
    assert path == "s3a://bucket/cps/_queries/my_node"


def test_is_remote_local_paths() -> None:
    assert not is_remote("/data/cp")
    assert not is_remote("relative/cp")
    assert not is_remote("file:///data/cp")
    assert not is_remote("file:/data/cp")


# -- lock -----------------------------------------------------------------------------------


def test_lock_files_live_beside_the_checkpoint(tmp_path: Path) -> None:
    checkpoint = tmp_path / "deep" / "cp"
    with CheckpointLock(str(checkpoint), execution_id="e1", query_name="q") as lock:
        assert Path(lock.lock_file) == tmp_path / "deep" / "cp.tauro.lock"
        assert Path(lock.holder_file) == tmp_path / "deep" / "cp.tauro.holder"
        assert Path(lock.lock_file).exists()
        # The checkpoint directory itself is Spark's: we neither create nor write into it.
        assert not checkpoint.exists()
        record = read_holder(str(checkpoint))
        assert record is not None
        assert record["pid"] == os.getpid()
        assert record["execution_id"] == "e1"
        assert record["query_name"] == "q"
        assert record["host"]
        assert record["started_at"].endswith("+00:00")
        assert lock.holder == record
    # Even with an existing checkpoint directory, nothing lands inside it.
    checkpoint.mkdir()
    with CheckpointLock(str(checkpoint), execution_id=None, query_name=None):
        assert list(checkpoint.iterdir()) == []


def test_release_is_idempotent_and_removes_holder(tmp_path: Path) -> None:
    checkpoint = str(tmp_path / "cp")
    lock = CheckpointLock(checkpoint, execution_id="e1", query_name=None)
    lock.acquire()
    assert lock.held
    assert Path(lock.holder_file).exists()
    lock.release()
    lock.release()
    assert not lock.held
    assert not Path(lock.holder_file).exists()
    assert read_holder(checkpoint) is None
    assert lock.holder is None
    # Released means free: a new lock takes it.
    with CheckpointLock(checkpoint, execution_id="e2", query_name=None) as again:
        assert again.held


def test_same_process_double_acquire_is_refused(tmp_path: Path) -> None:
    checkpoint = str(tmp_path / "cp")
    first = CheckpointLock(checkpoint, execution_id="e1", query_name="q1")
    first.acquire()
    try:
        # A different spelling of the same location is the same checkpoint.
        second = CheckpointLock(f"file:{checkpoint}/", execution_id="e2", query_name="q2")
        with pytest.raises(StreamingQueryError) as info:
            second.acquire()
        message = info.value.message
        assert f"pid {os.getpid()}" in message
        assert "e1" in message
        assert "tauro stop" in message
        assert not second.held
        # The refusal leaves the first holder intact.
        assert first.held
        assert read_holder(checkpoint)["execution_id"] == "e1"  # type: ignore[index]
    finally:
        first.release()
    with CheckpointLock(checkpoint, execution_id="e2", query_name="q2"):
        pass


def test_acquire_twice_on_same_instance_is_a_no_op(tmp_path: Path) -> None:
    with CheckpointLock(str(tmp_path / "cp"), execution_id=None, query_name=None) as lock:
        lock.acquire()
        assert lock.held


def test_lock_held_by_child_process_is_refused(
    locking_child: tuple[subprocess.Popen[bytes], Path],
) -> None:
    proc, checkpoint = locking_child
    lock = CheckpointLock(str(checkpoint), execution_id="parent-run", query_name="orders")
    with pytest.raises(StreamingQueryError) as info:
        lock.acquire()
    message = info.value.message
    assert f"pid {proc.pid}" in message
    assert "child-run" in message
    assert "since " in message
    assert "tauro stop" in message
    assert "another checkpoint" in message
    assert info.value.context["details"]["pid"] == proc.pid
    assert lock.holder is not None and lock.holder["pid"] == proc.pid
    assert not lock.held
    # The child's record was not disturbed by the refused attempt.
    assert read_holder(str(checkpoint))["pid"] == proc.pid  # type: ignore[index]


def test_lock_freed_when_holder_is_killed(
    locking_child: tuple[subprocess.Popen[bytes], Path], warnings_log: list[str]
) -> None:
    proc, checkpoint = locking_child
    dead_pid = proc.pid
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)  # reaped, so the pid is really gone
    # The killed child could not remove its holder record.
    assert read_holder(str(checkpoint))["pid"] == dead_pid  # type: ignore[index]

    with CheckpointLock(str(checkpoint), execution_id="restart", query_name="orders") as lock:
        assert lock.held
        record = read_holder(str(checkpoint))
        assert record is not None
        assert record["pid"] == os.getpid()
        assert record["execution_id"] == "restart"
    stale = [m for m in warnings_log if "stale holder" in m]
    assert len(stale) == 1
    assert f"pid {dead_pid}" in stale[0]
    assert "child-run" in stale[0]
    assert "dead" in stale[0]


def test_lock_freed_when_holder_exits_normally(
    locking_child: tuple[subprocess.Popen[bytes], Path],
) -> None:
    proc, checkpoint = locking_child
    proc.communicate(input=b"", timeout=30)  # EOF on stdin: the child exits without release()
    with CheckpointLock(str(checkpoint), execution_id="next", query_name=None) as lock:
        assert lock.held


def test_remote_lock_is_a_no_op_with_one_warning(warnings_log: list[str]) -> None:
    lock = CheckpointLock("s3a://bucket/cp/orders", execution_id="e1", query_name="q")
    lock.acquire()
    assert not lock.held
    assert lock.holder is None
    lock.release()
    lock.release()
    assert len(warnings_log) == 1
    assert "local-only" in warnings_log[0]
    assert read_holder("s3a://bucket/cp/orders") is None


def test_read_holder_tolerates_garbage(tmp_path: Path) -> None:
    checkpoint = tmp_path / "cp"
    assert read_holder(str(checkpoint)) is None
    (tmp_path / "cp.tauro.holder").write_text("{not json", encoding="utf-8")
    assert read_holder(str(checkpoint)) is None
    (tmp_path / "cp.tauro.holder").write_text(json.dumps([1, 2]), encoding="utf-8")
    assert read_holder(str(checkpoint)) is None
