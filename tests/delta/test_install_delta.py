"""Install-alone check: tauro-core and tauro-delta in a fresh virtualenv, nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.install_venv import assert_family_alone, fresh_venv, tauro


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fresh_venv(tmp_path_factory, "tauro-core", "tauro-delta")


@pytest.mark.slow
def test_delta_plugin_is_listed_with_its_formats(venv: Path) -> None:
    assert_family_alone(
        venv,
        "delta",
        {
            "readers": ["delta", "delta_stream"],
            "writers": ["delta"],
            "validators": ["delta:input", "delta:output", "delta_stream:input"],
        },
    )


@pytest.mark.slow
def test_delta_validation_runs_in_the_installed_cli(venv: Path, tmp_path: Path) -> None:
    pipeline = tmp_path / "p.yaml"
    pipeline.write_text(
        "nodes:\n"
        "  - name: latest\n"
        "    input: {format: delta_stream, path: /data/users, options: {startingVersion: soon}}\n"
        "    output: {format: delta, table_name: latest, options: {sequence_by: seq}}\n"
    )
    result = tauro(venv, "validate", pipeline)
    assert result.returncode == 1
    assert "nodes[0].input.options.startingVersion" in result.stdout
    assert "nodes[0].output.options.sequence_by" in result.stdout
