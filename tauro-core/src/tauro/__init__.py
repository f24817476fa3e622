"""Tauro: a declarative framework for Apache Spark Structured Streaming.

Public names for plugin authors: ``hookimpl`` (the pluggy marker for ``tauro_*`` hooks) and
``SparkSettings`` (what a plugin needs in the Spark session).
"""

from __future__ import annotations

import pluggy
from loguru import logger

from tauro.spark_settings import SparkSettings

__version__ = "0.1.0"

hookimpl = pluggy.HookimplMarker("tauro")
hookspec = pluggy.HookspecMarker("tauro")

# A library stays quiet until its host enables it (the CLI does, see tauro.logging_bridge).
logger.disable("tauro")

__all__ = ["SparkSettings", "__version__", "hookimpl", "hookspec"]
