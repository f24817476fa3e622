"""A real Spark Connect server for tests, started from pyspark's own jars.

``connect_server`` (session-scoped: one server per test run) runs
``spark-submit --class org.apache.spark.sql.connect.service.SparkConnectServer`` with the Delta
package and conf, on a free port. The server's Python workers (foreachBatch, UDFs, Python data
sources) run a virtualenv *without* Tauro, as on a real cluster, so code Tauro would need on the
server is really tested. The server's output goes to ``<TAURO_CACHE>/connect-server.log``.

Connect clients never run in the pytest process (PySpark turns a whole process into Connect
mode once a remote session exists): tests run ``tests/delta/connect_client.py`` in a subprocess.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tauro.ivy_settings import ivy_settings_file
from tests.install_venv import CACHE, heavy_dependencies, run

SERVER_CLASS = "org.apache.spark.sql.connect.service.SparkConnectServer"
DELTA_PACKAGE = "io.delta:delta-spark_4.2_2.13:4.4.0"
DELTA_CONF = {
    "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
    "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
}
#: What pyspark's Connect mode imports in the server's Python workers (tauro-core's `connect` extra).
WORKER_DEPS = (
    "grpcio>=1.76.0",
    "grpcio-status>=1.76.0",
    "googleapis-common-protos>=1.71.0",
    "zstandard>=0.25.0",
)
START_TIMEOUT = 180.0


@dataclass(frozen=True)
class ConnectServer:
    url: str
    port: int
    python: Path  # the server's worker Python (no Tauro)
    log: Path


def server_python() -> Path:
    """A virtualenv with pyspark and its Connect dependencies and no Tauro, built once."""
    version = f"py{sys.version_info.major}{sys.version_info.minor}"
    venv = CACHE / "connect-server-venv" / f"{version}-pyspark-4.2.0"
    python = venv / "bin" / "python"
    if (venv / ".complete").exists():
        return python
    shutil.rmtree(venv, ignore_errors=True)
    created = run(sys.executable, "-m", "venv", venv)
    assert created.returncode == 0, created.stderr
    site = run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])")
    (Path(site.stdout.strip()) / "tauro-heavy-dependencies.pth").write_text(f"{heavy_dependencies()}\n")
    pip = [python, "-m", "pip", "install", "--quiet", "--find-links", CACHE / "wheels"]
    installed = run(*pip, *WORKER_DEPS)
    assert installed.returncode == 0, f"{installed.stdout}\n{installed.stderr}"
    (venv / ".complete").write_text("")
    return python


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env(python: Path) -> dict[str, str]:
    """The environment without the test run's Python paths; workers run ``python``."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "SPARK_REMOTE")}
    env["PYSPARK_PYTHON"] = str(python)
    return env


def start_server(log: Path, python: Path, master: str = "local[2]") -> tuple[subprocess.Popen[bytes], int]:
    import pyspark

    spark_home = Path(pyspark.__file__).parent
    port = free_port()
    conf = {
        "spark.connect.grpc.binding.port": str(port),
        "spark.jars.ivySettings": ivy_settings_file(),
        "spark.pyspark.python": str(python),
        "spark.sql.shuffle.partitions": "2",
        "spark.ui.enabled": "false",
        "spark.sql.session.timeZone": "UTC",
        # As tauro-delta does for local sessions: Delta's default of 50 snapshot partitions
        # makes every small commit on two cores wait.
        "spark.databricks.delta.snapshotPartitions": "2",
        **DELTA_CONF,
    }
    command = [str(spark_home / "bin" / "spark-submit"), "--master", master, "--class", SERVER_CLASS]
    command += ["--packages", DELTA_PACKAGE]
    for key, value in conf.items():
        command += ["--conf", f"{key}={value}"]
    command.append("spark-internal")
    env = clean_env(python)
    env["SPARK_HOME"] = str(spark_home)
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    return process, port


def wait_listening(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the Spark Connect server exited ({process.returncode}); see {log}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.25)
    pytest.fail(f"the Spark Connect server did not listen on {port} in {START_TIMEOUT:.0f} s; see {log}")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, 15)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def connect_server() -> Iterator[ConnectServer]:
    """One Spark Connect server (with Delta) for the whole test run; stopped at the end."""
    python = server_python()
    log = CACHE / "connect-server.log"
    process, port = start_server(log, python)
    try:
        wait_listening(process, port, log)
        yield ConnectServer(url=f"sc://127.0.0.1:{port}", port=port, python=python, log=log)
    finally:
        stop_server(process)
