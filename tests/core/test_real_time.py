"""Real-time mode in core: the trigger's rules, the plan's statefulness, slots, and health.

No broker and no running query: the Kafka -> Kafka behaviour is in tests/kafka/test_realtime.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from tauro.plugin.writers import apply_trigger
from tauro.streaming.exceptions import StreamingValidationError
from tauro.streaming.health_monitor import HealthState, QueryHealthMonitor
from tauro.streaming.real_time import stateful_operations, task_slots
from tauro.streaming.validators import StreamingValidator


def node(**streaming: Any) -> dict[str, Any]:
    return {
        "name": "rt",
        "input": {"format": "rate", "options": {"rowsPerSecond": "5"}},
        "output": {"format": "console"},
        "streaming": {"trigger": {"type": "real_time"}, "output_mode": "update", **streaming},
    }


def problems(config: dict[str, Any]) -> dict[str | None, str]:
    with pytest.raises(StreamingValidationError) as caught:
        StreamingValidator().validate_streaming_node_config(config)
    return {p.field: p.message for p in caught.value.problems}


def test_interval_must_be_a_duration_of_at_least_spark_minimum() -> None:
    found = problems(node(trigger={"type": "real_time", "interval": "1 second"}))
    assert "shorter than Spark's minimum real-time batch of 5 seconds" in found["streaming.trigger.interval"]
    found = problems(node(trigger={"type": "real_time", "interval": "soon"}))
    assert "streaming.trigger.interval" in found


def test_a_source_that_cannot_run_in_real_time_is_refused_naming_those_that_can() -> None:
    found = problems(node())
    assert set(found) == {"input.format"}
    assert "source 'rate' cannot run in real-time mode" in found["input.format"]
    assert "processing_time" in found["input.format"]


def test_output_mode_sink_dead_letters_and_expectations_are_refused_with_the_fix() -> None:
    config = node(output_mode="append")
    config["output"] = {"format": "memory", "table_name": "t"}
    config["input"] = {
        "format": "memory",
        "options": {"table_name": "src"},
        "parse_json": True,
        "json_schema": "id BIGINT",
        "dead_letter": {"format": "memory", "table_name": "dl"},
    }
    config["expectations"] = [{"name": "positive", "expr": "id > 0"}]
    found = problems(config)
    assert "set streaming.output_mode: update" in found["streaming.output_mode"]
    assert "sink 'memory' cannot run in real-time mode; sinks that can: console" in found["output.format"]
    assert "remove input.dead_letter" in found["input.dead_letter"]
    assert "move them to a node downstream" in found["expectations"]


def test_the_trigger_reaches_spark_as_real_time_with_spark_default_interval() -> None:
    class Writer:
        def trigger(self, **kwargs: Any) -> dict[str, Any]:
            return kwargs

    assert apply_trigger(Writer(), {"type": "real_time", "interval": None}) == {"realTime": "300 seconds"}  # type: ignore[arg-type]
    assert apply_trigger(Writer(), {"type": "real_time", "interval": "30s"}) == {"realTime": "30 seconds"}  # type: ignore[arg-type]


# Analyzed plans as Spark 4.2 prints them (``queryExecution().analyzed().treeString()``).
KAFKA = "~StreamingRelationV2 org.apache.spark.sql.kafka010.KafkaSourceProvider@1, kafka, [key#7, value#8]"
AGGREGATE = f"~Aggregate [partition#10], [partition#10, count(1) AS count#16L]\n+- {KAFKA}\n"
STREAM_STREAM = (
    "~Project [value#8]\n+- ~Join Inner, (value#8 = value#26)\n   :- ~SubqueryAlias a\n"
    f"   :  +- {KAFKA}\n   +- ~SubqueryAlias b\n      +- {KAFKA}\n"
)
STREAM_STATIC = (
    "~Project [value#8, id#14L]\n+- ~Join Inner, (value#8 = value#15)\n"
    f"   :- {KAFKA}\n   +- Project [id#14L]\n      +- Range (0, 100, step=1, splits=Some(2))\n"
)
STATELESS = f"~Project [value#8]\n+- ~Filter (offset#11L > 1)\n   +- {KAFKA}\n"


@pytest.mark.parametrize(
    ("plan", "expected"),
    [
        (AGGREGATE, ["an aggregation (groupBy/agg, count, a window)"]),
        (f"~Deduplicate [value#8]\n+- {KAFKA}\n", ["a deduplication (dropDuplicates)"]),
        (STREAM_STREAM, ["a join of two streams"]),
        (STREAM_STATIC, []),
        (STATELESS, []),
    ],
    ids=["aggregate", "dropDuplicates", "stream-stream join", "stream-static join", "stateless"],
)
def test_stateful_operations_are_found_in_the_analyzed_plan(plan: str, expected: list[str]) -> None:
    assert stateful_operations(plan) == expected


def test_task_slots_come_from_the_local_master(spark: Any) -> None:
    assert task_slots(spark) == (2, "master local[2]")


class RunningQuery:
    """A query whose real-time batch is open: trigger active, data available, no progress yet."""

    isActive = True
    lastProgress = None
    status = {"message": "Processing new data", "isDataAvailable": True, "isTriggerActive": True}

    def exception(self) -> None:
        return None


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_an_open_real_time_batch_is_not_a_stall_until_it_overruns_its_interval() -> None:
    clock = Clock()
    monitor = QueryHealthMonitor(RunningQuery(), "rt", timeout_seconds=60, batch_seconds=300, clock=clock)
    micro_batch = QueryHealthMonitor(RunningQuery(), "mb", timeout_seconds=60, clock=clock)
    assert monitor.check_health() == (True, None) and micro_batch.check_health() == (True, None)
    clock.now = 299.0
    assert monitor.check_health() == (True, None)
    assert micro_batch.check_health()[0] is False  # the same open batch stalls a micro-batch query
    snap = monitor.snapshot()
    assert (snap["state"], snap["batches"], snap["batch_open_seconds"]) == ("ACTIVE", 0, 299.0)
    assert snap["real_time_batch_seconds"] == 300.0
    clock.now = 361.0
    healthy, message = monitor.check_health()
    assert (healthy, monitor.state) == (False, HealthState.STALLED)
    assert message is not None and "longer than its 300s interval plus the 60s timeout" in message
    monitor.record_progress(
        {
            "runId": "r",
            "batchId": 0,
            "timestamp": "t0",
            "numInputRows": 5,
            "durationMs": {"addBatch": 300000, "triggerExecution": 300010},
        }
    )
    assert monitor.check_health() == (True, None)  # the batch ended: the clock starts again
