"""Kinesis: records per second through Tauro's kinesis source (kinesis -> noop, available_now)
against a plain boto3 consumer loop reading the same stream from the same emulator
(kinesis-mock on 127.0.0.1, started here, or KINESIS_ENDPOINT_URL; ``--emulator moto`` starts
moto's server in its own process instead). Alternating runs.

    python benchmarks/bench_kinesis.py                       # 7 pairs, 20,000 records, 4 shards
    python benchmarks/bench_kinesis.py --pairs 3 --records 5000
    python benchmarks/bench_kinesis.py --records 100000 --shards 1,2,4   # one stream per count
    python benchmarks/bench_kinesis.py --emulator moto --records 100000 --pairs 3
    KINESIS_ENDPOINT_URL=http://127.0.0.1:4567 python benchmarks/bench_kinesis.py --fill-only \
        --records 100000 --shards 4          # prints the stream's name; then --stream NAME reuses it

After the pairs it prints where the last Tauro run spent its time, from Spark's progress
(``durationMs`` summed over the run's batches), and what kinesis-mock alone serves: GetRecords
calls and records per second in the boto3 loop.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from common import report, timed

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.kinesis.emulators

from tests.kinesis.emulators import (
    client,
    connection_options,
    create_stream,
    free_port,
    kinesis_mock,
    wait_ready,
)


@contextmanager
def moto_process() -> Iterator[str]:
    """moto's server in a process of its own (in this one it would share the GIL with the loop)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        wait_ready(endpoint, process)
        yield endpoint
    finally:
        process.terminate()
        process.wait(15)


def context(base: Path) -> Any:
    from tauro.config.context import Context

    return Context(
        master="local[2]",
        base_dir=base,
        spark_conf={"spark.ui.enabled": "false", "spark.sql.shuffle.partitions": "2"},
    )


def fill(endpoint: str, stream: str, records: int) -> None:
    kinesis = client(endpoint)
    for first in range(0, records, 500):
        batch = [
            {
                "Data": json.dumps({"id": i, "user": f"u{i % 1000}", "amount": i % 997}).encode(),
                "PartitionKey": str(i),
            }
            for i in range(first, min(records, first + 500))
        ]
        assert kinesis.put_records(StreamName=stream, Records=batch)["FailedRecordCount"] == 0


def boto3_consume(endpoint: str, stream: str, calls: Counter[str] | None = None) -> int:
    """The plain consumer: every shard from TRIM_HORIZON to its tip, records touched."""
    kinesis = client(endpoint)
    count = 0
    calls = calls if calls is not None else Counter()
    for shard in kinesis.list_shards(StreamName=stream)["Shards"]:
        iterator = kinesis.get_shard_iterator(
            StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            started = time.perf_counter()
            response = kinesis.get_records(ShardIterator=iterator, Limit=10000)
            calls["get_records"] += 1
            calls["get_records_us"] += int((time.perf_counter() - started) * 1e6)
            for record in response["Records"]:
                count += len(record["Data"]) > 0
            iterator = response.get("NextShardIterator")
            if not response["Records"] and not response.get("MillisBehindLatest"):
                break
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=7, help="alternating Tauro/boto3 pairs (default 7)")
    parser.add_argument("--records", type=int, default=20_000, help="records in the stream (default 20,000)")
    parser.add_argument("--shards", default="4", help="shards of the stream, or a list: 1,2,4 (default 4)")
    parser.add_argument("--stream", help="read this stream of --records records instead of filling one")
    parser.add_argument("--fill-only", action="store_true", help="fill the streams, print their names, stop")
    parser.add_argument(
        "--emulator", choices=("kinesis-mock", "moto"), default="kinesis-mock", help="(default kinesis-mock)"
    )
    args = parser.parse_args()
    with kinesis_mock() if args.emulator == "kinesis-mock" else moto_process() as endpoint:
        for shards in (int(n) for n in str(args.shards).split(",")):
            stream = args.stream or filled_stream(endpoint, args.records, shards)
            if not args.fill_only:
                measure(endpoint, stream, args.pairs, args.records, args.emulator)


def filled_stream(endpoint: str, records: int, shards: int) -> str:
    stream = create_stream(endpoint, shards)
    started = time.perf_counter()
    fill(endpoint, stream, records)
    print(
        f"filled {stream}: {records:,} records, {shards} shard(s), in {time.perf_counter() - started:.1f} s"
    )
    return stream


def measure(endpoint: str, stream: str, pairs: int, records: int, emulator: str) -> None:
    from tauro.streaming.query_manager import StreamingQueryManager

    shards = len(client(endpoint).list_shards(StreamName=stream)["Shards"])
    with tempfile.TemporaryDirectory(prefix="tauro-bench-kinesis-") as tmp:
        base = Path(tmp)
        ctx = context(base)
        ctx.spark.sparkContext.setLogLevel("ERROR")
        manager = StreamingQueryManager(ctx)
        runs: dict[str, Any] = {"n": 0, "progress": []}

        def tauro_run() -> None:
            runs["n"] += 1
            options = {**connection_options(endpoint, stream), "startingPosition": "TRIM_HORIZON"}
            node = {
                "name": f"bench{runs['n']}",
                "input": {"format": "kinesis", "options": options},
                "output": {"format": "noop"},
                "streaming": {
                    "trigger": {"type": "available_now"},
                    "checkpoint_location": str(base / f"cp{runs['n']}"),
                },
            }
            query = manager.create_and_start_query(node, pipeline_name="bench_kinesis")
            try:
                query.awaitTermination()
            finally:
                manager.stop_query(query)
            runs["progress"] = query.recentProgress
            read = sum(p["numInputRows"] for p in runs["progress"])
            assert read == records, read

        def boto3_run() -> None:
            assert boto3_consume(endpoint, stream) == records

        tauro_run(), boto3_run()  # warm up: Python workers, JIT, connections
        tauro_times: list[float] = []
        boto3_times: list[float] = []
        for pair in range(pairs):
            first, second = (tauro_run, boto3_run) if pair % 2 == 0 else (boto3_run, tauro_run)
            a, b = timed(first), timed(second)
            tauro_times.append(a if first is tauro_run else b)
            boto3_times.append(b if first is tauro_run else a)
        for name, times in (("Tauro kinesis source", tauro_times), ("boto3 consumer loop", boto3_times)):
            rates = [records / t for t in times]
            print(
                f"{name}: median {statistics.median(rates):,.0f} records/s "
                f"(min {min(rates):,.0f}, max {max(rates):,.0f}, n={len(rates)})"
            )
        ratios = [b / t for t, b in zip(tauro_times, boto3_times)]
        report(f"throughput Tauro/boto3, {records} records, {shards} shards, {emulator}", ratios)
        durations: Counter[str] = Counter()
        for progress in runs["progress"]:
            durations.update(progress["durationMs"])
        print(
            f"last Tauro run: {len(runs['progress'])} batches; durationMs summed: "
            + ", ".join(f"{k} {v}" for k, v in durations.most_common())
        )
        calls: Counter[str] = Counter()
        started = time.perf_counter()
        boto3_consume(endpoint, stream, calls)
        elapsed = time.perf_counter() - started
        print(
            f"boto3 loop alone: {calls['get_records']} GetRecords calls, "
            f"{calls['get_records_us'] / 1e6:.2f} s of {elapsed:.2f} s waiting on them, "
            f"{records / elapsed:,.0f} records/s"
        )
        ctx.spark.stop()


if __name__ == "__main__":
    main()
