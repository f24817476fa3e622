"""Install-alone check: tauro-core and tauro-kinesis in a fresh virtualenv, nothing else.

Slow-ish (a virtualenv with pyspark from the cached wheel, boto3 from the index) but part of
the default run: it proves `pip install tauro-core tauro-kinesis` is all a user does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("TAURO_CACHE", Path.home() / ".cache" / "tauro"))


def run(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, env=env, timeout=900)


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not list((CACHE / "wheels").glob("pyspark-4.2.0-*.whl")):
        pytest.fail("the cached pyspark wheel is missing; run the tests through ./dev test")
    path = tmp_path_factory.mktemp("kinesis-venv")
    created = run(sys.executable, "-m", "venv", path)
    assert created.returncode == 0, created.stderr
    pip = [path / "bin" / "python", "-m", "pip", "install", "--quiet", "--find-links", CACHE / "wheels"]
    installed = run(*pip, REPO / "tauro-core", REPO / "tauro-kinesis")
    assert installed.returncode == 0, f"{installed.stdout}\n{installed.stderr}"
    return path


def tauro(venv: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return run(venv / "bin" / "tauro", *args, env=env)


@pytest.mark.slow
def test_kinesis_plugin_is_listed_with_its_formats(venv: Path) -> None:
    result = tauro(venv, "plugins", "--json")
    assert result.returncode == 0, result.stderr
    plugins = {p["name"]: p for p in json.loads(result.stdout)}
    assert set(plugins) == {"builtin", "kinesis"}
    kinesis = plugins["kinesis"]
    assert (kinesis["status"], kinesis["distribution"], kinesis["version"]) == (
        "loaded",
        "tauro-kinesis",
        "0.1.0",
    )
    assert kinesis["formats"] == {
        "readers": ["kinesis"],
        "writers": ["kinesis"],
        "validators": ["kinesis:input", "kinesis:output"],
    }


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
