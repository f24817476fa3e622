"""Fresh virtualenvs holding only the given distributions, for install-alone checks.

Tauro's heavy third-party dependencies (pyspark from the wheel cached under
``$TAURO_CACHE/wheels``, pyarrow, pandas, numpy) are installed once into a shared directory that
each virtualenv sees through a ``.pth`` file: pip finds them installed, so a virtualenv costs the
small packages only, not a 500 MB unpack per test module. Tauro's own distributions are
installed into the virtualenv itself, each alone with tauro-core.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("TAURO_CACHE", Path.home() / ".cache" / "tauro"))


def run(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, env=env, timeout=900)


#: tauro-core's heavy dependencies, as its pyproject pins them.
HEAVY = ("pyspark==4.2.0", "pyarrow>=15", "pandas>=2.0,<3")


def heavy_dependencies() -> Path:
    """The shared directory holding ``HEAVY`` for this Python, installed on first use."""
    version = f"py{sys.version_info.major}{sys.version_info.minor}"
    target = CACHE / "install-base" / f"{version}-pyspark-4.2.0"
    if (target / ".complete").exists():
        return target
    temp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    shutil.rmtree(temp, ignore_errors=True)
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--find-links", CACHE / "wheels"]
    installed = run(*pip, "--target", temp, *HEAVY)
    assert installed.returncode == 0, f"{installed.stdout}\n{installed.stderr}"
    (temp / ".complete").write_text("")
    shutil.rmtree(target, ignore_errors=True)
    os.replace(temp, target)  # whole or absent: an interrupted install is redone
    return target


def fresh_venv(tmp_path_factory: pytest.TempPathFactory, *distributions: str) -> Path:
    """A virtualenv with the repository's ``distributions`` (directory names) installed."""
    if not list((CACHE / "wheels").glob("pyspark-4.2.0-*.whl")):
        pytest.fail("the cached pyspark wheel is missing; run the tests through ./dev test")
    base = heavy_dependencies()
    path = tmp_path_factory.mktemp("venv-" + "-".join(d.removeprefix("tauro-") for d in distributions))
    created = run(sys.executable, "-m", "venv", path)
    assert created.returncode == 0, created.stderr
    site = run(path / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])")
    (Path(site.stdout.strip()) / "tauro-heavy-dependencies.pth").write_text(f"{base}\n")
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
