"""Validators for ``kafka`` inputs and outputs (no SparkSession, no broker needed).

Spark checks most of these only when the query starts (a failed query), and silently ignores
options it does not know; here every problem of a section is reported at once, with its field.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from tauro.plugin import Findings, find_option, is_dead_letter
from tauro_kafka.connection_checks import check_bootstrap, check_forbidden, check_known, check_security
from tauro_kafka.options import (
    BOOLEAN_OPTIONS,
    ENDING_OPTIONS,
    FORBIDDEN_CONSUMER,
    FORBIDDEN_PRODUCER,
    KEEP_METADATA,
    KEY_COLUMN,
    NON_NEGATIVE_INT_OPTIONS,
    POSITIVE_INT_OPTIONS,
    ROW_AS_JSON,
    SINK_OPTIONS,
    SOURCE_OPTIONS,
    SUBSCRIPTIONS,
    parse_keep_metadata,
)

#: Kafka's legal topic names (``Topic.validate``).
_TOPIC = re.compile(r"^[A-Za-z0-9._-]{1,249}$")
#: Spark's time strings for maxTriggerDelay: a number with an optional unit.
_TIME_STRING = re.compile(r"^\s*\d+\s*(us|ms|s|m|min|h|d)?\s*$", re.IGNORECASE)


def _json(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return None


def _check_topics(key: str, value: str, found: Findings) -> None:
    topics = [t.strip() for t in value.split(",")]
    for topic in topics:
        if not _TOPIC.match(topic) or topic in (".", ".."):
            found.error(
                f"options.{key}",
                f"'{topic}' is not a valid Kafka topic name (letters, digits, '.', '_', '-'; at most "
                "249); list topics separated by commas",
            )


def _check_assign(key: str, value: str, found: Findings) -> dict[str, set[int]] | None:
    parsed = _json(value)
    if not isinstance(parsed, dict) or not parsed:
        found.error(
            f"options.{key}",
            'must map each topic to its partitions, e.g. {"events": [0, 1]} (JSON, or a YAML mapping)',
        )
        return None
    assigned: dict[str, set[int]] = {}
    for topic, partitions in parsed.items():
        if (
            not isinstance(partitions, list)
            or not partitions
            or not all(isinstance(p, int) and not isinstance(p, bool) and p >= 0 for p in partitions)
        ):
            found.error(
                f"options.{key}.{topic}",
                f"must be a non-empty list of partition numbers (0, 1, ...), not {json.dumps(partitions)}",
            )
            continue
        _check_topics(f"{key}.{topic}", topic, found)
        assigned[topic] = set(partitions)
    return assigned


def _check_subscription(options: Mapping[str, Any], found: Findings) -> dict[str, set[int]] | None:
    given = [g for g in (find_option(options, name) for name in SUBSCRIPTIONS) if g is not None]
    if not given:
        found.error(
            "options.subscribe",
            "the source needs exactly one of subscribe (topics separated by commas), subscribePattern "
            "(a Java regex) or assign (topic -> partitions); none is set",
        )
        return None
    if len(given) > 1:
        found.error(
            f"options.{given[1][0]}",
            f"only one of subscribe, subscribePattern and assign may be set, but "
            f"{' and '.join(k for k, _ in given)} are; keep one",
        )
        return None
    key, value = given[0]
    kind = key.lower()
    if kind == "subscribe":
        _check_topics(key, value, found)
    elif kind == "subscribepattern":
        try:
            re.compile(value)
        except re.error as exc:
            found.error(f"options.{key}", f"'{value}' is not a valid regular expression: {exc}")
    else:
        return _check_assign(key, value, found)
    return None


def _check_per_partition(
    key: str, value: str, found: Findings, assigned: dict[str, set[int]] | None, what: str
) -> None:
    """startingOffsets / startingOffsetsByTimestamp as {topic: {partition: number}}."""
    parsed = _json(value)
    if not isinstance(parsed, dict) or not all(isinstance(v, dict) for v in parsed.values()):
        found.error(
            f"options.{key}",
            f"must be earliest, latest or per-partition {what} as JSON (or a YAML mapping), e.g. "
            '{"events": {"0": 42, "1": -2}} (-2 = earliest, -1 = latest)'
            if what == "offsets"
            else f"must be per-partition {what} as JSON (or a YAML mapping), e.g. "
            '{"events": {"0": 1700000000000}}',
        )
        return
    low = -2 if what == "offsets" else 0
    given: dict[str, set[int]] = {}
    for topic, partitions in parsed.items():
        given[topic] = set()
        for partition, number in partitions.items():
            if not str(partition).isdigit() or not isinstance(number, int) or number < low:
                found.error(
                    f"options.{key}.{topic}",
                    f"partition '{partition}': {number!r} is not a valid {what[:-1]}; use a whole "
                    f"number >= {low}" + (" (-2 earliest, -1 latest)" if what == "offsets" else ""),
                )
            else:
                given[topic].add(int(partition))
    if assigned is not None and given != assigned:
        expected = json.dumps({t: sorted(p) for t, p in assigned.items()})
        found.error(
            f"options.{key}",
            f"must name exactly the assigned partitions ({expected}); "
            "Spark needs a starting point for every assigned partition",
        )


def _check_starting(
    options: Mapping[str, Any], found: Findings, assigned: dict[str, set[int]] | None
) -> None:
    offsets = find_option(options, "startingOffsets")
    if offsets and offsets[1].strip().lower() not in ("earliest", "latest"):
        _check_per_partition(offsets[0], offsets[1], found, assigned, "offsets")
    by_time = find_option(options, "startingOffsetsByTimestamp")
    if by_time:
        _check_per_partition(by_time[0], by_time[1], found, assigned, "timestamps")
    timestamp = find_option(options, "startingTimestamp")
    given = [g[0] for g in (offsets, by_time, timestamp) if g is not None]
    if len(given) > 1:
        found.warn(
            f"{' and '.join(given)} are all set; Spark uses startingTimestamp first, then "
            "startingOffsetsByTimestamp, then startingOffsets"
        )
    strategy = find_option(options, "startingOffsetsByTimestampStrategy")
    if strategy and strategy[1].strip().lower() not in ("error", "latest"):
        found.error(f"options.{strategy[0]}", f"'{strategy[1]}' is not a strategy; use error or latest")


def _check_scalars(options: Mapping[str, Any], found: Findings) -> None:
    for key, value in options.items():
        name, text = key.lower(), str(value).strip()
        if name in BOOLEAN_OPTIONS and text.lower() not in ("true", "false"):
            found.error(f"options.{key}", f"must be true or false, not '{value}'")
        if name in POSITIVE_INT_OPTIONS and not (text.isdigit() and int(text) > 0):
            found.error(f"options.{key}", f"must be a positive whole number, not '{value}'")
        if name in NON_NEGATIVE_INT_OPTIONS and not text.isdigit():
            found.error(f"options.{key}", f"must be a whole number >= 0, not '{value}'")
    delay = find_option(options, "maxTriggerDelay")
    if delay and not _TIME_STRING.match(delay[1]):
        found.error(
            f"options.{delay[0]}",
            f"'{delay[1]}' is not a duration Spark understands; use e.g. '15m', '30s' or '500ms'",
        )
    low, high = find_option(options, "minOffsetsPerTrigger"), find_option(options, "maxOffsetsPerTrigger")
    if low and high and low[1].isdigit() and high[1].isdigit() and int(low[1]) > int(high[1]):
        found.error(f"options.{low[0]}", f"({low[1]}) must not exceed maxOffsetsPerTrigger ({high[1]})")


def _check_keep_metadata(section: Mapping[str, Any], found: Findings) -> None:
    given = find_option(section["options"], KEEP_METADATA)
    if given is None:
        return
    try:
        kept = parse_keep_metadata(given[1])
    except ValueError as exc:
        found.error(f"options.{given[0]}", f"{exc} (a list, or true for all but headers)")
        return
    if not section.get("parse_json"):
        found.warn(f"{given[0]} is ignored without parse_json: every Kafka column is already there")
        return
    fields = {str(f["name"]) for f in (section.get("json_schema") or {}).get("fields", ())}
    for column in kept:
        if column in fields:
            found.error(
                f"options.{given[0]}",
                f"keeps the Kafka column '{column}', but json_schema has a field '{column}' too; rename "
                "that field or stop keeping the column",
            )


def validate_kafka_input(section: Mapping[str, Any], node: Mapping[str, Any]) -> list[str]:
    """Validate a ``kafka`` input section."""
    found = Findings()
    options = section["options"]
    check_bootstrap(options, found)
    assigned = _check_subscription(options, found)
    _check_starting(options, found, assigned)
    for key in options:
        if key.lower() in ENDING_OPTIONS:
            found.error(
                f"options.{key}",
                "is for batch reads only: a stream has no end. To process what is there and stop, "
                "use streaming.trigger: {type: available_now}",
            )
    _check_scalars(options, found)
    check_forbidden(options, FORBIDDEN_CONSUMER, found)
    if find_option(options, "kafka.group.id"):
        found.warn(
            "kafka.group.id makes concurrent queries (and restarts while the old consumer lingers) "
            "share a consumer group and steal each other's partitions; prefer groupIdPrefix"
        )
    check_security(options, found)
    check_known(options, (*SOURCE_OPTIONS, *ENDING_OPTIONS, KEEP_METADATA), found, "source")
    _check_keep_metadata(section, found)
    if section.get("schema") is not None:
        found.error(
            "schema",
            "Kafka records have a fixed schema (key, value, topic, partition, offset, timestamp, ...); "
            "to turn JSON values into columns use parse_json with json_schema",
        )
    for ignored in ("path", "table_name"):
        if section.get(ignored):
            found.warn(f"{ignored} is ignored by the Kafka source; name topics in options.subscribe")
    return found.result()


def validate_kafka_output(section: Mapping[str, Any], node: Mapping[str, Any]) -> list[str]:
    """Validate a ``kafka`` output (or dead-letter) section."""
    found = Findings()
    options = section["options"]
    check_bootstrap(options, found)
    topic = find_option(options, "topic")
    if topic is not None:
        _check_topics(topic[0], topic[1], found)
        if "," in topic[1]:
            found.error(f"options.{topic[0]}", "names one topic; to route rows, give them a 'topic' column")
    elif is_dead_letter(section, node):
        found.error("options.topic", "is required for a dead-letter sink: the topic bad records go to")
    else:
        found.warn("options.topic is not set: every row written must carry a 'topic' column")
    key_column = find_option(options, KEY_COLUMN)
    if key_column is not None and not key_column[1].strip():
        found.error(f"options.{key_column[0]}", "must name the column whose value becomes the record key")
    _check_scalars(options, found)
    check_forbidden(options, FORBIDDEN_PRODUCER, found)
    check_security(options, found)
    check_known(options, (*SINK_OPTIONS, KEY_COLUMN, ROW_AS_JSON), found, "sink")
    if section.get("partition_by"):
        found.error(
            "partition_by",
            "does not apply to Kafka; the record key decides the Kafka partition (set options.key_column)",
        )
    for ignored in ("path", "table_name"):
        if section.get(ignored):
            found.warn(f"{ignored} is ignored by the Kafka sink; set options.topic")
    return found.result()
