"""The medallion three ways, each as a whole process on this machine: Tauro (`tauro run`, files
family, parquet), a hand-written PySpark script, and Spark Declarative Pipelines
(`spark-pipelines run`). Target: Tauro / Spark Declarative Pipelines <= 1.0 (wall clock).

1M JSON rows in 20 files -> bronze (parquet) -> silver (filter + clean, parquet) -> gold (per-user
aggregate, parquet). Runs alternate (the order rotates every round); each run starts from empty
outputs; the three gold tables are checked to hold the same rows.

    flock /work/.bench.lock python benchmarks/bench_medallion.py             # 3 rounds
    flock /work/.bench.lock python benchmarks/bench_medallion.py --rounds 5
    python benchmarks/bench_medallion.py --rows 20000 --rounds 1             # a quick check
    flock /work/.bench.lock python benchmarks/bench_medallion.py --startup   # what a session
        # start costs with what Tauro used to add to every session: the spark-avro package
        # (Ivy resolution) and the registration of the memory and Kinesis Python data sources
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

RAW_SCHEMA = "id BIGINT, user STRING, country STRING, amount DOUBLE, ts TIMESTAMP"
CLEAN_SCHEMA = "id BIGINT, user STRING, country STRING, amount DOUBLE, ts TIMESTAMP"
BIN = Path(sys.executable).parent
CONF = {"spark.sql.shuffle.partitions": "2", "spark.ui.enabled": "false"}

# The same three steps everywhere: the cleaning of silver and the aggregate of gold.
TRANSFORMS = textwrap.dedent(
    """
    from pyspark.sql import DataFrame, functions as F

    def clean(df: DataFrame) -> DataFrame:
        return (
            df.where(F.col("user").isNotNull() & (F.col("amount") > 0))
            .withColumn("user", F.lower(F.trim(F.col("user"))))
            .withColumn("country", F.upper(F.col("country")))
            .withColumn("amount", F.round(F.col("amount"), 2))
        )

    def aggregate(df: DataFrame) -> DataFrame:
        return df.groupBy("user").agg(
            F.count("*").alias("events"), F.sum("amount").alias("total"), F.max("ts").alias("last_ts")
        )
    """
)


# -- the input -----------------------------------------------------------------------------------
def generate(data: Path, rows: int, files: int) -> None:
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    df = spark.range(rows).selectExpr(
        "id",
        # Some users missing, some padded and in capitals: silver has something to clean.
        "CASE WHEN id % 50 = 0 THEN NULL WHEN id % 7 = 0 THEN concat('  USER', id % 1000, ' ') "
        "ELSE concat('user', id % 1000) END AS user",
        "element_at(array('es', 'fr', 'de', 'it'), cast(id % 4 + 1 AS INT)) AS country",
        "CASE WHEN id % 20 = 0 THEN -1.0 ELSE (id % 997) / 10.0 + 0.1 END AS amount",
        "timestamp_seconds(1767225600 + id) AS ts",
    )
    df.repartition(files).write.mode("overwrite").json(str(data))
    spark.stop()


# -- the three ways ------------------------------------------------------------------------------
def write_tauro(project: Path, data: Path, out: Path) -> list[str]:
    (project / "medallion_transforms.py").write_text(
        TRANSFORMS
        + textwrap.dedent(
            f"""
            from tauro.streaming.transformations import TransformationRegistry

            def write_gold(batch: DataFrame, batch_id: int) -> None:
                # Complete mode: every batch holds the whole aggregate.
                batch.write.mode("overwrite").parquet({str(out / "gold")!r})

            TransformationRegistry.register("clean", clean)
            TransformationRegistry.register("aggregate", aggregate)
            TransformationRegistry.register("write_gold", write_gold)
            """
        )
    )
    bounded = {"trigger": {"type": "available_now"}}
    pipeline = {
        "name": "medallion",
        "streaming": {"checkpoint_location": str(out / "checkpoints")},
        "nodes": [
            {
                "name": "bronze",
                "input": {
                    "format": "file_stream",
                    "path": str(data),
                    "schema": RAW_SCHEMA,
                    "options": {"format": "json"},
                },
                "output": {"format": "file", "path": str(out / "bronze"), "options": {"format": "parquet"}},
                "streaming": bounded,
            },
            {
                "name": "silver",
                "depends_on": ["bronze"],
                "input": {"format": "file_stream", "path": str(out / "bronze"), "schema": RAW_SCHEMA},
                "transforms": ["clean"],
                "output": {"format": "file", "path": str(out / "silver"), "options": {"format": "parquet"}},
                "streaming": bounded,
            },
            {
                "name": "gold",
                "depends_on": ["silver"],
                "input": {"format": "file_stream", "path": str(out / "silver"), "schema": CLEAN_SCHEMA},
                "transforms": ["aggregate"],
                "output": {"format": "foreach_batch", "options": {"function": "write_gold"}},
                "streaming": {**bounded, "output_mode": "complete"},
            },
        ],
    }
    (project / "medallion.json").write_text(json.dumps(pipeline, indent=2))
    context = {"spark": {"master": "local[2]", "conf": CONF}, "base_dir": str(out / ".tauro")}
    (project / "context.json").write_text(json.dumps(context))
    return [
        str(BIN / "tauro"),
        "run",
        str(project / "medallion.json"),
        "--context",
        str(project / "context.json"),
        "--import",
        str(project / "medallion_transforms.py"),
        "--quiet",
    ]


def write_pyspark(project: Path, data: Path, out: Path) -> list[str]:
    script = TRANSFORMS + textwrap.dedent(
        f"""
        from pyspark.sql import SparkSession

        spark = SparkSession.builder.master("local[2]")
        for key, value in {CONF!r}.items():
            spark = spark.config(key, value)
        spark = spark.getOrCreate()
        out, cp = {str(out)!r}, {str(out / "checkpoints")!r}

        def parquet(df, name):
            return (df.writeStream.format("parquet").option("path", f"{{out}}/{{name}}")
                    .option("checkpointLocation", f"{{cp}}/{{name}}").trigger(availableNow=True).start())

        raw = spark.readStream.schema({RAW_SCHEMA!r}).json({str(data)!r})
        parquet(raw, "bronze").awaitTermination()
        bronze = spark.readStream.schema({RAW_SCHEMA!r}).parquet(f"{{out}}/bronze")
        parquet(clean(bronze), "silver").awaitTermination()
        silver = spark.readStream.schema({CLEAN_SCHEMA!r}).parquet(f"{{out}}/silver")
        (aggregate(silver).writeStream.outputMode("complete")
            .foreachBatch(lambda batch, _id: batch.write.mode("overwrite").parquet(f"{{out}}/gold"))
            .option("checkpointLocation", f"{{cp}}/gold").trigger(availableNow=True).start()
            .awaitTermination())
        spark.stop()
        """
    )
    (project / "medallion_pyspark.py").write_text(script)
    return [sys.executable, str(project / "medallion_pyspark.py")]


def write_sdp(project: Path, data: Path, out: Path) -> list[str]:
    transformations = project / "transformations"
    transformations.mkdir(parents=True, exist_ok=True)
    (transformations / "medallion.py").write_text(
        TRANSFORMS
        + textwrap.dedent(
            f"""
            from pyspark import pipelines as dp

            @dp.table(format="parquet")
            def bronze():
                return spark.readStream.schema({RAW_SCHEMA!r}).json({str(data)!r})

            @dp.table(format="parquet")
            def silver():
                return clean(spark.readStream.table("bronze"))

            @dp.materialized_view(format="parquet")
            def gold():
                return aggregate(spark.read.table("silver"))
            """
        )
    )
    spec = {
        "name": "medallion",
        "storage": f"file://{out / 'storage'}",
        "libraries": [{"glob": {"include": "transformations/**"}}],
        # Only SQL conf may be set here; the rest goes to spark-submit, as for any Spark app.
        "configuration": {"spark.sql.shuffle.partitions": CONF["spark.sql.shuffle.partitions"]},
    }
    (project / "spark-pipeline.yml").write_text(json.dumps(spec))  # JSON is YAML
    # spark-pipelines runs a local Connect server (local[*]: the same 2 cores here).
    submit = ["--conf", "spark.ui.enabled=false"]
    return [str(BIN / "spark-pipelines"), "run", "--spec", str(project / "spark-pipeline.yml"), *submit]


WAYS = {"tauro": write_tauro, "pyspark": write_pyspark, "sdp": write_sdp}


def gold_rows(out: Path, project: Path, way: str) -> int:
    import pyarrow.parquet as pq

    gold = project / "spark-warehouse" / "gold" if way == "sdp" else out / "gold"
    return int(pq.read_table(str(gold)).num_rows)


def run_once(way: str, base: Path, data: Path, run: int) -> float:
    project, out = base / way / f"project{run}", base / way / f"out{run}"
    shutil.rmtree(project, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    project.mkdir(parents=True)
    out.mkdir(parents=True)
    command = WAYS[way](project, data, out)
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    log = base / way / f"run{run}.log"
    start = time.perf_counter()
    with log.open("w") as sink:
        done = subprocess.run(command, cwd=project, env=env, stdout=sink, stderr=subprocess.STDOUT)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(
            f"{way} run {run} failed (exit {done.returncode}); see {log}:\n{log.read_text()[-3000:]}"
        )
    print(f"  {way:8s} run {run}: {elapsed:6.2f} s  gold rows {gold_rows(out, project, way)}", flush=True)
    return elapsed


STARTUP = {
    "plain": "",
    "avro package": "spark.jars.packages=org.apache.spark:spark-avro_2.13:4.2.0",
    "data sources": "register",
}
STARTUP_CHILD = textwrap.dedent(
    """
    import sys, time
    start = time.perf_counter()
    from pyspark.sql import SparkSession
    builder = SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false")
    if "=" in sys.argv[1]:
        builder = builder.config(*sys.argv[1].split("=", 1))
    spark = builder.getOrCreate()
    if sys.argv[1] == "register":
        from tauro.builtin.memory_source import register_memory_source
        from tauro_kinesis.registration import register_kinesis_source
        register_memory_source(spark)
        register_kinesis_source(spark)
    spark.range(1).count()
    print(f"READY {time.perf_counter() - start:.3f}")
    spark.stop()
    """
)


def startup(rounds: int) -> None:
    """Seconds from interpreter start to a session that ran one job, per way of starting."""
    times: dict[str, list[float]] = {name: [] for name in STARTUP}
    for _ in range(rounds):
        for name, arg in STARTUP.items():
            done = subprocess.run(
                [sys.executable, "-c", STARTUP_CHILD, arg or "-"], capture_output=True, text=True, check=True
            )
            ready = next(line for line in done.stdout.splitlines() if line.startswith("READY "))
            times[name].append(float(ready.split()[1]))
    for name, values in times.items():
        print(
            f"{name:13s} median {statistics.median(values):6.2f} s "
            f"(min {min(values):.2f}, max {max(values):.2f}, n={len(values)})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3)")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--keep", help="keep the runs under this directory")
    parser.add_argument("--startup", action="store_true", help="time session starts only")
    args = parser.parse_args()
    if args.startup:
        startup(args.rounds)
        return
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="tauro-bench-medallion-"))
    base.mkdir(parents=True, exist_ok=True)
    try:
        data = base / "events"
        print(f"Generating {args.rows} JSON rows in {args.files} files ...", flush=True)
        generate(data, args.rows, args.files)
        times: dict[str, list[float]] = {way: [] for way in WAYS}
        order = list(WAYS)
        for round_ in range(args.rounds):
            print(f"round {round_ + 1}/{args.rounds}", flush=True)
            for way in order:
                times[way].append(run_once(way, base, data, round_))
            order = order[1:] + order[:1]  # rotate, so no way always runs first
        report(times)
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


def report(times: dict[str, list[float]]) -> None:
    print()
    for way, values in times.items():
        print(
            f"{way:8s} median {statistics.median(values):6.2f} s "
            f"(min {min(values):.2f}, max {max(values):.2f}, n={len(values)})"
        )
    for other in ("sdp", "pyspark"):
        ratios = [t / o for t, o in zip(times["tauro"], times[other], strict=True)]
        print(
            f"tauro/{other}: median {statistics.median(ratios):.3f} "
            f"(min {min(ratios):.3f}, max {max(ratios):.3f}); ratio of medians "
            f"{statistics.median(times['tauro']) / statistics.median(times[other]):.3f}"
        )


if __name__ == "__main__":
    main()
