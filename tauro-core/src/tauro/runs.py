"""Run directories: the on-disk state of a ``tauro run``, so other processes can see and stop it.

``<runs_dir>/<execution_id>/`` holds ``status.json`` (refreshed by the runner), ``run.json``
(pid, host, file, pipeline, start time) and ``stop`` (a stop request written by ``tauro stop``).
"""

from __future__ import annotations

import json
import os
import socket
import tempfile
import time
from pathlib import Path
from typing import Any

from tauro.processes import process_alive

FINAL = ("completed", "stopped", "error")


def atomic_write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, default=str)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


class RunDirectory:
    def __init__(self, runs_dir: Path, execution_id: str) -> None:
        self.path = Path(runs_dir) / execution_id
        self.execution_id = execution_id

    @property
    def status_file(self) -> Path:
        return self.path / "status.json"

    @property
    def run_file(self) -> Path:
        return self.path / "run.json"

    @property
    def stop_file(self) -> Path:
        return self.path / "stop"

    def create(self, pipeline_name: str, config_file: str) -> None:
        atomic_write_json(
            self.run_file,
            {
                "execution_id": self.execution_id,
                "pipeline_name": pipeline_name,
                "file": config_file,
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "started_at": time.time(),
            },
        )

    def write_status(self, status: dict[str, Any]) -> None:
        atomic_write_json(self.status_file, {**status, "updated_at": time.time()})

    def read_status(self) -> dict[str, Any] | None:
        return _read_json(self.status_file)

    def read_run(self) -> dict[str, Any] | None:
        return _read_json(self.run_file)

    def request_stop(self, timeout: float) -> None:
        atomic_write_json(
            self.stop_file, {"requested_at": time.time(), "timeout": timeout, "by_pid": os.getpid()}
        )

    def stop_requested(self) -> dict[str, Any] | None:
        return _read_json(self.stop_file) if self.stop_file.exists() else None

    def runner_alive(self) -> bool:
        run = self.read_run() or {}
        pid = run.get("pid")
        if not isinstance(pid, int):
            return False
        if run.get("host") not in (None, socket.gethostname()):
            return True  # cannot tell for another host; trust the status file
        return process_alive(pid)

    def summary(self) -> dict[str, Any]:
        status = self.read_status() or {}
        run = self.read_run() or {}
        state = status.get("status", "unknown")
        if state not in FINAL and not self.runner_alive():
            state = f"{state} (runner gone)"
        return {
            "execution_id": self.execution_id,
            "pipeline_name": run.get("pipeline_name") or status.get("pipeline_name"),
            "status": state,
            "pid": run.get("pid"),
            "active_queries": status.get("active_queries"),
            "total_queries": status.get("total_queries"),
            "updated_at": status.get("updated_at"),
        }


def list_runs(runs_dir: Path) -> list[RunDirectory]:
    if not Path(runs_dir).is_dir():
        return []
    entries = [RunDirectory(runs_dir, p.name) for p in Path(runs_dir).iterdir() if (p / "run.json").exists()]
    return sorted(entries, key=lambda r: (r.read_run() or {}).get("started_at", 0))
