"""``tauro schema``: the JSON Schema accepts every example and rejects what validation rejects."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import attrs
import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from tauro.cli import main
from tauro.config import models
from tauro.config.context import ContextFile, FormatPolicySection, SparkSection
from tauro.config.json_schema import DESCRIPTIONS, context_schema, pipeline_schema
from tauro.plugins import get_registry
from tauro.streaming.transformations import TransformationRegistry
from tauro.streaming.validators import StreamingValidator

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p for ext in ("yaml", "yml", "json") for p in (REPO / "examples").rglob(f"*.{ext}"))
CONTEXT_KEYS = {f.name for f in attrs.fields(ContextFile)}


@pytest.fixture(scope="module")
def pipelines() -> jsonschema.Draft202012Validator:
    schema = pipeline_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.fixture(scope="module")
def contexts() -> jsonschema.Draft202012Validator:
    schema = context_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _is_context(document: Any) -> bool:
    return isinstance(document, dict) and "nodes" not in document and "pipelines" not in document


def _errors(validator: jsonschema.Draft202012Validator, document: Any) -> list[str]:
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(document)]


def _doc_blocks() -> list[tuple[str, Any]]:
    blocks = []
    for path in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        for index, text in enumerate(re.findall(r"```ya?ml\n(.*?)```", path.read_text(), re.S)):
            document = yaml.safe_load(text)
            if isinstance(document, dict):
                blocks.append((f"{path.name}[{index}]", document))
    return blocks


def test_the_examples_are_there() -> None:
    assert len(EXAMPLES) >= 6, EXAMPLES


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_example_file_validates(
    path: Path, pipelines: jsonschema.Draft202012Validator, contexts: jsonschema.Draft202012Validator
) -> None:
    document = yaml.safe_load(path.read_text())
    validator = contexts if _is_context(document) else pipelines
    assert _errors(validator, document) == []


def test_configs_in_the_docs_validate(
    pipelines: jsonschema.Draft202012Validator, contexts: jsonschema.Draft202012Validator
) -> None:
    checked = []
    for where, document in _doc_blocks():
        if "nodes" in document or "pipelines" in document:
            checked.append(where)
            assert _errors(pipelines, document) == [], where
        elif set(document) <= CONTEXT_KEYS:
            checked.append(where)
            assert _errors(contexts, document) == [], where
    assert checked, "no pipeline or context block found in the docs"


#: Valid shapes beyond the examples: everything here passes tauro validate too.
VALID_PIPELINE: dict[str, Any] = {
    "name": "shapes",
    "type": "hybrid",
    "on_failure": "isolate",
    "streaming": {
        "trigger": {"type": "processing_time"},
        "checkpoint_location": "/data/ck",
        "output_mode": "${MODE:-append}",
    },
    "restart": {"max_attempts": "2", "backoff": "1 second", "max_backoff": "1.5 h"},
    "expectations": [{"name": "has_id", "expr": "id IS NOT NULL", "action": "drop"}],
    "nodes": [
        {
            "name": "bronze",
            "input": {
                "format": "memory",
                "schema": "id BIGINT, value STRING",
                "options": {"rows": [{"id": 1, "value": '{"a": 1}'}], "stream": "${STREAM:-s}"},
                "parse_json": "true",
                "json_schema": {
                    "type": "struct",
                    "fields": [{"name": "a", "type": "long", "nullable": True, "metadata": {}}],
                },
                "dead_letter": {"format": "memory", "options": {"table_name": "bad"}},
            },
            "transforms": "clean",
            "function": {"key": "enrich", "params": {"factor": 2}},
            "expectations": [
                {"name": "has_id", "action": "fail"},
                {"name": "small", "expr": "a < 10", "max_fraction": 0.5},
            ],
            "output": {"format": "memory", "options": {"queryName": "bronze"}},
            "streaming": {"trigger": {"type": "available_now"}, "watermark": None},
        },
        {
            "name": "silver",
            "depends_on": "bronze",
            "input": {"format": "rate", "options": {"rowsPerSecond": 5, "numPartitions": "${PARTS}"}},
            "transforms": [{"key": "clean"}, "enrich"],
            "output": {"format": "console", "options": {"numRows": 5, "truncate": False}},
            "streaming": {"trigger": {"interval": "${INTERVAL}"}, "query_name": "silver_q"},
        },
    ],
}


VARIABLES = {"PARTS": "2", "INTERVAL": "5 seconds"}


@pytest.fixture(autouse=True)
def _transforms() -> None:
    TransformationRegistry.register("clean", lambda df: df)
    TransformationRegistry.register("enrich", lambda df, params: df)


def test_valid_shapes_pass_the_schema_and_the_validator(pipelines: jsonschema.Draft202012Validator) -> None:
    assert _errors(pipelines, VALID_PIPELINE) == []
    second = {"streaming": {"trigger": {"type": "continuous"}}, "nodes": VALID_PIPELINE["nodes"][1:]}
    assert _errors(pipelines, {"pipelines": {"a": VALID_PIPELINE, "b": second}}) == []
    # The loader ignores keys beside 'pipelines'; the schema points at them (a misplaced pipeline key).
    misplaced = {"pipelines": {"a": VALID_PIPELINE}, "nodes": []}
    assert [e.json_path for e in pipelines.iter_errors(misplaced)] == ["$"]
    report = StreamingValidator().check_pipeline(VALID_PIPELINE, variables=VARIABLES)
    assert report.problems == []


def _broken(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    config = copy.deepcopy(VALID_PIPELINE)
    target: Any = config
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return config


@pytest.mark.parametrize(
    ("path", "value", "where"),
    [
        (("nodes", 0, "inptu"), {}, "$.nodes[0]"),  # a wrong key
        (("nodes", 1, "streaming", "trigger", "type"), "sometimes", "$.nodes[1].streaming.trigger.type"),
        (("nodes", 1, "streaming", "trigger", "interval"), 10, "$.nodes[1].streaming.trigger.interval"),
        (("nodes", 1, "streaming", "output_mode"), "upsert", "$.nodes[1].streaming.output_mode"),
        (("nodes", 1, "input", "format"), "kafak", "$.nodes[1].input.format"),
        (("nodes", 1, "input", "options", "rowsPerSecond"), "many", "$.nodes[1].input.options.rowsPerSecond"),
        (("nodes", 1, "input", "options", "numPartitions"), 0, "$.nodes[1].input.options.numPartitions"),
        (("nodes", 1, "input", "options", "rowsPerSecond"), [1, 2], "$.nodes[1].input.options.rowsPerSecond"),
        (("nodes", 0, "expectations", 1, "action"), "shout", "$.nodes[0].expectations[1]"),
        (("nodes", 0, "input", "dead_letter", "format"), "consol", "$.nodes[0].input.dead_letter.format"),
        (("restart", "max_attempts"), "three", "$.restart.max_attempts"),
        (("streaming", "query_name"), "shared", "$.streaming"),
        (("on_failure",), "retry", "$.on_failure"),
        (("nodes",), [], "$.nodes"),
    ],
)
def test_invalid_configs_fail_with_their_path(
    path: tuple[Any, ...], value: Any, where: str, pipelines: jsonschema.Draft202012Validator
) -> None:
    config = _broken(path, value)
    errors = list(pipelines.iter_errors(config))
    assert errors, f"the schema accepted {path} = {value!r}"
    assert any(e.json_path.startswith(where) for e in errors), [e.json_path for e in errors]
    # The validator rejects it too: the schema is no stricter than Tauro.
    assert StreamingValidator().check_pipeline(config, variables=VARIABLES).problems


def test_a_node_trigger_needs_a_type_unless_the_pipeline_gives_one(
    pipelines: jsonschema.Draft202012Validator,
) -> None:
    node = {k: v for k, v in VALID_PIPELINE["nodes"][1].items() if k != "depends_on"}
    config: dict[str, Any] = {"nodes": [node]}  # its trigger has only an interval
    assert [e.json_path for e in pipelines.iter_errors(config)] == ["$.nodes[0].streaming.trigger"]
    assert StreamingValidator().check_pipeline(config, variables=VARIABLES).problems
    config["streaming"] = {"trigger": {"type": "processing_time"}}
    assert _errors(pipelines, config) == []
    assert StreamingValidator().check_pipeline(config, variables=VARIABLES).problems == []


def test_the_schema_lists_the_installed_formats() -> None:
    registry = get_registry()
    schema = pipeline_schema()
    readers = schema["$defs"]["InputConfig"]["properties"]["format"]["anyOf"][0]["enum"]
    writers = schema["$defs"]["OutputConfig"]["properties"]["format"]["anyOf"][0]["enum"]
    assert readers == sorted(registry.readers) and writers == sorted(registry.writers)
    assert {"kafka", "delta", "kinesis", "file_stream", "memory", "rate"} <= set(readers)
    for name in readers:
        assert f"{name}.input.options" in schema["$defs"]


def test_every_model_field_has_a_description() -> None:
    classes = [
        models.PipelineConfig,
        models.NodeConfig,
        models.InputConfig,
        models.OutputConfig,
        models.StreamingConfig,
        models.TriggerConfig,
        models.WatermarkConfig,
        models.FunctionConfig,
        models.ExpectationConfig,
        models.RestartPolicy,
        ContextFile,
        SparkSection,
        FormatPolicySection,
    ]
    fields = {f"{cls.__name__}.{f.name}" for cls in classes for f in attrs.fields(cls)}
    assert fields == set(DESCRIPTIONS)


def test_context_schema_rejects_wrong_keys_and_environments(
    contexts: jsonschema.Draft202012Validator,
) -> None:
    good = {
        "spark": {"master": "local[2]", "conf": {"spark.sql.shuffle.partitions": 2}, "plugins": "all"},
        "environment": "production",
        "format_policy": {"inputs": ["kafka"], "batch_to_streaming": {"delta": "delta_stream"}},
    }
    assert _errors(contexts, good) == []
    assert [e.json_path for e in contexts.iter_errors({**good, "environment": "staging"})] == [
        "$.environment"
    ]
    assert [e.json_path for e in contexts.iter_errors({"spark": {"mastre": "x"}})] == ["$.spark"]


def test_cli_prints_both_schemas(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["schema"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["title"] == "Tauro pipeline configuration"
    target = tmp_path / "context.schema.json"
    result = CliRunner().invoke(main, ["schema", "--context", "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert json.loads(target.read_text())["title"] == "Tauro context file"


def test_a_malformed_options_schema_is_named_when_the_class_is_checked() -> None:
    from tauro.plugin import BaseStreamingReader, reader_class_problems

    class Listed(BaseStreamingReader):
        spark_format = "rate"
        options_schema = ["rowsPerSecond"]  # type: ignore[assignment]

    problems = reader_class_problems(Listed)
    assert len(problems) == 1 and "Listed.options_schema" in problems[0]


def test_a_class_without_options_schema_gets_one_from_its_declared_options() -> None:
    from tauro.plugin import BaseStreamingWriter
    from tauro.registry import FormatRegistry

    class Plain(BaseStreamingWriter):
        spark_format = "console"
        required_options = ("endpoint",)
        optional_options = {"retries": "3"}

    registry = FormatRegistry()
    registry.add_writer("plain", Plain, "acme")
    validator = jsonschema.Draft202012Validator(pipeline_schema(registry))
    node = {"name": "n", "input": {"format": "x"}, "output": {"format": "plain", "options": {"retries": 5}}}
    errors = list(validator.iter_errors({"nodes": [node]}))
    paths = sorted(e.json_path for e in errors)
    # No reader is registered here, so the input's format is refused; the output lacks endpoint.
    assert paths == ["$.nodes[0].input.format", "$.nodes[0].output.options"], paths
    options = pipeline_schema(registry)["$defs"]["plain.output.options"]
    assert (
        options["required"] == ["endpoint"]
        and "default: 3" in options["properties"]["retries"]["description"]
    )


#: One valid input per family; each case below breaks one option the family's validator refuses.
FAMILY_INPUTS: dict[str, dict[str, Any]] = {
    "kafka": {"format": "kafka", "options": {"kafka.bootstrap.servers": "b:9092", "subscribe": "t"}},
    "kinesis": {"format": "kinesis", "options": {"streamName": "s", "region": "eu-west-1"}},
    "delta": {"format": "delta", "path": "/data/bronze"},
    "files": {"format": "file_stream", "path": "/data/in", "options": {"format": "parquet"}},
}


@pytest.mark.parametrize(
    ("family", "option", "value"),
    [
        ("kafka", "subscrib", "t"),  # unknown: the Kafka validator refuses it
        ("kafka", "failOnDataLoss", "maybe"),
        ("kafka", "endingOffsets", "latest"),  # batch-only
        ("kinesis", "startingPosition", "EARLIEST"),
        ("kinesis", "maxRecordsPerShard", "0"),
        ("kinesis", "shardCount", "2"),  # unknown
        ("delta", "maxFilesPerTrigger", "none"),
        ("delta", "skipChangeCommits", "yes"),
        ("files", "cleanSource", "shred"),
        ("files", "format", "xml"),
        ("files", "latestFirst", "newest"),
    ],
)
def test_family_options_are_checked_by_the_schema_and_the_validator(
    family: str, option: str, value: str, pipelines: jsonschema.Draft202012Validator
) -> None:
    source = copy.deepcopy(FAMILY_INPUTS[family])
    config = {"nodes": [{"name": "n", "input": source, "output": {"format": "noop"}}]}
    assert _errors(pipelines, config) == []
    assert StreamingValidator().check_pipeline(config).problems == []
    source.setdefault("options", {})[option] = value
    paths = [e.json_path for e in pipelines.iter_errors(config)]
    assert paths and all(p.startswith("$.nodes[0].input.options") for p in paths), paths
    problems = StreamingValidator().check_pipeline(config).problems
    assert any(f"options.{option}" in str(p.field) for p in problems), problems


def test_spark_compares_option_names_in_any_case_and_so_does_the_schema(
    pipelines: jsonschema.Draft202012Validator,
) -> None:
    source = copy.deepcopy(FAMILY_INPUTS["kafka"])
    source["options"]["STARTINGOFFSETS"] = "earliest"
    config = {"nodes": [{"name": "n", "input": source, "output": {"format": "noop"}}]}
    assert _errors(pipelines, config) == []
    assert StreamingValidator().check_pipeline(config).problems == []


def test_cli_exits_2_when_a_plugin_failed_and_still_prints_the_rest() -> None:
    from tauro.plugin import hookimpl
    from tauro.plugins import TauroPluginManager, use_plugin_manager

    class Broken:
        @hookimpl
        def tauro_register_readers(self, registry: Any) -> None:
            raise RuntimeError("boom")

    manager = TauroPluginManager(load_entrypoints=False)
    manager.register(Broken(), "broken")
    with use_plugin_manager(manager):
        result = CliRunner().invoke(main, ["schema"])
    assert result.exit_code == 2
    printed = json.loads(result.stdout)
    assert "rate" in printed["$defs"]["InputConfig"]["properties"]["format"]["anyOf"][0]["enum"]
