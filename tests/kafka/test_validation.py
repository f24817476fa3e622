"""Every kafka validation rule, through core's validator (no SparkSession, no broker)."""

from __future__ import annotations

from typing import Any

import pytest

from tauro.streaming.constants import STREAMING_FORMAT_CONFIGS
from tauro.streaming.exceptions import StreamingValidationError
from tauro.streaming.validators import StreamingValidator

BROKERS = "broker1:9092,broker2:9092"
JAAS = (
    'org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="hunter2-secret";'
)


def source(options: dict[str, Any] | None = None, drop: tuple[str, ...] = (), **extra: Any) -> dict[str, Any]:
    given = {"kafka.bootstrap.servers": BROKERS, "subscribe": "events", **(options or {})}
    for key in drop:
        given.pop(key)
    return {"format": "kafka", "options": given, **extra}


def sink(options: dict[str, Any] | None = None, drop: tuple[str, ...] = (), **extra: Any) -> dict[str, Any]:
    given = {"kafka.bootstrap.servers": BROKERS, "topic": "actions", **(options or {})}
    for key in drop:
        given.pop(key)
    return {"format": "kafka", "options": given, **extra}


def node(input_section: dict[str, Any] | None = None, output: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": "n",
        "input": input_section or source(),
        "output": output or {"format": "memory", "table_name": "out"},
        "streaming": {"trigger": {"type": "processing_time", "interval": "5 seconds"}},
    }


def report(spec: dict[str, Any]) -> Any:
    return StreamingValidator().check_node(spec, require_output=True)


def problems(spec: dict[str, Any]) -> dict[str, str]:
    return {p.field or "": p.message for p in report(spec).problems}


def only_problem(spec: dict[str, Any]) -> tuple[str, str]:
    found = problems(spec)
    assert len(found) == 1, found
    return next(iter(found.items()))


def test_the_seed_example_is_valid_and_the_format_is_registered() -> None:
    seed = source(
        {"startingOffsets": "latest", "failOnDataLoss": "false"}, parse_json=True, json_schema="id INT"
    )
    assert report(node(seed)).problems == []
    assert report(node(output=sink())).problems == []
    assert STREAMING_FORMAT_CONFIGS["kafka"]["required_options"] == ["kafka.bootstrap.servers"]
    assert STREAMING_FORMAT_CONFIGS["kafka"]["reader"] is True
    assert STREAMING_FORMAT_CONFIGS["kafka"]["writer"] is True


SOURCE_CASES = [
    # (id, the input section, field, part of the message)
    ("no-brokers", source(drop=("kafka.bootstrap.servers",)), "kafka.bootstrap.servers", "is required"),
    (
        "bad-broker",
        source({"kafka.bootstrap.servers": "broker1"}),
        "kafka.bootstrap.servers",
        "not host:port",
    ),
    ("bad-port", source({"kafka.bootstrap.servers": "b:99999"}), "kafka.bootstrap.servers", "not host:port"),
    ("no-subscription", source(drop=("subscribe",)), "subscribe", "exactly one of subscribe"),
    ("two-subscriptions", source({"subscribePattern": "ev.*"}), "subscribePattern", "only one of"),
    ("bad-topic", source({"subscribe": "ev ents"}), "subscribe", "not a valid Kafka topic name"),
    (
        "bad-pattern",
        source({"subscribe": None, "subscribePattern": "ev(("}, drop=("subscribe",)),
        "subscribePattern",
        "not a valid regular expression",
    ),
    (
        "assign-not-mapping",
        source({"assign": "events"}, drop=("subscribe",)),
        "assign",
        "must map each topic",
    ),
    (
        "assign-bad-partitions",
        source({"assign": {"events": [0, -1]}}, drop=("subscribe",)),
        "assign.events",
        "non-empty list of partition numbers",
    ),
    ("offsets-word", source({"startingOffsets": "beginning"}), "startingOffsets", "earliest, latest or"),
    (
        "offsets-bad-number",
        source({"startingOffsets": {"events": {"0": -5}}}),
        "startingOffsets.events",
        "not a valid offset",
    ),
    (
        "offsets-not-assigned",
        source({"assign": {"events": [0, 1]}, "startingOffsets": {"events": {"0": 1}}}, drop=("subscribe",)),
        "startingOffsets",
        "exactly the assigned partitions",
    ),
    (
        "by-timestamp",
        source({"startingOffsetsByTimestamp": {"events": {"0": "yesterday"}}}),
        "startingOffsetsByTimestamp.events",
        "not a valid timestamp",
    ),
    (
        "timestamp-strategy",
        source({"startingOffsetsByTimestampStrategy": "earliest"}),
        "startingOffsetsByTimestampStrategy",
        "use error or latest",
    ),
    ("ending-offsets", source({"endingOffsets": "latest"}), "endingOffsets", "batch reads only"),
    ("ending-timestamp", source({"endingTimestamp": 1700000000000}), "endingTimestamp", "batch reads only"),
    ("fail-on-data-loss", source({"failOnDataLoss": "no"}), "failOnDataLoss", "true or false"),
    ("include-headers", source({"includeHeaders": "yes"}), "includeHeaders", "true or false"),
    ("max-offsets", source({"maxOffsetsPerTrigger": 0}), "maxOffsetsPerTrigger", "positive whole number"),
    (
        "min-over-max",
        source({"minOffsetsPerTrigger": 10, "maxOffsetsPerTrigger": 5}),
        "minOffsetsPerTrigger",
        "must not exceed",
    ),
    (
        "poll-timeout",
        source({"kafkaConsumer.pollTimeoutMs": "1s"}),
        "kafkaConsumer.pollTimeoutMs",
        "positive whole number",
    ),
    ("retries", source({"fetchOffset.numRetries": -1}), "fetchOffset.numRetries", "whole number >= 0"),
    ("trigger-delay", source({"maxTriggerDelay": "soon"}), "maxTriggerDelay", "not a duration"),
    (
        "auto-offset-reset",
        source({"kafka.auto.offset.reset": "earliest"}),
        "kafka.auto.offset.reset",
        "use startingOffsets",
    ),
    ("deserializer", source({"kafka.value.deserializer": "x.Y"}), "kafka.value.deserializer", "not allowed"),
    ("auto-commit", source({"kafka.enable.auto.commit": True}), "kafka.enable.auto.commit", "checkpoint"),
    ("typo", source({"startingOffset": "earliest"}), "startingOffset", "did you mean 'startingOffsets'"),
    ("unknown", source({"compression": "gzip"}), "compression", "prefix 'kafka.'"),
    (
        "bad-protocol",
        source({"kafka.security.protocol": "TLS"}),
        "kafka.security.protocol",
        "not a Kafka security protocol",
    ),
    (
        "sasl-without-sasl",
        source({"kafka.sasl.mechanism": "PLAIN"}),
        "kafka.sasl.mechanism",
        "only used with SASL",
    ),
    (
        "sasl-without-jaas",
        source({"kafka.security.protocol": "SASL_SSL", "kafka.sasl.mechanism": "SCRAM-SHA-512"}),
        "kafka.sasl.jaas.config",
        "is required for SASL mechanism SCRAM-SHA-512",
    ),
    (
        "gssapi-without-service",
        source({"kafka.security.protocol": "SASL_PLAINTEXT"}),
        "kafka.sasl.kerberos.service.name",
        "GSSAPI",
    ),
    (
        "keep-unknown",
        source({"keep_metadata": ["key", "size"]}, parse_json=True, json_schema="id INT"),
        "keep_metadata",
        "'size' is not a Kafka column",
    ),
    (
        "keep-clash",
        source({"keep_metadata": ["key"]}, parse_json=True, json_schema="id INT, key STRING"),
        "keep_metadata",
        "json_schema has a field 'key'",
    ),
]


@pytest.mark.parametrize(
    ("section", "field", "message"), [c[1:] for c in SOURCE_CASES], ids=[c[0] for c in SOURCE_CASES]
)
def test_source_rule(section: dict[str, Any], field: str, message: str) -> None:
    section["options"] = {k: v for k, v in section["options"].items() if v is not None}
    found_field, found_message = only_problem(node(section))
    assert found_field == f"input.options.{field}"
    assert message in found_message


def test_schema_is_refused_for_kafka() -> None:
    assert only_problem(node(source(schema="id INT"))) == (
        "input.schema",
        "Kafka records have a fixed schema (key, value, topic, partition, offset, timestamp, ...); "
        "to turn JSON values into columns use parse_json with json_schema",
    )


def test_every_source_problem_is_reported_at_once() -> None:
    section = source({"subscribe": "a b", "failOnDataLoss": "maybe", "endingOffsets": "latest"})
    section["options"].pop("kafka.bootstrap.servers")
    assert set(problems(node(section))) == {
        "input.options.kafka.bootstrap.servers",
        "input.options.subscribe",
        "input.options.failOnDataLoss",
        "input.options.endingOffsets",
    }


@pytest.mark.parametrize(
    ("options", "warning"),
    [
        ({"kafka.group.id": "g"}, "prefer groupIdPrefix"),
        ({"keep_metadata": True}, "ignored without parse_json"),
        ({"kafka.ssl.truststore.location": "/t.jks"}, "does not use TLS"),
        ({"startingOffsets": "earliest", "startingTimestamp": 1}, "Spark uses startingTimestamp first"),
        (
            {
                "kafka.security.protocol": "SASL_SSL",
                "kafka.sasl.mechanism": "AWS_MSK_IAM",
                "kafka.sasl.jaas.config": "x required;",
            },
            "custom login module",
        ),
    ],
)
def test_source_warnings(options: dict[str, Any], warning: str) -> None:
    result = report(node(source(options)))
    assert result.problems == []
    assert any(warning in w for w in result.warnings), result.warnings


SINK_CASES = [
    ("no-brokers", sink(drop=("kafka.bootstrap.servers",)), "options.kafka.bootstrap.servers", "is required"),
    ("two-topics", sink({"topic": "a,b"}), "options.topic", "names one topic"),
    ("bad-topic", sink({"topic": "a/b"}), "options.topic", "not a valid Kafka topic name"),
    ("empty-key-column", sink({"key_column": " "}), "options.key_column", "must name the column"),
    ("serializer", sink({"kafka.key.serializer": "x.Y"}), "options.kafka.key.serializer", "not allowed"),
    ("headers", sink({"includeHeaders": "1"}), "options.includeHeaders", "true or false"),
    ("unknown", sink({"subscribe": "events"}), "options.subscribe", "not an option of the Kafka sink"),
    ("partition-by", sink(partition_by=["id"]), "partition_by", "record key decides"),
    (
        "sasl",
        sink({"kafka.security.protocol": "SASL_SSL", "kafka.sasl.mechanism": "PLAIN"}),
        "options.kafka.sasl.jaas.config",
        "is required for SASL mechanism PLAIN",
    ),
]


@pytest.mark.parametrize(
    ("section", "field", "message"), [c[1:] for c in SINK_CASES], ids=[c[0] for c in SINK_CASES]
)
def test_sink_rule(section: dict[str, Any], field: str, message: str) -> None:
    found_field, found_message = only_problem(node(output=section))
    assert found_field == f"output.{field}"
    assert message in found_message


def test_a_sink_without_topic_warns_that_rows_need_one_but_a_dead_letter_sink_needs_it() -> None:
    result = report(node(output=sink(drop=("topic",))))
    assert result.problems == []
    assert any("'topic' column" in w for w in result.warnings)
    dead = sink(drop=("topic",))
    with_dead = source(parse_json=True, json_schema="id INT", dead_letter=dead)
    assert only_problem(node(with_dead)) == (
        "input.dead_letter.options.topic",
        "is required for a dead-letter sink: the topic bad records go to",
    )


def test_secrets_never_appear_in_validation_errors() -> None:
    options = {
        "kafka.security.protocol": "SASL_SSL",
        "kafka.sasl.mechanism": "PLAIN",
        "kafka.sasl.jaas.config": JAAS,
        "kafka.ssl.truststore.password": "trust-me-secret",
        "startingOffset": "earliest",  # the one problem
    }
    with pytest.raises(StreamingValidationError) as info:
        StreamingValidator().validate_streaming_node_config(node(source(options)))
    text = f"{info.value}\n{info.value.context}\n{[p.context for p in info.value.problems]}"
    assert "did you mean 'startingOffsets'" in text
    assert "hunter2-secret" not in text
    assert "trust-me-secret" not in text
