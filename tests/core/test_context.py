from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from tauro.config.context import Context, context_settings
from tauro.config.policy import FormatPolicy
from tauro.streaming.exceptions import StreamingValidationError
from tauro.streaming.transformations import TransformationRegistry


def test_context_file_resolves_relative_paths_and_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CP_ROOT", "/data/cp")
    file = tmp_path / "conf" / "context.yaml"
    file.parent.mkdir()
    file.write_text(
        "spark: {master: 'local[1]', app_name: x, conf: {spark.sql.shuffle.partitions: 3, flag: true}}\n"
        "base_dir: state\ncheckpoint_base: ${CP_ROOT}\nenvironment: production\n"
        "format_policy: {inputs: [rate], outputs: [noop]}\n"
    )
    context = Context.load_from_file(file)
    assert context.base_dir == tmp_path / "conf" / "state"
    assert context.checkpoint_base == "/data/cp"
    assert context.warehouse == str(tmp_path / "conf" / "state" / "warehouse")
    assert context.spark_conf == {"spark.sql.shuffle.partitions": "3", "flag": "true"}
    assert context.is_production
    assert context.format_policy.inputs == frozenset({"rate"})
    assert context.runs_dir == tmp_path / "conf" / "state" / "runs"
    assert not context.has_spark()  # the session is built lazily


def test_context_file_problems_name_their_paths(tmp_path: Path) -> None:
    file = tmp_path / "context.yaml"
    file.write_text("spark: {mastr: local}\nenvironment: staging\ncheckpoint_base: ${UNSET_CP_VAR}\n")
    with pytest.raises(StreamingValidationError) as info:
        Context.load_from_file(file)
    fields = {p.field for p in info.value.problems}
    assert {"spark.mastr", "environment", "checkpoint_base"} <= fields
    assert "did you mean 'master'" in str(info.value)


def test_default_context_and_dict_context(tmp_path: Path) -> None:
    context = Context(base_dir=tmp_path)
    assert context.checkpoint_base == str(tmp_path / "checkpoints")
    assert context.environment == "dev" and isinstance(context.format_policy, FormatPolicy)
    settings = context_settings({"spark": object(), "environment": "production", "checkpoint_base": "/cp"})
    assert settings["checkpoint_base"] == "/cp" and settings["environment"] == "production"
    with pytest.raises(StreamingValidationError, match="environment"):
        Context(environment="staging")


def test_embedded_session_gets_plugin_settings_and_session_ready(spark: Any, tmp_path: Path) -> None:
    # The shared session was built by Context.spark: the builtin plugin's session hook ran,
    # so the memory data source is registered, and the context's conf is applied.
    assert spark.conf.get("spark.sql.shuffle.partitions") == "2"
    assert spark.conf.get("spark.sql.session.timeZone") == "UTC"
    from tauro.builtin.memory_source import DATA_SOURCE_NAME

    # Resolving the format fails unless tauro_session_ready registered the Python data source.
    df = spark.readStream.format(DATA_SOURCE_NAME).schema("a STRING").option("spool", str(tmp_path)).load()
    assert df.isStreaming and df.columns == ["a"]


def test_transformation_registry_is_thread_safe() -> None:
    import threading

    def register(i: int) -> None:
        for j in range(50):
            TransformationRegistry.register(f"t{i}_{j}", lambda df: df)

    threads = [threading.Thread(target=register, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len([k for k in TransformationRegistry.list_transformations() if k.startswith("t")]) == 400
    assert TransformationRegistry.unregister("t0_0") is True
    assert TransformationRegistry.unregister("t0_0") is False


def test_records_reach_the_standard_logging_module(
    context: Any, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    from tauro.streaming.pipeline_manager import StreamingPipelineManager

    from .streams import memory_node, spool_with

    caplog.set_level(logging.INFO, logger="tauro")
    manager = StreamingPipelineManager(context, monitor_interval=0.5)
    try:
        node = memory_node("logged", spool_with(tmp_path / "s", [{"id": 1, "value": "x"}]).path)
        manager.wait(manager.start_pipeline("logging", {"nodes": [node]}), timeout=120)
    finally:
        manager.shutdown(30)
    names = {r.name for r in caplog.records}
    assert "tauro.streaming.pipeline_manager" in names
    assert any("accepted as" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("clean/events", "/data/out/clean/events"),
        ("/abs/events", "/abs/events"),
        ("s3a://bucket/events", "s3a://bucket/events"),
        ("file:/tmp/events", "file:/tmp/events"),
    ],
)
def test_relative_output_paths_lie_under_the_context_output_path(path: str, expected: str) -> None:
    from tauro.streaming.query_build import writer_options

    section = {"options": {"format": "json"}, "path": path, "table_name": None, "partition_by": None}
    assert writer_options(section, "/data/out/")["path"] == expected
    assert writer_options(section, None)["path"] == path
