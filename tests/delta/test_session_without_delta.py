"""A user's own session without Delta is refused before any query starts, naming the settings.

The shared test session has Delta, and a JVM holds one classpath, so this runs in a separate
Python process with a plain ``SparkSession``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = """
import json, sys
from pyspark.sql import SparkSession
from tauro.config.context import Context
from tauro.streaming.exceptions import StreamingValidationError
from tauro.streaming.query_manager import StreamingQueryManager

spark = (SparkSession.builder.master("local[1]").config("spark.ui.enabled", "false")
         .config("spark.sql.shuffle.partitions", "1").getOrCreate())
base = sys.argv[1]
node = {
    "name": "to_delta",
    "input": {"format": "rate"},
    "output": {"format": "delta", "path": base + "/table"},
    "streaming": {"trigger": {"type": "available_now"}},
}
result = {}
try:
    StreamingQueryManager(Context(spark=spark, base_dir=base)).create_and_start_query(node, pipeline_name="p")
except StreamingValidationError as exc:
    result = {"field": exc.field, "message": exc.message}
result["active"] = len(spark.streams.active)
print("RESULT " + json.dumps(result))
spark.stop()
"""


def test_session_without_delta_is_refused_with_the_settings_to_add(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path)], capture_output=True, text=True, timeout=600
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads(lines[-1].removeprefix("RESULT "))
    assert result["field"] == "output.format"
    message = result["message"]
    assert "spark.jars.packages=io.delta:delta-spark_4.2_2.13:4.4.0" in message
    assert "spark.sql.extensions=io.delta.sql.DeltaSparkSessionExtension" in message
    assert "spark.sql.catalog.spark_catalog=org.apache.spark.sql.delta.catalog.DeltaCatalog" in message
    assert result["active"] == 0  # no query started
    assert not (tmp_path / "table").exists()
