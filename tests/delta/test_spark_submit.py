"""A Delta pipeline under spark-submit: refused without its package, written with the
arguments ``tauro submit-args`` prints (the driver's JVM is spark-submit's, not Tauro's)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from tauro.submit_args import launcher
from tests.install_venv import run
from tests.spark_cluster import SPARK_HOME, spark_env

pytestmark = pytest.mark.timeout(300)

TAURO = Path(sys.executable).with_name("tauro")
DELTA = "io.delta:delta-spark_4.2_2.13:4.4.0"


def test_spark_submit_needs_the_package_and_runs_with_the_printed_arguments(
    spark: Any, tmp_path: Path
) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.json").write_text('{"id": 1, "name": "a"}\n{"id": 2, "name": "b"}\n')
    node = {
        "name": "load",
        "input": {"format": "json", "path": str(tmp_path / "in"), "schema": "id BIGINT, name STRING"},
        "output": {"format": "delta", "path": str(tmp_path / "table")},
        "streaming": {"trigger": {"type": "available_now"}},
    }
    pipeline = tmp_path / "pipeline.json"
    pipeline.write_text(json.dumps({"name": "to_delta", "nodes": [node]}))
    context = tmp_path / "context.json"
    context.write_text(json.dumps({"spark": {"master": "local[1]"}, "base_dir": str(tmp_path / "base")}))
    submit = SPARK_HOME / "bin" / "spark-submit"
    env = spark_env()

    bare = run(
        submit,
        "--master",
        "local[1]",
        "--conf",
        f"spark.pyspark.driver.python={sys.executable}",
        launcher(),
        "run",
        pipeline,
        "--context",
        context,
        "--quiet",
        env=env,
    )
    assert bare.returncode == 1
    assert f"pass --packages {DELTA} to spark-submit" in " ".join(bare.stdout.split())
    assert not (tmp_path / "table" / "_delta_log").exists()

    printed = run(TAURO, "submit-args", pipeline, "--context", context, "--json", env=env)
    assert printed.returncode == 0, printed.stderr
    args = json.loads(printed.stdout)
    assert args[args.index("--packages") + 1] == DELTA
    submitted = run(submit, *args, "--quiet", env=env)
    assert submitted.returncode == 0, (submitted.stdout + submitted.stderr)[-3000:]
    table = spark.read.format("delta").load(str(tmp_path / "table"))
    assert sorted(r.id for r in table.collect()) == [1, 2]
