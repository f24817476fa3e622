"""Expectations are validated before anything runs (no SparkSession): every problem with its
path; unknown columns and non-boolean expressions in the node's preflight."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tauro.errors import StreamingValidationError
from tauro.streaming.query_manager import StreamingQueryManager
from tauro.streaming.validators import StreamingValidator

from .streams import memory_node, spool_with


def node(name: str = "n", **overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": name,
        "input": {"format": "rate", "options": {"rowsPerSecond": "5"}},
        "output": {"format": "memory"},
    }
    base.update(overrides)
    return base


def problems(config: dict[str, Any]) -> dict[str | None, str]:
    with pytest.raises(StreamingValidationError) as caught:
        StreamingValidator().validate_streaming_pipeline_config(config)
    return {p.field: p.message for p in caught.value.problems}


def test_every_expectation_problem_is_reported_with_its_path() -> None:
    found = problems(
        {
            "nodes": [
                node("ok"),
                node("other"),
                node(
                    "checked",
                    expectations=[
                        {"name": "positive", "expr": "value >", "action": "drop"},
                        {"name": "positive", "expr": "value > 0", "action": "dorp"},
                        {"name": "has_user", "expr": "count(value) > 1"},
                        {"name": "aside", "expr": "value > 0", "action": "quarantine"},
                        {"name": "share", "expr": "value > 0", "max_fraction": 1.5},
                        {"name": "no_expr"},
                    ],
                ),
            ]
        }
    )
    at = "nodes[2].expectations"
    assert found[f"{at}[0].expr"].startswith("'value >' is not a valid Spark SQL expression")
    assert found[f"{at}[1].name"] == "expectation 'positive' is listed twice; names must be unique"
    assert found[f"{at}[1].action"].startswith("unknown action 'dorp'; did you mean 'drop'?")
    assert "aggregate function" in found[f"{at}[2].expr"]
    assert "this node has none: add input.dead_letter" in found[f"{at}[3].action"]
    assert found[f"{at}[4].max_fraction"].startswith("must be between 0 and 1")
    assert found[f"{at}[5]"].startswith("expectation 'no_expr' has no expr")
    assert len(found) == 7, found


def test_pipeline_level_expectations_are_referred_to_by_name_and_merged() -> None:
    report = StreamingValidator().validate_streaming_pipeline_config(
        {
            "expectations": [
                {"name": "positive", "expr": "value > 0", "action": "drop", "max_count": 10},
                {"name": "recent", "expr": "timestamp > '2020-01-01'"},
            ],
            "nodes": [
                node("a", expectations=["positive"]),
                node("b", expectations=[{"name": "positive", "action": "fail"}, "recent"]),
            ],
        }
    )
    a, b = (n.normalized["expectations"] for n in report.nodes)
    assert a == [
        {"name": "positive", "expr": "value > 0", "action": "drop", "max_fraction": None, "max_count": 10}
    ]
    assert [(e["name"], e["action"], e["max_count"]) for e in b] == [
        ("positive", "fail", 10),
        ("recent", "warn", None),
    ]


def test_unknown_references_bad_pipeline_expressions_and_modes() -> None:
    found = problems(
        {
            "expectations": [{"name": "positive", "expr": "value >> > 0"}],
            "nodes": [
                node("a", expectations=["postive"]),
                node("b", expectations=["positive"], streaming={"output_mode": "complete"}),
                node(
                    "c",
                    expectations=["positive"],
                    streaming={"trigger": {"type": "continuous", "interval": "1 second"}},
                ),
            ],
        }
    )
    assert found["nodes[0].expectations[0]"].startswith(
        "expectation 'postive' has no expr and the pipeline's expectations do not define it; "
        "did you mean 'positive'?"
    )
    assert found["expectations[0].expr"].startswith("'value >> > 0' is not a valid Spark SQL expression")
    assert "in complete mode every batch rewrites the whole result" in found["nodes[1].expectations"]
    assert "a continuous trigger has none" in found["nodes[2].expectations"]


def test_a_quarantine_dead_letter_sink_needs_no_parse_json() -> None:
    StreamingValidator().validate_streaming_pipeline_config(
        {
            "nodes": [
                node(
                    "q",
                    input={
                        "format": "rate",
                        "dead_letter": {"format": "memory", "table_name": "aside"},
                    },
                    expectations=[{"name": "even", "expr": "value % 2 = 0", "action": "quarantine"}],
                )
            ]
        }
    )


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("amount > 0", "does not fit the node's rows: [UNRESOLVED_COLUMN"),
        ("value", "is STRING, not BOOLEAN"),
    ],
)
def test_preflight_checks_columns_and_types(context: Any, tmp_path: Path, expr: str, message: str) -> None:
    spool = spool_with(tmp_path / "spool", [{"id": 1, "value": "a"}])
    config = memory_node("pre", spool.path, expectations=[{"name": "check", "expr": expr}])
    config["output"] = {"format": "memory"}
    manager = StreamingQueryManager(context)
    with pytest.raises(StreamingValidationError) as caught:
        manager.create_and_start_query(config, pipeline_name="pre")
    assert caught.value.field == "expectations[0].expr"
    assert message in caught.value.message
    assert not manager.managed_queries()
    assert not context.spark.streams.active


def test_the_status_table_shows_dropped_and_quarantined_rows() -> None:
    from tauro.run_display import render_status

    node = {"state": "running", "batches": 3, "input_rows": 1200, "attempts": 1}
    status = {
        "pipeline_name": "p",
        "status": "running",
        "execution_id": "p-1",
        "query_statuses": {
            "silver": {**node, "expectations": {"dropped": 1234, "quarantined": 5}},
            "gold": node,
        },
    }
    lines = render_status(status).splitlines()
    assert lines[2].split()[-2:] == ["dropped", "quarantined"]
    assert lines[3].split()[-2:] == ["1,234", "5"]
    assert lines[4].split()[-2:] == ["0", "0"]
    assert max(len(line) for line in lines) <= 80
