"""``tauro run`` / ``status`` / ``stop`` as separate processes, as an operator uses them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]


def cli(
    *args: str, cwd: Path, timeout: float = 300, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tauro.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env or os.environ.copy(),
    )


def start(*args: str, cwd: Path) -> subprocess.Popen[str]:
    # Output goes to a file: an unread pipe fills up and blocks the runner.
    log = (cwd / "runner.log").open("a")
    return subprocess.Popen(
        [sys.executable, "-m", "tauro.cli", *args], cwd=cwd, stdout=log, stderr=subprocess.STDOUT, text=True
    )


def write_context(tmp_path: Path) -> Path:
    context = tmp_path / "context.yaml"
    context.write_text(
        "spark: {master: 'local[1]', conf: {spark.ui.enabled: false, "
        "spark.sql.shuffle.partitions: 1}}\nbase_dir: state\n"
    )
    return context


def wait_for_status(tmp_path: Path, context: Path, wanted: str, timeout: float = 180) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = cli("status", "--context", str(context), "--json", cwd=tmp_path)
        runs = json.loads(result.stdout or "[]")
        if runs and runs[0]["status"] == wanted:
            return runs[0]
        time.sleep(0.5)
    raise AssertionError(f"no run reached {wanted!r}: {runs}")


def test_demo_runs_to_completion(tmp_path: Path) -> None:
    demo = REPO / "examples" / "demo"
    env = {**os.environ, "TAURO_DEMO_BASE": str(tmp_path / "demo")}
    result = cli(
        "run",
        str(demo / "pipeline.yaml"),
        "--import",
        str(demo / "transforms.py"),
        "--context",
        str(demo / "context.yaml"),
        "--quiet",
        "--execution-id",
        "demo-1",
        cwd=tmp_path,
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    status = json.loads((tmp_path / "demo" / "runs" / "demo-1" / "status.json").read_text())
    assert status["status"] == "completed"
    events, actions = status["query_statuses"]["events"], status["query_statuses"]["actions"]
    assert (events["input_rows"], events["dead_letters"], events["state"]) == (7, 2, "completed")
    assert (actions["input_rows"], actions["state"]) == (7, "completed")
    assert "| click" in result.stdout or "click" in result.stdout


FOREVER = (
    "name: forever\nnodes:\n  - name: tick\n    input: {format: rate, options: {rowsPerSecond: 5}}\n"
    "    output: {format: noop}\n    streaming: {trigger: {type: processing_time, interval: 1 second}}\n"
)


def start_forever(tmp_path: Path, execution_id: str) -> tuple[Path, subprocess.Popen[str]]:
    """A continuous one-node pipeline run by `tauro run` in another process."""
    context = write_context(tmp_path)
    pipeline = tmp_path / "forever.yaml"
    pipeline.write_text(FOREVER)
    runner = start(
        "run",
        str(pipeline),
        "--context",
        str(context),
        "--quiet",
        "--execution-id",
        execution_id,
        cwd=tmp_path,
    )
    return context, runner


def test_status_and_stop_from_another_process(tmp_path: Path) -> None:
    context, runner = start_forever(tmp_path, "fr-1")
    try:
        running = wait_for_status(tmp_path, context, "running")
        assert running["execution_id"] == "fr-1" and running["pid"] == runner.pid
        detail = json.loads(cli("status", "fr-1", "--context", str(context), "--json", cwd=tmp_path).stdout)
        assert detail["query_statuses"]["tick"]["isActive"] is True
        stopped = cli("stop", "fr-1", "--context", str(context), "--timeout", "60", cwd=tmp_path)
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr
        assert runner.wait(120) == 0
    finally:
        if runner.poll() is None:
            runner.kill()
    final = json.loads((tmp_path / "state" / "runs" / "fr-1" / "status.json").read_text())
    assert final["status"] == "stopped" and final["active_queries"] == 0
    lock_holder = list((tmp_path / "state").rglob("*.tauro.holder"))
    assert lock_holder == []  # locks released


def test_sigterm_stops_gracefully_and_failures_exit_nonzero(tmp_path: Path) -> None:
    context, runner = start_forever(tmp_path, "sig-1")
    try:
        wait_for_status(tmp_path, context, "running")
        runner.send_signal(signal.SIGTERM)
        assert runner.wait(120) == 0
    finally:
        if runner.poll() is None:
            runner.kill()
    assert (
        json.loads((tmp_path / "state" / "runs" / "sig-1" / "status.json").read_text())["status"] == "stopped"
    )

    failing = tmp_path / "fail.yaml"
    failing.write_text(
        "nodes:\n  - name: boom\n    input: {format: memory, schema: 'value STRING', "
        "options: {rows: [{value: x}]}}\n    output: {format: foreach_batch, options: {function: explode}}\n"
        "    streaming: {trigger: {type: available_now}}\n"
    )
    code = tmp_path / "explode.py"
    code.write_text(
        "from tauro.streaming import TransformationRegistry\n"
        "def explode(df, batch_id):\n    raise RuntimeError('sink exploded')\n"
        "TransformationRegistry.register('explode', explode)\n"
    )
    result = cli(
        "run", str(failing), "--context", str(context), "--quiet", "--import", str(code), cwd=tmp_path
    )
    assert result.returncode == 1
    assert "sink exploded" in result.stdout


@pytest.mark.parametrize("bad", ["nodes: [{name: a, input: {format: rate}}]\n"])
def test_run_refuses_an_invalid_pipeline(tmp_path: Path, bad: str) -> None:
    pipeline = tmp_path / "bad.yaml"
    pipeline.write_text(bad)
    result = cli("run", str(pipeline), "--context", str(write_context(tmp_path)), "--quiet", cwd=tmp_path)
    assert result.returncode == 1
    assert "nodes[0].output" in result.stdout
