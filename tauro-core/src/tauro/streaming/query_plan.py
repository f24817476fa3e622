"""Planning a node's query: everything decided before anything starts, without Spark.

``plan_query`` is a pure step (no session, no lock, no file written): the query name, the
checkpoint location, and the options each reader and writer receives. The query manager then
prepares the session, runs the preflight checks and starts the plan.
"""

from __future__ import annotations

import re
from typing import Any

import attrs

from tauro.checkpoints import resolve_checkpoint
from tauro.config.names import BOUNDED_TRIGGERS, REAL_TIME_DEFAULT_INTERVAL, StreamingTrigger
from tauro.durations import parse_duration
from tauro.streaming.query_build import reader_options, writer_options
from tauro.validation.report import ValidatedNode

_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9_]")


def default_query_name(node_name: str, pipeline_name: str | None) -> str:
    """``<pipeline>__<node>`` reduced to ``[A-Za-z0-9_]`` (Spark's memory sink rejects dots)."""
    raw = f"{pipeline_name}__{node_name}" if pipeline_name else node_name
    return _UNSAFE_NAME.sub("_", raw)


@attrs.frozen(kw_only=True)
class QueryPlan:
    """What starting one node will do."""

    node: ValidatedNode
    pipeline_name: str | None
    query_name: str
    checkpoint: str
    #: What the reader's ``read`` and ``preflight`` receive.
    reader_options: dict[str, Any]
    #: What the writer's ``write`` (beside the reserved keywords) and ``preflight`` receive.
    writer_options: dict[str, Any]
    #: The dead-letter writer's options, or None for a node without ``input.dead_letter``.
    dead_letter_options: dict[str, Any] | None
    #: ``trigger``, ``output_mode``, ``checkpoint_location``, ``query_name`` and, when the node
    #: sets ``streaming.options``, ``query_options`` for ``write``.
    reserved: dict[str, Any]
    bounded: bool
    #: A real-time query's batch length (its trigger interval) in seconds; None in micro-batch
    #: mode. Its batches stay open this long by design, which health monitoring allows for.
    real_time_seconds: float | None = None

    @property
    def input_format(self) -> str:
        return str(self.node.normalized["input"]["format"])

    @property
    def output_format(self) -> str:
        return str(self.node.normalized["output"]["format"])

    @property
    def dead_letter_format(self) -> str | None:
        dead_letter = self.node.normalized["input"].get("dead_letter")
        return str(dead_letter["format"]) if dead_letter else None


def plan_query(
    node: ValidatedNode, pipeline_name: str | None, *, checkpoint_base: str, output_path: str | None
) -> QueryPlan:
    """The plan of a validated node's query (raises ``StreamingValidationError`` only for a
    checkpoint given twice with different values, which validation reports first)."""
    section, output = node.normalized["input"], node.normalized["output"]
    streaming = node.normalized["streaming"]
    query_name = streaming.get("query_name") or default_query_name(node.name, pipeline_name)
    checkpoint = resolve_checkpoint(
        node.name,
        pipeline_name,
        streaming.get("checkpoint_location"),
        output["options"].get("checkpointLocation"),
        checkpoint_base,
    )
    dead_letter = section.get("dead_letter")
    return QueryPlan(
        node=node,
        pipeline_name=pipeline_name,
        query_name=query_name,
        checkpoint=checkpoint,
        reader_options=reader_options(section),
        writer_options=writer_options(output, output_path),
        dead_letter_options=writer_options(dead_letter, output_path) if dead_letter else None,
        reserved={
            "trigger": streaming["trigger"],
            "output_mode": streaming["output_mode"],
            "checkpoint_location": checkpoint,
            "query_name": query_name,
            # Only when set, so a writer that overrides ``write`` never sees an unknown keyword.
            **({"query_options": dict(streaming["options"])} if streaming.get("options") else {}),
        },
        bounded=streaming["trigger"].get("type") in BOUNDED_TRIGGERS,
        real_time_seconds=_real_time_seconds(streaming["trigger"]),
    )


def _real_time_seconds(trigger: dict[str, Any]) -> float | None:
    if trigger.get("type") != StreamingTrigger.REAL_TIME:
        return None
    return parse_duration(trigger.get("interval") or REAL_TIME_DEFAULT_INTERVAL)
