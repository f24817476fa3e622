"""Failure detection over Spark Connect: from the failing batch's last task attempt to the
pipeline's status "error" in the client.

    python benchmarks/bench_connect.py [--runs 7] [--master local[2,4]]

Starts a Spark Connect server (with Delta, workers on a Python without Tauro, as the tests do:
tests/spark_connect_server.py), then, in this process as its Connect client, runs a file source
-> UDF -> noop pipeline whose UDF appends a timestamp to a file and raises, on every task
attempt (Spark's default task retries). The latency is the status callback's time minus the
last attempt's timestamp. This process becomes a Connect client, so it runs nothing else.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_runtime import ErrorWatcher
from tests.spark_connect_server import server_python, start_server, stop_server, wait_listening


def measure(url: str, base: Path, runs: int) -> list[float]:
    from pyspark.sql import functions as F
    from pyspark.sql.types import LongType

    from tauro.config.context import Context
    from tauro.streaming import TransformationRegistry
    from tauro.streaming.pipeline_manager import StreamingPipelineManager

    stamps = base / "raised_at"
    context = Context(remote=url, base_dir=base / "tauro")
    context.spark.version  # noqa: B018 (PySpark makes UDFs for Connect once a remote session exists)

    @F.udf(LongType())
    def fail(value: int) -> int:
        import time as clock

        with open(str(stamps), "a") as handle:  # one line per task attempt
            handle.write(f"{clock.time()!r}\n")
        raise RuntimeError("deliberate failure")

    TransformationRegistry.register("bench_fail", lambda df: df.withColumn("event_id", fail("event_id")))
    latencies: list[float] = []
    for run in range(runs + 1):  # the first run warms the session and the server up
        landing = base / f"landing{run}"
        landing.mkdir()
        (landing / "a.json").write_text(json.dumps({"event_id": 1}) + "\n")
        stamps.unlink(missing_ok=True)
        watcher = ErrorWatcher()
        manager = StreamingPipelineManager(context, monitor_interval=5.0, on_status=watcher)
        manager.start_pipeline(
            f"fail{run}",
            {
                "nodes": [
                    {
                        "name": "boom",
                        "transforms": ["bench_fail"],
                        "input": {
                            "format": "file_stream",
                            "path": str(landing),
                            "schema": "event_id BIGINT",
                            "options": {"format": "json"},
                        },
                        "output": {"format": "noop"},
                        "streaming": {"trigger": {"type": "processing_time", "interval": "1 second"}},
                    }
                ]
            },
        )
        assert watcher.errored.wait(120), "the failure was never reported"
        attempts = [float(line) for line in stamps.read_text().split()]
        latency = watcher.at - max(attempts)
        manager.shutdown(30)
        if run:
            latencies.append(latency)
            print(f"run {run}: {latency:.3f} s after the last of {len(attempts)} task attempt(s)", flush=True)
    return latencies


def disconnect() -> None:
    """Remove Tauro's listener and close the session while the server still answers: a
    Connect client whose server has gone retries those calls for a long time at exit."""
    from pyspark.sql import SparkSession

    from tauro.streaming.listener import shutdown_event_hubs

    shutdown_event_hubs()
    session = SparkSession.getActiveSession()
    if session is not None:
        session.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--master",
        default="local[2]",
        help="the server's master; local[2,4] retries a failed task 4 times, as a cluster does",
    )
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="tauro-bench-connect-"))
    log = base / "connect-server.log"
    process, port = start_server(log, server_python(), args.master)
    try:
        wait_listening(process, port, log)
        latencies = measure(f"sc://127.0.0.1:{port}", base, args.runs)
    finally:
        disconnect()
        stop_server(process)
    print(
        f"failure -> status 'error' over Spark Connect: median {statistics.median(latencies):.3f} s "
        f"(min {min(latencies):.3f}, max {max(latencies):.3f}, n={len(latencies)}; target <= 1 s)"
    )
    shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
