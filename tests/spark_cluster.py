"""A Spark standalone cluster for tests: one master and two workers on 127.0.0.1, each its own
JVM started with pyspark's ``spark-class``, whose executors run a Python without Tauro.

The workers' Python is a virtualenv seeing only pyspark, pyarrow and pandas (the install-alone
tests' shared directory), so whatever Tauro code an executor imports must have been shipped.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyspark
import pytest

from tests.install_venv import heavy_dependencies, run

SPARK_HOME = Path(pyspark.__file__).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def python_without_tauro(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The interpreter of a virtualenv with pyspark, pyarrow and pandas, and no Tauro."""
    return python_interpreter_without_tauro(tmp_path_factory.mktemp("worker-python"))


def python_interpreter_without_tauro(path: Path) -> Path:
    """Create that virtualenv at ``path`` (cheap: the heavy packages are shared)."""
    created = run("python3.11", "-m", "venv", "--without-pip", path)
    assert created.returncode == 0, created.stderr
    python = path / "bin" / "python"
    site = run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])")
    (Path(site.stdout.strip()) / "tauro-heavy-dependencies.pth").write_text(f"{heavy_dependencies()}\n")
    check = run(python, "-c", "import pyspark, pyarrow\ntry:\n import tauro\nexcept ImportError: print('ok')")
    assert check.stdout.strip() == "ok", f"worker Python sees Tauro or lacks pyspark: {check}"
    return python


def spark_env(**extra: str) -> dict[str, str]:
    """The environment Spark's scripts run with: this pyspark's home, no test-run leftovers."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYSPARK_", "SPARK_"))}
    env.pop("PYTHONPATH", None)
    env["SPARK_HOME"] = str(SPARK_HOME)
    env.update(extra)
    return env


class StandaloneCluster:
    """A master and ``workers`` workers (1 core, 1 GiB each); logs under ``root``."""

    def __init__(self, root: Path, python: Path, workers: int = 2) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.python = python
        self.port = free_port()
        self.ui_port = free_port()
        self.url = f"spark://127.0.0.1:{self.port}"
        self._master: subprocess.Popen[bytes] | None = None
        self._workers: list[subprocess.Popen[bytes] | None] = [None] * workers

    def _spawn(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log = (self.root / f"{name}.log").open("ab")
        # Own process group: a killed worker takes the executors it launched with it.
        return subprocess.Popen(
            [str(SPARK_HOME / "bin" / "spark-class"), *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=spark_env(PYSPARK_PYTHON=str(self.python), SPARK_LOCAL_IP="127.0.0.1"),
            cwd=self.root,
            start_new_session=True,
        )

    def start(self) -> None:
        self._master = self._spawn(
            "master",
            "org.apache.spark.deploy.master.Master",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--webui-port",
            str(self.ui_port),
        )
        for index in range(len(self._workers)):
            self.start_worker(index, wait=False)
        self.wait_for_workers(len(self._workers))

    def start_worker(self, index: int, *, wait: bool = True) -> None:
        work = self.root / f"worker-{index}"
        work.mkdir(exist_ok=True)
        self._workers[index] = self._spawn(
            f"worker-{index}",
            "org.apache.spark.deploy.worker.Worker",
            self.url,
            "--host",
            "127.0.0.1",
            "--cores",
            "1",
            "--memory",
            "1g",
            "--webui-port",
            str(free_port()),
            "--work-dir",
            str(work),
        )
        if wait:
            self.wait_for_workers(sum(w is not None for w in self._workers))

    def state(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.ui_port}/json", timeout=5) as response:
            return dict(json.load(response))

    def wait_for_workers(self, count: int, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.state().get("aliveworkers", 0) >= count:
                    return
            except OSError:
                pass
            if self._master is not None and self._master.poll() is not None:
                break
            time.sleep(0.5)
        raise RuntimeError(f"{count} workers did not register in {timeout}s; see {self.root}/*.log")

    def kill_worker(self, index: int) -> None:
        """SIGKILL a worker and the executors it runs, as a lost machine would."""
        process = self._workers[index]
        assert process is not None
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(30)
        self._workers[index] = None

    def stop(self) -> None:
        for process in [*self._workers, self._master]:
            if process is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in [*self._workers, self._master]:
            if process is not None:
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def spark_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StandaloneCluster]:
    """One standalone cluster for the whole test session."""
    cluster = StandaloneCluster(
        tmp_path_factory.mktemp("spark-cluster"), python_without_tauro(tmp_path_factory)
    )
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
