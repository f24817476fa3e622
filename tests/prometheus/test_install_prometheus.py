"""Install-alone check: tauro-core and tauro-prometheus in a fresh virtualenv, nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.install_venv import assert_family_alone, fresh_venv, tauro


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fresh_venv(tmp_path_factory, "tauro-core", "tauro-prometheus")


@pytest.mark.slow
def test_prometheus_plugin_is_listed_and_adds_its_run_options(venv: Path) -> None:
    assert_family_alone(venv, "prometheus", {"readers": [], "writers": [], "validators": []})
    result = tauro(venv, "run", "--help")
    assert result.returncode == 0, result.stderr
    assert "--metrics-port" in result.stdout and "--metrics-address" in result.stdout
