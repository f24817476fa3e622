"""Install-alone check: tauro-core and tauro-kafka in a fresh virtualenv, nothing else."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.install_venv import fresh_venv, tauro


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fresh_venv(tmp_path_factory, "tauro-core", "tauro-kafka")


@pytest.mark.slow
def test_kafka_plugin_is_listed_with_its_formats(venv: Path) -> None:
    result = tauro(venv, "plugins", "--json")
    assert result.returncode == 0, result.stderr
    plugins = {p["name"]: p for p in json.loads(result.stdout)}
    assert set(plugins) == {"builtin", "kafka"}
    kafka = plugins["kafka"]
    assert (kafka["status"], kafka["distribution"], kafka["version"]) == ("loaded", "tauro-kafka", "0.1.0")
    assert kafka["formats"] == {
        "readers": ["kafka"],
        "writers": ["kafka"],
        "validators": ["kafka:input", "kafka:output"],
    }


@pytest.mark.slow
def test_kafka_validation_runs_in_the_installed_cli(venv: Path, tmp_path: Path) -> None:
    pipeline = tmp_path / "p.yaml"
    pipeline.write_text(
        "nodes:\n"
        "  - name: events\n"
        "    input: {format: kafka, options: {kafka.bootstrap.servers: 'b:9092', subscribe: e,\n"
        "            endingOffsets: latest}}\n"
        "    output: {format: console}\n"
    )
    result = tauro(venv, "validate", pipeline)
    assert result.returncode == 1
    assert "nodes[0].input.options.endingOffsets: is for batch reads only" in result.stdout
