"""Runtime targets, on the embedded local Spark:

- overhead: one query through Tauro vs hand-written PySpark, same session, alternating runs;
  Tauro/raw throughput ratio at least 0.98
- failure detection: from the moment a UDF raises (it records a timestamp) to pipeline status
  "error"; median at most 1 s
- start: a 16-node fan-out DAG until all queries are active, against starting the same queries
  one by one by hand
- monitoring: CPU used by Tauro's own threads with 20 running queries; at most 1% of one core
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from common import report

ROWS_PER_FILE = 20_000
FILES = 25


def context(base: Path) -> Any:
    from tauro.config.context import Context

    return Context(
        master="local[2]",
        base_dir=base,
        spark_conf={"spark.ui.enabled": "false", "spark.sql.shuffle.partitions": "2"},
    )


def overhead(ctx: Any, base: Path, pairs: int = 7) -> None:
    from pyspark.sql import functions as F
    from pyspark.sql.types import LongType, StringType, StructField, StructType

    from tauro.builtin.memory_source import DATA_SOURCE_NAME, MemorySpool, register_memory_source
    from tauro.streaming import TransformationRegistry
    from tauro.streaming.query_manager import StreamingQueryManager

    spark = ctx.spark
    spool = MemorySpool(base / "spool")
    for f in range(FILES):
        spool.push([{"id": f * ROWS_PER_FILE + i, "value": f"v{i % 97}"} for i in range(ROWS_PER_FILE)])
    rows = FILES * ROWS_PER_FILE
    schema = StructType([StructField("id", LongType()), StructField("value", StringType())])

    def enrich(df: Any) -> Any:
        return df.where(F.col("id") % 3 != 0).withColumn("len", F.length("value"))

    TransformationRegistry.register("bench_enrich", enrich)
    manager = StreamingQueryManager(ctx)
    counter = {"n": 0}

    def tauro_run() -> None:
        counter["n"] += 1
        node = {
            "name": f"bench{counter['n']}",
            "input": {
                "format": "memory",
                "schema": "id BIGINT, value STRING",
                "options": {"spool": str(spool.path)},
            },
            "transforms": ["bench_enrich"],
            "output": {"format": "noop"},
            "streaming": {"trigger": {"type": "available_now"}},
        }
        query = manager.create_and_start_query(node, pipeline_name="bench")
        query.awaitTermination()

    def raw_run() -> None:
        counter["n"] += 1
        register_memory_source(spark)
        df = spark.readStream.format(DATA_SOURCE_NAME).schema(schema).option("spool", str(spool.path)).load()
        query = (
            enrich(df)
            .writeStream.format("noop")
            .trigger(availableNow=True)
            .option("checkpointLocation", str(base / "raw" / str(counter["n"])))
            .start()
        )
        query.awaitTermination()

    tauro_run(), raw_run()  # warm up both paths (JIT, Python workers)
    ratios = []
    for _ in range(pairs):
        t_tauro = _time(tauro_run)
        t_raw = _time(raw_run)
        ratios.append((rows / t_tauro) / (rows / t_raw))
    report(f"throughput Tauro/raw, {rows} rows memory->transform->noop (target >= 0.98)", ratios)


def _time(fn: Any) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


class ErrorWatcher:
    """``on_status`` callback noting when the pipeline status first becomes "error"."""

    def __init__(self) -> None:
        self.errored = threading.Event()
        self.at = 0.0

    def __call__(self, status: dict[str, Any]) -> None:
        if status["status"] == "error" and not self.errored.is_set():
            self.at = time.time()
            self.errored.set()


def failure_detection(ctx: Any, base: Path, runs: int = 7) -> None:
    from pyspark.sql import functions as F
    from pyspark.sql.types import LongType

    from tauro.builtin.memory_source import MemorySpool
    from tauro.streaming import TransformationRegistry
    from tauro.streaming.pipeline_manager import StreamingPipelineManager

    stamp = base / "raised_at"

    @F.udf(LongType())
    def fail(value: int) -> int:
        import time as clock

        with open(str(stamp), "w") as handle:
            handle.write(repr(clock.time()))
        raise RuntimeError("deliberate failure")

    TransformationRegistry.register("bench_fail", lambda df: df.withColumn("id", fail("id")))
    latencies: list[float] = []
    for run in range(runs):
        watcher = ErrorWatcher()
        spool = MemorySpool(base / f"fail{run}")
        spool.push([{"id": 1, "value": "x"}])
        manager = StreamingPipelineManager(ctx, monitor_interval=5.0, on_status=watcher)
        stamp.unlink(missing_ok=True)
        manager.start_pipeline(
            f"fail{run}",
            {
                "nodes": [
                    {
                        "name": "boom",
                        "transforms": ["bench_fail"],
                        "input": {
                            "format": "memory",
                            "schema": "id BIGINT, value STRING",
                            "options": {"spool": str(spool.path)},
                        },
                        "output": {"format": "noop"},
                        "streaming": {"trigger": {"type": "processing_time", "interval": "1 second"}},
                    }
                ]
            },
        )
        assert watcher.errored.wait(60), "the failure was never reported"
        latencies.append(watcher.at - float(stamp.read_text()))
        manager.shutdown(30)
    print(
        f"failure -> status 'error': median {statistics.median(latencies):.3f} s "
        f"(min {min(latencies):.3f}, max {max(latencies):.3f}, n={runs}; target <= 1 s)"
    )


def rate_node(name: str, deps: list[str]) -> dict[str, Any]:
    return {
        "name": name,
        "depends_on": deps,
        "input": {"format": "rate", "options": {"rowsPerSecond": "10"}},
        "output": {"format": "noop"},
        "streaming": {"trigger": {"type": "processing_time", "interval": "1 second"}},
    }


def fan_out_start(ctx: Any, base: Path, runs: int = 3) -> None:
    from tauro.streaming.pipeline_manager import StreamingPipelineManager

    spark = ctx.spark
    tauro_times, hand_times = [], []
    for run in range(runs):
        manager = StreamingPipelineManager(ctx, monitor_interval=1.0)
        nodes = [rate_node("root", [])] + [rate_node(f"leaf{i}", ["root"]) for i in range(15)]
        start = time.perf_counter()
        execution_id = manager.start_pipeline(f"fan{run}", {"nodes": nodes})
        while manager.status(execution_id)["active_queries"] < 16:
            time.sleep(0.05)
        tauro_times.append(time.perf_counter() - start)
        manager.shutdown(60)

        start = time.perf_counter()
        queries = []
        root = (
            spark.readStream.format("rate")
            .option("rowsPerSecond", "10")
            .load()
            .writeStream.format("noop")
            .trigger(processingTime="1 second")
            .option("checkpointLocation", str(base / f"hand{run}" / "root"))
            .start()
        )
        queries.append(root)
        while root.lastProgress is None:  # the same readiness rule: one committed batch
            time.sleep(0.05)
        for i in range(15):
            queries.append(
                spark.readStream.format("rate")
                .option("rowsPerSecond", "10")
                .load()
                .writeStream.format("noop")
                .trigger(processingTime="1 second")
                .option("checkpointLocation", str(base / f"hand{run}" / f"leaf{i}"))
                .start()
            )
        hand_times.append(time.perf_counter() - start)
        for query in queries:
            query.stop()
    print(
        f"16-node fan-out until all active: Tauro median {statistics.median(tauro_times):.2f} s "
        f"(min {min(tauro_times):.2f}, max {max(tauro_times):.2f}); one by one by hand median "
        f"{statistics.median(hand_times):.2f} s (min {min(hand_times):.2f}, max {max(hand_times):.2f}); n={runs}"
    )


def _thread_cpu_seconds(prefixes: tuple[str, ...]) -> float:
    """CPU seconds used so far by this process's threads whose names start with ``prefixes``."""
    names = {t.native_id: t.name for t in threading.enumerate()}
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for tid, name in names.items():
        if not name.startswith(prefixes):
            continue
        try:
            fields = Path(f"/proc/self/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / ticks


def monitoring_overhead(ctx: Any, base: Path, seconds: float = 60.0) -> None:
    from tauro.streaming.pipeline_manager import StreamingPipelineManager

    manager = StreamingPipelineManager(ctx, monitor_interval=5.0)
    execution_id = manager.start_pipeline("twenty", {"nodes": [rate_node(f"q{i}", []) for i in range(20)]})
    while manager.status(execution_id)["active_queries"] < 20:
        time.sleep(0.2)
    time.sleep(5)
    prefixes = ("tauro-",)
    cpu_start, wall_start = _thread_cpu_seconds(prefixes), time.perf_counter()
    time.sleep(seconds)
    cpu = _thread_cpu_seconds(prefixes) - cpu_start
    wall = time.perf_counter() - wall_start
    manager.shutdown(60)
    print(
        f"monitoring 20 running queries: Tauro threads used {cpu:.2f} CPU s in {wall:.0f} s = "
        f"{100 * cpu / wall:.2f}% of one core (target <= 1%)"
    )


def main() -> None:
    which = set(sys.argv[1:]) or {"overhead", "failure", "start", "monitoring"}
    with tempfile.TemporaryDirectory(prefix="tauro-bench-") as tmp:
        base = Path(tmp)
        ctx = context(base)
        ctx.spark.sparkContext.setLogLevel("ERROR")
        if "overhead" in which:
            overhead(ctx, base)
        if "failure" in which:
            failure_detection(ctx, base)
        if "start" in which:
            fan_out_start(ctx, base)
        if "monitoring" in which:
            monitoring_overhead(ctx, base)


if __name__ == "__main__":
    main()
