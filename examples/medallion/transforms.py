"""Transformations of the medallion demo, registered by name (``tauro run --import``)."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from tauro.streaming import TransformationRegistry


def clean_events(df: DataFrame) -> DataFrame:
    """Silver rows: the action trimmed and lower-case (the node's expectations check users and
    amounts)."""
    return df.withColumn("action", F.lower(F.trim("action"))).select(
        "event_id", "user_id", "action", "amount", "ts"
    )


def drop_repeated(df: DataFrame) -> DataFrame:
    """An event delivered twice is kept once (the stream remembers the ids it has seen)."""
    return df.dropDuplicates(["event_id"])


def totals_by_action(df: DataFrame) -> DataFrame:
    return df.groupBy("action").agg(
        F.count("*").alias("events"),
        F.max("ts").alias("last_event"),
        F.round(F.sum("amount"), 2).alias("amount"),
    )


TransformationRegistry.register("clean_events", clean_events)
TransformationRegistry.register("drop_repeated", drop_repeated)
TransformationRegistry.register("totals_by_action", totals_by_action)
