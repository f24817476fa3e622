"""The plugin API: one namespace, hooks through pluggy, class attributes checked when loading."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner

import tauro.jvm_checks
import tauro.plugin
import tauro.streaming.context_access
import tauro.streaming.exceptions
import tauro.streaming.option_checks
import tauro.streaming.readers
import tauro.streaming.writers
from tauro.cli import main
from tauro.errors import StreamingError, TauroError
from tauro.plugin import BaseStreamingReader, BaseStreamingWriter, SparkSettings, hookimpl
from tauro.plugins import PluginStatus, TauroPluginManager
from tauro.session import plugin_spark_settings
from tauro.streaming.validators import StreamingValidator


class MinimalReader(BaseStreamingReader):
    spark_format = "rate"


class MinimalWriter(BaseStreamingWriter):
    spark_format = "console"


def test_old_import_paths_are_the_plugin_api_names() -> None:
    assert tauro.streaming.readers.BaseStreamingReader is tauro.plugin.BaseStreamingReader
    assert tauro.streaming.writers.BaseStreamingWriter is tauro.plugin.BaseStreamingWriter
    assert tauro.streaming.writers.apply_trigger is tauro.plugin.apply_trigger
    assert tauro.streaming.option_checks.Findings is tauro.plugin.Findings
    assert tauro.streaming.option_checks.find_option is tauro.plugin.find_option
    assert tauro.streaming.exceptions.StreamingValidationError is tauro.plugin.StreamingValidationError
    assert tauro.streaming.context_access.spark_of is tauro.plugin.spark_of
    assert tauro.jvm_checks.require_class is tauro.plugin.require_class
    assert tauro.hookimpl is tauro.plugin.hookimpl and tauro.SparkSettings is tauro.plugin.SparkSettings
    assert all(hasattr(tauro.plugin, name) for name in tauro.plugin.__all__)


def test_streaming_errors_are_tauro_errors() -> None:
    assert issubclass(StreamingError, TauroError)
    assert issubclass(tauro.plugin.StreamingValidationError, TauroError)


def test_shipped_plugins_import_only_the_plugin_api() -> None:
    import ast
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    stray = []
    for family in ("files", "delta", "kafka", "kinesis"):
        for path in (repo / f"tauro-{family}" / "src" / f"tauro_{family}").rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    top = node.module.split(".")[0]
                    if top == "tauro" and node.module != "tauro.plugin":
                        stray.append(f"{path.name}: {node.module}")
    assert stray == []


def test_implementations_taking_fewer_arguments_than_the_spec_are_called() -> None:
    calls: list[str] = []

    class Sparse:
        @hookimpl
        def tauro_register_readers(self) -> None:
            calls.append("register")

        @hookimpl
        def tauro_spark_settings(self) -> SparkSettings:
            return SparkSettings(conf={"spark.sparse.flag": "on"})

        @hookimpl
        def tauro_after_query_started(self) -> None:
            calls.append("started")

    manager = TauroPluginManager(load_entrypoints=False)
    info = manager.register(Sparse(), "sparse")
    assert info.status is PluginStatus.LOADED
    assert calls == ["register"]
    manager.call_observers("tauro_after_query_started", event="e")
    assert calls == ["register", "started"]
    assert manager.call_plugin("sparse", "tauro_spark_settings", spark_version="4.2.0", uses=None) == (
        SparkSettings(conf={"spark.sparse.flag": "on"})
    )


def test_spark_settings_of_a_plugin_without_arguments_are_merged(register_plugin: Any) -> None:
    class NoArguments:
        @hookimpl
        def tauro_spark_settings(self) -> SparkSettings:
            return SparkSettings(conf={"spark.no.arguments": "yes"})

    register_plugin(NoArguments(), "no_arguments")
    assert plugin_spark_settings(version="4.2.0").conf["spark.no.arguments"] == "yes"


def test_registration_hooks_reach_only_the_plugin_being_registered() -> None:
    seen: list[str] = []

    class First:
        @hookimpl
        def tauro_register_readers(self, registry: Any) -> None:
            seen.append(registry.plugin)

    class Second(First):
        pass

    manager = TauroPluginManager(load_entrypoints=False)
    manager.register(First(), "first")
    manager.register(Second(), "second")
    assert seen == ["first", "second"]


class TupleOptionalOptions(BaseStreamingReader):
    spark_format = "rate"
    optional_options = ("rowsPerSecond", "numPartitions")  # type: ignore[assignment]


class StringRequiredOptions(BaseStreamingWriter):
    spark_format = "console"
    required_options = "path"  # type: ignore[assignment]


class WrongOutputModes(BaseStreamingWriter):
    supported_output_modes = frozenset({"append", "upsert"})


@pytest.mark.parametrize(
    ("kind", "cls", "attribute"),
    [
        ("reader", TupleOptionalOptions, "optional_options"),
        ("writer", StringRequiredOptions, "required_options"),
        ("writer", WrongOutputModes, "supported_output_modes"),
    ],
)
def test_malformed_class_attributes_fail_the_plugin_at_load_time(
    kind: str, cls: type, attribute: str
) -> None:
    class Plugin:
        @hookimpl
        def tauro_register_readers(self, registry: Any) -> None:
            if kind == "reader":
                registry.add("acme_bad", cls)

        @hookimpl
        def tauro_register_writers(self, registry: Any) -> None:
            if kind == "writer":
                registry.add("acme_bad", cls)

    manager = TauroPluginManager(load_entrypoints=False)
    info = manager.register(Plugin(), "acme")
    assert info.status is PluginStatus.FAILED
    assert "Plugin 'acme'" in (info.error or "")
    assert f"{cls.__name__}.{attribute}" in (info.error or "")
    assert "acme_bad" not in manager.registry.readers and "acme_bad" not in manager.registry.writers


def test_tauro_plugins_lists_a_malformed_plugin_as_failed_and_validation_explains(
    register_plugin: Any,
) -> None:
    class Plugin:
        @hookimpl
        def tauro_register_readers(self, registry: Any) -> None:
            registry.add("acme_tuple", TupleOptionalOptions)

    register_plugin(Plugin(), "acme_tuple_plugin")
    result = CliRunner().invoke(main, ["plugins", "--json"])
    assert result.exit_code == 2
    listed = {p["name"]: p for p in json.loads(result.output)}
    failed = listed["acme_tuple_plugin"]
    assert failed["status"] == "failed"
    assert "TupleOptionalOptions.optional_options" in failed["error"]
    # Validation of a pipeline using the format gives a clean error, not a traceback.
    node = {"name": "n", "input": {"format": "acme_tuple"}, "output": {"format": "console"}}
    report = StreamingValidator().check_pipeline({"name": "p", "nodes": [node]})
    assert any(p.field == "nodes[0].input.format" for p in report.problems)


class NeedsPathAndSchema(BaseStreamingReader):
    spark_format = "json"
    requires_path = True
    requires_schema = True


class NeedsPath(BaseStreamingWriter):
    spark_format = "json"
    requires_path = True


def test_a_format_can_declare_that_it_needs_path_and_schema(register_plugin: Any) -> None:
    class Plugin:
        @hookimpl
        def tauro_register_readers(self, registry: Any) -> None:
            registry.add("acme_files", NeedsPathAndSchema)

        @hookimpl
        def tauro_register_writers(self, registry: Any) -> None:
            registry.add("acme_files", NeedsPath)

    register_plugin(Plugin(), "acme_files")
    node = {"name": "n", "input": {"format": "acme_files"}, "output": {"format": "acme_files"}}
    report = StreamingValidator().check_pipeline({"name": "p", "nodes": [node]})
    fields = {p.field: p.message for p in report.problems}
    assert "is required by format 'acme_files'" in fields["nodes[0].input.path"]
    assert "nodes[0].input.schema" in fields
    assert "nodes[0].output.path" in fields
    given = {
        "name": "n",
        "input": {"format": "acme_files", "path": "/data/in", "schema": "id BIGINT"},
        "output": {"format": "acme_files", "path": "/data/out"},
    }
    report = StreamingValidator().check_pipeline({"name": "p", "nodes": [given]})
    assert not [p for p in report.problems if p.field and p.field.endswith(("path", "schema"))]


def test_every_plugin_api_name_is_in_the_reference() -> None:
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[2] / "docs" / "plugins.md").read_text()
    reference = docs[docs.index("## 7. Reference") :]
    missing = [name for name in tauro.plugin.__all__ if f"`{name}" not in reference]
    assert missing == []
