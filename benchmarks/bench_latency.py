"""End-to-end latency, Kafka -> stateless transform -> Kafka: Tauro against the hand-written
PySpark query, in micro-batch mode and in real-time mode.

A producer process writes messages at a steady rate to a fresh 2-partition topic, each value
``"<n>,<produce time ns>"``; the query forwards them (a projection that keeps the value) to a
second topic; a consumer process notes, for every message, its receive wall clock minus its
produce time (one host, one clock). Messages of the warm-up are left out; the measured window
follows it. Each (rate, mode) alternates Tauro and the hand-written query, a fresh pair of
topics and a fresh checkpoint each run.

    python benchmarks/bench_latency.py                          # 1,000 and 10,000 msg/s, 3 runs each
    python benchmarks/bench_latency.py --rates 1000 --runs 1    # a quicker check

Micro-batch runs use ``processing_time`` "0 seconds" on both sides: Spark starts the next batch
as soon as one ends.
Uses the broker at $TAURO_KAFKA_BOOTSTRAP, or starts a private one with scripts/kafka_broker.py.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench_kafka import broker_script, free_port

PARTITIONS = 2
MICRO_BATCH_INTERVAL = "0 seconds"
TRANSFORM = "bench_keep_stamp"


# -- producer and consumer (own processes: no GIL shared with the Spark driver) -------------------
def produce(bootstrap: str, topic: str, rate: int, seconds: float) -> None:
    """``rate`` messages a second for ``seconds``, sent in 1 ms ticks, each stamped when sent."""
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 1, "acks": 1})
    total = int(rate * seconds)
    start = time.perf_counter()
    sent = 0
    while sent < total:
        due = min(total, int((time.perf_counter() - start) * rate) + 1)
        while sent < due:
            producer.produce(topic, value=f"{sent},{time.time_ns()}".encode())
            sent += 1
        producer.poll(0)
        time.sleep(0.001)
    assert producer.flush(30) == 0


def consume(bootstrap: str, topic: str, first: int, total: int, deadline_s: float, out: str) -> None:
    """Latency in ms of messages ``first`` .. ``total - 1``, written to ``out`` as JSON."""
    from confluent_kafka import Consumer

    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"latency-{time.time_ns()}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "fetch.wait.max.ms": 5,
        }
    )
    consumer.subscribe([topic])
    latencies: dict[int, float] = {}
    end = time.monotonic() + deadline_s
    try:
        while len(latencies) < total - first and time.monotonic() < end:
            messages = consumer.consume(num_messages=10_000, timeout=0.05)
            received = time.time_ns()
            for message in messages:
                if message.error() is not None:
                    continue
                number, stamp = message.value().decode().split(",")
                n = int(number)
                if n >= first and n not in latencies:
                    latencies[n] = (received - int(stamp)) / 1e6
    finally:
        consumer.close()
    Path(out).write_text(json.dumps(list(latencies.values())))


# -- figures -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Run:
    side: str
    latencies_ms: list[float]
    expected: int

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]

    def line(self) -> str:
        missing = self.expected - len(self.latencies_ms)
        return (
            f"p50 {self.percentile(50):7.1f}  p95 {self.percentile(95):7.1f}  "
            f"p99 {self.percentile(99):7.1f}  max {max(self.latencies_ms):7.1f} ms"
            + (f"  ({missing} missing)" if missing else "")
        )


def create_topics(bootstrap: str, *topics: str) -> None:
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics(
        [NewTopic(t, num_partitions=PARTITIONS, replication_factor=1) for t in topics]
    )
    for future in futures.values():
        future.result(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="1000,10000", help="messages per second (default 1000,10000)")
    parser.add_argument("--modes", default="micro_batch,real_time", help="micro_batch, real_time or both")
    parser.add_argument("--runs", type=int, default=3, help="runs of each side per rate and mode (default 3)")
    parser.add_argument("--warmup", type=float, default=8.0, help="seconds left out first (default 8)")
    parser.add_argument("--measure", type=float, default=15.0, help="seconds measured (default 15)")
    parser.add_argument(
        "--rt-interval", default="1 minute", help="real-time batch interval (default 1 minute)"
    )
    args = parser.parse_args()

    from pyspark.sql import DataFrame

    from tauro.config.context import Context
    from tauro.durations import spark_interval
    from tauro.streaming import TransformationRegistry
    from tauro.streaming.query_manager import StreamingQueryManager

    def keep_stamp(df: DataFrame) -> DataFrame:
        return df.select("key", "value")

    TransformationRegistry.register(TRANSFORM, keep_stamp)
    script, port = None, None
    bootstrap = os.environ.get("TAURO_KAFKA_BOOTSTRAP")
    if not bootstrap:
        script, port = broker_script(), free_port()
        script.start(port)
        bootstrap = f"127.0.0.1:{port}"
    spawn = multiprocessing.get_context("spawn")
    try:
        with tempfile.TemporaryDirectory(prefix="tauro-bench-latency-") as tmp:
            base = Path(tmp)
            ctx = Context(
                master="local[2]",
                base_dir=base,
                spark_plugins=["kafka"],
                spark_conf={"spark.ui.enabled": "false", "spark.sql.shuffle.partitions": "2"},
            )
            spark = ctx.spark
            spark.sparkContext.setLogLevel("FATAL")  # stopping a query mid-batch logs aborts
            manager = StreamingQueryManager(ctx)
            count = {"n": 0}

            def start(side: str, mode: str, source: str, sink: str) -> tuple[Any, Any]:
                count["n"] += 1
                checkpoint = str(base / f"cp{count['n']}")
                trigger = (
                    {"type": "real_time", "interval": args.rt_interval}
                    if mode == "real_time"
                    else {"type": "processing_time", "interval": MICRO_BATCH_INTERVAL}
                )
                output_mode = "update" if mode == "real_time" else "append"
                if side == "tauro":
                    node = {
                        "name": f"latency{count['n']}",
                        "input": {
                            "format": "kafka",
                            "options": {
                                "kafka.bootstrap.servers": bootstrap,
                                "subscribe": source,
                                "startingOffsets": "earliest",
                            },
                        },
                        "transforms": [TRANSFORM],
                        "output": {
                            "format": "kafka",
                            "options": {"kafka.bootstrap.servers": bootstrap, "topic": sink},
                        },
                        "streaming": {
                            "trigger": trigger,
                            "output_mode": output_mode,
                            "checkpoint_location": checkpoint,
                        },
                    }
                    query = manager.create_and_start_query(node, pipeline_name="bench_latency")
                    return query, manager.stop_query
                df = (
                    spark.readStream.format("kafka")
                    .option("kafka.bootstrap.servers", bootstrap)
                    .option("subscribe", source)
                    .option("startingOffsets", "earliest")
                    .load()
                )
                writer = (
                    keep_stamp(df)
                    .writeStream.format("kafka")
                    .option("kafka.bootstrap.servers", bootstrap)
                    .option("topic", sink)
                    .option("checkpointLocation", checkpoint)
                    .outputMode(output_mode)
                )
                interval = spark_interval(trigger["interval"])
                writer = (
                    writer.trigger(realTime=interval)
                    if mode == "real_time"
                    else writer.trigger(processingTime=interval)
                )
                query = writer.start()
                return query, lambda q: q.stop()

            def one_run(side: str, mode: str, rate: int) -> Run:
                source, sink = f"in-{time.time_ns()}", f"out-{time.time_ns()}"
                create_topics(bootstrap, source, sink)
                first, total = int(rate * args.warmup), int(rate * (args.warmup + args.measure))
                out = str(base / f"latencies{count['n']}.json")
                query, stop = start(side, mode, source, sink)
                try:
                    consumer = spawn.Process(
                        target=consume,
                        args=(bootstrap, sink, first, total, args.warmup + args.measure + 60, out),
                    )
                    producer = spawn.Process(
                        target=produce, args=(bootstrap, source, rate, args.warmup + args.measure)
                    )
                    consumer.start()
                    producer.start()
                    producer.join()
                    consumer.join()
                finally:
                    stop(query)
                return Run(side, json.loads(Path(out).read_text()), total - first)

            rates = [int(r) for r in args.rates.split(",")]
            modes = args.modes.split(",")
            summary: list[str] = []
            for rate in rates:
                for mode in modes:
                    one_run("tauro", mode, rate), one_run("raw", mode, rate)  # warm-up pair
                    runs: dict[str, list[Run]] = {"tauro": [], "raw": []}
                    for i in range(args.runs):
                        order = ("tauro", "raw") if i % 2 == 0 else ("raw", "tauro")
                        for side in order:
                            run = one_run(side, mode, rate)
                            runs[side].append(run)
                            print(f"{rate:>6} msg/s {mode:<11} {side:<5} {run.line()}", flush=True)
                    for p in (50, 99):
                        ratios = [
                            t.percentile(p) / r.percentile(p) for t, r in zip(runs["tauro"], runs["raw"])
                        ]
                        summary.append(
                            f"{rate} msg/s {mode}: p{p} Tauro/raw median {statistics.median(ratios):.3f} "
                            f"(min {min(ratios):.3f}, max {max(ratios):.3f}, n={len(ratios)})"
                        )
                    for side, side_runs in runs.items():
                        medians = {
                            p: statistics.median(r.percentile(p) for r in side_runs) for p in (50, 95, 99)
                        }
                        worst = max(max(r.latencies_ms) for r in side_runs)
                        summary.append(
                            f"{rate} msg/s {mode} {side}: median of {len(side_runs)} runs p50 "
                            f"{medians[50]:.1f}, p95 {medians[95]:.1f}, p99 {medians[99]:.1f} ms; "
                            f"max over runs {worst:.1f} ms"
                        )
            print("\n".join(summary))
            print(f"load average at the end: {os.getloadavg()}")
    finally:
        if script is not None:
            script.stop(port)


if __name__ == "__main__":
    main()
