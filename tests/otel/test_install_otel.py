"""Install-alone check: tauro-core and tauro-otel in a fresh virtualenv, with no tracing SDK.

Without an SDK the OpenTelemetry API is a no-op; the plugin must load and a real run must finish
as it does without the plugin.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.install_venv import assert_family_alone, fresh_venv, run, tauro

from ..core.streams import spool_with


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fresh_venv(tmp_path_factory, "tauro-core", "tauro-otel")


@pytest.mark.slow
def test_otel_plugin_alone_loads_and_a_run_finishes_without_an_sdk(venv: Path, tmp_path: Path) -> None:
    assert_family_alone(venv, "otel", {"readers": [], "writers": [], "validators": []})
    sdk = run(venv / "bin" / "python", "-c", "import opentelemetry.sdk")
    assert sdk.returncode != 0, "the API alone should be installed, not the SDK"

    spool = spool_with(tmp_path / "spool", [{"id": i, "value": f"v{i}"} for i in range(5)]).path
    out = tmp_path / "ids.json"
    sink = tmp_path / "sink.py"
    sink.write_text(
        "import json\nfrom tauro.streaming import TransformationRegistry\n\n"
        "def save(df, batch_id):\n"
        f"    with open({str(out)!r}, 'a') as f:\n"
        "        f.write(json.dumps([r.id for r in df.collect()]) + '\\n')\n\n"
        "TransformationRegistry.register('save', save)\n"
    )
    pipeline = tmp_path / "pipeline.yaml"
    pipeline.write_text(
        "name: traced\nnodes:\n"
        "  - name: copy\n"
        f"    input: {{format: memory, schema: 'id BIGINT, value STRING', options: {{spool: '{spool}'}}}}\n"
        "    output: {format: foreach_batch, options: {function: save}}\n"
        "    streaming: {trigger: {type: available_now}}\n"
    )
    context = tmp_path / "context.yaml"
    spark = "spark: {master: 'local[1]', conf: {spark.ui.enabled: false}}"
    context.write_text(f"{spark}\nbase_dir: '{tmp_path / 'state'}'\n")
    result = tauro(venv, "run", pipeline, "--context", context, "--import", sink)
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    batches = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(i for batch in batches for i in batch) == [0, 1, 2, 3, 4]
