"""Install-alone checks: tauro-core in a fresh virtualenv, with a third-party plugin.

Slow-ish (a virtualenv with pyspark from the cached wheel) but part of the default run: it is
the proof that `pip install tauro-core tauro-acme` is all a user does.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.install_venv import fresh_venv

REPO = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("TAURO_CACHE", Path.home() / ".cache" / "tauro"))


def run(
    *args: str | Path, env: dict[str, str] | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True, env=env, timeout=900)
    if check and result.returncode != 0:
        raise AssertionError(f"{args} failed:\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fresh_venv(tmp_path_factory, "tauro-core")


def tauro(
    venv: Path, *args: str | Path, extra_env: dict[str, str] | None = None, check: bool = False
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(extra_env or {})
    return run(venv / "bin" / "tauro", *args, env=env, check=check)


@pytest.mark.slow
def test_core_alone_lists_builtins_and_validates(venv: Path, tmp_path: Path) -> None:
    result = tauro(venv, "plugins", "--all", "--json", check=True)
    plugins = {p["name"]: p for p in json.loads(result.stdout)}
    assert list(plugins) == ["builtin"]
    assert plugins["builtin"]["distribution"] == "tauro-core"
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "nodes:\n"
        "  - {name: a, input: {format: rate, options: {rowsPerSecond: -1}}, output: {format: noop}}\n"
        "  - {name: b, input: {format: rate}, output: {format: nope}}\n"
        "  - {name: c, input: {format: rate}, output: {format: noop}, depends_on: [zzz]}\n"
    )
    result = tauro(venv, "validate", bad)
    assert result.returncode == 1
    for path in ("nodes[0].input.options.rowsPerSecond", "nodes[1].output.format", "nodes[2].depends_on[0]"):
        assert path in result.stdout


@pytest.mark.slow
def test_third_party_plugin_is_listed_and_validated(venv: Path, tmp_path: Path) -> None:
    pip = [venv / "bin" / "python", "-m", "pip", "install", "--quiet", "--no-deps"]
    run(*pip, REPO / "tests" / "fixtures" / "tauro-acme", REPO / "tests" / "fixtures" / "tauro-broken")
    result = tauro(venv, "plugins", "--all", "--json")
    assert result.returncode == 2  # a failed plugin is reported, the rest still load
    plugins = {p["name"]: p for p in json.loads(result.stdout)}
    assert plugins["acme"]["status"] == "loaded"
    assert plugins["acme"]["distribution"] == "tauro-acme"
    assert plugins["acme"]["version"] == "1.2.3"
    assert plugins["acme"]["formats"]["readers"] == ["acme"]
    assert plugins["broken"]["status"] == "failed"
    assert "acme-sdk" in plugins["broken"]["error"]
    assert plugins["builtin"]["status"] == "loaded"

    pipeline = tmp_path / "p.yaml"
    pipeline.write_text(
        "nodes:\n  - {name: a, input: {format: acme, options: "
        "{endpoint: 'http://x'}}, output: {format: console}}\n"
    )
    result = tauro(venv, "validate", pipeline)
    assert result.returncode == 1
    assert "nodes[0].input.options.endpoint: must start with acme://" in result.stdout

    result = tauro(venv, "plugins", "--json", extra_env={"TAURO_DISABLE_PLUGINS": "broken"})
    assert result.returncode == 0
    assert "broken" not in {p["name"] for p in json.loads(result.stdout)}
