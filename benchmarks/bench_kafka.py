"""Kafka target: 1 million JSON messages from Kafka through Tauro (kafka -> parse_json -> sink)
against the hand-written PySpark query, same session, alternating runs; Tauro/raw throughput
ratio at least 0.98.

The sink is parquet files, or a Delta table with ``--sink delta``. Both sides read the same
topic from the earliest offset with an available_now trigger.

    python benchmarks/bench_kafka.py               # 7 pairs after a warm-up pair
    python benchmarks/bench_kafka.py --pairs 3     # a quicker check
    python benchmarks/bench_kafka.py --sink delta  # Kafka -> Delta

Uses the broker at $TAURO_KAFKA_BOOTSTRAP, or starts a private one with scripts/kafka_broker.py.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import RunDirs, alternate_both_ways, parquet_node, report, run_to_end

MESSAGES = 1_000_000
PARTITIONS = 2
SCHEMA = "id BIGINT, user STRING, amount DOUBLE, ts TIMESTAMP"
ROOT = Path(__file__).resolve().parents[1]


def broker_script() -> Any:
    spec = importlib.util.spec_from_file_location("kafka_broker", ROOT / "scripts" / "kafka_broker.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["kafka_broker"] = module
    spec.loader.exec_module(module)
    return module


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fill_topic(bootstrap: str, topic: str) -> None:
    from confluent_kafka import Producer
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, num_partitions=PARTITIONS, replication_factor=1)])[topic].result(30)
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 50, "batch.size": 1_000_000})
    start = time.perf_counter()
    for i in range(MESSAGES):
        value = (
            f'{{"id": {i}, "user": "user{i % 1000}", "amount": {(i % 997) / 10}, '
            f'"ts": "2026-01-01T00:00:00Z"}}'
        )
        while True:
            try:
                producer.produce(topic, value=value)
                break
            except BufferError:
                producer.poll(0.05)
        if i % 10_000 == 0:
            producer.poll(0)
    assert producer.flush(120) == 0
    print(f"produced {MESSAGES:,} messages in {time.perf_counter() - start:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=7, help="alternating Tauro/raw pairs (default 7)")
    parser.add_argument(
        "--sink", choices=("parquet", "delta"), default="parquet", help="what both sides write"
    )
    args = parser.parse_args()
    sink = args.sink

    from tauro.config.context import Context
    from tauro.streaming.query_manager import StreamingQueryManager

    script, port = None, None
    bootstrap = os.environ.get("TAURO_KAFKA_BOOTSTRAP")
    if not bootstrap:
        script, port = broker_script(), free_port()
        script.start(port)
        bootstrap = f"127.0.0.1:{port}"
    try:
        with tempfile.TemporaryDirectory(prefix="tauro-bench-kafka-") as tmp:
            base = Path(tmp)
            ctx = Context(
                master="local[2]",
                base_dir=base,
                spark_plugins=["kafka", "delta"] if sink == "delta" else ["kafka"],  # opened before any query
                spark_conf={"spark.ui.enabled": "false", "spark.sql.shuffle.partitions": "2"},
            )
            spark = ctx.spark
            spark.sparkContext.setLogLevel("ERROR")
            topic = f"bench-{int(time.time())}"
            fill_topic(bootstrap, topic)
            manager = StreamingQueryManager(ctx)
            dirs = RunDirs(base)
            options = {
                "kafka.bootstrap.servers": bootstrap,
                "subscribe": topic,
                "startingOffsets": "earliest",
            }
            section = {"format": "kafka", "options": options, "parse_json": True, "json_schema": SCHEMA}

            def tauro_run() -> None:
                node = parquet_node(f"bench{dirs.count + 1}", section, *dirs.next("tauro"))
                if sink == "delta":
                    node["output"] = {"format": "delta", "path": node["output"]["path"]}
                run_to_end(
                    manager.create_and_start_query(node, pipeline_name="bench_kafka"), manager.stop_query
                )

            def raw_run() -> None:
                from pyspark.sql import functions as F

                out, checkpoint = dirs.next("raw")
                source = (
                    spark.readStream.format("kafka")
                    .option("kafka.bootstrap.servers", bootstrap)
                    .option("subscribe", topic)
                    .option("startingOffsets", "earliest")
                    .load()
                )
                parsed = source.select(F.from_json(F.col("value").cast("string"), SCHEMA).alias("e")).select(
                    "e.*"
                )
                query = (
                    parsed.writeStream.format(sink)
                    .option("path", str(out))
                    .option("checkpointLocation", str(checkpoint))
                    .trigger(availableNow=True)
                    .start()
                )
                run_to_end(query)

            tauro_run(), raw_run()  # warm up both paths (JIT, consumer pools)
            tauro_times, raw_times = alternate_both_ways(tauro_run, raw_run, args.pairs)
            ratios = [r / t for t, r in zip(tauro_times, raw_times)]
            print(
                f"raw {MESSAGES / min(raw_times):,.0f} msg/s best; "
                f"Tauro {MESSAGES / min(tauro_times):,.0f} msg/s best"
            )
            report(
                f"throughput Tauro/raw, {MESSAGES:,} Kafka JSON messages -> {sink} (target >= 0.98)", ratios
            )
    finally:
        if script is not None:
            script.stop(port)


if __name__ == "__main__":
    main()
