"""Real-time mode checks that need Spark, run after the stream is built and before it starts.

Spark 4.2 refuses a stateful real-time query only once it is running (the query fails when its
first batch is planned), and runs one with too few task slots without complaint: the tasks
that find no slot wait for the batch's end, so their records are late by the whole interval.
Both are refused here with what to change. The checks read the analyzed logical plan (the
physical plan of a streaming DataFrame exists only after ``start()``) and the session's cores.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

from loguru import logger

from tauro.errors import StreamingValidationError
from tauro.plugin.readers import BaseStreamingReader
from tauro.session import is_connect_session

__all__ = ["check_real_time_query", "stateful_operations", "task_slots"]

#: Streaming logical operators that keep state between records, with what a user wrote.
STATEFUL_OPERATORS: Mapping[str, str] = {
    "Aggregate": "an aggregation (groupBy/agg, count, a window)",
    "Distinct": "a distinct()",
    "Deduplicate": "a deduplication (dropDuplicates)",
    "DeduplicateWithinWatermark": "a deduplication (dropDuplicatesWithinWatermark)",
    "FlatMapGroupsWithState": "arbitrary state (mapGroupsWithState, flatMapGroupsWithState)",
    "FlatMapGroupsInPandasWithState": "arbitrary state (applyInPandasWithState)",
    "TransformWithState": "arbitrary state (transformWithState)",
    "TransformWithStateInPySpark": "arbitrary state (transformWithState)",
    "TransformWithStateInPandas": "arbitrary state (transformWithStateInPandas)",
    "GlobalLimit": "a limit (limit, head), which counts rows across batches",
    "Sort": "a sort (orderBy, sort)",
    "Window": "a window function (over(...))",
}
_LINE = re.compile(r"^(?P<indent>[\s:|+\-]*)(?P<streaming>~?)(?P<name>\w+)")
_LOCAL = re.compile(r"^local(?:\[(?P<cores>\*|\d+)(?:,\s*\d+)?\])?$")
_LOCAL_CLUSTER = re.compile(r"^local-cluster\[(?P<workers>\d+),\s*(?P<cores>\d+),\s*\d+\]$")


def _analyzed_plan(df: Any) -> str | None:
    """The analyzed logical plan's tree, or None when it cannot be read (then nothing is checked)."""
    jdf = getattr(df, "_jdf", None)
    if jdf is not None:
        return str(jdf.queryExecution().analyzed().treeString())
    explain = getattr(df, "_explain_string", None)  # Spark Connect
    if explain is None:
        return None
    text = str(explain(extended=True))
    match = re.search(r"== Analyzed Logical Plan ==\n(?:.*\n)??(?P<tree>(?:.+\n?)+?)\n== ", text)
    return match["tree"] if match else None


def stateful_operations(plan: str) -> list[str]:
    """What in an analyzed plan's tree keeps state: stateful streaming operators, and joins of
    two streams (a stream joined with a static table is stateless)."""
    nodes = []
    for line in plan.splitlines():
        match = _LINE.match(line)
        if match:
            nodes.append((len(match["indent"]) // 3, bool(match["streaming"]), match["name"]))
    found: list[str] = []
    for index, (_, streaming, name) in enumerate(nodes):
        if not streaming:
            continue
        what = STATEFUL_OPERATORS.get(name)
        if what is None and name == "Join" and _streaming_children(nodes, index) >= 2:
            what = "a join of two streams"
        if what is not None and what not in found:
            found.append(what)
    return found


def _streaming_children(nodes: list[tuple[int, bool, str]], index: int) -> int:
    """How many children of node ``index`` read a stream (hold a streaming relation)."""
    depth = nodes[index][0]
    children: list[bool] = []
    for child_depth, _, name in nodes[index + 1 :]:
        if child_depth <= depth:
            break
        if child_depth == depth + 1:
            children.append(False)
        if children and name.startswith(("StreamingRelation", "StreamingDataSourceV2")):
            children[-1] = True
    return sum(children)


def task_slots(spark: Any) -> tuple[int, str] | None:
    """(tasks the session runs at once, where that number comes from); None over Spark Connect."""
    if is_connect_session(spark):
        return None
    context = spark.sparkContext
    master = str(context.master)
    task_cpus = max(int(context.getConf().get("spark.task.cpus", "1")), 1)
    if match := _LOCAL.match(master):
        given = match["cores"]
        cores = (os.cpu_count() or 1) if given == "*" else int(given or 1)
        source = f"master {master}"
    elif match := _LOCAL_CLUSTER.match(master):
        cores = int(match["workers"]) * int(match["cores"])
        source = f"master {master}"
    else:
        cores = int(context.defaultParallelism)
        source = f"the {cores} cores Spark reports for master {master}"
    if task_cpus > 1:
        source += f", spark.task.cpus={task_cpus}"
    return cores // task_cpus, source


def check_real_time_query(
    df: Any, spark: Any, reader: BaseStreamingReader, reader_options: Mapping[str, Any], node_name: str
) -> None:
    """Refuse a real-time query that keeps state or has fewer task slots than source partitions."""
    plan = _analyzed_plan(df)
    if plan is None:
        logger.warning("Node '{}': cannot read the query plan; statelessness is unchecked", node_name)
    elif stateful := stateful_operations(plan):
        raise StreamingValidationError(
            f"real-time mode in Spark 4.2 runs stateless queries only (projections, filters, "
            f"unions, joins with static tables), and this node's query has {', '.join(stateful)}: "
            "remove it from the transforms or function, or use trigger type processing_time",
            field="transforms",
            node_name=node_name,
            operation="preflight",
            actual=", ".join(stateful),
        )
    partitions = reader.source_partitions(spark, **dict(reader_options))
    slots = task_slots(spark)
    if partitions is None or slots is None:
        logger.warning(
            "Node '{}': cannot count {}; real-time mode needs a task slot for every source partition",
            node_name,
            "the source's partitions" if partitions is None else "the session's task slots",
        )
        return
    available, source = slots
    if partitions > available:
        raise StreamingValidationError(
            f"real-time mode runs a task for each of the source's {partitions} partitions at once, "
            f"for the whole batch, and this session has {available} task slots ({source}); tasks "
            f"without a slot would wait until the batch ends. Give Spark at least {partitions} "
            f"cores (e.g. master local[{partitions}], or more executor cores), read fewer "
            "partitions, or use trigger type processing_time",
            field="input",
            node_name=node_name,
            operation="preflight",
            expected=f">= {partitions} task slots",
            actual=str(available),
        )
