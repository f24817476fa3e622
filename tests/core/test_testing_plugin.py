"""The test kit itself: the pytest plugin's fixtures, the bounded runner with replaced inputs
and collected outputs, and a user's test module run by pytest (``pytester``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tauro.streaming.transformations import TransformationRegistry
from tauro.testing import PipelineFailed, Rows, from_output

pytest_plugins = ["pytester"]

MEDALLION = """
name: orders
streaming:
  checkpoint_location: /var/lib/tauro/checkpoints
nodes:
  - name: bronze
    input:
      format: kafka
      options:
        kafka.bootstrap.servers: ${BROKERS}
        subscribe: orders
        startingOffsets: earliest
      parse_json: true
      json_schema: "id BIGINT, amount DOUBLE, country STRING"
      dead_letter:
        format: delta
        path: /data/orders_dead
    transforms: [big_orders]
    output:
      format: delta
      path: /data/orders_bronze
  - name: by_country
    depends_on: [bronze]
    input:
      format: delta_stream
      path: /data/orders_bronze
    transforms: [count_by_country]
    streaming:
      output_mode: complete
    output:
      format: delta
      path: /data/orders_by_country
"""


def big_orders(df: Any) -> Any:
    return df.where("amount >= 10")


def count_by_country(df: Any) -> Any:
    return df.groupBy("country").count()


@pytest.fixture
def medallion(tmp_path: Path) -> Path:
    TransformationRegistry.register("big_orders", big_orders)
    TransformationRegistry.register("count_by_country", count_by_country)
    path = tmp_path / "orders.yaml"
    path.write_text(MEDALLION)
    return path


def order(i: int, amount: float, country: str) -> dict[str, Any]:
    return {"value": json.dumps({"id": i, "amount": amount, "country": country})}


def test_kafka_to_delta_pipeline_runs_without_broker_or_tables(medallion: Path, tauro_pipeline: Any) -> None:
    result = tauro_pipeline(
        medallion,
        variables={"BROKERS": "127.0.0.1:1"},  # nothing listens there: the source is replaced
        inputs={
            "bronze": Rows(
                [order(1, 5.0, "ES"), order(2, 12.5, "ES"), {"value": "not json"}, order(3, 40.0, "FR")],
                schema="value STRING, topic STRING",
            ),
            "by_country": from_output("bronze"),
        },
    )
    assert sorted(result.rows("bronze"), key=lambda r: r["id"]) == [
        {"id": 2, "amount": 12.5, "country": "ES"},
        {"id": 3, "amount": 40.0, "country": "FR"},
    ]
    assert sorted((r["country"], r["count"]) for r in result.rows("by_country")) == [("ES", 1), ("FR", 1)]
    [letter] = result.dead_letters["bronze"]
    assert letter["payload"] == "not json"
    assert letter["error"].startswith("not valid JSON")
    assert letter["node"] == "bronze"
    assert not Path("/data/orders_bronze").exists()
    assert result.status["status"] == "completed"


USER_TRANSFORMS = """
from tauro.streaming.transformations import TransformationRegistry


def to_cents(df):
    return df.selectExpr("id", "CAST(round(amount * 100) AS BIGINT) AS cents")


TransformationRegistry.register("to_cents", to_cents)
"""

USER_TESTS = """
import json

PIPELINE = {
    "name": "payments",
    "nodes": [
        {
            "name": "cents",
            "input": {
                "format": "kafka",
                "options": {"kafka.bootstrap.servers": "127.0.0.1:1", "subscribe": "payments"},
                "parse_json": True,
                "json_schema": "id BIGINT, amount DOUBLE",
            },
            "transforms": ["to_cents"],
            "output": {
                "format": "kafka",
                "options": {"kafka.bootstrap.servers": "127.0.0.1:1", "topic": "cents"},
            },
        }
    ],
}
ROWS = [{"value": json.dumps({"id": 1, "amount": 2.5})}, {"value": json.dumps({"id": 2, "amount": 0.1})}]


def test_right_expectation(tauro_pipeline):
    result = tauro_pipeline(PIPELINE, inputs={"cents": ROWS}, imports=["transforms.py"])
    assert sorted(result.rows("cents"), key=lambda r: r["id"]) == [
        {"id": 1, "cents": 250},
        {"id": 2, "cents": 10},
    ]


def test_wrong_expectation(tauro_pipeline):
    result = tauro_pipeline(PIPELINE, inputs={"cents": ROWS}, imports=["transforms.py"])
    assert result.rows("cents") == [{"id": 1, "cents": 2}]
"""


def test_a_users_test_module_passes_and_a_wrong_expectation_fails(
    pytester: pytest.Pytester, spark: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(transforms=USER_TRANSFORMS, test_payments=USER_TESTS)
    monkeypatch.chdir(pytester.path)
    # In-process: the user's tests share this run's Spark session (tauro_spark reuses it).
    result = pytester.runpytest("-p", "no:cacheprovider", "test_payments.py")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*test_wrong_expectation*", "*assert*cents*"])
    assert spark.range(1).count() == 1  # the shared session is still up


def test_the_plugin_loads_without_spark_and_prefixes_its_fixtures(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_load="""
import sys

def test_no_spark_at_load(request):
    assert "pyspark" not in sys.modules
    assert request.config.pluginmanager.has_plugin("tauro")
"""
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--fixtures", "test_load.py")
    names = [line.split()[0] for line in result.stdout.lines if line.startswith("tauro_")]
    assert sorted(names) == ["tauro_context", "tauro_pipeline", "tauro_spark", "tauro_spark_conf"]
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "test_load.py")
    result.assert_outcomes(passed=1)


def test_a_failing_node_fails_the_run_with_its_error(tauro_pipeline: Any) -> None:
    def explode(df: Any) -> Any:
        from pyspark.sql import functions as F

        fail = F.udf(lambda v: 1 // 0, "int")
        return df.withColumn("boom", fail(F.col("id")))

    TransformationRegistry.register("explode", explode)
    config = {
        "name": "fragile",
        "nodes": [
            {
                "name": "boom",
                "input": {"format": "delta_stream", "path": "/nowhere/events"},
                "transforms": ["explode"],
                "output": {"format": "console"},
            }
        ],
    }
    with pytest.raises(PipelineFailed, match="boom: failed") as failed:
        tauro_pipeline(config, inputs={"boom": Rows([{"id": 1}], schema="id BIGINT")})
    assert "ZeroDivisionError" in str(failed.value) or "division" in str(failed.value)
    assert failed.value.result.rows("boom") == []


def test_inputs_must_name_pipeline_nodes(tauro_pipeline: Any) -> None:
    config = {
        "name": "p",
        "nodes": [{"name": "a", "input": {"format": "rate"}, "output": {"format": "console"}}],
    }
    with pytest.raises(KeyError, match="nodes that are not in pipeline 'p': b"):
        tauro_pipeline(config, inputs={"b": [{"id": 1}]})


BROKEN_PLUGIN_TESTS = """
from tauro.testing import FormatConformance


class TestAcmeConformance(FormatConformance):
    format = "acme"
    plugin = "acme"
    roles = ("input",)
    input = {"options": {"queue": "q1"}}
"""


class _AcmeReader:
    """A reader breaking the contract: metadata columns in a list, unknown options unchecked,
    an options_schema its own valid section does not fit, and a preflight that crashes instead
    of raising a validation error."""

    @staticmethod
    def cls() -> type:
        from tauro.plugin import int_option, options_object
        from tauro.streaming.readers import BaseStreamingReader

        class AcmeReader(BaseStreamingReader):
            required_options = ("queue",)
            metadata_columns = ["queue"]  # type: ignore[assignment]
            options_schema = options_object({"queue": int_option("A queue number.")})  # but "q1" is valid

            def preflight(self, spark: Any, **options: Any) -> None:
                raise RuntimeError("could not reach acme")

        return AcmeReader


class _AcmePlugin:
    from tauro import hookimpl

    @hookimpl
    def tauro_register_readers(self, registry: Any) -> None:
        registry.add("acme", _AcmeReader.cls())


def test_the_conformance_suite_fails_a_plugin_that_breaks_the_contract(
    pytester: pytest.Pytester, register_plugin: Any, spark: Any
) -> None:
    register_plugin(_AcmePlugin(), "acme")
    pytester.makepyfile(test_acme=BROKEN_PLUGIN_TESTS)
    result = pytester.runpytest("-p", "no:cacheprovider", "-rA", "-k", "not round_trip", "test_acme.py")
    result.assert_outcomes(passed=2, failed=5, skipped=1, deselected=1)
    text = result.stdout.str()
    assert "no entry point 'acme' in group 'tauro.plugins'" in text
    assert "metadata_columns must be a tuple" in text
    assert "tauroConformanceUnknownOption' passed validation without an error" in text
    assert "could not reach acme" in text
    assert 'tauro schema refuses the valid input section: ["$.nodes[0].input.options.queue' in text
    result.stdout.fnmatch_lines(["PASSED *test_valid_sections_validate*", "PASSED *test_missing_required*"])


def test_uncollected_outputs_write_for_real_and_dataframes_are_inputs(
    tauro_pipeline: Any, spark: Any, tmp_path: Path
) -> None:
    from pyspark.testing import assertDataFrameEqual

    config = {
        "name": "split",
        "nodes": [
            {
                "name": "to_files",
                "input": {"format": "kafka", "options": {"kafka.bootstrap.servers": "x:1", "subscribe": "t"}},
                "output": {"format": "parquet", "path": str(tmp_path / "out")},
            },
            {
                "name": "kept",
                "input": {"format": "delta", "path": str(tmp_path / "missing")},
                "output": {"format": "console"},
            },
        ],
    }
    frame = spark.createDataFrame([(1, "a"), (2, "b")], "id BIGINT, name STRING")
    result = tauro_pipeline(config, inputs={"to_files": frame, "kept": frame}, collect=["kept"])
    assert set(result.outputs) == {"kept"}
    assertDataFrameEqual(result.dataframe(spark, "kept"), frame)
    assertDataFrameEqual(spark.read.parquet(str(tmp_path / "out")), frame)
