"""Transformations of the demo pipeline, registered by name (``tauro run --import``)."""

from __future__ import annotations

from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from tauro.streaming import TransformationRegistry


def clean_events(df: DataFrame, config: dict[str, Any]) -> DataFrame:
    """Drop events without a user, normalise the action, keep amounts above a floor."""
    floor = float(config.get("min_amount", 0))
    return (
        df.where(F.col("user_id").isNotNull())
        .withColumn("action", F.lower(F.trim("action")))
        .where(F.col("amount") >= floor)
    )


def count_by_action(df: DataFrame) -> DataFrame:
    return (
        df.where(F.col("action").isNotNull())
        .groupBy("action")
        .agg(F.count("*").alias("events"), F.sum("amount").alias("amount"))
    )


TransformationRegistry.register("clean_events", clean_events)
TransformationRegistry.register("count_by_action", count_by_action)
