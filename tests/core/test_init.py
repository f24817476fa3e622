"""``tauro init``: a project whose tests pass at once, and a plugin `tauro plugins` lists."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from tauro.cli import main
from tauro.config.json_schema import context_schema, pipeline_schema
from tests.install_venv import fresh_venv, listed_plugins


def _init(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["init", *args])
    return result.exit_code, result.output


def test_a_project_is_a_pipeline_a_context_transforms_and_a_test(tmp_path: Path) -> None:
    target = tmp_path / "My Orders"
    code, output = _init(str(target))
    assert code == 0, output
    names = sorted(str(p.relative_to(target)) for p in target.rglob("*") if p.is_file())
    assert names == [
        ".gitignore",
        "README.md",
        "context.yaml",
        "pipeline.yaml",
        "pyproject.toml",
        "schemas/context.schema.json",
        "schemas/pipeline.schema.json",
        "tests/test_pipeline.py",
        "transforms.py",
    ]
    pipeline = yaml.safe_load((target / "pipeline.yaml").read_text())
    assert pipeline["name"] == "my_orders"
    jsonschema.validate(pipeline, pipeline_schema())
    jsonschema.validate(yaml.safe_load((target / "context.yaml").read_text()), context_schema())
    result = CliRunner().invoke(
        main, ["validate", str(target / "pipeline.yaml"), "--import", str(target / "transforms.py")]
    )
    assert result.exit_code == 0, result.output


def test_a_directory_that_is_not_empty_is_refused_unless_forced(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "pipeline.yaml").write_text("old")
    code, output = _init(str(tmp_path))
    assert code == 1
    assert "is not empty (notes.txt, pipeline.yaml)" in output and "--force" in output
    assert (tmp_path / "pipeline.yaml").read_text() == "old"
    code, output = _init(str(tmp_path), "--force")
    assert code == 0, output
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert (tmp_path / "pipeline.yaml").read_text().startswith("# yaml-language-server: $schema=")


def test_a_plugin_name_must_be_a_format_name(tmp_path: Path) -> None:
    code, output = _init("--plugin", "Acme-Co", str(tmp_path / "p"))
    assert code == 2 and "is not a format name" in output
    assert not (tmp_path / "p").exists()


@pytest.mark.slow
def test_the_scaffolds_install_and_their_tests_pass(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """One virtualenv with tauro-core alone, the plugin installed with ``pip install -e``, and one
    pytest run (one local Spark) over the project's test and the plugin's conformance suite."""
    project, plugin = tmp_path / "orders", tmp_path / "tauro-acme-files"
    assert _init(str(project))[0] == 0
    assert _init("--plugin", "acme_files", str(plugin))[0] == 0
    venv = fresh_venv(tmp_path_factory, "tauro-core")
    python = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    installed = subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "-e", f"{plugin}[test]"],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr

    listed = listed_plugins(venv)
    assert listed["acme_files"]["status"] == "loaded"
    assert listed["acme_files"]["distribution"] == "tauro-acme-files"
    assert listed["acme_files"]["formats"] == {
        "readers": ["acme_files"],
        "writers": ["acme_files"],
        "validators": ["acme_files:input", "acme_files:output"],
    }

    tests = subprocess.run(
        [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", project / "tests", plugin / "tests"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=900,
    )
    assert tests.returncode == 0, tests.stdout[-4000:] + tests.stderr[-2000:]
    # The project's 2 tests and the conformance suite (its round trip on Spark included) ran.
    summary = tests.stdout.strip().splitlines()[-1]
    passed = re.search(r"(\d+) passed", summary)
    assert passed and int(passed[1]) >= 10 and "failed" not in summary, summary
    assert json.loads((project / "schemas" / "pipeline.schema.json").read_text())["$schema"].endswith(
        "2020-12/schema"
    )
