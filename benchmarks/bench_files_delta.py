"""1 million JSON rows into a Delta table through Tauro (file_stream -> delta) against the
hand-written PySpark query, same session, alternating runs; Tauro/raw throughput ratio at
least 0.98.

    flock /work/.bench.lock python benchmarks/bench_files_delta.py            # 7 pairs
    flock /work/.bench.lock python benchmarks/bench_files_delta.py --pairs 3  # a quicker check
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

from bench_files import ROWS, SCHEMA, context, write_input
from common import RunDirs, alternate_both_ways, report, run_to_end


def delta_node(name: str, section: dict[str, Any], out: Path, checkpoint: Path) -> dict[str, Any]:
    return {
        "name": name,
        "input": section,
        "output": {"format": "delta", "path": str(out)},
        "streaming": {"trigger": {"type": "available_now"}, "checkpoint_location": str(checkpoint)},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=7, help="alternating Tauro/raw pairs (default 7)")
    args = parser.parse_args()

    from tauro.streaming.query_manager import StreamingQueryManager

    with tempfile.TemporaryDirectory(prefix="tauro-bench-delta-") as tmp:
        base = Path(tmp)
        ctx = context(base, ("files", "delta"))
        spark = ctx.spark
        spark.sparkContext.setLogLevel("ERROR")
        source = base / "in"
        write_input(spark, source)
        manager = StreamingQueryManager(ctx)
        dirs = RunDirs(base)
        section = {
            "format": "file_stream",
            "path": str(source),
            "schema": SCHEMA,
            "options": {"format": "json"},
        }

        def tauro_run() -> None:
            out, checkpoint = dirs.next("tauro")
            node = delta_node(f"bench{dirs.count}", section, out, checkpoint)
            run_to_end(manager.create_and_start_query(node, pipeline_name="bench_delta"), manager.stop_query)

        def raw_run() -> None:
            out, checkpoint = dirs.next("raw")
            query = (
                spark.readStream.format("json")
                .schema(SCHEMA)
                .load(str(source))
                .writeStream.format("delta")
                .option("checkpointLocation", str(checkpoint))
                .trigger(availableNow=True)
                .start(str(out))
            )
            run_to_end(query)

        for _ in range(2):  # warm up both paths
            tauro_run(), raw_run()
        tauro_times, raw_times = alternate_both_ways(tauro_run, raw_run, args.pairs)
        ratios = [r / t for t, r in zip(tauro_times, raw_times)]
        print(
            f"raw {ROWS / min(raw_times):,.0f} rows/s best; Tauro {ROWS / min(tauro_times):,.0f} rows/s best"
        )
        report(f"throughput Tauro/raw, {ROWS} JSON rows file_stream -> delta (target >= 0.98)", ratios)


if __name__ == "__main__":
    main()
