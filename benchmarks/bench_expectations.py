"""1 million JSON rows -> Delta with three expectations (warn, drop, quarantine to a Delta
dead-letter table) through Tauro, against the hand-written PySpark equivalent (foreachBatch:
cache the batch, filter, write the kept rows, write the bad rows as JSON to a second table),
and against Tauro without expectations. Same session, runs rotated; target Tauro/hand-written
throughput >= 0.95.

    flock /work/.bench.lock python benchmarks/bench_expectations.py            # 7 rounds
    flock /work/.bench.lock python benchmarks/bench_expectations.py --pairs 3  # a quicker check
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

from bench_files import ROWS, SCHEMA, context, write_input
from common import RunDirs, report, run_to_end, timed

EXPECTATIONS = [
    {"name": "small_amount", "expr": "amount < 90", "action": "warn"},  # ~10% break it
    {"name": "known_user", "expr": "user <> 'user7'", "action": "drop"},  # 0.1%
    {"name": "sampled_id", "expr": "id % 100 <> 0", "action": "quarantine"},  # 1%
]
MAX_FILES = 2  # 5 batches of 200,000 rows


def node(name: str, source: Path, out: Path, dead: Path, checkpoint: Path, checked: bool) -> dict[str, Any]:
    section: dict[str, Any] = {
        "format": "file_stream",
        "path": str(source),
        "schema": SCHEMA,
        "options": {"format": "json", "maxFilesPerTrigger": MAX_FILES},
    }
    config: dict[str, Any] = {
        "name": name,
        "input": section,
        "output": {"format": "delta", "path": str(out)},
        "streaming": {"trigger": {"type": "available_now"}, "checkpoint_location": str(checkpoint)},
    }
    if checked:
        section["dead_letter"] = {"format": "delta", "path": str(dead)}
        config["expectations"] = EXPECTATIONS
    return config


def hand_written(spark: Any, source: Path, out: Path, dead: Path, checkpoint: Path) -> Any:
    """What a careful engineer writes by hand: one foreachBatch, the batch cached, two
    idempotent Delta appends (txnAppId/txnVersion)."""
    from pyspark.sql import functions as F

    def batch(df: Any, batch_id: int) -> None:
        df.persist()
        try:
            keep = (F.col("user") != "user7") & (F.col("id") % 100 != 0)
            txn = {"txnAppId": "hand_written", "txnVersion": str(batch_id)}
            df.where(keep).write.format("delta").mode("append").options(**txn).save(str(out))
            bad = df.where(F.col("id") % 100 == 0).select(
                F.to_json(F.struct(*df.columns)).alias("payload"),
                F.lit("failed expectations: sampled_id").alias("error"),
                F.lit(batch_id).cast("long").alias("batch_id"),
                F.lit("hand").alias("node"),
                F.current_timestamp().alias("failed_at"),
            )
            bad.write.format("delta").mode("append").options(**txn).save(str(dead))
        finally:
            df.unpersist()

    return (
        spark.readStream.format("json")
        .schema(SCHEMA)
        .option("maxFilesPerTrigger", MAX_FILES)
        .load(str(source))
        .writeStream.foreachBatch(batch)
        .option("checkpointLocation", str(checkpoint))
        .trigger(availableNow=True)
        .start()
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=7, help="rounds of the three runs (default 7)")
    args = parser.parse_args()

    from tauro.streaming.query_manager import StreamingQueryManager

    with tempfile.TemporaryDirectory(prefix="tauro-bench-expectations-") as tmp:
        base = Path(tmp)
        ctx = context(base, ("files", "delta"))
        spark = ctx.spark
        spark.sparkContext.setLogLevel("ERROR")
        source = base / "in"
        write_input(spark, source)
        manager = StreamingQueryManager(ctx)
        dirs = RunDirs(base)

        def tauro_run(checked: bool) -> None:
            out, checkpoint = dirs.next("tauro" if checked else "plain")
            config = node(
                f"bench{dirs.count}", source, out, out.with_name(out.name + "_dead"), checkpoint, checked
            )
            run_to_end(manager.create_and_start_query(config, pipeline_name="bench_exp"), manager.stop_query)

        def hand_run() -> None:
            out, checkpoint = dirs.next("hand")
            run_to_end(hand_written(spark, source, out, out.with_name(out.name + "_dead"), checkpoint))

        runs = {"tauro": lambda: tauro_run(True), "hand": hand_run, "plain": lambda: tauro_run(False)}
        for run in runs.values():  # warm up every path
            run()
        # Both checked paths kept and set aside the same rows (1% quarantined, 0.1% dropped).
        for kind, n in (("tauro", 1), ("hand", 2)):
            out = base / kind / f"out{n}"
            kept = spark.read.format("delta").load(str(out)).count()
            dead = spark.read.format("delta").load(str(out) + "_dead").count()
            assert (kept, dead) == (ROWS - ROWS // 100 - ROWS // 1000, ROWS // 100), (kind, kept, dead)
        times: dict[str, list[float]] = {name: [] for name in runs}
        order = list(runs)
        for round_ in range(args.pairs):
            for name in order[round_ % 3 :] + order[: round_ % 3]:  # rotate who goes first
                times[name].append(timed(runs[name]))
        for name, values in times.items():
            print(f"{name}: {ROWS / min(values):,.0f} rows/s best")
        report(
            f"throughput Tauro/hand-written, {ROWS} rows, 3 expectations -> delta + dead letters "
            "(target >= 0.95)",
            [h / t for t, h in zip(times["tauro"], times["hand"], strict=True)],
        )
        report(
            "throughput Tauro with/without expectations (the cost of checking)",
            [p / t for t, p in zip(times["tauro"], times["plain"], strict=True)],
        )


if __name__ == "__main__":
    main()
