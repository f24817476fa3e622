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
