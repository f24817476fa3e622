from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tauro.streaming.exceptions import (
    StreamingPipelineError,
    StreamingValidationError,
)
from tauro.streaming.transformations import TransformationRegistry
from tauro.streaming.validators import StreamingValidator

from . import fake_families

#: Real families whose formats the fakes stand in for (core's tests check core's mechanism).
STOOD_IN_FOR = {"kafka": "tauro_kafka.plugin", "delta": "tauro_delta.plugin"}


@pytest.fixture
def families(plugin_manager: Any) -> Iterator[None]:
    """The fake kafka/delta_stream validators; a real family installed alongside steps aside."""
    import importlib

    stepped_aside = [name for name in STOOD_IN_FOR if name in plugin_manager.plugins]
    for name in stepped_aside:
        plugin_manager.unregister(name)
    plugin_manager.register(fake_families, "fake_families")
    try:
        yield
    finally:
        plugin_manager.unregister("fake_families")
        for name in stepped_aside:
            plugin_manager.register(importlib.import_module(STOOD_IN_FOR[name]), name)


@pytest.fixture
def validator() -> StreamingValidator:
    return StreamingValidator()


def node(name: str = "n", **overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": name,
        "input": {"format": "rate", "options": {"rowsPerSecond": "5"}},
        "output": {"format": "console"},
        "streaming": {"trigger": {"type": "processing_time", "interval": "10 seconds"}},
    }
    base.update(overrides)
    return base


def fields(error: StreamingValidationError) -> list[str | None]:
    return [p.field for p in error.problems]


# -- the seed's validation examples ---------------------------------------------------------------
def test_seed_valid_kafka_config(validator: StreamingValidator, families: None) -> None:
    config = {
        "name": "test",
        "input": {
            "format": "kafka",
            "options": {"kafka.bootstrap.servers": "broker:9092", "subscribe": "topic"},
        },
    }
    validator.validate_streaming_node_config(config)


def test_seed_invalid_kafka_missing_server(validator: StreamingValidator, families: None) -> None:
    config = {"name": "test", "input": {"format": "kafka", "options": {}}}
    with pytest.raises(StreamingValidationError) as info:
        validator.validate_streaming_node_config(config)
    assert info.value.field == "input.options.kafka.bootstrap.servers"
    assert info.value.context["node_name"] == "test"


def test_seed_kafka_conflicting_subscriptions(validator: StreamingValidator, families: None) -> None:
    config = {
        "name": "k",
        "input": {
            "format": "kafka",
            "options": {"kafka.bootstrap.servers": "b:9092", "subscribe": "t", "subscribePattern": "t.*"},
        },
    }
    with pytest.raises(StreamingValidationError, match="exactly one of"):
        validator.validate_streaming_node_config(config)


@pytest.mark.parametrize("fmt", ["delta_stream", "file_stream"])
def test_seed_path_required(validator: StreamingValidator, families: None, fmt: str) -> None:
    with pytest.raises(StreamingValidationError) as info:
        validator.validate_streaming_node_config({"name": "x", "input": {"format": fmt}})
    assert info.value.field == "input.path"
    validator.validate_streaming_node_config({"name": "x", "input": {"format": fmt, "path": "/data/t"}})


@pytest.mark.parametrize(
    "trigger",
    [
        {"type": "processing_time", "interval": "10 seconds"},
        {"type": "processing_time", "interval": "5 minutes"},
        {"type": "processing_time", "interval": "30s"},
        {"type": "processing_time", "interval": "1 hour"},
        {"type": "once"},
        {"type": "available_now"},
        {"type": "continuous", "interval": "1 second"},
        {"type": "processing_time", "interval": "0 seconds"},  # as fast as possible
    ],
)
def test_seed_valid_triggers(validator: StreamingValidator, trigger: dict[str, str]) -> None:
    validator.validate_streaming_node_config(node(streaming={"trigger": trigger}))


@pytest.mark.parametrize(
    "interval,reason",
    [
        ("-5 seconds", "zero or more"),
        ("400 days", "365 days"),
        ("soon", "not a duration"),
        ("5 fortnights", "unknown unit"),
    ],
)
def test_seed_invalid_triggers(validator: StreamingValidator, interval: str, reason: str) -> None:
    config = node(streaming={"trigger": {"type": "processing_time", "interval": interval}})
    with pytest.raises(StreamingValidationError, match=reason) as info:
        validator.validate_streaming_node_config(config)
    assert info.value.field == "streaming.trigger.interval"


def test_once_trigger_is_accepted_with_a_deprecation_warning(validator: StreamingValidator) -> None:
    report = validator.validate_streaming_node_config(node(streaming={"trigger": {"type": "once"}}))
    assert any("available_now" in w for w in report.warnings)


# -- pipelines: every problem collected with its path ---------------------------------------------
def test_pipeline_problems_are_all_collected(validator: StreamingValidator, families: None) -> None:
    config = {
        "nodes": [
            node("a"),
            node("b", input={"format": "kafka", "options": {"subscribe": "t"}}),
            node("c", output={"format": "nope"}),
            node("d", streaming={"trigger": {"type": "processing_time", "interval": "-1s"}}),
        ]
    }
    with pytest.raises(StreamingValidationError) as info:
        validator.validate_streaming_pipeline_config(config)
    assert fields(info.value) == [
        "nodes[1].input.options.kafka.bootstrap.servers",
        "nodes[2].output.format",
        "nodes[3].streaming.trigger.interval",
    ]
    assert "nodes[2].output.format" in str(info.value)


def test_unknown_format_lists_known_ones(validator: StreamingValidator) -> None:
    with pytest.raises(StreamingValidationError) as info:
        validator.validate_streaming_node_config(node(input={"format": "raet"}))
    assert "did you mean 'rate'" in str(info.value)
    assert "memory" in str(info.value)


def test_batch_format_names_get_the_streaming_equivalent(
    validator: StreamingValidator, families: None
) -> None:
    # parquet, json, ... are sources of their own with tauro-files; delta is a batch name whose
    # streaming source is delta_stream.
    with pytest.raises(
        StreamingValidationError, match="batch format, read it as a stream with format 'delta_stream'"
    ):
        validator.validate_streaming_node_config(node(input={"format": "delta"}))


def test_duplicate_names_and_missing_dependency(validator: StreamingValidator) -> None:
    config = {"nodes": [node("a"), node("a"), node("b", depends_on=["zz"])]}
    with pytest.raises(StreamingPipelineError) as info:
        validator.validate_streaming_pipeline_config(config)
    assert isinstance(info.value, StreamingValidationError)
    assert fields(info.value) == ["nodes[1].name", "nodes[2].depends_on[0]"]
    assert "not defined" in str(info.value)


def test_cycles_are_reported_with_their_path(validator: StreamingValidator) -> None:
    config = {
        "nodes": [node("a", depends_on=["c"]), node("b", depends_on=["a"]), node("c", depends_on=["b"])]
    }
    with pytest.raises(StreamingPipelineError, match="Circular dependency detected") as info:
        validator.validate_streaming_pipeline_config(config)
    message = str(info.value)
    assert "a -> " in message or "b -> " in message or "c -> " in message
    assert message.count("->") == 3


def test_seed_diamond_and_chain_are_valid(validator: StreamingValidator) -> None:
    validator.validate_streaming_pipeline_config(
        {"nodes": [node("a"), node("b"), node("c", depends_on=["a", "b"]), node("d", depends_on=["c"])]}
    )


def test_output_modes_and_sink_support(validator: StreamingValidator) -> None:
    with pytest.raises(StreamingValidationError, match="unknown output mode 'apend'"):
        validator.validate_streaming_node_config(node(streaming={"output_mode": "apend"}))
    with pytest.raises(StreamingValidationError, match="supports output modes"):
        validator.validate_streaming_node_config(
            node(output={"format": "memory"}, streaming={"output_mode": "update"})
        )


def test_watermark_rules(validator: StreamingValidator) -> None:
    twice = node(
        input={
            "format": "memory",
            "schema": "value STRING",
            "watermark": {"column": "ts", "delay": "10 seconds"},
        },
        streaming={"watermark": {"column": "ts", "delay": "1 minute"}},
    )
    with pytest.raises(StreamingValidationError, match="given twice"):
        validator.validate_streaming_node_config(twice)
    bad_delay = node(streaming={"watermark": {"column": "ts", "delay": "later"}})
    with pytest.raises(StreamingValidationError) as info:
        validator.validate_streaming_node_config(bad_delay)
    assert info.value.field == "streaming.watermark.delay"


def test_seed_end_to_end_long_timestamp_watermark_is_caught(validator: StreamingValidator) -> None:
    # The seed's end-to-end example watermarks a LONG column: Spark would fail at run time.
    config = node(
        input={
            "format": "memory",
            "schema": "value STRING",
            "parse_json": True,
            "json_schema": "user_id STRING, action STRING, timestamp BIGINT",
            "watermark": {"column": "timestamp", "delay": "10 seconds"},
        }
    )
    with pytest.raises(StreamingValidationError, match="needs a TIMESTAMP") as info:
        validator.validate_streaming_node_config(config)
    assert info.value.field == "input.watermark.column"


def test_parse_json_needs_schema_and_payload(validator: StreamingValidator) -> None:
    with pytest.raises(StreamingValidationError) as info:
        validator.validate_streaming_node_config(node(input={"format": "rate", "parse_json": True}))
    assert fields(info.value) == ["input.parse_json", "input.json_schema"]


def test_bad_json_schema_is_reported(validator: StreamingValidator) -> None:
    config = node(
        input={"format": "memory", "schema": "value STRING", "parse_json": True, "json_schema": "id BIGNUM"}
    )
    with pytest.raises(StreamingValidationError, match="unknown type 'BIGNUM'") as info:
        validator.validate_streaming_node_config(config)
    assert info.value.field == "input.json_schema"


def test_dead_letter_target_must_write_batches(validator: StreamingValidator, register_plugin: Any) -> None:
    from tauro import hookimpl
    from tauro.streaming.writers import BaseStreamingWriter

    class StreamOnly(BaseStreamingWriter):
        spark_format = "console"

    class Plugin:
        @hookimpl
        def tauro_register_writers(self, registry: Any) -> None:
            registry.add("stream_only", StreamOnly)

    register_plugin(Plugin(), "stream_only_plugin")
    config = node(
        input={
            "format": "memory",
            "schema": "value STRING",
            "parse_json": True,
            "json_schema": "id BIGINT",
            "dead_letter": {"format": "stream_only"},
        }
    )
    with pytest.raises(StreamingValidationError, match="cannot write single batches"):
        validator.validate_streaming_node_config(config)


# -- safety ----------------------------------------------------------------------------------------
def test_shared_checkpoints_are_refused(validator: StreamingValidator, tmp_path: Any) -> None:
    cp = str(tmp_path / "cp")
    config = {
        "nodes": [
            node("a", streaming={"checkpoint_location": cp}),
            node("b", output={"format": "console", "options": {"checkpointLocation": cp + "/"}}),
        ]
    }
    with pytest.raises(StreamingValidationError, match="also used by node 'a'") as info:
        validator.validate_streaming_pipeline_config(config)
    assert fields(info.value) == ["nodes[1].output.options.checkpointLocation"]


def test_checkpoint_given_twice_differently(validator: StreamingValidator) -> None:
    config = node(
        streaming={"checkpoint_location": "/data/a"},
        output={"format": "console", "options": {"checkpointLocation": "/data/b"}},
    )
    with pytest.raises(StreamingValidationError, match="give the checkpoint once"):
        validator.validate_streaming_node_config(config)


def test_temporary_checkpoints_warn_in_dev_and_fail_in_production() -> None:
    config = node(streaming={"checkpoint_location": "/tmp/query_checkpoint"})
    report = StreamingValidator().validate_streaming_node_config(config)
    assert any("temporary directory" in w for w in report.warnings)
    with pytest.raises(StreamingValidationError, match="temporary directory"):
        StreamingValidator(environment="production").validate_streaming_node_config(config)


def test_function_key_must_be_registered(validator: StreamingValidator) -> None:
    config = node(function={"key": "enrich_events", "params": {"x": 1}})
    with pytest.raises(StreamingValidationError, match="not registered") as info:
        validator.validate_streaming_node_config(config)
    assert info.value.field == "function.key"
    TransformationRegistry.register("enrich_events", lambda df, cfg: df)
    validator.validate_streaming_node_config(config)


def test_unsafe_import_is_gated(validator: StreamingValidator, monkeypatch: pytest.MonkeyPatch) -> None:
    config = node(function={"module": "json", "function": "loads"})
    with pytest.raises(StreamingValidationError, match="STREAMING_UNSAFE_IMPORT") as info:
        validator.validate_streaming_node_config(config)
    assert info.value.field == "function.module"
    monkeypatch.setenv("STREAMING_UNSAFE_IMPORT", "true")
    validator.validate_streaming_node_config(config)


def test_foreach_batch_import_uses_the_same_gate(
    validator: StreamingValidator, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = node(output={"format": "foreach_batch", "options": {"function": "json:loads"}})
    with pytest.raises(StreamingValidationError, match="STREAMING_UNSAFE_IMPORT"):
        validator.validate_streaming_node_config(config)
    monkeypatch.setenv("STREAMING_UNSAFE_IMPORT", "true")
    validator.validate_streaming_node_config(config)


def test_transforms_entries_are_checked(validator: StreamingValidator) -> None:
    TransformationRegistry.register("known", lambda df: df)
    config = node(transforms=["known", {"key": "unknown"}, lambda df: df])
    with pytest.raises(StreamingValidationError) as info:
        validator.validate_streaming_node_config(config)
    assert fields(info.value) == ["transforms[1]"]


def test_socket_is_dev_only(validator: StreamingValidator) -> None:
    config = node(input={"format": "socket", "options": {"host": "localhost", "port": 9999}})
    report = validator.validate_streaming_node_config(config)
    assert any("development only" in w for w in report.warnings)
    with pytest.raises(StreamingValidationError, match="development only"):
        StreamingValidator(environment="production").validate_streaming_node_config(config)


def test_option_values_are_scalars_unless_declared(validator: StreamingValidator, families: None) -> None:
    bad = node(input={"format": "rate", "options": {"rowsPerSecond": [1, 2]}})
    with pytest.raises(StreamingValidationError, match="single value") as info:
        validator.validate_streaming_node_config(bad)
    assert info.value.field == "input.options.rowsPerSecond"
    # Kafka declares assign as structured, so a mapping is fine there.
    ok = node(
        input={"format": "kafka", "options": {"kafka.bootstrap.servers": "b:1", "assign": {"t": [0, 1]}}}
    )
    validator.validate_streaming_node_config(ok)


def test_validators_receive_read_only_normalized_sections(
    validator: StreamingValidator, register_plugin: Any
) -> None:
    seen: dict[str, Any] = {}

    def spy(section: Any, node_: Any) -> list[str]:
        seen["section"], seen["node"] = section, node_
        return ["looks odd"]

    class Plugin:
        @hookimpl_marker()
        def tauro_register_format_validators(self, registry: Any) -> None:
            registry.add("rate", spy, role="input")

    register_plugin(Plugin(), "spy")
    report = validator.validate_streaming_node_config(
        node(input={"format": "rate", "options": {"rowsPerSecond": 5, "flag": True}})
    )
    assert seen["section"]["options"] == {"rowsPerSecond": "5", "flag": "true"}
    assert seen["node"]["streaming"]["output_mode"] == "append"
    with pytest.raises(TypeError):
        seen["section"]["format"] = "x"
    assert "input: looks odd" in report.warnings


def test_crashing_validator_is_wrapped_naming_the_plugin(
    validator: StreamingValidator, register_plugin: Any
) -> None:
    def broken(section: Any, node_: Any) -> None:
        raise KeyError("oops")

    class Plugin:
        @hookimpl_marker()
        def tauro_register_format_validators(self, registry: Any) -> None:
            registry.add("rate", broken, role="input")

    register_plugin(Plugin(), "broken_validator")
    with pytest.raises(StreamingValidationError, match="'broken_validator'.*crashed"):
        validator.validate_streaming_node_config(node())


def test_format_policy_restricts_formats() -> None:
    validator = StreamingValidator(format_policy={"outputs": ["memory"]})
    with pytest.raises(StreamingValidationError, match="not allowed as an output"):
        validator.validate_streaming_node_config(node())


def test_seed_node_without_output_validates_but_pipelines_need_one(validator: StreamingValidator) -> None:
    validator.validate_streaming_node_config({"name": "x", "input": {"format": "rate"}})
    with pytest.raises(StreamingValidationError, match="output") as info:
        validator.validate_streaming_pipeline_config({"nodes": [{"name": "x", "input": {"format": "rate"}}]})
    assert fields(info.value) == ["nodes[0].output"]


def test_streaming_type_rejects_mixed_triggers_hybrid_allows(validator: StreamingValidator) -> None:
    nodes = [node("a", streaming={"trigger": {"type": "available_now"}}), node("b")]
    with pytest.raises(StreamingValidationError, match="type: hybrid"):
        validator.validate_streaming_pipeline_config({"type": "streaming", "nodes": nodes})
    validator.validate_streaming_pipeline_config({"type": "hybrid", "nodes": nodes})


def test_secrets_never_appear_in_errors(validator: StreamingValidator, families: None) -> None:
    config = node(
        input={
            "format": "kafka",
            "options": {
                "kafka.sasl.jaas.config": 'org.Plain required username="u" password="hunter22";',
                "kafka.ssl.truststore.password": "s3cr3t-pw",
            },
        }
    )
    with pytest.raises(StreamingValidationError) as info:
        validator.validate_streaming_node_config(config)
    text = str(info.value) + repr(info.value.context)
    assert "hunter22" not in text and "s3cr3t-pw" not in text


def hookimpl_marker() -> Any:
    from tauro import hookimpl

    return hookimpl


def test_streaming_options_that_have_a_field_of_their_own_are_refused(
    validator: StreamingValidator,
) -> None:
    config = node(
        streaming={
            "options": {
                "checkpointLocation": "/data/cp",
                "queryName": "q",
                "asyncProgressTrackingEnabled": True,
            }
        }
    )
    with pytest.raises(StreamingValidationError) as info:
        validator.validate_streaming_node_config(config)
    assert fields(info.value) == ["streaming.options.checkpointLocation", "streaming.options.queryName"]
    assert "set streaming.checkpoint_location instead" in str(info.value)
    validator.validate_streaming_node_config(
        node(streaming={"options": {"asyncProgressTrackingEnabled": True}})
    )
