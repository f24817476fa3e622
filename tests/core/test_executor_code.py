"""What ships to a cluster's executors, and the spark-submit arguments of a pipeline (no Spark:
the cluster tests run them for real)."""

from __future__ import annotations

import json
import os
import sys
import zipfile
from pathlib import Path

import pytest

from tauro import executor_code
from tauro.checkpoints import warn_if_workers_cannot_see
from tauro.config.context import Context
from tauro.executor_code import executor_code_zip, remember_user_import
from tauro.session import _choose_worker_python, _submitted_has
from tauro.submit_args import launcher, submit_args


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TAURO_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(executor_code, "_user_imports", {})
    return tmp_path / "cache"


def test_the_zip_holds_tauro_the_plugins_and_user_modules_but_not_pyspark(
    cache: Path, tmp_path: Path
) -> None:
    module = tmp_path / "my_transforms.py"
    module.write_text("VALUE = 1\n")
    remember_user_import("tauro_user_my_transforms", module)
    archive = executor_code_zip()
    assert archive.parent == cache / "executor-code"
    names = zipfile.ZipFile(archive).namelist()
    tops = {name.split("/")[0] for name in names}
    assert {"tauro", "tauro_files", "pluggy", "attrs", "loguru"} <= tops
    assert "tauro_user_my_transforms.py" in names
    assert "tauro/executor_code.py" in names
    assert any(top.startswith("tauro_core-") and top.endswith(".dist-info") for top in tops)
    assert not tops & {"pyspark", "py4j", "pyarrow", "pandas", "numpy"}
    assert not [n for n in names if n.endswith((".so", ".pyc"))]
    # Cached: the same code gives the same file, a changed module a new one.
    assert executor_code_zip() == archive
    module.write_text("VALUE = 22\n")
    assert executor_code_zip() != archive


@pytest.mark.parametrize(
    ("checkpoint", "master", "warns"),
    [
        ("/data/checkpoints/a", "local[4]", False),
        ("/data/checkpoints/b", "spark://127.0.0.1:7077", False),
        ("s3a://bucket/checkpoints/c", "spark://spark-master:7077", False),
        ("/data/checkpoints/d", "spark://spark-master:7077", True),
        ("file:///data/checkpoints/e", "yarn", True),
    ],
)
def test_a_local_checkpoint_on_a_multi_host_cluster_warns(checkpoint: str, master: str, warns: bool) -> None:
    assert warn_if_workers_cannot_see(checkpoint, master) is warns
    assert warn_if_workers_cannot_see(checkpoint, master) is False  # once per checkpoint


def test_a_submitted_package_counts_as_a_coordinate_or_as_its_jar() -> None:
    package = "io.delta:delta-spark_4.2_2.13:4.4.0"
    assert _submitted_has({"spark.jars.packages": f"a:b:1,{package}"}, package)
    assert _submitted_has({"spark.jars": "file:/jars/io.delta_delta-spark_2.13-4.4.0.jar"}, package) is False
    assert _submitted_has({"spark.jars": "file:/jars/io.delta_delta-spark_4.2_2.13-4.4.0.jar"}, package)
    assert _submitted_has({"spark.jars": "/opt/jars/delta-spark_4.2_2.13-4.4.0.jar"}, package)
    assert not _submitted_has({}, package)


def test_workers_python_local_is_this_one_cluster_is_the_users(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYSPARK_PYTHON", raising=False)
    conf: dict[str, str] = {}
    _choose_worker_python("spark://h:7077", conf)
    assert conf == {}
    assert "PYSPARK_PYTHON" not in os.environ
    _choose_worker_python("spark://h:7077", {"spark.pyspark.python": "/opt/py/bin/python"})
    assert os.environ["PYSPARK_PYTHON"] == "/opt/py/bin/python"
    monkeypatch.delenv("PYSPARK_PYTHON")
    _choose_worker_python("local[2]", conf)
    assert conf == {"spark.pyspark.python": sys.executable}


def test_submit_args_carry_packages_conf_code_and_the_run_command(cache: Path, tmp_path: Path) -> None:
    pipeline = tmp_path / "p.json"
    node = {
        "name": "load",
        "input": {"format": "json", "path": str(tmp_path / "in"), "schema": "id BIGINT"},
        "output": {"format": "delta", "path": str(tmp_path / "t")},
    }
    raw = {"name": "p", "nodes": [node]}
    pipeline.write_text(json.dumps(raw))
    context = Context(
        master="local[1]",
        base_dir=tmp_path / "base",
        spark_conf={"spark.jars.repositories": "https://repo.example/maven", "spark.executor.memory": "2g"},
    )
    args = submit_args(context, str(pipeline), raw, master="yarn", imports=["my.module"], variables=["A=1"])
    assert args[:4] == ["--master", "yarn", "--name", "tauro"]
    assert args[args.index("--packages") + 1] == "io.delta:delta-spark_4.2_2.13:4.4.0"
    assert args[args.index("--repositories") + 1] == "https://repo.example/maven"
    confs = [args[i + 1] for i, a in enumerate(args) if a == "--conf"]
    assert "spark.executor.memory=2g" in confs
    assert "spark.sql.extensions=io.delta.sql.DeltaSparkSessionExtension" in confs
    assert f"spark.pyspark.driver.python={sys.executable}" in confs
    assert not [c for c in confs if c.startswith(("spark.jars.packages=", "spark.jars.repositories="))]
    start = args.index(launcher())
    assert args[start - 2] == "--py-files" and args[start - 1].endswith(".zip")
    assert args[start:] == [launcher(), "run", str(pipeline), "--import", "my.module", "--var", "A=1"]
