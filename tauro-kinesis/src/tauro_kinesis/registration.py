"""Register the ``kinesis`` Python data source with a SparkSession (once per session)."""

from __future__ import annotations

import threading
import weakref
from typing import TYPE_CHECKING

from loguru import logger

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

_registered: weakref.WeakSet[SparkSession] = weakref.WeakSet()
_lock = threading.Lock()


def register_kinesis_source(spark: SparkSession) -> None:
    """``spark.dataSource.register(KinesisDataSource)`` unless done for this session."""
    from tauro_kinesis.source import KinesisDataSource

    with _lock:
        if spark in _registered:
            return
        try:
            spark.dataSource.register(KinesisDataSource)
        except Exception as error:  # e.g. a Spark Connect server without Python data sources
            logger.warning("could not register the kinesis data source ({}); kinesis is unavailable", error)
            return
        _registered.add(spark)
