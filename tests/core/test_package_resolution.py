"""A package that cannot be fetched: Tauro's error names it, the repositories Ivy asked and the
fix, instead of pyspark's bare JAVA_GATEWAY_EXITED."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SCRIPT = """
import json
from tauro.config.context import Context
from tauro.package_resolution import SparkPackagesError
context = Context(spark_conf={
    "spark.jars.packages": "org.example.nowhere:unfetchable_2.13:9.9.9",
    "spark.jars.repositories": "http://127.0.0.1:9/mirror",
})
try:
    context.spark
except SparkPackagesError as error:
    print(json.dumps({"message": str(error), "field": error.field, "context": error.context}))
"""


def test_an_unfetchable_package_names_itself_the_repositories_and_the_fix(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "HOME": str(tmp_path),  # an empty Ivy cache
        "TAURO_CACHE": str(tmp_path / "cache"),
        "TAURO_MAVEN_CENTRAL": "http://127.0.0.1:9/central/",
    }
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip(), f"no SparkPackagesError; stderr: {done.stderr[-3000:]}"
    found = json.loads(done.stdout.strip().splitlines()[-1])
    message = found["message"]
    assert "org.example.nowhere:unfetchable_2.13:9.9.9" in message
    assert "http://127.0.0.1:9/central/" in message and "http://127.0.0.1:9/mirror" in message
    assert "spark.jars.repositories" in message and "spark.jars.ivySettings" in message
    assert "tauro fetch-packages" in message
    assert found["field"] == "spark.jars.packages"
    assert found["context"]["details"]["repositories"] == [
        "http://127.0.0.1:9/central/",
        "http://127.0.0.1:9/mirror",
    ]
    # Ivy's own report stays where Spark writes it, and shows that it really asked the user's
    # repository after Tauro's chain (Spark adds spark.jars.repositories to any Ivy settings).
    assert "unresolved dependency" in done.stderr
    assert "==== central: tried" in done.stderr and "==== repo-1: tried" in done.stderr
    assert "http://127.0.0.1:9/mirror/org/example/nowhere/unfetchable_2.13" in done.stderr


def test_fetch_packages_that_cannot_be_fetched_exits_1_with_ivy_s_report(tmp_path: Path) -> None:
    context = tmp_path / "context.yaml"
    context.write_text(
        "spark:\n  conf:\n    spark.jars.packages: org.example.nowhere:unfetchable_2.13:9.9.9\n"
    )
    env = {
        **os.environ,
        "HOME": str(tmp_path),
        "TAURO_CACHE": str(tmp_path / "cache"),
        "TAURO_MAVEN_CENTRAL": "http://127.0.0.1:9/central/",
    }
    tauro = Path(sys.executable).parent / "tauro"
    done = subprocess.run(
        [str(tauro), "fetch-packages", "--context", str(context)],
        env=env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert "org.example.nowhere:unfetchable_2.13:9.9.9" in done.stderr
    assert "http://127.0.0.1:9/central/" in done.stderr
    # Ivy's own words about what failed, not the whole launcher output.
    assert "unresolved dependency" in done.stderr
