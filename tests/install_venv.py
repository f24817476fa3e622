"""Fresh virtualenvs holding only the given distributions, for install-alone checks.

pyspark comes from the wheel cached under ``$TAURO_CACHE/wheels`` (built once by nox), so a
venv costs seconds, not a 450 MB source build.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("TAURO_CACHE", Path.home() / ".cache" / "tauro"))


def run(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, env=env, timeout=900)


def fresh_venv(tmp_path_factory: pytest.TempPathFactory, *distributions: str) -> Path:
    """A virtualenv with the repository's ``distributions`` (directory names) installed."""
    if not list((CACHE / "wheels").glob("pyspark-4.2.0-*.whl")):
        pytest.fail("the cached pyspark wheel is missing; run the tests through ./dev test")
    path = tmp_path_factory.mktemp("venv-" + "-".join(d.removeprefix("tauro-") for d in distributions))
    created = run(sys.executable, "-m", "venv", path)
    assert created.returncode == 0, created.stderr
    pip = [path / "bin" / "python", "-m", "pip", "install", "--quiet", "--find-links", CACHE / "wheels"]
    installed = run(*pip, *(REPO / d for d in distributions))
    assert installed.returncode == 0, f"{installed.stdout}\n{installed.stderr}"
    return path


def tauro(venv: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """The venv's own ``tauro`` command, with no trace of the test environment's packages."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return run(venv / "bin" / "tauro", *args, env=env)


def listed_plugins(venv: Path) -> dict[str, dict[str, Any]]:
    """``tauro plugins --json`` of the venv, by plugin name."""
    result = tauro(venv, "plugins", "--json")
    assert result.returncode == 0, result.stderr
    return {p["name"]: p for p in json.loads(result.stdout)}


def assert_family_alone(venv: Path, family: str, formats: dict[str, list[str]]) -> None:
    """Only builtin and ``family`` are listed, loaded from tauro-<family> 0.1.0 with ``formats``."""
    plugins = listed_plugins(venv)
    assert set(plugins) == {"builtin", family}
    listed = plugins[family]
    assert (listed["status"], listed["distribution"], listed["version"]) == (
        "loaded",
        f"tauro-{family}",
        "0.1.0",
    )
    assert listed["formats"] == formats
