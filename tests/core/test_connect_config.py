"""Spark Connect without a server: the remote in a Context, its redaction, what validation
refuses over Connect, and the check of a server's packages and conf (against a fake session's
``conf``). Pipelines over a real Connect server: tests/delta/test_connect.py."""

from __future__ import annotations

import os
import runpy
from pathlib import Path
from typing import Any

import pytest
import yaml

from tauro.config.context import Context, context_settings
from tauro.connect_session import check_connect_server, has_package
from tauro.errors import StreamingValidationError
from tauro.plugin import is_connect, redact_connect_url, redact_text, refuse_over_connect
from tauro.plugin.context import runs_over_connect
from tauro.spark_settings import MergedSparkSettings
from tauro.streaming.validators import StreamingValidator
from tests.conftest import REPO

URL = "sc://spark.example.com:15002/;token=s3cr3t-t0ken;user_id=ana;use_ssl=true"


def test_remote_from_the_constructor_is_redacted_wherever_it_is_shown(tmp_path: Path) -> None:
    context = Context(remote=URL, base_dir=tmp_path)
    assert context.remote == URL
    assert context.spark_target == "sc://spark.example.com:15002/;token=***;user_id=ana;use_ssl=true"
    assert "s3cr3t" not in repr(context) and "remote='sc://spark.example.com:15002/" in repr(context)
    assert context_settings(context)["remote"] == URL
    assert runs_over_connect(context)
    # The token, once seen, is scrubbed from any text Tauro redacts (Spark's errors echo URLs).
    assert redact_text("cannot reach s3cr3t-t0ken") == "cannot reach ***"


def test_remote_from_spark_remote_and_from_a_context_file(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("SPARK_REMOTE", "sc://localhost:15002")
    assert Context(base_dir=tmp_path).remote == "sc://localhost:15002"
    assert Context(base_dir=tmp_path, remote="sc://other:1").remote == "sc://other:1"
    monkeypatch.delenv("SPARK_REMOTE")
    assert Context(base_dir=tmp_path).remote is None
    assert not runs_over_connect(Context(base_dir=tmp_path))
    file = tmp_path / "context.yaml"
    file.write_text(yaml.safe_dump({"spark": {"remote": "sc://h:15002/;token=abcd1234"}}))
    loaded = Context.load_from_file(file)
    assert loaded.remote == "sc://h:15002/;token=abcd1234"
    assert "abcd1234" not in repr(loaded)


@pytest.mark.parametrize("remote", ["http://h:15002", "sc://", "local[2]"])
def test_a_remote_that_is_not_a_connect_url_is_refused(tmp_path: Path, remote: str) -> None:
    with pytest.raises(StreamingValidationError) as caught:
        Context(remote=remote, base_dir=tmp_path)
    assert caught.value.field == "spark.remote"
    assert "sc://host:15002" in caught.value.message


def test_a_bad_spark_remote_names_the_variable_and_hides_the_token(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("SPARK_REMOTE", "grpc://h:1/;token=zzzz9999")
    with pytest.raises(StreamingValidationError) as caught:
        Context(base_dir=tmp_path)
    assert "SPARK_REMOTE" in caught.value.message and "zzzz9999" not in caught.value.message


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("sc://h:15002", "sc://h:15002"),
        ("sc://h:15002/;token=abc12345", "sc://h:15002/;token=***"),
        ("sc://h/;user_id=u;token=abc12345;session_id=x", "sc://h/;user_id=u;token=***;session_id=x"),
        ("sc://u:pw123456@h:15002", "sc://***@h:15002"),
        ("sc://h/;x-api-secret=abcd", "sc://h/;x-api-secret=***"),
    ],
)
def test_redact_connect_url(url: str, shown: str) -> None:
    assert redact_connect_url(url) == shown


def _medallion() -> dict[str, Any]:
    runpy.run_path(str(REPO / "examples" / "medallion" / "transforms.py"))
    return yaml.safe_load((REPO / "examples" / "medallion" / "pipeline.yaml").read_text())


def test_validation_over_connect_refuses_what_needs_tauro_on_the_server_and_says_why() -> None:
    pipeline = _medallion()
    variables = {"LANDING": "/data/landing"}
    StreamingValidator().validate_streaming_pipeline_config(pipeline, variables=variables)  # classic: fine
    report = StreamingValidator(connect=True).check_pipeline(pipeline, variables=variables)
    problems = {p.field: p.message for p in report.problems}
    # The merge node (nodes[2]) runs over Connect: its batch function needs only pyspark.
    assert set(problems) == {
        "nodes[0].input.dead_letter",
        "nodes[1].input.dead_letter",
        "nodes[1].expectations",
    }
    assert all("not supported over Spark Connect" in m for m in problems.values())
    assert "foreachBatch" in problems["nodes[0].input.dead_letter"]


def test_validation_over_connect_refuses_python_data_sources() -> None:
    node = {
        "name": "m",
        "input": {"format": "memory", "schema": "id INT", "options": {"rows": [{"id": 1}]}},
        "output": {"format": "console"},
    }
    report = StreamingValidator(connect=True).check_node(node, require_output=True)
    assert [p.field for p in report.problems] == ["input.format"]
    assert "Python data source" in report.problems[0].message
    assert StreamingValidator().check_node(node, require_output=True).problems == []


def test_validation_over_connect_refuses_kinesis() -> None:
    pytest.importorskip("tauro_kinesis")
    node = {
        "name": "k",
        "input": {"format": "kinesis", "options": {"streamName": "s", "region": "us-east-1"}},
        "output": {"format": "console"},
    }
    report = StreamingValidator(connect=True).check_node(node, require_output=True)
    assert [p.field for p in report.problems] == ["input.format"]
    assert "tauro-kinesis" in report.problems[0].message


class FakeConf:
    """The part of a Connect session's ``conf`` Tauro uses."""

    def __init__(self, values: dict[str, str], modifiable: set[str]) -> None:
        self.values = values
        self.modifiable = modifiable
        self.set_calls: dict[str, str] = {}

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    def isModifiable(self, key: str) -> bool:
        return key in self.modifiable

    def set(self, key: str, value: str) -> None:
        self.set_calls[key] = value
        self.values[key] = value


class FakeSession:
    def __init__(self, conf: FakeConf) -> None:
        self.conf = conf


DELTA = "io.delta:delta-spark_4.2_2.13:4.4.0"
DELTA_JARS = "file:///root/.ivy2/jars/io.delta_delta-spark_4.2_2.13-4.4.0.jar,file:///x/other.jar"
EXTENSIONS = {"spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension"}


def test_a_server_holding_the_packages_and_conf_gets_only_the_modifiable_conf_set() -> None:
    conf = FakeConf(
        {"spark.jars": DELTA_JARS, **EXTENSIONS},
        modifiable={"spark.sql.shuffle.partitions", "spark.sql.session.timeZone"},
    )
    merged = MergedSparkSettings(packages=(DELTA,), conf=dict(EXTENSIONS))
    check_connect_server(FakeSession(conf), "sc://h", {"spark.sql.shuffle.partitions": "4"}, merged)
    assert conf.set_calls == {"spark.sql.session.timeZone": "UTC", "spark.sql.shuffle.partitions": "4"}


def test_missing_packages_and_static_conf_name_the_flags_to_start_the_server_with() -> None:
    conf = FakeConf({}, modifiable=set())
    merged = MergedSparkSettings(packages=(DELTA,), conf=dict(EXTENSIONS))
    with pytest.raises(StreamingValidationError) as caught:
        check_connect_server(
            FakeSession(conf), "sc://h:15002/;token=***", {"spark.ui.enabled": "false"}, merged
        )
    messages = [p.message for p in caught.value.problems]
    assert len(messages) == 3
    assert f"start the server with --packages {DELTA}" in messages[0]
    assert "--conf spark.sql.extensions=io.delta.sql.DeltaSparkSessionExtension" in messages[1]
    assert "--conf spark.ui.enabled=false" in messages[2] and "the context's spark conf" in messages[2]
    assert all(p.field == "spark.remote" for p in caught.value.problems)


def test_server_packages_are_found_by_coordinates_or_jar_name() -> None:
    assert has_package(({DELTA}, set()), DELTA)
    assert has_package((set(), {"io.delta_delta-spark_4.2_2.13-4.4.0.jar"}), DELTA)
    assert has_package((set(), {"delta-spark_4.2_2.13-4.4.0.jar"}), DELTA)
    assert not has_package((set(), {"io.delta_delta-spark_4.2_2.13-4.3.0.jar"}), DELTA)


def test_refuse_over_connect_does_nothing_on_a_classic_session() -> None:
    classic = FakeSession(FakeConf({}, set()))
    assert not is_connect(classic)
    refuse_over_connect(classic, "format", "never raised")


def test_tauro_validate_with_a_remote_context_refuses_what_connect_cannot_run(tmp_path: Path) -> None:
    # In its own process: the CLI replaces loguru's handlers (the stdlib bridge included).
    import subprocess
    import sys

    (tmp_path / "context.yaml").write_text('spark: {remote: "sc://h:15002"}\n')
    demo = REPO / "examples" / "medallion"
    tauro = [str(Path(sys.executable).with_name("tauro")), "validate", str(demo / "pipeline.yaml")]
    tauro += ["--import", str(demo / "transforms.py")]
    env = {k: v for k, v in os.environ.items() if k != "SPARK_REMOTE"} | {"LANDING": str(tmp_path)}

    def run(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*tauro, *extra], capture_output=True, text=True, env=env, timeout=120)

    assert run().returncode == 0
    refused = run("--context", str(tmp_path / "context.yaml"))
    assert refused.returncode == 1
    assert "nodes[1].expectations" in refused.stdout + refused.stderr
    assert "nodes[2]" not in refused.stdout + refused.stderr  # the merge runs over Connect
    assert "not supported over Spark Connect" in refused.stdout + refused.stderr
