#!/usr/bin/env python3
"""A real single-node Kafka broker for tests and demos (KRaft combined mode, 127.0.0.1).

    python scripts/kafka_broker.py start [--port 9092]   # fetch once, format, start, wait
    python scripts/kafka_broker.py stop
    python scripts/kafka_broker.py status

The broker jars come from Maven Central through ``mvn`` (``org.apache.kafka:kafka_2.13``, the
classpath is resolved once and cached); the broker's state lives under
``$TAURO_CACHE/kafka/broker-<port>`` and is wiped on ``start`` so every start is a clean cluster.
Standard library only: nox, the test fixtures and a shell can all run it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

KAFKA_VERSION = os.environ.get("TAURO_KAFKA_VERSION", "4.1.1")
# The classpath cache is keyed by this too: a change to the pom below re-resolves it.
POM_REVISION = "2"
ARTIFACT = f"org.apache.kafka:kafka_2.13:{KAFKA_VERSION}"
# Spark's Kafka connector and Kafka's own broker both log through log4j2; the broker prints
# nothing useful at INFO for tests, and its log file is enough to debug a failed start.
STARTED_MARKER = "Kafka Server started"
DEFAULT_PORT = 9092


def cache_dir() -> Path:
    return Path(os.environ.get("TAURO_CACHE", Path.home() / ".cache" / "tauro")) / "kafka"


def broker_dir(port: int) -> Path:
    return cache_dir() / f"broker-{port}"


def _pom(version: str) -> str:
    return f"""<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>tauro.local</groupId><artifactId>kafka-broker-classpath</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId>
      <version>{version}</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>2.0.16</version>
    </dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j2-impl</artifactId>
      <version>2.24.3</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId>
      <version>2.24.3</version></dependency>
  </dependencies>
</project>
"""


def classpath() -> str:
    """The broker's classpath, resolved from Maven Central once per Kafka version."""
    target = cache_dir() / f"{KAFKA_VERSION}-r{POM_REVISION}"
    cached = target / "classpath.txt"
    if cached.exists() and all(Path(p).exists() for p in cached.read_text().split(os.pathsep)):
        return cached.read_text().strip()
    if shutil.which("mvn") is None:
        sys.exit("mvn is required to fetch the Kafka broker from Maven Central (apt-get install maven)")
    target.mkdir(parents=True, exist_ok=True)
    (target / "pom.xml").write_text(_pom(KAFKA_VERSION))
    print(f"fetching {ARTIFACT} from Maven Central ...", file=sys.stderr)
    result = subprocess.run(
        [
            "mvn",
            "-q",
            "-f",
            str(target / "pom.xml"),
            "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath",
            f"-Dmdep.outputFile={cached}",
            "-Dmdep.includeScope=runtime",
        ],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        sys.exit(f"could not fetch {ARTIFACT}:\n{result.stdout[-3000:]}{result.stderr[-2000:]}")
    return cached.read_text().strip()


def _log4j_config(directory: Path) -> Path:
    config = directory / "log4j2.properties"
    config.write_text(
        "status = warn\n"
        "appender.file.type = File\n"
        "appender.file.name = file\n"
        f"appender.file.fileName = {directory / 'server.log'}\n"
        "appender.file.layout.type = PatternLayout\n"
        "appender.file.layout.pattern = [%d] %p %m (%c)%n\n"
        "rootLogger.level = INFO\n"
        "rootLogger.appenderRef.file.ref = file\n"
        "logger.kafka.name = kafka\nlogger.kafka.level = INFO\n"
        "logger.apache.name = org.apache.kafka\nlogger.apache.level = WARN\n"
    )
    return config


def _server_properties(directory: Path, port: int, controller_port: int) -> Path:
    properties = directory / "server.properties"
    settings = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.bootstrap.servers": f"127.0.0.1:{controller_port}",
        "listeners": f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "log.dirs": str(directory / "data"),
        "num.partitions": "1",
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "group.initial.rebalance.delay.ms": "0",
        # Development convenience (the demo publishes to new topics); tests create theirs explicitly.
        "auto.create.topics.enable": "true",
    }
    properties.write_text("".join(f"{k}={v}\n" for k, v in settings.items()))
    return properties


def _java(cp: str, directory: Path, *args: str) -> list[str]:
    java = shutil.which("java") or "java"
    return [
        java,
        "-Xms256m",
        "-Xmx1g",
        "-XX:+UseG1GC",
        f"-Dlog4j2.configurationFile={directory / 'log4j2.properties'}",
        "-cp",
        cp,
        *args,
    ]


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def process_alive(pid: int) -> bool:
    """True while ``pid`` runs; a zombie (exited, not yet reaped) counts as gone."""
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False  # our own child, reaped just now
    except ChildProcessError:
        pass  # not our child: its parent reaps it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"


def read_pid(port: int) -> int | None:
    """The pid of our broker on ``port`` while it runs, else None."""
    pid_file = broker_dir(port) / "broker.pid"
    if not pid_file.exists():
        return None
    pid = int(pid_file.read_text().strip() or 0)
    return pid if pid > 0 and process_alive(pid) else None


def wait_ready(port: int, timeout: float = 90.0) -> None:
    """Until the broker listens and has logged that it started (its metadata is then served)."""
    log = broker_dir(port) / "server.log"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        started = log.exists() and STARTED_MARKER in log.read_text(errors="replace")
        if started and port_open(port):
            return
        if read_pid(port) is None and not port_open(port):
            tail = log.read_text(errors="replace")[-3000:] if log.exists() else "(no log)"
            raise RuntimeError(f"the Kafka broker on port {port} exited during start:\n{tail}")
        time.sleep(0.2)
    raise TimeoutError(f"the Kafka broker on port {port} was not ready within {timeout:.0f}s (see {log})")


def start(port: int = DEFAULT_PORT, *, fresh: bool = True) -> int:
    """Start a broker on ``port`` (a fresh cluster unless ``fresh`` is false) and wait for it.

    Returns the broker's pid. A broker of ours already running on the port is reused.
    """
    running = read_pid(port)
    if running is not None and port_open(port):
        return running
    if port_open(port):
        raise RuntimeError(f"port {port} is taken by another process; choose another with --port")
    cp = classpath()
    directory = broker_dir(port)
    if fresh:
        shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True, exist_ok=True)
    _log4j_config(directory)
    controller_port = _free_port()
    properties = _server_properties(directory, port, controller_port)
    if fresh or not (directory / "data" / "meta.properties").exists():
        cluster_id = uuid.uuid4().hex[:22]
        formatted = subprocess.run(
            _java(
                cp,
                directory,
                "kafka.tools.StorageTool",
                "format",
                "--standalone",
                "-t",
                cluster_id,
                "-c",
                str(properties),
            ),
            capture_output=True,
            text=True,
        )
        if formatted.returncode != 0:
            raise RuntimeError(f"kafka storage format failed:\n{formatted.stdout}{formatted.stderr}")
    (directory / "server.log").unlink(missing_ok=True)
    with open(directory / "stdout.log", "ab") as out:
        process = subprocess.Popen(
            _java(cp, directory, "kafka.Kafka", str(properties)),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C in the caller's terminal does not kill the broker
        )
    (directory / "broker.pid").write_text(str(process.pid))
    (directory / "controller.port").write_text(str(controller_port))
    wait_ready(port)
    return process.pid


def restart(port: int = DEFAULT_PORT) -> int:
    """Stop and start the same broker keeping its data (topics and offsets survive)."""
    stop(port)
    controller = broker_dir(port) / "controller.port"
    if controller.exists() and port_open(int(controller.read_text())):
        raise RuntimeError("the previous broker's controller port is still open")
    return start(port, fresh=False)


def stop(port: int = DEFAULT_PORT, timeout: float = 30.0) -> None:
    """Stop the broker on ``port`` (SIGTERM, then SIGKILL after ``timeout``)."""
    pid = read_pid(port)
    if pid is None:
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and read_pid(port) is not None:
        time.sleep(0.1)
    if read_pid(port) is not None:
        os.kill(pid, signal.SIGKILL)
        while read_pid(port) is not None:
            time.sleep(0.1)
    deadline = time.monotonic() + timeout
    while port_open(port):
        if time.monotonic() > deadline:
            raise RuntimeError(f"port {port} is still open after the broker stopped")
        time.sleep(0.1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["start", "stop", "status", "fetch"])
    parser.add_argument("--port", type=int, default=int(os.environ.get("TAURO_KAFKA_PORT", DEFAULT_PORT)))
    args = parser.parse_args(argv)
    if args.command == "fetch":
        classpath()
        print(f"{ARTIFACT} cached under {cache_dir()}")
    elif args.command == "start":
        pid = start(args.port)
        print(f"Kafka {KAFKA_VERSION} broker ready on 127.0.0.1:{args.port} (pid {pid})")
    elif args.command == "stop":
        stop(args.port)
        print(f"Kafka broker on port {args.port} stopped")
    else:
        pid = read_pid(args.port)
        ready = pid is not None and port_open(args.port)
        print(f"Kafka broker on port {args.port}: {f'running (pid {pid})' if ready else 'not running'}")
        return 0 if ready else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
