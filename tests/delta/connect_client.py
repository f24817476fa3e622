"""A Tauro client of a Spark Connect server, run in its own process by tests/delta/test_connect.py
and benchmarks/bench_connect.py (PySpark turns a whole process into Connect mode once a remote
session exists, so this never runs inside pytest).

    python tests/delta/connect_client.py SCENARIO URL BASE_DIR [ARGS...]

Scenarios: ``demo LANDING`` (the medallion demo, reduced to what runs over Connect),
``refusals`` (what validation refuses over Connect), ``fail LANDING`` (a failing node),
``stop LANDING`` (a continuous pipeline stopped), ``restart LANDING`` (one bounded run over what
has landed), ``udf LANDING`` (a transform's Python UDF from an --import file, run on the server
from the code Tauro ships).
The last line printed is the scenario's result as JSON.
"""

from __future__ import annotations

import copy
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent.parent
DEMO = REPO / "examples" / "medallion"
EVENT_SCHEMA = "event_id BIGINT, user_id STRING, action STRING, amount DOUBLE, ts TIMESTAMP"


def context(url: str, base: str) -> Any:
    from tauro.config.context import Context

    return Context(remote=url, base_dir=base)


def manager(url: str, base: str, **kwargs: Any) -> Any:
    from tauro.streaming.pipeline_manager import StreamingPipelineManager

    return StreamingPipelineManager(context(url, base), **kwargs)


def demo_pipeline() -> dict[str, Any]:
    """examples/medallion/pipeline.yaml without what cannot run over Connect: dead letters and
    expectations (a filter transform instead)."""
    pipeline = yaml.safe_load((DEMO / "pipeline.yaml").read_text())
    nodes = []
    for node in pipeline["nodes"]:
        node = copy.deepcopy(node)
        node["input"].pop("dead_letter", None)
        if node.pop("expectations", None):
            node["transforms"] = ["clean_events", "connect_checks", "drop_repeated"]
        nodes.append(node)
    pipeline["nodes"] = nodes
    return pipeline


def register_demo_transforms() -> None:
    from pyspark.sql import functions as F

    from tauro.streaming import TransformationRegistry

    sys.path.insert(0, str(DEMO))
    import transforms  # noqa: F401  (registers the demo's transforms)

    TransformationRegistry.register(
        "connect_checks",
        lambda df: df.where(F.col("user_id").isNotNull() & (F.col("amount") >= 0)),
    )


def wait_done(pipelines: Any, execution_id: str, timeout: float = 300) -> dict[str, Any]:
    status: dict[str, Any] = pipelines.wait(execution_id, timeout=timeout)
    return status


def counts(spark: Any, warehouse: Path, tables: list[str]) -> dict[str, int]:
    return {t: spark.read.format("delta").load(str(warehouse / t)).count() for t in tables}


def scenario_demo(url: str, base: str, landing: str) -> dict[str, Any]:
    """The demo, then the merge node's last batch replayed (its commit removed, as a crash
    between the MERGE and the commit leaves it): Delta must skip the replay."""
    from pyspark.sql import functions as F

    register_demo_transforms()
    pipelines = manager(url, base)
    try:
        pipeline = demo_pipeline()
        execution_id = pipelines.start_pipeline("medallion", pipeline, variables={"LANDING": landing})
        status = wait_done(pipelines, execution_id)
        spark = pipelines.context.spark
        warehouse = Path(pipelines.context.warehouse)
        found = counts(spark, warehouse, ["bronze", "silver", "gold", "latest_per_user"])
        gold = {
            r.action: r.events for r in spark.read.format("delta").load(str(warehouse / "gold")).collect()
        }
        silver = spark.read.format("delta").load(str(warehouse / "silver"))
        newest = {r.user_id: r.ts for r in silver.groupBy("user_id").agg(F.max("ts").alias("ts")).collect()}
        latest_table = str(warehouse / "latest_per_user")

        def latest() -> dict[str, Any]:
            rows = spark.read.format("delta").load(latest_table).select("user_id", "ts").collect()
            return {r.user_id: r.ts for r in rows}

        def versions() -> int:
            return int(spark.sql(f"DESCRIBE HISTORY delta.`{latest_table}`").count())

        merged = latest()
        before = versions()
        commits = next(Path(base).rglob("latest_per_user/commits"))
        last = max((p for p in commits.iterdir() if p.name.isdigit()), key=lambda p: int(p.name))
        last.unlink()
        last.with_name(f".{last.name}.crc").unlink(missing_ok=True)  # its checksum goes with it
        replay = wait_done(
            pipelines, pipelines.start_pipeline("medallion", pipeline, variables={"LANDING": landing})
        )
        return {
            "status": status["status"],
            "counts": found,
            "gold": gold,
            "connect": is_connect(spark),
            "latest_is_newest_per_user": merged == newest,
            "replayed_batch": int(last.name),
            "replay_status": replay["status"],
            "replay_error": replay.get("error"),
            "recommitted": last.exists(),
            "versions_before_replay": before,
            "versions_after_replay": versions(),
            "latest_unchanged": latest() == merged,
        }
    finally:
        pipelines.shutdown()


def is_connect(spark: Any) -> bool:
    from tauro.plugin import is_connect as check

    return check(spark)


def scenario_refusals(url: str, base: str) -> dict[str, Any]:
    from tauro.errors import StreamingValidationError

    pipelines = manager(url, base)
    found: dict[str, Any] = {}
    try:
        full = yaml.safe_load((DEMO / "pipeline.yaml").read_text())
        register_demo_transforms()
        memory = {
            "name": "memory_in",
            "type": "streaming",
            "nodes": [
                {
                    "name": "m",
                    "input": {"format": "memory", "schema": "id INT", "options": {"rows": [{"id": 1}]}},
                    "output": {"format": "console"},
                }
            ],
        }
        for name, config in (("medallion", full), ("memory_in", memory)):
            try:
                pipelines.start_pipeline(name, config, variables={"LANDING": base})
                found[name] = None
            except StreamingValidationError as exc:
                found[name] = {p.field: p.message for p in exc.problems} or {exc.field: exc.message}
        found["queries_started"] = len(pipelines.context.spark.streams.active)
        return found
    finally:
        pipelines.shutdown()


def scenario_fail(url: str, base: str, landing: str) -> dict[str, Any]:
    """A node whose batch raises on the server: the pipeline's status must say error, with it."""
    from pyspark.sql import functions as F

    from tauro.streaming import TransformationRegistry

    TransformationRegistry.register(
        "explode_on_bad_amount",
        lambda df: df.withColumn(
            "amount",
            F.when(F.col("amount") < 0, F.raise_error(F.lit("negative amount: boom"))).otherwise(
                F.col("amount")
            ),
        ),
    )
    pipeline = {
        "name": "failing",
        "type": "streaming",
        "streaming": {"trigger": {"type": "available_now"}},
        "nodes": [
            {
                "name": "parse",
                "input": {
                    "format": "file_stream",
                    "path": landing,
                    "schema": EVENT_SCHEMA,
                    "options": {"format": "json"},
                },
                "transforms": ["explode_on_bad_amount"],
                "output": {"format": "delta", "table_name": "failing"},
            }
        ],
    }
    pipelines = manager(url, base)
    try:
        execution_id = pipelines.start_pipeline("failing", pipeline)
        status = wait_done(pipelines, execution_id, timeout=180)
        node = status["query_statuses"]["parse"]
        return {"status": status["status"], "error": status.get("error"), "node": node}
    finally:
        pipelines.shutdown()


def continuous_pipeline(landing: str) -> dict[str, Any]:
    return {
        "name": "continuous",
        "type": "streaming",
        "streaming": {"trigger": {"type": "processing_time", "interval": "1 second"}},
        "nodes": [
            {
                "name": "copy",
                "input": {
                    "format": "file_stream",
                    "path": landing,
                    "schema": EVENT_SCHEMA,
                    "options": {"format": "json"},
                },
                "output": {"format": "delta", "table_name": "copied"},
            }
        ],
    }


def scenario_stop(url: str, base: str, landing: str) -> dict[str, Any]:
    pipelines = manager(url, base)
    try:
        execution_id = pipelines.start_pipeline("continuous", continuous_pipeline(landing))
        deadline = time.monotonic() + 120
        running = None
        while time.monotonic() < deadline:
            status = pipelines.get_pipeline_status(execution_id)
            node = status["query_statuses"].get("copy", {})
            if status["status"] == "running" and node.get("batches", 0) >= 1:
                running = status["status"]
                break
            time.sleep(0.2)
        stopped = pipelines.stop_pipeline(execution_id, timeout=60)
        final = pipelines.get_pipeline_status(execution_id)
        spark = pipelines.context.spark
        rows = spark.read.format("delta").load(str(Path(pipelines.context.warehouse) / "copied")).count()
        return {
            "running": running,
            "stopped": stopped,
            "status": final["status"],
            "node_state": final["query_statuses"]["copy"].get("state"),
            "active": len(spark.streams.active),
            "rows": rows,
        }
    finally:
        pipelines.shutdown()


def scenario_restart(url: str, base: str, landing: str) -> dict[str, Any]:
    """One bounded run of the copy pipeline over what has landed (the test runs it twice)."""
    pipeline = continuous_pipeline(landing)
    pipeline["streaming"] = {"trigger": {"type": "available_now"}}
    pipelines = manager(url, base)
    try:
        execution_id = pipelines.start_pipeline("continuous", pipeline)
        status = wait_done(pipelines, execution_id, timeout=180)
        spark = pipelines.context.spark
        table = spark.read.format("delta").load(str(Path(pipelines.context.warehouse) / "copied"))
        return {
            "status": status["status"],
            "rows": table.count(),
            "distinct": table.select("event_id").distinct().count(),
        }
    finally:
        pipelines.shutdown()


UDF_MODULE = """
from pyspark.sql import functions as F
from pyspark.sql.types import StringType

from tauro.streaming import TransformationRegistry


def label(amount):  # runs on the server's UDF workers, imported from the zip Tauro ships
    return "positive" if amount is not None and amount > 0 else "other"


def add_label(df):
    return df.withColumn("label", F.udf(label, StringType())("amount"))


TransformationRegistry.register("add_label", add_label)
"""


def scenario_udf(url: str, base: str, landing: str) -> dict[str, Any]:
    """A registered transform from an --import file whose Python UDF runs on the server."""
    from tauro.runner import import_user_code

    module = Path(base) / "connect_udfs.py"
    module.parent.mkdir(parents=True, exist_ok=True)
    module.write_text(UDF_MODULE)
    import_user_code([str(module)])
    pipeline = continuous_pipeline(landing)
    pipeline["streaming"] = {"trigger": {"type": "available_now"}}
    pipeline["nodes"][0]["transforms"] = ["add_label"]
    pipelines = manager(url, base)
    try:
        execution_id = pipelines.start_pipeline("labelled", pipeline)
        status = wait_done(pipelines, execution_id, timeout=180)
        spark = pipelines.context.spark
        table = spark.read.format("delta").load(str(Path(pipelines.context.warehouse) / "copied"))
        labels = {r.label: r["count"] for r in table.groupBy("label").count().collect()}
        node = status["query_statuses"]["copy"]
        return {"status": status["status"], "labels": labels, "exception": node.get("exception")}
    finally:
        pipelines.shutdown()


def main() -> None:
    scenario, url, base, *rest = sys.argv[1:]
    runs = {
        "demo": scenario_demo,
        "refusals": scenario_refusals,
        "fail": scenario_fail,
        "stop": scenario_stop,
        "restart": scenario_restart,
        "udf": scenario_udf,
    }
    result = runs[scenario](url, base, *rest)
    print(json.dumps(result, default=str), flush=True)


def watchdog(seconds: float) -> None:
    time.sleep(seconds)
    print(f"connect_client: no result in {seconds:.0f} s", file=sys.stderr, flush=True)
    os._exit(3)


if __name__ == "__main__":
    # A hung client fails loudly instead of holding the test run.
    threading.Thread(target=watchdog, args=(600,), daemon=True).start()
    main()
