"""Issue 4 target: 1 million JSON rows to parquet through Tauro (file_stream -> file) against
the hand-written PySpark query, same session, alternating runs; Tauro/raw throughput ratio at
least 0.98.

    python benchmarks/bench_files.py            # 7 pairs after one warm-up pair
    python benchmarks/bench_files.py --pairs 3  # a quicker check
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

from common import alternate, report

ROWS = 1_000_000
FILES = 10
SCHEMA = "id BIGINT, user STRING, amount DOUBLE, ts TIMESTAMP"


def context(base: Path) -> Any:
    from tauro.config.context import Context

    return Context(
        master="local[2]",
        base_dir=base,
        spark_conf={"spark.ui.enabled": "false", "spark.sql.shuffle.partitions": "2"},
    )


def write_input(spark: Any, source: Path) -> None:
    """FILES JSON-lines files holding ROWS rows in total."""
    rows = spark.range(ROWS).selectExpr(
        "id",
        "concat('user', cast(id % 1000 as string)) AS user",
        "cast(id % 997 as double) / 10 AS amount",
        "timestamp_seconds(1767225600 + id) AS ts",
    )
    rows.repartition(FILES).write.json(str(source))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=7, help="alternating Tauro/raw pairs (default 7)")
    pairs = parser.parse_args().pairs

    from tauro.streaming.query_manager import StreamingQueryManager

    with tempfile.TemporaryDirectory(prefix="tauro-bench-files-") as tmp:
        base = Path(tmp)
        ctx = context(base)
        spark = ctx.spark
        spark.sparkContext.setLogLevel("ERROR")
        source = base / "in"
        write_input(spark, source)
        manager = StreamingQueryManager(ctx)
        runs = {"n": 0}

        def next_dirs(kind: str) -> tuple[Path, Path]:
            runs["n"] += 1
            return base / kind / f"out{runs['n']}", base / kind / f"cp{runs['n']}"

        def tauro_run() -> None:
            out, checkpoint = next_dirs("tauro")
            node = {
                "name": f"bench{runs['n']}",
                "input": {
                    "format": "file_stream",
                    "path": str(source),
                    "schema": SCHEMA,
                    "options": {"format": "json"},
                },
                "output": {"format": "file", "path": str(out), "options": {"format": "parquet"}},
                "streaming": {"trigger": {"type": "available_now"}, "checkpoint_location": str(checkpoint)},
            }
            query = manager.create_and_start_query(node, pipeline_name="bench_files")
            try:
                query.awaitTermination()
            finally:
                manager.stop_query(query)

        def raw_run() -> None:
            out, checkpoint = next_dirs("raw")
            query = (
                spark.readStream.format("json")
                .schema(SCHEMA)
                .load(str(source))
                .writeStream.format("parquet")
                .option("path", str(out))
                .option("checkpointLocation", str(checkpoint))
                .trigger(availableNow=True)
                .start()
            )
            try:
                query.awaitTermination()
            finally:
                query.stop()

        tauro_run(), raw_run()  # warm up both paths (JIT, file listing caches)
        tauro_times, raw_times = alternate(tauro_run, raw_run, pairs)
        ratios = [(ROWS / t) / (ROWS / r) for t, r in zip(tauro_times, raw_times)]
        print(
            f"raw {ROWS / min(raw_times):,.0f} rows/s best; Tauro {ROWS / min(tauro_times):,.0f} rows/s best"
        )
        report(f"throughput Tauro/raw, {ROWS} JSON rows file_stream -> parquet (target >= 0.98)", ratios)


if __name__ == "__main__":
    main()
