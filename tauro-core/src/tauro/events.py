"""Event objects passed to the lifecycle hooks. Frozen: observers cannot change them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs


@attrs.frozen(kw_only=True)
class QueryEvent:
    query_id: str
    run_id: str | None
    query_name: str | None
    node_name: str | None = None
    pipeline_name: str | None = None
    execution_id: str | None = None
    timestamp: float


@attrs.frozen(kw_only=True)
class QueryStartedEvent(QueryEvent):
    """A Tauro query started."""


@attrs.frozen(kw_only=True)
class QueryProgressEvent(QueryEvent):
    """A micro-batch finished; ``progress`` is Spark's progress as a dict.

    ``expectations``: for a node with expectations, per expectation name a mapping with
    ``action``, the batch's ``passed`` and ``failed`` rows, and ``total_passed`` /
    ``total_failed`` over every committed batch of the checkpoint; empty otherwise.
    """

    progress: Mapping[str, Any]
    expectations: Mapping[str, Mapping[str, Any]] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class QueryUnhealthyEvent(QueryEvent):
    """Health changed to a non-healthy state (``state`` is STALLED or FAILED) or a spike."""

    state: str
    message: str


@attrs.frozen(kw_only=True)
class QueryTerminatedEvent(QueryEvent):
    """A Tauro query terminated; ``exception`` is the redacted error text, if it failed."""

    exception: str | None = None


@attrs.frozen(kw_only=True)
class PipelineStatusChangedEvent:
    """A pipeline moved from ``old_status`` to ``new_status``.

    Also sent with ``old_status == new_status`` when a node fails while the pipeline goes on
    (``running`` with failures under ``on_failure: isolate``); ``failed_nodes`` and
    ``blocked_nodes`` are those of the status at that moment.
    """

    execution_id: str
    pipeline_name: str
    old_status: str | None
    new_status: str
    timestamp: float
    error: str | None = None
    failed_nodes: tuple[str, ...] = ()
    blocked_nodes: tuple[str, ...] = ()
