from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from loguru import logger

from tauro import SparkSettings, hookimpl, hookspecs
from tauro.plugins import TauroPluginManager
from tauro.spark_settings import merge_spark_settings
from tauro.streaming.constants import STREAMING_FORMAT_CONFIGS, StreamingFormat
from tauro.streaming.exceptions import StreamingValidationError
from tauro.streaming.readers import BaseStreamingReader, StreamingReaderFactory
from tauro.streaming.validators import StreamingValidator
from tauro.streaming.writers import BaseStreamingWriter, StreamingWriterFactory

REPO = Path(__file__).resolve().parents[2]
HOOKS = sorted(n for n in dir(hookspecs) if n.startswith("tauro_"))


def test_builtins_are_registered_through_the_plugin_hooks() -> None:
    manager = TauroPluginManager(load_entrypoints=False)
    info = manager.plugins["builtin"]
    assert info.status == "loaded"
    assert info.formats["readers"] == ["memory", "rate", "rate_micro_batch", "socket"]
    assert info.formats["writers"] == ["console", "foreach_batch", "memory", "noop"]
    assert all(r.plugin == "builtin" for r in manager.registry.readers.values())


def test_the_hookspecs_are_the_contract() -> None:
    assert (
        sorted(
            [
                "tauro_register_readers",
                "tauro_register_writers",
                "tauro_register_format_validators",
                "tauro_spark_settings",
                "tauro_session_ready",
                "tauro_after_query_started",
                "tauro_on_query_progress",
                "tauro_on_query_unhealthy",
                "tauro_after_query_terminated",
                "tauro_on_pipeline_status_changed",
                "tauro_on_node_status_changed",
                "tauro_cli_run_options",
                "tauro_run_starting",
                "tauro_run_finished",
            ]
        )
        == HOOKS
    )
    for name in HOOKS:
        assert getattr(hookspecs, name).__doc__, f"{name} has no docstring"


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_documented_for_plugin_authors(hook: str) -> None:
    docs = (REPO / "docs" / "plugins.md").read_text()
    assert re.search(rf"`{hook}\b", docs), f"{hook} is missing from docs/plugins.md"


class AcmeReader(BaseStreamingReader):
    spark_format = "rate"


class AcmeWriter(BaseStreamingWriter):
    spark_format = "console"


class AcmePlugin:
    @hookimpl
    def tauro_register_readers(self, registry: Any) -> None:
        registry.add("acme", AcmeReader)


class RivalPlugin:
    @hookimpl
    def tauro_register_readers(self, registry: Any) -> None:
        registry.add("acme", AcmeReader)


def test_two_plugins_adding_one_name_is_an_error_naming_both(register_plugin: Any) -> None:
    register_plugin(AcmePlugin(), "acme")
    register_plugin(RivalPlugin(), "rival")
    with pytest.raises(StreamingValidationError) as info:
        StreamingValidator().validate_streaming_node_config({"name": "n", "input": {"format": "acme"}})
    assert "'acme'" in str(info.value) and "'rival'" in str(info.value)
    with pytest.raises(StreamingValidationError, match="several plugins"):
        StreamingReaderFactory.create("acme", {"spark": None})


def test_programmatic_registration_replaces_with_a_warning(register_plugin: Any) -> None:
    register_plugin(AcmePlugin(), "acme")
    messages: list[str] = []
    logger.enable("tauro")
    sink = logger.add(lambda m: messages.append(str(m)), level="WARNING")
    try:
        StreamingReaderFactory.register("acme", AcmeReader)
    finally:
        logger.remove(sink)
        logger.disable("tauro")
    assert any("replaced by a programmatic registration" in m for m in messages)
    assert StreamingReaderFactory.get_reader_class("acme") is AcmeReader


def test_a_plugin_whose_registration_raises_is_failed_and_rolled_back() -> None:
    class Broken:
        @hookimpl
        def tauro_register_readers(self, registry: Any) -> None:
            registry.add("half", AcmeReader)
            raise RuntimeError("boom")

    manager = TauroPluginManager(load_entrypoints=False)
    info = manager.register(Broken(), "broken")
    assert info.status == "failed" and "boom" in (info.error or "")
    assert "half" not in manager.registry.readers
    assert "rate" in manager.registry.readers


def test_disabled_builtin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAURO_DISABLE_PLUGINS", "builtin, other")
    manager = TauroPluginManager(load_entrypoints=False)
    assert manager.registry.reader_names() == []


def test_invalid_registrations_are_rejected() -> None:
    manager = TauroPluginManager(load_entrypoints=False)

    class BadName:
        @hookimpl
        def tauro_register_writers(self, registry: Any) -> None:
            registry.add("Bad-Name", AcmeWriter)

    class NotAReader:
        @hookimpl
        def tauro_register_readers(self, registry: Any) -> None:
            registry.add("thing", dict)

    assert "lower-case" in (manager.register(BadName(), "bad_name").error or "")
    assert "BaseStreamingReader" in (manager.register(NotAReader(), "not_reader").error or "")


def test_seed_extending_the_module_examples(context_dict: dict[str, Any]) -> None:
    # As written in the seed: subclass, register in the factory, create.
    class CustomReader(BaseStreamingReader):
        def __init__(self, context: Any) -> None:
            super().__init__(context)

        def read(self, **options: Any) -> Any:
            spark = self.context.spark if hasattr(self.context, "spark") else self.context["spark"]
            return spark.readStream.format("custom-format").options(**options).load()

    class CustomWriter(BaseStreamingWriter):
        def write(self, df: Any, **options: Any) -> Any:
            return df.writeStream.format("custom-sink").options(**options).start()

    StreamingReaderFactory.register("custom_format", CustomReader)
    StreamingWriterFactory.register("custom_sink", CustomWriter)
    try:
        assert isinstance(StreamingReaderFactory.create("custom_format", context_dict), CustomReader)
        assert isinstance(StreamingWriterFactory.create("custom_sink", context_dict), CustomWriter)
        assert "custom_format" in StreamingReaderFactory.list_formats()
        STREAMING_FORMAT_CONFIGS["custom_format"] = {
            "required_options": ["required_option_1"],
            "optional_options": {"optional_option_1": "default_value"},
        }
        node = {"name": "c", "input": {"format": "custom_format"}, "output": {"format": "custom_sink"}}
        with pytest.raises(StreamingValidationError) as info:
            StreamingValidator().validate_streaming_node_config(node)
        assert info.value.field == "input.options.required_option_1"
        node["input"]["options"] = {"required_option_1": "x"}
        StreamingValidator().validate_streaming_node_config(node)
    finally:
        del STREAMING_FORMAT_CONFIGS["custom_format"]
        from tauro.plugins import get_registry

        get_registry().remove_plugin("<programmatic>")


def test_format_configs_view_follows_the_registry(register_plugin: Any) -> None:
    assert "rate" in STREAMING_FORMAT_CONFIGS
    assert STREAMING_FORMAT_CONFIGS["rate_micro_batch"]["required_options"] == ["rowsPerBatch"]
    assert "acme" not in STREAMING_FORMAT_CONFIGS
    register_plugin(AcmePlugin(), "acme")
    assert STREAMING_FORMAT_CONFIGS["acme"]["reader"] is True


def test_streaming_format_enum_is_string_compatible() -> None:
    assert StreamingFormat.KAFKA == "kafka"
    assert StreamingFormat.DELTA_STREAM.value == "delta_stream"


def test_spark_settings_merge_rules() -> None:
    merged = merge_spark_settings(
        [
            (
                "delta",
                SparkSettings(
                    packages=["io.delta:delta-spark_4.2_2.13:4.4.1"],
                    conf={"spark.sql.extensions": "a.Ext", "spark.sql.catalog.spark_catalog": "Cat"},
                ),
            ),
            ("other", SparkSettings(packages=["x:y:1"], conf={"spark.sql.extensions": "b.Ext"})),
        ]
    )
    assert merged.conf["spark.sql.extensions"] == "a.Ext,b.Ext"
    assert merged.packages == ("io.delta:delta-spark_4.2_2.13:4.4.1", "x:y:1")
    with pytest.raises(StreamingValidationError, match="'delta' and 'clash'"):
        merge_spark_settings(
            [
                ("delta", SparkSettings(conf={"spark.sql.catalog.spark_catalog": "Cat"})),
                ("clash", SparkSettings(conf={"spark.sql.catalog.spark_catalog": "Other"})),
            ]
        )


def test_lifecycle_observers_that_raise_are_ignored(
    register_plugin: Any, plugin_manager: TauroPluginManager
) -> None:
    calls: list[str] = []

    class Observer:
        @hookimpl
        def tauro_after_query_started(self, event: Any) -> None:
            raise RuntimeError("observer bug")

    class Good:
        @hookimpl
        def tauro_after_query_started(self, event: Any) -> None:
            calls.append(event)

    register_plugin(Observer(), "bad_observer")
    register_plugin(Good(), "good_observer")
    plugin_manager.call_observers("tauro_after_query_started", event="e")
    assert calls == ["e"]


@pytest.fixture
def context_dict() -> dict[str, Any]:
    return {"spark": object()}
