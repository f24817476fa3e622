"""``tauro run --metrics-port N`` in its own process serves the metrics while the run is alive."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
import urllib.error
from pathlib import Path

from prometheus_client.samples import Sample

from tauro.builtin.memory_source import MemorySpool

from .scrape import scrape, value


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def scrape_until(url: str, runner: subprocess.Popen[str], rows: int, timeout: float = 180) -> list[Sample]:
    deadline = time.monotonic() + timeout
    samples: list[Sample] = []
    while time.monotonic() < deadline:
        assert runner.poll() is None, "the run ended before its metrics were scraped"
        try:
            samples = scrape(url)
        except (urllib.error.URLError, ConnectionError):
            samples = []
        if value(samples, "tauro_input_rows_total", pipeline="live", node="ticks") == rows:
            return samples
        time.sleep(0.5)
    raise AssertionError(f"no scrape showed {rows} rows: {[s for s in samples if 'ticks' in str(s)]}")


def test_tauro_run_serves_metrics_while_it_runs(tmp_path: Path) -> None:
    spool = MemorySpool(tmp_path / "spool")
    spool.push([{"id": i, "value": f"v{i}"} for i in range(5)])
    pipeline = tmp_path / "live.yaml"
    pipeline.write_text(
        "name: live\n"
        "nodes:\n"
        "  - name: ticks\n"
        "    input: {format: memory, schema: 'id BIGINT, value STRING',\n"
        f"            options: {{spool: '{spool.path}'}}}}\n"
        "    output: {format: noop}\n"
        "    streaming: {trigger: {type: processing_time, interval: 1 second}}\n"
    )
    context = tmp_path / "context.yaml"
    context.write_text(
        "spark: {master: 'local[1]', conf: {spark.ui.enabled: false, spark.sql.shuffle.partitions: 1}}\n"
        "base_dir: state\n"
    )
    port = free_port()
    log = (tmp_path / "runner.log").open("w")
    runner = subprocess.Popen(
        [sys.executable, "-m", "tauro.cli", "run", str(pipeline), "--context", str(context), "--quiet",
         "--metrics-port", str(port), "--metrics-address", "127.0.0.1"],
        cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}/metrics"
        samples = scrape_until(url, runner, rows=5)
        assert value(samples, "tauro_node_status", pipeline="live", node="ticks", status="completed") == 0
        assert (value(samples, "tauro_batches_total", pipeline="live", node="ticks") or 0) >= 1
        spool.push([{"id": 5, "value": "v5"}, {"id": 6, "value": "v6"}])
        scrape_until(url, runner, rows=7)
    finally:
        runner.send_signal(signal.SIGTERM)
        code = runner.wait(timeout=120)
        log.close()
    assert code == 0, (tmp_path / "runner.log").read_text()
