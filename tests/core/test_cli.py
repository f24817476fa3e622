from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tauro.cli import main

THREE_MISTAKES = """
name: broken
nodes:
  - name: a
    input: {format: rate, options: {rowsPerSecond: 10}}
    output: {format: consle}
    streaming:
      trigger: {type: processing_time, interval: "-5 seconds"}
  - name: b
    input: {format: rate}
    output: {format: console}
    depends_on: [missing_node]
"""


def write(tmp_path: Path, text: str, name: str = "pipeline.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_validate_prints_every_problem_with_its_path(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["validate", str(write(tmp_path, THREE_MISTAKES))])
    assert result.exit_code == 1
    assert "nodes[0].output.format" in result.output
    assert "did you mean 'console'" in result.output
    assert "nodes[0].streaming.trigger.interval" in result.output
    assert "nodes[1].depends_on[0]" in result.output
    assert "3 problem(s) found" in result.output


def test_validate_ok_and_multi_pipeline_files(tmp_path: Path) -> None:
    good = write(
        tmp_path,
        """
pipelines:
  first:
    nodes: [{name: a, input: {format: rate}, output: {format: console}}]
  second:
    nodes: [{name: b, input: {format: rate}, output: {format: noop}}]
""",
    )
    result = CliRunner().invoke(main, ["validate", str(good)])
    assert result.exit_code == 0, result.output
    assert "[first]" in result.output and "[second]" in result.output


def test_validate_bad_yaml_is_one_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["validate", str(write(tmp_path, "nodes: [\n"))])
    assert result.exit_code == 1
    assert "invalid YAML" in result.output


def test_validate_uses_the_context_policy(tmp_path: Path) -> None:
    context = write(tmp_path, "environment: production\nformat_policy: {outputs: [memory]}\n", "context.yaml")
    pipeline = write(tmp_path, "nodes: [{name: a, input: {format: rate}, output: {format: console}}]\n")
    result = CliRunner().invoke(main, ["validate", "--context", str(context), str(pipeline)])
    assert result.exit_code == 1
    assert "not allowed as an output" in result.output


def test_plugins_json_lists_the_builtins() -> None:
    result = CliRunner().invoke(main, ["plugins", "--all", "--json"])
    assert result.exit_code == 0, result.output
    plugins = {p["name"]: p for p in json.loads(result.output)}
    assert plugins["builtin"]["status"] == "loaded"
    assert "rate" in plugins["builtin"]["formats"]["readers"]


@pytest.mark.parametrize("fmt,needle", [("mermaid", "n_a --> n_b"), ("dot", "n_a -> n_b;")])
def test_graph(tmp_path: Path, fmt: str, needle: str) -> None:
    pipeline = write(
        tmp_path,
        """
nodes:
  - {name: a, input: {format: rate}, output: {format: console}}
  - {name: b, input: {format: rate}, output: {format: console}, depends_on: [a]}
""",
    )
    result = CliRunner().invoke(main, ["graph", str(pipeline), "--format", fmt])
    assert result.exit_code == 0, result.output
    assert needle in result.output


def test_validate_imports_user_transformations(tmp_path: Path) -> None:
    demo = Path(__file__).resolve().parents[2] / "examples" / "demo"
    without = CliRunner().invoke(main, ["validate", str(demo / "pipeline.yaml")])
    assert without.exit_code == 1 and "'clean_events' is not registered" in without.output
    result = CliRunner().invoke(
        main, ["validate", str(demo / "pipeline.yaml"), "--import", str(demo / "transforms.py")]
    )
    assert result.exit_code == 0, result.output
    assert "2 node(s)" in result.output
