"""A session Tauro builds holds the packages of the plugins its pipelines use, and no others.

The real-Spark checks run in a child process: packages are fixed when a JVM starts, and the test
session (which holds every family's packages) is already running here.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tauro.session import format_uses, plugin_spark_settings
from tauro.streaming.validators import StreamingValidator

KAFKA_PACKAGE = "org.apache.spark:spark-sql-kafka-0-10_2.13"
AVRO_PACKAGE = "org.apache.spark:spark-avro_2.13"


def _files_node(name: str, source: str, out: str, fmt: str = "json") -> dict[str, Any]:
    return {
        "name": name,
        "input": {
            "format": "file_stream",
            "path": source,
            "schema": "id BIGINT, user STRING",
            "options": {"format": fmt},
        },
        "output": {"format": "file", "path": out, "options": {"format": "parquet"}},
        "streaming": {"trigger": {"type": "available_now"}},
    }


def _kafka_node(name: str, out: str) -> dict[str, Any]:
    return {
        "name": name,
        "input": {
            "format": "kafka",
            "options": {"kafka.bootstrap.servers": "127.0.0.1:9", "subscribe": "events"},
        },
        "output": {"format": "file", "path": out, "options": {"format": "parquet"}},
        "streaming": {"trigger": {"type": "available_now"}},
    }


def _uses(*nodes: dict[str, Any]) -> Any:
    report = StreamingValidator().check_pipeline({"nodes": list(nodes)}, name="p")
    assert report.ok, report.problems
    return format_uses(report.nodes, "p")


def _packages(uses: Any) -> list[str]:
    return [p.rsplit(":", 1)[0] for p in plugin_spark_settings(uses=uses).packages]


def test_files_only_pipeline_asks_for_no_kafka_or_avro_package(tmp_path: Path) -> None:
    pytest.importorskip("tauro_kafka")
    uses = _uses(_files_node("a", str(tmp_path / "in"), str(tmp_path / "out")))
    assert [u.format for u in uses] == ["file_stream", "file"]
    assert _packages(uses) == []


def test_avro_files_and_kafka_bring_their_own_packages(tmp_path: Path) -> None:
    pytest.importorskip("tauro_kafka")
    avro = _uses(_files_node("a", str(tmp_path / "in"), str(tmp_path / "out"), fmt="avro"))
    assert _packages(avro) == [AVRO_PACKAGE]
    kafka = _uses(_kafka_node("k", str(tmp_path / "out")))
    assert _packages(kafka) == [KAFKA_PACKAGE]
    # Spark's format names are found through the registry too: the files plugin owns them.
    named = _files_node("n", str(tmp_path / "in"), str(tmp_path / "out"))
    named["input"] = {"format": "json", "path": str(tmp_path / "in"), "schema": "id BIGINT"}
    named["output"] = {"format": "avro", "path": str(tmp_path / "avro")}
    assert _packages(_uses(named)) == [AVRO_PACKAGE]
    named["output"] = {"format": "parquet", "path": str(tmp_path / "parquet")}
    assert _packages(_uses(named)) == []
    # Asked for everything (a jar prefetch): every family's packages.
    everything = [p.rsplit(":", 1)[0] for p in plugin_spark_settings().packages]
    assert AVRO_PACKAGE in everything and KAFKA_PACKAGE in everything


CHILD = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from tauro.config.context import Context
    from tauro.streaming.exceptions import StreamingValidationError
    from tauro.streaming.pipeline_manager import StreamingPipelineManager

    base = Path(sys.argv[1])
    files, kafka, avro = (json.loads(a) for a in sys.argv[2:5])
    context = Context(master="local[1]", base_dir=base, spark_conf={"spark.ui.enabled": "false"})
    manager = StreamingPipelineManager(context)
    result = {}
    try:
        first = manager.start_pipeline("files_only", {"nodes": [files]})
        result["status"] = manager.wait(first, timeout=180)["status"]
        spark = context.spark
        jvm = spark.sparkContext._jvm
        loadable = jvm.org.apache.spark.util.Utils.classIsLoadable
        result["packages"] = spark.conf.get("spark.jars.packages", "")
        result["kafka_class"] = bool(loadable("org.apache.spark.sql.kafka010.KafkaSourceProvider"))
        result["avro_class"] = bool(loadable("org.apache.spark.sql.v2.avro.AvroDataSourceV2"))
        result["rows"] = spark.read.parquet(files["output"]["path"]).count()
        for key, later in (("refused", kafka), ("refused_avro", avro)):
            try:
                manager.start_pipeline(key, {"nodes": [files | {"name": "copy"}, later]})
                result[key] = None
            except StreamingValidationError as exc:
                result[key] = {"message": exc.message, "field": exc.field}
        result["pipelines"] = [p["pipeline_name"] for p in manager.list_pipelines()]
        result["active"] = [q.name for q in spark.streams.active]
    finally:
        manager.shutdown(30)
    print("RESULT " + json.dumps(result))
    """
)


def test_session_of_a_files_pipeline_holds_no_kafka_or_avro_and_refuses_a_kafka_pipeline(
    tmp_path: Path,
) -> None:
    pytest.importorskip("tauro_kafka")
    source = tmp_path / "in"
    source.mkdir()
    (source / "part-0.json").write_text('{"id": 1, "user": "a"}\n{"id": 2, "user": "b"}\n')
    files = _files_node("load", str(source), str(tmp_path / "out"))
    kafka = _kafka_node("events", str(tmp_path / "kafka_out"))
    avro = _files_node("to_avro", str(source), str(tmp_path / "avro_out"))
    avro["output"]["options"]["format"] = "avro"
    args = [json.dumps(node) for node in (files, kafka, avro)]
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path / ".tauro"), *args],
        capture_output=True,
        text=True,
        timeout=300,
    )
    lines = [line for line in child.stdout.splitlines() if line.startswith("RESULT ")]
    assert child.returncode == 0 and lines, child.stderr[-3000:]
    result = json.loads(lines[-1].removeprefix("RESULT "))
    assert result["status"] == "completed"
    assert result["rows"] == 2
    assert KAFKA_PACKAGE not in result["packages"] and AVRO_PACKAGE not in result["packages"]
    assert result["kafka_class"] is False and result["avro_class"] is False
    refused = result["refused"]
    assert refused is not None, "a pipeline needing a package the session lacks was accepted"
    assert refused["field"] == "nodes[1].input.format"
    assert KAFKA_PACKAGE in refused["message"] and "plugin 'kafka'" in refused["message"]
    assert "spark.jars.packages" in refused["message"] and "own process" in refused["message"]
    refused_avro = result["refused_avro"]
    assert refused_avro is not None and refused_avro["field"] == "nodes[1].output.format"
    assert AVRO_PACKAGE in refused_avro["message"] and "plugin 'files'" in refused_avro["message"]
    # Refused before anything of it started: not accepted as a pipeline, no query running.
    assert result["pipelines"] == ["files_only"]
    assert result["active"] == []


def test_session_ready_runs_only_for_used_plugins(register_plugin: Any) -> None:
    from tauro import hookimpl
    from tauro.session import prepare_session
    from tauro.spark_settings import FormatUse
    from tauro.streaming.readers import BaseStreamingReader

    calls: list[tuple[str, Any]] = []

    class Reader(BaseStreamingReader):
        pass

    class OncePerSession:
        @hookimpl
        def tauro_register_readers(self, registry: Any) -> None:
            registry.add("fake_once", Reader)

        @hookimpl
        def tauro_session_ready(self, spark: Any) -> None:
            calls.append(("once", spark))

    class PerUse:
        @hookimpl
        def tauro_register_readers(self, registry: Any) -> None:
            registry.add("fake_per_use", Reader)

        @hookimpl
        def tauro_session_ready(self, spark: Any, uses: Any) -> None:
            calls.append(("per_use", tuple(u.format for u in uses)))

    register_plugin(OncePerSession(), "fake_once")
    register_plugin(PerUse(), "fake_per_use")
    session = object()  # no hook of an unused plugin may touch it

    def use(fmt: str) -> FormatUse:
        return FormatUse(format=fmt, role="input", field="nodes[0].input")

    prepare_session(session, uses=[use("fake_per_use")])  # type: ignore[arg-type]
    assert calls == [("per_use", ("fake_per_use",))]
    for _ in range(2):
        prepare_session(session, uses=[use("fake_once")])  # type: ignore[arg-type]
    assert calls == [("per_use", ("fake_per_use",)), ("once", session)]
