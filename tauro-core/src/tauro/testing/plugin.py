"""Tauro's pytest plugin (entry point ``pytest11``: ``tauro``): fixtures for pipeline tests.

pytest loads this module in every run of an environment where tauro-core is installed, so it
imports nothing heavy: Spark and Tauro's runtime are imported inside the fixtures, when a test
asks for one. Every fixture is prefixed ``tauro_``.

- ``tauro_spark_conf`` (session): Spark settings of ``tauro_spark``; override it in a
  conftest.py to change them.
- ``tauro_spark`` (session): one local Spark session for the whole run, opened with the Spark
  packages of every installed Tauro plugin. A session already active in the process (one a
  project's own fixture opened) is reused, never stopped by this plugin.
- ``tauro_context`` (function): a ``Context`` on that session with its own directories
  (checkpoints, warehouse) under the test's ``tmp_path``.
- ``tauro_pipeline`` (function): a ``PipelineRunner``: ``tauro_pipeline(config, inputs=...,
  collect=...)`` runs a pipeline bounded and returns its outputs and dead letters as rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from tauro.config.context import Context
    from tauro.testing.pipeline import PipelineRunner

#: The settings of ``tauro_spark``: small and deterministic (2 cores, UTC, no UI).
DEFAULT_SPARK_CONF: dict[str, str] = {
    "spark.sql.shuffle.partitions": "2",
    "spark.default.parallelism": "2",
    "spark.ui.enabled": "false",
    "spark.sql.session.timeZone": "UTC",
    "spark.driver.memory": "2g",
}


@pytest.fixture(scope="session")
def tauro_spark_conf() -> dict[str, str]:
    """Spark conf of ``tauro_spark``; override this fixture to change or add settings."""
    return dict(DEFAULT_SPARK_CONF)


@pytest.fixture(scope="session")
def tauro_spark(
    tauro_spark_conf: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SparkSession]:
    """The run's local Spark session (``local[2]``), with every installed plugin's packages."""
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    if SparkContext._active_spark_context is not None:
        # A session opened by the project's own fixture (or an outer pytest run): share it,
        # since one process holds one SparkContext; its owner stops it.
        yield SparkSession.getActiveSession() or SparkSession.builder.getOrCreate()
        return
    from tauro.config.context import Context

    context = Context(
        master="local[2]",
        app_name="tauro-tests",
        base_dir=tmp_path_factory.mktemp("tauro-session"),
        # Opened before any pipeline is known: every installed family's packages.
        spark_plugins="all",
        spark_conf=tauro_spark_conf,
    )
    session = context.spark
    try:
        yield session
    finally:
        for query in session.streams.active:
            query.stop()
        session.stop()


@pytest.fixture
def tauro_context(tauro_spark: SparkSession, tmp_path: Path) -> Context:
    """A Context on ``tauro_spark`` whose checkpoints, warehouse and runs live under tmp_path."""
    from tauro.config.context import Context

    return Context(spark=tauro_spark, base_dir=tmp_path / "tauro")


@pytest.fixture
def tauro_pipeline(tauro_context: Context) -> Iterator[PipelineRunner]:
    """Run a pipeline bounded with replaced inputs and collected outputs (``PipelineRunner``)."""
    from tauro.testing.pipeline import PipelineRunner

    spark: Any = tauro_context.spark
    before = {q.id for q in spark.streams.active}
    yield PipelineRunner(tauro_context)
    # A run stops its queries; this catches one left by a run that was interrupted.
    for query in spark.streams.active:
        if query.id not in before:
            query.stop()
