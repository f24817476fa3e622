"""Install-alone check: tauro-core and tauro-kinesis in a fresh virtualenv, nothing else.

Slow-ish (a virtualenv with pyspark from the cached wheel, boto3 from the index) but part of
the default run: it proves `pip install tauro-core tauro-kinesis` is all a user does.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.install_venv import assert_family_alone, fresh_venv, tauro


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fresh_venv(tmp_path_factory, "tauro-core", "tauro-kinesis")


@pytest.mark.slow
def test_kinesis_plugin_is_listed_with_its_formats(venv: Path) -> None:
    assert_family_alone(
        venv,
        "kinesis",
        {
            "readers": ["kinesis"],
            "writers": ["kinesis"],
            "validators": ["kinesis:input", "kinesis:output"],
        },
    )


@pytest.mark.slow
def test_kinesis_validation_runs_in_the_installed_cli(venv: Path, tmp_path: Path) -> None:
    pipeline = tmp_path / "p.yaml"
    pipeline.write_text(
        "nodes:\n"
        "  - name: orders\n"
        "    input:\n"
        "      format: kinesis\n"
        "      options: {streamName: orders, region: eu-west-1, startingPosition: AT_TIMESTAMP,\n"
        "                awsAccessKeyId: AKIAEXAMPLE, awsSecretKey: do-not-print-me}\n"
        "    output: {format: noop}\n"
    )
    result = tauro(venv, "validate", pipeline)
    assert result.returncode == 1
    assert (
        "nodes[0].input.options.startingTimestamp: is required with startingPosition AT_TIMESTAMP"
        in result.stdout
    )
    assert "do-not-print-me" not in result.stdout + result.stderr
