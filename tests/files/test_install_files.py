"""Install-alone check: tauro-core and tauro-files in a fresh virtualenv, nothing else.

Slow-ish (a virtualenv with pyspark from the cached wheel) but part of the default run: it is
the proof that `pip install tauro-core tauro-files` is all a user does.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.install_venv import assert_family_alone, fresh_venv, tauro

NAMED = ("avro", "csv", "json", "orc", "parquet", "text")


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fresh_venv(tmp_path_factory, "tauro-core", "tauro-files")


@pytest.mark.slow
def test_files_plugin_is_listed_with_its_formats(venv: Path) -> None:
    assert_family_alone(
        venv,
        "files",
        {
            # The generic names and Spark's file format names (format: parquet, ...).
            "readers": ["avro", "csv", "file_stream", "json", "orc", "parquet", "text"],
            "writers": ["avro", "csv", "file", "json", "orc", "parquet", "text"],
            "validators": sorted(
                ["file:output", "file_stream:input"]
                + [f"{f}:{role}" for f in NAMED for role in ("input", "output")]
            ),
        },
    )


@pytest.mark.slow
def test_files_validation_runs_in_the_installed_cli(venv: Path, tmp_path: Path) -> None:
    pipeline = tmp_path / "p.yaml"
    pipeline.write_text(
        "nodes:\n"
        "  - name: raw\n"
        "    input: {format: file_stream, path: /data/in, options: {format: json}}\n"
        "    output: {format: file, path: /data/out, options: {format: parquet}}\n"
        "    streaming: {output_mode: complete}\n"
    )
    result = tauro(venv, "validate", pipeline)
    assert result.returncode == 1
    assert "nodes[0].input.schema: is required for options.format json" in result.stdout
    assert "nodes[0].output: streaming.output_mode is 'complete'" in result.stdout
