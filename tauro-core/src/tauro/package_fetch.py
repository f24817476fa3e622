"""Fetch the Spark packages of the installed plugins (and the context's own) ahead of a run.

Spark resolves ``spark.jars.packages`` when a session's JVM starts. Fetching them once, with the
same Ivy settings and repositories a session would use, lets later runs start on a machine (or in
a network namespace) without access to Maven Central: Ivy answers from its cache. The fetch runs
``spark-submit`` with the packages and an empty Python file, so Spark's own resolver does the
work and no SparkContext is started.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tauro.ivy_settings import ivy_home
from tauro.package_resolution import packages_error
from tauro.session import session_conf

if TYPE_CHECKING:
    from tauro.config.context import Context
    from tauro.spark_settings import MergedSparkSettings

#: Spark conf keys that steer package resolution: passed to spark-submit as the session would.
_RESOLUTION_KEYS = ("spark.jars.",)


@dataclass(frozen=True)
class FetchedPackages:
    packages: list[str]
    #: Where Spark copies the resolved jars (``<spark.jars.ivy>/jars``).
    jars_dir: Path


def spark_submit() -> Path:
    from pyspark.find_spark_home import _find_spark_home  # pyspark: heavy, only to launch

    return Path(_find_spark_home()) / "bin" / "spark-submit"


def fetch_packages(
    context: Context, merged: MergedSparkSettings | None = None, timeout: float = 1800
) -> FetchedPackages:
    """Resolve a session's packages into Ivy's cache; raise ``SparkPackagesError`` if Ivy fails.

    ``merged`` is what the plugins contribute (``Context.planned_spark_settings()`` once the
    pipelines to run are declared); without it, every loaded plugin's packages.
    """
    conf, packages = session_conf(context, merged)
    ivy = Path(conf.get("spark.jars.ivy", str(ivy_home())))
    if not packages:
        return FetchedPackages(packages=[], jars_dir=ivy / "jars")
    args = [str(spark_submit()), "--master", "local[1]"]
    for key, value in conf.items():
        if key.startswith(_RESOLUTION_KEYS):
            args += ["--conf", f"{key}={value}"]
    with tempfile.TemporaryDirectory(prefix="tauro-fetch-") as scratch:
        empty = Path(scratch) / "fetched.py"
        empty.write_text("")
        env = {**os.environ, "PYSPARK_PYTHON": sys.executable}
        done = subprocess.run([*args, str(empty)], env=env, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        error = packages_error(packages, conf, RuntimeError(_ivy_report(done.stderr)))
        raise error
    return FetchedPackages(packages=packages, jars_dir=ivy / "jars")


def _ivy_report(stderr: str) -> str:
    """The lines of Ivy's report that say what failed (the rest of spark-submit's output is noise)."""
    keep = [
        line.strip()
        for line in stderr.splitlines()
        if "unresolved dependency" in line or "download failed" in line or "Exception" in line
    ]
    return "\n".join(dict.fromkeys(keep)) or stderr.strip()[-2000:]
