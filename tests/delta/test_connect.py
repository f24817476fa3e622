"""Pipelines over a real Spark Connect server (tests/spark_connect_server.py), whose Python
workers have no Tauro: the medallion demo (files -> Delta), what validation refuses, a failing
node reported as error, a stop, and a restart that resumes from its checkpoint.

Each client is ``tests/delta/connect_client.py`` in its own process: a Connect session turns
the whole process into Connect mode, which must never happen to the pytest process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO
from tests.spark_connect_server import ConnectServer, connect_server  # noqa: F401 (fixture)

CLIENT = Path(__file__).with_name("connect_client.py")
DEMO = REPO / "examples" / "medallion"
EVENTS = 400

pytestmark = pytest.mark.timeout(600)


def client(server: ConnectServer, scenario: str, base: Path, *args: str | Path) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k != "SPARK_REMOTE"}
    done = subprocess.run(
        [sys.executable, str(CLIENT), scenario, server.url, str(base), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=540,
        env=env,
    )
    assert done.returncode == 0, f"{scenario} failed:\n{done.stderr[-4000:]}"
    lines = done.stdout.strip().splitlines()
    assert lines, f"{scenario} printed nothing:\n{done.stderr[-4000:]}"
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def write_events(path: Path, ids: range, negative: int | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        json.dumps(
            {
                "event_id": i,
                "user_id": f"u{i % 7}",
                "action": "click",
                "amount": -1.0 if i == negative else 1.0,
                "ts": "2026-01-01T00:00:00Z",
            }
        )
        for i in ids
    ]
    temporary = path.with_name(f".{path.name}")
    temporary.write_text("\n".join(lines) + "\n")
    temporary.rename(path)  # the file source sees the whole file or none of it


def test_medallion_demo_over_connect(connect_server: ConnectServer, tmp_path: Path) -> None:  # noqa: F811
    sys.path.insert(0, str(DEMO))
    try:
        from generate import expected
    finally:
        sys.path.remove(str(DEMO))
    landing = tmp_path / "landing"
    generated = subprocess.run(
        [sys.executable, str(DEMO / "generate.py"), str(landing), "--events", str(EVENTS), "--files", "2"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert generated.returncode == 0, generated.stderr
    result = client(connect_server, "demo", tmp_path / "demo", landing)
    want = expected(EVENTS)
    # Without dead letters, a malformed line is a row of nulls in bronze (Spark's behaviour);
    # silver's filter transform stands in for the expectations that cannot run over Connect.
    assert result["connect"] is True
    assert result["status"] == "completed"
    counts = result["counts"]
    assert {k: counts[k] for k in ("bronze", "silver", "gold")} == {
        "bronze": want["bronze"] + want["bronze_dead_letters"],
        "silver": want["silver"],
        "gold": want["gold"],
    }
    assert set(result["gold"]) == {"click", "view", "buy"}
    assert sum(result["gold"].values()) == want["silver"]
    # The MERGE ran on the server without Tauro: one row per user, the newest by ts.
    assert 0 < counts["latest_per_user"] <= want["latest_per_user"]
    assert result["latest_is_newest_per_user"] is True
    # Its last batch replayed after a lost commit: re-committed, and skipped by Delta.
    assert result["replay_status"] == "completed", result["replay_error"]
    assert result["recommitted"] is True
    assert result["versions_after_replay"] == result["versions_before_replay"]
    assert result["latest_unchanged"] is True


def test_validation_refuses_what_cannot_run_over_connect(
    connect_server: ConnectServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    result = client(connect_server, "refusals", tmp_path)
    medallion = result["medallion"]
    # The merge node (nodes[2]) runs over Connect; dead letters and expectations do not.
    assert set(medallion) == {
        "nodes[0].input.dead_letter",
        "nodes[1].input.dead_letter",
        "nodes[1].expectations",
    }
    assert "foreachBatch" in medallion["nodes[1].expectations"]
    assert list(result["memory_in"]) == ["nodes[0].input.format"]
    assert "Python data source" in result["memory_in"]["nodes[0].input.format"]
    assert result["queries_started"] == 0  # refused before anything started


def test_a_failing_node_is_reported_as_error(connect_server: ConnectServer, tmp_path: Path) -> None:  # noqa: F811
    write_events(tmp_path / "landing" / "a.json", range(20), negative=7)
    result = client(connect_server, "fail", tmp_path / "base", tmp_path / "landing")
    assert result["status"] == "error"
    assert "node 'parse' failed" in result["error"]
    assert result["node"]["state"] == "failed"
    assert "negative amount: boom" in result["node"]["exception"]


def test_stop_then_restart_resumes_from_the_checkpoint(
    connect_server: ConnectServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    landing, base = tmp_path / "landing", tmp_path / "base"
    write_events(landing / "a.json", range(20))
    stopped = client(connect_server, "stop", base, landing)
    assert stopped == {
        "running": "running",
        "stopped": True,
        "status": "stopped",
        "node_state": "stopped",
        "active": 0,
        "rows": 20,
    }
    write_events(landing / "b.json", range(20, 50))
    resumed = client(connect_server, "restart", base, landing)
    # Only the new file is read: the checkpoint kept what the stopped run had committed.
    assert resumed == {"status": "completed", "rows": 50, "distinct": 50}


def test_tauro_run_with_a_remote_in_the_context_file(connect_server: ConnectServer, tmp_path: Path) -> None:  # noqa: F811
    write_events(tmp_path / "landing" / "a.json", range(10))
    (tmp_path / "context.yaml").write_text(
        f'spark:\n  remote: "{connect_server.url}/;user_id=tests"\nbase_dir: base\n'
    )
    (tmp_path / "pipeline.yaml").write_text(
        "name: copy\ntype: streaming\nstreaming: {trigger: {type: available_now}}\nnodes:\n"
        "  - name: copy\n"
        f"    input: {{format: file_stream, path: '{tmp_path / 'landing'}', schema: 'event_id BIGINT',"
        " options: {format: json}}\n"
        "    output: {format: delta, table_name: copied}\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "SPARK_REMOTE"}
    tauro = Path(sys.executable).with_name("tauro")
    done = subprocess.run(
        [str(tauro), "run", "pipeline.yaml", "--context", "context.yaml", "--quiet"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "copy      done         1    10" in done.stdout
    (run_dir,) = (tmp_path / "base" / "runs").iterdir()
    assert "Connecting to the Spark Connect server sc://127.0.0.1" in (run_dir / "run.log").read_text()


def test_a_udf_from_an_imported_module_runs_on_the_server(
    connect_server: ConnectServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    # The server's workers have no Tauro and no such module: only the zip Tauro ships has it.
    write_events(tmp_path / "landing" / "a.json", range(6), negative=2)
    result = client(connect_server, "udf", tmp_path / "base", tmp_path / "landing")
    assert result == {"status": "completed", "labels": {"positive": 5, "other": 1}, "exception": None}
