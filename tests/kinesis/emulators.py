"""Kinesis emulators for tests and benchmarks, on 127.0.0.1.

- kinesis-mock (npm package ``kinesis-local``, pinned): reshards like the service. Installed on
  first use into ``$TAURO_CACHE/npm`` (default ``~/.cache/tauro/npm``) with ``npm install
  --prefix``, started with ``node main.js`` from its package folder (it reads ``server.json``
  from its working directory) on free ports. ``KINESIS_ENDPOINT_URL`` reuses one already running.
- moto (``ThreadedMotoServer(port=0)``), in process: quick, but does not reshard like the service.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

KINESIS_LOCAL_VERSION = "0.6.2"
REGION = "us-east-1"
#: Emulators accept any keys; tests pass them as options, which also exercises redaction.
ACCESS_KEY_ID = "AKIATAUROTEST"
SECRET_KEY = "tauro-test-secret-value"
CACHE = Path(os.environ.get("TAURO_CACHE", Path.home() / ".cache" / "tauro"))


def package_dir() -> Path:
    return CACHE / "npm" / "node_modules" / "kinesis-local"


def install_kinesis_local() -> Path:
    """The pinned kinesis-local package folder, installed with npm when missing."""
    folder = package_dir()
    manifest = folder / "package.json"
    if manifest.exists() and json.loads(manifest.read_text())["version"] == KINESIS_LOCAL_VERSION:
        return folder
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        raise RuntimeError("kinesis-mock needs Node.js and npm on PATH (e.g. apt-get install nodejs npm)")
    prefix = CACHE / "npm"
    prefix.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            npm,
            "install",
            "--prefix",
            str(prefix),
            "--no-audit",
            "--no-fund",
            f"kinesis-local@{KINESIS_LOCAL_VERSION}",
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return folder


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def client(endpoint: str) -> Any:
    import boto3

    return boto3.client(
        "kinesis",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY_ID,
        aws_secret_access_key=SECRET_KEY,
    )


def wait_ready(endpoint: str, process: subprocess.Popen[bytes] | None = None, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"kinesis-mock exited with code {process.returncode} before it was ready")
        try:
            client(endpoint).list_streams(Limit=1)
            return
        except Exception as error:
            last = error
            time.sleep(0.25)
    raise RuntimeError(f"kinesis emulator at {endpoint} not ready after {timeout}s: {last}")


@contextmanager
def kinesis_mock() -> Iterator[str]:
    """The endpoint of a kinesis-mock: ``KINESIS_ENDPOINT_URL`` if set, else one started here."""
    given = os.environ.get("KINESIS_ENDPOINT_URL")
    if given:
        wait_ready(given, timeout=10)
        yield given
        return
    folder = install_kinesis_local()
    plain, tls = free_port(), free_port()
    env = {
        **os.environ,
        "KINESIS_MOCK_PLAIN_PORT": str(plain),
        "KINESIS_MOCK_TLS_PORT": str(tls),
        "LOG_LEVEL": "WARN",
        "SHOULD_PERSIST_DATA": "false",
        "AWS_REGION": REGION,
    }
    log = CACHE / "npm" / f"kinesis-mock-{plain}.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            ["node", "main.js"],
            cwd=folder,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    endpoint = f"http://127.0.0.1:{plain}"
    try:
        try:
            wait_ready(endpoint, process)
        except RuntimeError as error:
            output_tail = log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{error}\nkinesis-mock output:\n{output_tail}") from None
        yield endpoint
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(15)
        log.unlink(missing_ok=True)


@contextmanager
def moto_server() -> Iterator[str]:
    """The endpoint of an in-process moto server on a free port."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def create_stream(endpoint: str, shards: int, name: str | None = None) -> str:
    """A new ACTIVE stream with ``shards`` shards; returns its name."""
    name = name or f"s-{uuid.uuid4().hex[:12]}"
    kinesis = client(endpoint)
    kinesis.create_stream(StreamName=name, ShardCount=shards)
    wait_active(endpoint, name)
    return name


def wait_active(endpoint: str, name: str, timeout: float = 60) -> None:
    kinesis = client(endpoint)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
        if summary["StreamStatus"] == "ACTIVE":
            return
        time.sleep(0.1)
    raise RuntimeError(f"stream {name} not ACTIVE after {timeout}s")


def put_json(endpoint: str, name: str, rows: list[dict[str, Any]], key: str = "id") -> None:
    """Put rows as JSON records, partition key = the row's ``key`` field, 500 per call."""
    kinesis = client(endpoint)
    for first in range(0, len(rows), 500):
        chunk = rows[first : first + 500]
        records = [{"Data": json.dumps(r).encode(), "PartitionKey": str(r[key])} for r in chunk]
        response = kinesis.put_records(StreamName=name, Records=records)
        assert response["FailedRecordCount"] == 0, response


def read_all(endpoint: str, name: str) -> list[dict[str, Any]]:
    """Every record of every shard (TRIM_HORIZON to the tip or shard end), with its shard id."""
    kinesis = client(endpoint)
    found = []
    for shard in kinesis.list_shards(StreamName=name)["Shards"]:
        shard_id = shard["ShardId"]
        iterator = kinesis.get_shard_iterator(
            StreamName=name, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            response = kinesis.get_records(ShardIterator=iterator, Limit=10000)
            found.extend({**r, "ShardId": shard_id} for r in response["Records"])
            iterator = response.get("NextShardIterator")
            if not response["Records"] and not response.get("MillisBehindLatest"):
                break
    return found


def connection_options(endpoint: str, name: str) -> dict[str, str]:
    return {
        "streamName": name,
        "endpointUrl": endpoint,
        "region": REGION,
        "awsAccessKeyId": ACCESS_KEY_ID,
        "awsSecretKey": SECRET_KEY,
    }
