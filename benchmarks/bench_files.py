"""Files target: 1 million JSON rows to parquet through Tauro (file_stream -> file) against
the hand-written PySpark query, same session, alternating runs; Tauro/raw throughput ratio at
least 0.98.

    python benchmarks/bench_files.py            # 7 pairs after two warm-up pairs
    python benchmarks/bench_files.py --pairs 3  # a quicker check
    python benchmarks/bench_files.py --plugin   # also the plugin's reader/writer without the
                                                # query manager, to tell plugin and core apart
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

from common import RunDirs, alternate_both_ways, parquet_node, report, run_to_end

ROWS = 1_000_000
FILES = 10
SCHEMA = "id BIGINT, user STRING, amount DOUBLE, ts TIMESTAMP"


def context(base: Path, plugins: tuple[str, ...] = ("files",)) -> Any:
    from tauro.config.context import Context

    return Context(
        master="local[2]",
        base_dir=base,
        spark_plugins=list(plugins),  # the session opens before the first query
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
    parser.add_argument("--plugin", action="store_true", help="also time the plugin alone against raw")
    args = parser.parse_args()
    pairs = args.pairs

    from tauro.config.schemas import to_struct_type
    from tauro.streaming.query_manager import StreamingQueryManager
    from tauro_files.reader import FileStreamReader
    from tauro_files.writer import FileStreamWriter

    with tempfile.TemporaryDirectory(prefix="tauro-bench-files-") as tmp:
        base = Path(tmp)
        ctx = context(base)
        spark = ctx.spark
        spark.sparkContext.setLogLevel("ERROR")
        source = base / "in"
        write_input(spark, source)
        manager = StreamingQueryManager(ctx)
        dirs = RunDirs(base)

        def tauro_run() -> None:
            out, checkpoint = dirs.next("tauro")
            section = {
                "format": "file_stream",
                "path": str(source),
                "schema": SCHEMA,
                "options": {"format": "json"},
            }
            node = parquet_node(f"bench{dirs.count}", section, out, checkpoint)
            run_to_end(manager.create_and_start_query(node, pipeline_name="bench_files"), manager.stop_query)

        def raw_run() -> None:
            out, checkpoint = dirs.next("raw")
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
            run_to_end(query)

        for _ in range(2):  # warm up both paths (JIT, file listing caches)
            tauro_run(), raw_run()
        tauro_times, raw_times = alternate_both_ways(tauro_run, raw_run, pairs)
        ratios = [(ROWS / t) / (ROWS / r) for t, r in zip(tauro_times, raw_times)]
        print(
            f"raw {ROWS / min(raw_times):,.0f} rows/s best; Tauro {ROWS / min(tauro_times):,.0f} rows/s best"
        )
        report(f"throughput Tauro/raw, {ROWS} JSON rows file_stream -> parquet (target >= 0.98)", ratios)
        if args.plugin:

            def plugin_run() -> None:
                out, checkpoint = dirs.next("plugin")
                df = FileStreamReader(ctx).read(
                    path=str(source), schema=to_struct_type(SCHEMA), format="json"
                )
                query = FileStreamWriter(ctx).write(
                    df,
                    path=str(out),
                    format="parquet",
                    trigger={"type": "available_now"},
                    output_mode="append",
                    checkpoint_location=str(checkpoint),
                )
                run_to_end(query)

            plugin_times, raw_times = alternate_both_ways(plugin_run, raw_run, pairs)
            ratios = [r / t for t, r in zip(plugin_times, raw_times)]
            report("throughput plugin reader/writer alone/raw (no query manager)", ratios)


if __name__ == "__main__":
    main()
