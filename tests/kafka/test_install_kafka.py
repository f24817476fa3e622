"""Install-alone check: tauro-core and tauro-kafka in a fresh virtualenv, nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.install_venv import assert_family_alone, fresh_venv, tauro


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fresh_venv(tmp_path_factory, "tauro-core", "tauro-kafka")


@pytest.mark.slow
def test_kafka_plugin_is_listed_with_its_formats(venv: Path) -> None:
    assert_family_alone(
        venv,
        "kafka",
        {
            "readers": ["kafka"],
            "writers": ["kafka"],
            "validators": ["kafka:input", "kafka:output"],
        },
    )


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
