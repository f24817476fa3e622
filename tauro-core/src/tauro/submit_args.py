"""The ``spark-submit`` arguments that run a pipeline: ``tauro submit-args pipeline.yaml``.

A scheduler that only knows spark-submit (Airflow's SparkSubmitOperator, cron, a Kubernetes
operator) then runs the same pipeline ``tauro run`` would, with the packages its formats need,
the Spark conf the plugins and the context set, and Tauro's code for the executors.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from tauro.config.context import Context
from tauro.executor_code import executor_code_zip
from tauro.session import format_uses, session_conf
from tauro.streaming.transformations import TransformationRegistry

#: Conf keys spark-submit has its own option for.
_OPTIONS = {
    "spark.jars.packages": "--packages",
    "spark.jars.repositories": "--repositories",
    "spark.jars": "--jars",
    "spark.jars.excludes": "--exclude-packages",
}


def launcher() -> str:
    """The file spark-submit runs: Tauro's ``__main__`` module."""
    return str(Path(__file__).with_name("__main__.py"))


def submit_args(
    context: Context,
    pipeline_file: str,
    raw: Mapping[str, Any],
    *,
    pipeline: str | None = None,
    context_file: str | None = None,
    imports: Iterable[str] = (),
    variables: Iterable[str] = (),
    master: str | None = None,
    driver_python: str | None = None,
) -> list[str]:
    """Everything after ``spark-submit`` for one pipeline (``imports`` already imported)."""
    nodes = raw.get("nodes")
    context.declare_formats(format_uses(nodes if isinstance(nodes, list) else [], pipeline))
    conf, packages = session_conf(context, context.planned_spark_settings())
    args = ["--master", master or context.master, "--name", context.app_name]
    if packages:
        args += ["--packages", ",".join(packages)]
    for key, option in _OPTIONS.items():
        if key != "spark.jars.packages" and conf.get(key):
            args += [option, conf[key]]
    python = (
        driver_python or conf.get("spark.pyspark.driver.python") or os.environ.get("PYSPARK_DRIVER_PYTHON")
    )
    # The driver runs the interpreter Tauro is installed in; executors use spark.pyspark.python
    # (the context's conf, else the cluster's PYSPARK_PYTHON) and get Tauro from --py-files.
    conf["spark.pyspark.driver.python"] = python or sys.executable
    for key, value in sorted(conf.items()):
        if key not in _OPTIONS:
            args += ["--conf", f"{key}={value}"]
    archive = executor_code_zip(TransformationRegistry.modules())
    args += ["--py-files", str(archive), launcher(), "run", str(Path(pipeline_file).absolute())]
    if pipeline:
        args += ["--pipeline", pipeline]
    if context_file:
        args += ["--context", str(Path(context_file).absolute())]
    for item in imports:
        args += ["--import", str(Path(item).absolute()) if item.endswith(".py") else item]
    for item in variables:
        args += ["--var", item]
    return args
