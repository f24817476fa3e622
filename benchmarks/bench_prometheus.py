"""Metrics (tauro-prometheus) on vs off with 20 running queries, on the embedded local Spark:

- extra CPU: CPU time of this Python process (every thread, the HTTP server's short-lived
  request threads included, and the scraping client too: an upper bound) in windows with the
  plugin registered and scraped every 5 s, against windows without the plugin, alternating;
  target: at most 0.5% of one core
- scrape: one GET of /metrics with 20 queries' series, as a Prometheus server makes it: from
  another process (``curl``, its own ``time_total``); target under 50 ms. The same GET from a
  client thread inside this process, which competes with the server for the GIL, is printed too.
"""

from __future__ import annotations

import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench_runtime import context, rate_node


def _process_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _scrape(url: str) -> float:
    start = time.perf_counter()
    with urllib.request.urlopen(url, timeout=10) as response:
        body = response.read()
    elapsed = time.perf_counter() - start
    assert b"tauro_batches_total" in body
    return elapsed


def _scrape_from_another_process(url: str) -> float:
    """One GET by curl: what a scraper outside the process waits, curl's start-up excluded."""
    result = subprocess.run(
        ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{time_total}", url],
        capture_output=True, text=True, check=True, timeout=30,
    )  # fmt: skip
    code, seconds = result.stdout.split()
    assert code == "200", result.stdout
    return float(seconds)


def _timed_build(server: Any, render: Any) -> float:
    """The plugin's own share of a scrape: collecting and rendering, without HTTP."""
    start = time.perf_counter()
    render(server.registry.collect())
    return time.perf_counter() - start


def metrics_overhead(ctx: Any, pairs: int = 7, window: float = 20.0, scrape_every: float = 5.0) -> None:
    import tauro_prometheus.plugin as prometheus_plugin
    from tauro.plugins import get_plugin_manager
    from tauro.streaming.pipeline_manager import StreamingPipelineManager
    from tauro_prometheus import STATE, MetricsServer

    plugins = get_plugin_manager()
    if plugins.pm.get_plugin("prometheus") is not None:
        plugins.unregister("prometheus")
    server = MetricsServer(0, "127.0.0.1")
    url = f"http://127.0.0.1:{server.port}/metrics"
    manager = StreamingPipelineManager(ctx, monitor_interval=5.0)
    execution_id = manager.start_pipeline("twenty", {"nodes": [rate_node(f"q{i}", []) for i in range(20)]})
    while manager.status(execution_id)["active_queries"] < 20:
        time.sleep(0.2)
    time.sleep(5)
    on: list[float] = []
    off: list[float] = []
    scrapes: list[float] = []
    inside: list[float] = []
    try:
        for _ in range(pairs):
            for enabled in (True, False):
                if enabled:
                    plugins.register(prometheus_plugin, "prometheus")
                cpu, wall = _process_cpu_seconds(), time.perf_counter()
                deadline = wall + window
                while time.perf_counter() < deadline:
                    if enabled:
                        scrapes.append(_scrape_from_another_process(url))
                        inside.append(_scrape(url))
                    time.sleep(min(scrape_every, max(deadline - time.perf_counter(), 0)))
                share = (_process_cpu_seconds() - cpu) / (time.perf_counter() - wall)
                (on if enabled else off).append(share)
                if enabled:
                    plugins.unregister("prometheus")
        from prometheus_client import generate_latest

        from tauro_prometheus.exposition import TextRenderer

        renderer = TextRenderer()
        builds = [_timed_build(server, renderer.render) for _ in range(50)]
        generic = [_timed_build(server, lambda _: generate_latest(server.registry)) for _ in range(50)]
        series = sum(
            1 for line in urllib.request.urlopen(url).read().splitlines() if line.startswith(b"tauro_")
        )
    finally:
        manager.shutdown(60)
        server.close()
        STATE.clear()
    extra = [100 * (a - b) for a, b in zip(on, off, strict=True)]
    print(
        f"metrics on vs off, 20 running queries, {pairs} pairs of {window:.0f} s windows: process CPU "
        f"on median {100 * statistics.median(on):.2f}% / off {100 * statistics.median(off):.2f}% of one core; "
        f"extra median {statistics.median(extra):+.3f}% (min {min(extra):+.3f}, max {max(extra):+.3f}) "
        "(target <= 0.5%)"
    )
    print(
        f"scrape of 20 queries ({series} samples): median {1000 * statistics.median(scrapes):.1f} ms, "
        f"max {1000 * max(scrapes):.1f} ms, n={len(scrapes)} from another process (target < 50 ms); "
        f"from a thread of this process: median {1000 * statistics.median(inside):.1f} ms, "
        f"max {1000 * max(inside):.1f} ms; building the "
        f"exposition in-process: median {1000 * statistics.median(builds):.2f} ms, "
        f"max {1000 * max(builds):.2f} ms, n={len(builds)} (prometheus_client's generate_latest: "
        f"median {1000 * statistics.median(generic):.2f} ms)"
    )


def main() -> None:
    if shutil.which("curl") is None:
        sys.exit("bench_prometheus scrapes with curl, as an outside scraper would: install curl")
    pairs = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    with tempfile.TemporaryDirectory(prefix="tauro-bench-") as tmp:
        ctx = context(Path(tmp))
        ctx.spark.sparkContext.setLogLevel("ERROR")
        metrics_overhead(ctx, pairs=pairs)


if __name__ == "__main__":
    main()
