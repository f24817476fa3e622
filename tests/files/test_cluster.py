"""Pipelines on a real Spark standalone cluster whose executors' Python has no Tauro.

Every driver runs in its own process (``tauro run``, ``spark-submit``, a Python API script):
the test process keeps its own local session untouched. The transform module's UDF reports
the interpreter it runs in, so each test proves its rows were computed on the executors.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from tests.install_venv import run
from tests.spark_cluster import SPARK_HOME, StandaloneCluster, spark_env

pytestmark = pytest.mark.timeout(420)

TAURO = Path(sys.executable).with_name("tauro")
SCHEMA = "id BIGINT, name STRING"

# Registered transforms whose UDFs run on the executors: cloudpickle pickles them by reference
# to this module, which the executors import from the zip Tauro ships.
UDFS = """
import os, sys, time
from pyspark.sql import functions as F
from pyspark.sql.types import StringType
from tauro.streaming import TransformationRegistry

@F.udf(StringType())
def where_am_i(name):
    time.sleep(float(os.environ.get("CLUSTER_TEST_DELAY", "0")))
    return sys.executable

def tag_interpreter(df):
    return df.withColumn("python", where_am_i("name"))

TransformationRegistry.register("tag_interpreter", tag_interpreter)
"""


@pytest.fixture(scope="module")
def udfs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("udfs") / "cluster_udfs.py"
    path.write_text(UDFS)
    return path


def context_file(folder: Path, cluster: StandaloneCluster) -> Path:
    path = folder / "context.json"
    conf = {
        "spark.pyspark.python": str(cluster.python),
        "spark.sql.shuffle.partitions": "2",
        "spark.ui.enabled": "false",
        "spark.executor.memory": "512m",
    }
    path.write_text(
        json.dumps({"spark": {"master": "local[1]", "conf": conf}, "base_dir": str(folder / "base")})
    )
    return path


def write_inputs(folder: Path, files: int, rows_per_file: int) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(files):
        lines = [
            json.dumps({"id": index * rows_per_file + row, "name": f"n{row}"}) for row in range(rows_per_file)
        ]
        (folder / f"part-{index:03d}.json").write_text("\n".join(lines) + "\n")
    return files * rows_per_file


def files_pipeline(folder: Path, source: Path, out: Path, *, max_files: int) -> Path:
    path = folder / "pipeline.json"
    node = {
        "name": "to_parquet",
        "input": {
            "format": "json",
            "path": str(source),
            "schema": SCHEMA,
            "options": {"maxFilesPerTrigger": max_files},
        },
        "function": {"key": "tag_interpreter"},
        "output": {"format": "parquet", "path": str(out)},
        "streaming": {"trigger": {"type": "available_now"}},
    }
    path.write_text(json.dumps({"name": "cluster_files", "nodes": [node]}))
    return path


def read_output(out: Path, cluster: StandaloneCluster) -> list[dict[str, Any]]:
    """The parquet rows Spark's file sink committed (its _spark_metadata log), read by pyarrow."""
    import pyarrow.parquet as pq

    committed: set[str] = set()
    for log in (out / "_spark_metadata").iterdir():
        if log.name.startswith("."):
            continue
        # Every tenth log file ("9.compact") repeats the entries of the ones before it.
        for line in log.read_text().splitlines()[1:]:
            committed.add(json.loads(line)["path"].removeprefix("file://").removeprefix("file:"))
    rows: list[dict[str, Any]] = []
    for file in sorted(committed):
        rows.extend(pq.read_table(file).to_pylist())
    return rows


def assert_every_row_once(rows: list[dict[str, Any]], expected: int, cluster: StandaloneCluster) -> None:
    ids = sorted(r["id"] for r in rows)
    assert ids == list(range(expected)), f"{len(ids)} rows, {len(set(ids))} distinct, {expected} expected"
    assert {r["python"] for r in rows} == {str(cluster.python)}, "rows not computed by the workers' Python"


def test_tauro_run_on_the_cluster_survives_a_killed_worker(
    spark_cluster: StandaloneCluster, udfs: Path, tmp_path: Path
) -> None:
    expected = write_inputs(tmp_path / "in", files=12, rows_per_file=50)
    out = tmp_path / "out"
    pipeline = files_pipeline(tmp_path, tmp_path / "in", out, max_files=1)
    log = (tmp_path / "driver.log").open("w")
    driver = subprocess.Popen(
        [
            str(TAURO),
            "run",
            str(pipeline),
            "--context",
            str(context_file(tmp_path, spark_cluster)),
            "--import",
            str(udfs),
            "--master",
            spark_cluster.url,
            "--quiet",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=spark_env(CLUSTER_TEST_DELAY="0.02"),
        cwd=tmp_path,
    )
    try:
        # Mid-stream: some batches committed, more to come; then a worker and its executor die.
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and driver.poll() is None:
            commits = out / "_spark_metadata"
            if commits.is_dir() and len([p for p in commits.iterdir() if p.name.isdigit()]) >= 3:
                break
            time.sleep(0.2)
        assert driver.poll() is None, (tmp_path / "driver.log").read_text()[-3000:]
        spark_cluster.kill_worker(0)
        code = driver.wait(300)
    finally:
        if driver.poll() is None:
            driver.kill()
        spark_cluster.start_worker(0)
    assert code == 0, (tmp_path / "driver.log").read_text()[-3000:]
    assert_every_row_once(read_output(out, spark_cluster), expected, spark_cluster)


def test_python_api_runs_a_memory_source_on_the_cluster(
    spark_cluster: StandaloneCluster, tmp_path: Path
) -> None:
    # The memory source is a Python data source: its reader runs on the executors, and the
    # transform's module is imported by the script, not given with --import.
    (tmp_path / "api_udfs.py").write_text(UDFS)
    script = tmp_path / "api.py"
    script.write_text(
        textwrap.dedent(f"""
        import json, sys
        sys.path.insert(0, {str(tmp_path)!r})
        import api_udfs  # registers tag_interpreter
        from tauro.config.context import Context
        from tauro.streaming.pipeline_manager import StreamingPipelineManager

        context = Context(master={spark_cluster.url!r}, base_dir={str(tmp_path / "base")!r},
                          spark_conf={{"spark.pyspark.python": {str(spark_cluster.python)!r},
                                      "spark.sql.shuffle.partitions": "2", "spark.ui.enabled": "false",
                                      "spark.executor.memory": "512m"}})
        rows = [{{"id": i, "name": f"n{{i}}"}} for i in range(300)]
        node = {{"name": "memory_to_memory",
                 "input": {{"format": "memory", "schema": {SCHEMA!r},
                            "options": {{"stream": "cluster_rows", "rows": rows}}}},
                 "function": {{"key": "tag_interpreter"}},
                 "output": {{"format": "memory", "table_name": "cluster_out"}},
                 "streaming": {{"trigger": {{"type": "available_now"}}, "query_name": "cluster_out"}}}}
        manager = StreamingPipelineManager(context)
        execution = manager.start_pipeline("cluster_memory", {{"nodes": [node]}})
        status = manager.wait(execution, timeout=240)
        out = [r.asDict() for r in context.spark.table("cluster_out").collect()]
        manager.shutdown(timeout=30)
        print(json.dumps({{"status": status["status"], "master": context.spark.sparkContext.master,
                          "rows": out}}))
    """)
    )
    result = run(sys.executable, script, env=spark_env())
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert (report["status"], report["master"]) == ("completed", spark_cluster.url)
    assert_every_row_once(report["rows"], 300, spark_cluster)


def test_spark_submit_with_the_printed_arguments(
    spark_cluster: StandaloneCluster, udfs: Path, tmp_path: Path
) -> None:
    expected = write_inputs(tmp_path / "in", files=3, rows_per_file=20)
    out = tmp_path / "out"
    pipeline = files_pipeline(tmp_path, tmp_path / "in", out, max_files=2)
    printed = run(
        TAURO,
        "submit-args",
        pipeline,
        "--context",
        context_file(tmp_path, spark_cluster),
        "--import",
        udfs,
        "--master",
        spark_cluster.url,
        "--json",
        env=spark_env(),
    )
    assert printed.returncode == 0, printed.stderr
    args = json.loads(printed.stdout)
    assert args[args.index("--master") + 1] == spark_cluster.url
    assert args[args.index("--py-files") + 1].endswith(".zip")
    submitted = run(SPARK_HOME / "bin" / "spark-submit", *args, "--quiet", env=spark_env())
    assert submitted.returncode == 0, (submitted.stdout + submitted.stderr)[-3000:]
    assert_every_row_once(read_output(out, spark_cluster), expected, spark_cluster)
