from __future__ import annotations

import json
from pathlib import Path

import pytest

from tauro.config.loading import deep_merge, prepare_pipeline, read_config_file, select_pipeline
from tauro.streaming.exceptions import StreamingValidationError

RATE_NODE = {"name": "a", "input": {"format": "rate"}, "output": {"format": "console"}}


def test_yaml_and_json_files_load(tmp_path: Path) -> None:
    yaml_file = tmp_path / "p.yaml"
    yaml_file.write_text("name: p\nnodes:\n  - name: a\n    input: {format: rate}\n")
    json_file = tmp_path / "p.json"
    json_file.write_text(json.dumps({"name": "p", "nodes": [{"name": "a"}]}))
    assert read_config_file(yaml_file)["nodes"][0]["input"]["format"] == "rate"
    assert read_config_file(json_file)["nodes"][0]["name"] == "a"


def test_bad_yaml_names_line_and_column(tmp_path: Path) -> None:
    file = tmp_path / "bad.yaml"
    file.write_text("name: p\nnodes:\n  - name: a\n   input: [\n")
    with pytest.raises(StreamingValidationError) as info:
        read_config_file(file)
    assert "line" in str(info.value) and "column" in str(info.value)


def test_yaml_is_safe_loaded(tmp_path: Path) -> None:
    file = tmp_path / "evil.yaml"
    file.write_text("name: !!python/object/apply:os.system ['true']\nnodes: []\n")
    with pytest.raises(StreamingValidationError):
        read_config_file(file)


def test_unknown_keys_get_a_did_you_mean_hint() -> None:
    prepared = prepare_pipeline({"nodes": [{"name": "a", "input": {"fromat": "rate"}}]})
    messages = dict(prepared.problems)
    assert "did you mean 'format'" in messages["nodes[0].input.fromat"]


def test_wrong_types_are_reported_with_paths() -> None:
    prepared = prepare_pipeline(
        {
            "nodes": [
                {"name": 5, "input": "rate", "depends_on": [1]},
                {"name": "b", "input": {"format": "rate", "parse_json": "maybe"}},
            ]
        }
    )
    fields = {path for path, _ in prepared.problems}
    assert {"nodes[0].name", "nodes[0].input", "nodes[0].depends_on", "nodes[1].input.parse_json"} <= fields
    assert all("Traceback" not in message for _, message in prepared.problems)


def test_pipeline_defaults_merge_deeply_into_nodes() -> None:
    prepared = prepare_pipeline(
        {
            "streaming": {
                "trigger": {"type": "processing_time", "interval": "30 seconds"},
                "output_mode": "update",
                "options": {"a": "1"},
            },
            "nodes": [
                {**RATE_NODE, "streaming": {"trigger": {"interval": "5 seconds"}, "options": {"b": "2"}}},
                {**RATE_NODE, "name": "b"},
            ],
        }
    )
    assert prepared.problems == []
    first, second = prepared.pipeline.nodes
    assert first.streaming.trigger.type == "processing_time"
    assert first.streaming.trigger.interval == "5 seconds"
    assert first.streaming.output_mode == "update"
    assert dict(first.streaming.options) == {"a": "1", "b": "2"}
    assert second.streaming.trigger.interval == "30 seconds"


def test_pipeline_checkpoint_location_is_a_base_directory() -> None:
    prepared = prepare_pipeline(
        {
            "streaming": {"checkpoint_location": "/data/cp"},
            "nodes": [RATE_NODE, {**RATE_NODE, "name": "b", "streaming": {"checkpoint_location": "/own"}}],
        }
    )
    a, b = prepared.pipeline.nodes
    assert a.streaming.checkpoint_location == "/data/cp/a"
    assert b.streaming.checkpoint_location == "/own"


def test_interpolation_env_default_and_objects(monkeypatch: pytest.MonkeyPatch) -> None:
    from pyspark.sql.types import StringType, StructField, StructType

    schema = StructType([StructField("id", StringType())])
    monkeypatch.setenv("TOPIC", "events")
    prepared = prepare_pipeline(
        {
            "nodes": [
                {
                    "name": "a",
                    "input": {
                        "format": "memory",
                        "options": {"stream": "${TOPIC}-x", "rows": "${ROWS:-[]}"},
                        "json_schema": "${SCHEMA}",
                    },
                }
            ]
        },
        variables={"SCHEMA": schema},
    )
    node = prepared.pipeline.nodes[0]
    assert node.input.options["stream"] == "events-x"
    assert node.input.options["rows"] == "[]"
    assert node.input.json_schema is schema


def test_every_unset_variable_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOPE_A", raising=False)
    monkeypatch.delenv("NOPE_B", raising=False)
    prepared = prepare_pipeline(
        {
            "nodes": [
                {"name": "a", "input": {"format": "rate", "path": "${NOPE_A}", "options": {"x": "${NOPE_B}"}}}
            ]
        }
    )
    paths = {p for p, _ in prepared.problems}
    assert {"nodes[0].input.path", "nodes[0].input.options.x"} <= paths


def test_multi_pipeline_files_select_by_name() -> None:
    raw = {"pipelines": {"one": {"nodes": []}, "two": {"nodes": [RATE_NODE]}}}
    assert select_pipeline(raw, "two") == ("two", {"nodes": [RATE_NODE]})
    with pytest.raises(StreamingValidationError, match="--pipeline"):
        select_pipeline(raw, None)
    with pytest.raises(StreamingValidationError, match="did you mean 'two'"):
        select_pipeline(raw, "tow")


def test_deep_merge_keeps_both_sides() -> None:
    assert deep_merge({"a": {"b": 1, "c": 2}}, {"a": {"c": 3}}) == {"a": {"b": 1, "c": 3}}


def test_single_depends_on_string_is_accepted() -> None:
    prepared = prepare_pipeline({"nodes": [RATE_NODE, {**RATE_NODE, "name": "b", "depends_on": "a"}]})
    assert prepared.pipeline.nodes[1].depends_on == ("a",)


def test_models_are_frozen() -> None:
    import attrs

    node = prepare_pipeline({"nodes": [RATE_NODE]}).pipeline.nodes[0]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        node.name = "x"  # type: ignore[misc]
