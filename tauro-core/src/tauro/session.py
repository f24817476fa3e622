"""Build the embedded SparkSession from the context and every plugin's contributions."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from loguru import logger

from tauro.plugins import get_plugin_manager
from tauro.spark_settings import MergedSparkSettings, SparkSettings, merge_spark_settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from tauro.config.context import Context

_prepared_lock = threading.Lock()
_prepared_ids: set[tuple[int, int]] = set()


def spark_version() -> str:
    import pyspark

    return str(pyspark.__version__)


def plugin_spark_settings(version: str | None = None) -> MergedSparkSettings:
    """Merge every loaded plugin's ``tauro_spark_settings`` (conflicts raise, naming both)."""
    manager = get_plugin_manager()
    contributions: list[tuple[str, SparkSettings]] = []
    for impl in manager.hook.tauro_spark_settings.get_hookimpls():
        settings = impl.function(spark_version=version or spark_version())
        if settings is not None:
            contributions.append((impl.plugin_name, settings))
    return merge_spark_settings(contributions)


def build_session(context: Context) -> SparkSession:
    """The embedded local session: context settings first, plugin packages and conf merged in."""
    from pyspark.sql import SparkSession

    merged = plugin_spark_settings()
    builder = SparkSession.builder.master(context.master).appName(context.app_name)
    conf: dict[str, str] = {
        "spark.sql.session.timeZone": "UTC",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.warehouse.dir": context.warehouse,
        "spark.sql.streaming.stopTimeout": "60000",
    }
    conf.update(merged.conf)
    for key, value in context.spark_conf.items():
        if key == "spark.sql.extensions" and key in conf:
            conf[key] = ",".join(dict.fromkeys([*conf[key].split(","), *value.split(",")]))
        else:
            conf[key] = value
    packages = list(merged.packages)
    if "spark.jars.packages" in conf:
        packages = list(dict.fromkeys([*conf["spark.jars.packages"].split(","), *packages]))
    if packages:
        conf["spark.jars.packages"] = ",".join(p for p in packages if p)
        if "spark.jars.ivySettings" not in conf:
            from tauro.ivy_settings import ivy_settings_file

            conf["spark.jars.ivySettings"] = ivy_settings_file()
    for key, value in conf.items():
        builder = builder.config(key, value)
    logger.info(
        "Starting embedded Spark {} ({}) with packages: {}",
        spark_version(),
        context.master,
        ", ".join(packages) or "none",
    )
    spark = builder.getOrCreate()
    prepare_session(spark)
    return spark


def is_connect_session(spark: Any) -> bool:
    return type(spark).__module__.startswith("pyspark.sql.connect")


def prepare_session(spark: SparkSession) -> None:
    """Call ``tauro_session_ready`` once per session Tauro uses (embedded or the user's)."""
    manager = get_plugin_manager()
    key = (id(manager), id(spark))
    with _prepared_lock:
        if key in _prepared_ids:
            return
        _prepared_ids.add(key)
    try:
        manager.hook.tauro_session_ready(spark=spark)
    except Exception:
        with _prepared_lock:
            _prepared_ids.discard(key)
        raise
