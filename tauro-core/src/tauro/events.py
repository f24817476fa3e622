"""Event objects passed to the lifecycle hooks. Frozen: observers cannot change them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import attrs

#: Keys of ``sources[].metrics`` that Spark's Kafka source reports (offsets behind the latest
#: available offset, over the source's partitions), in order of preference.
_OFFSETS_BEHIND_KEYS = ("maxOffsetsBehindLatest", "avgOffsetsBehindLatest")
#: Keys a Kinesis source may report (milliseconds behind the tip of the stream).
_MILLIS_BEHIND_KEYS = ("maxMsBehindLatest", "avgMsBehindLatest", "millisBehindLatest", "MillisBehindLatest")


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
    #: Rows the batch read, as Tauro counts them (right for Python data sources too, for which
    #: Spark's ``numInputRows`` is 0).
    input_rows: int = 0
    #: Rows the batch sent to the node's dead-letter sink (0 without one).
    dead_letters: int = 0

    @property
    def batch_id(self) -> int | None:
        value = self.progress.get("batchId")
        return int(value) if value is not None else None

    @property
    def batch_seconds(self) -> float | None:
        """How long the batch took (Spark's ``durationMs.triggerExecution``), in seconds."""
        value = (self.progress.get("durationMs") or {}).get("triggerExecution")
        return float(value) / 1000.0 if value is not None else None

    def source_lags(self) -> tuple[SourceLag, ...]:
        """How far each source is behind its latest data, where the source reports it."""
        found = (source_lag(s) for s in self.progress.get("sources") or () if isinstance(s, Mapping))
        return tuple(lag for lag in found if lag is not None)


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


@attrs.frozen(kw_only=True)
class NodeStatusChangedEvent:
    """A node of a pipeline moved from ``old_state`` to ``new_state``.

    States are those of a pipeline's ``query_statuses`` (``waiting``, ``starting``, ``running``,
    ``idle``, ``stalled``, ``restarting``, ``failed``, ``blocked``, ``completed``, ``stopped``);
    ``old_state`` is ``None`` for a node's first event. A move to ``restarting`` is a restart
    being scheduled; ``attempts`` counts the starts so far.
    """

    execution_id: str
    pipeline_name: str
    node_name: str
    old_state: str | None
    new_state: str
    attempts: int
    timestamp: float
    error: str | None = None


@attrs.frozen(kw_only=True)
class SourceLag:
    """How far one source of a query is behind its latest data, as Spark reports it.

    ``offsets_behind``: records not yet read (Kafka: the source's ``maxOffsetsBehindLatest``
    metric, else its ``latestOffset`` minus ``endOffset`` summed over partitions);
    ``millis_behind``: milliseconds behind the tip (a Kinesis source reporting
    ``MillisBehindLatest`` in its metrics or its ``latestOffset``). ``None`` when the source
    does not report it.
    """

    source: str
    offsets_behind: int | None = None
    millis_behind: float | None = None


def source_lag(source: Mapping[str, Any]) -> SourceLag | None:
    """The lag of one ``sources[]`` entry of Spark's progress, or ``None`` if it reports none."""
    metrics = source.get("metrics") or {}
    offsets = _first_number(metrics, _OFFSETS_BEHIND_KEYS)
    if offsets is None:
        offsets = _offset_difference(source.get("latestOffset"), source.get("endOffset"))
    millis = _first_number(metrics, _MILLIS_BEHIND_KEYS)
    if millis is None:
        # A Python data source has no metrics; it reports its lag in latestOffset instead.
        millis = _first_number(_as_mapping(source.get("latestOffset")) or {}, _MILLIS_BEHIND_KEYS)
    if offsets is None and millis is None:
        return None
    return SourceLag(
        source=str(source.get("description") or "source"),
        offsets_behind=None if offsets is None else max(int(offsets), 0),
        millis_behind=millis,
    )


def _first_number(metrics: Mapping[str, Any], keys: tuple[str, ...]) -> float | None:
    for key in keys:
        value = metrics.get(key)
        if value is None:
            continue
        try:
            return float(value)
        except (TypeError, ValueError):
            continue
    return None


def _offset_difference(latest: Any, end: Any) -> int | None:
    """Sum of ``latest - end`` over Kafka's ``{topic: {partition: offset}}`` offsets."""
    latest, end = _as_mapping(latest), _as_mapping(end)
    if latest is None or end is None:
        return None
    total, seen = 0, False
    for topic, partitions in latest.items():
        ends = end.get(topic)
        if not isinstance(partitions, Mapping) or not isinstance(ends, Mapping):
            continue
        for partition, offset in partitions.items():
            if isinstance(offset, int) and isinstance(ends.get(partition), int):
                total += max(offset - ends[partition], 0)
                seen = True
    return total if seen else None


def _as_mapping(value: Any) -> Mapping[str, Any] | None:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return value if isinstance(value, Mapping) else None
