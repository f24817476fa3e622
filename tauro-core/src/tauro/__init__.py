"""Tauro: a declarative framework for Apache Spark Structured Streaming.

Plugin authors import from ``tauro.plugin`` (the whole plugin API); ``hookimpl`` and
``SparkSettings`` are also here, as the plugin contract names them.
"""

from __future__ import annotations

from loguru import logger

from tauro.plugin.markers import hookimpl, hookspec
from tauro.spark_settings import SparkSettings

__version__ = "0.1.0"

# A library stays quiet until its host enables it (the CLI does, see tauro.logging_setup).
logger.disable("tauro")

__all__ = ["SparkSettings", "__version__", "hookimpl", "hookspec"]
