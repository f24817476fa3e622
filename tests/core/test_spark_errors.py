"""A failed query's error in one line: Spark's error class and message, no frames."""

from __future__ import annotations

from typing import Any

from tauro.streaming.pipeline_manager import StreamingPipelineManager
from tauro.streaming.spark_errors import summarize_error

from .streams import register

WRAPPED = (
    "org.apache.spark.sql.streaming.StreamingQueryException: [STREAM_FAILED] Query [id = 1, runId = 2] "
    "terminated with exception: [DIVIDE_BY_ZERO] Division by zero. Use `try_divide` to tolerate "
    "divisor being 0. SQLSTATE: 22012\n"
    "\tat org.apache.spark.sql.execution.streaming.StreamExecution.run(StreamExecution.scala:1)\n"
    "Caused by: org.apache.spark.SparkArithmeticException: [DIVIDE_BY_ZERO] Division by zero.\n"
    "\t... 12 more\n=== Streaming Query ===\nIdentifier: x"
)
PYTHON = (
    "org.apache.spark.api.python.PythonException: [PYTHON_EXCEPTION] An exception was thrown from "
    "the Python worker: Traceback (most recent call last):\n"
    '  File "/site-packages/pyspark/worker.py", line 3602, in main\n'
    "    func = read_udfs(\n           ^^^^^^^^^^\n"
    "ValueError: bad row 3 password=hunter2\n SQLSTATE: 38000"
)


def test_the_error_class_and_message_of_a_wrapped_error() -> None:
    summary = summarize_error(WRAPPED)
    assert summary.startswith("[DIVIDE_BY_ZERO] Division by zero.")
    assert "\n" not in summary and "StreamExecution" not in summary and "SQLSTATE" not in summary


def test_a_python_udf_error_is_the_exception_it_raised() -> None:
    assert summarize_error(PYTHON) == "[PYTHON_EXCEPTION] ValueError: bad row 3 password=***"


def test_an_error_without_a_class_is_its_first_line() -> None:
    text = "value attribute unsupported type bigint.\n=== Streaming Query ===\nIdentifier: x"
    assert summarize_error(text) == "value attribute unsupported type bigint"
    assert summarize_error(None) == "query failed"


def test_a_py4j_error_is_the_jvm_exception_not_the_call() -> None:
    text = (
        "An error occurred while calling o52.start.\n"
        ": java.io.IOException: Permission denied: /checkpoints/orders/offsets\n"
        "\tat org.apache.hadoop.fs.RawLocalFileSystem.mkdirs(RawLocalFileSystem.java:1)\n"
    )
    assert summarize_error(text) == "Permission denied: /checkpoints/orders/offsets"


def test_a_query_failing_in_its_first_batch_reports_one_line(context: Any) -> None:
    register("divide_by_zero", lambda df: df.selectExpr("value DIV (value - value) AS value"))
    node = {
        "name": "divides",
        "input": {"format": "rate", "options": {"rowsPerSecond": 10}},
        "transforms": ["divide_by_zero"],
        "output": {"format": "noop"},
        "streaming": {"trigger": {"type": "processing_time", "interval": "1 second"}},
    }
    manager = StreamingPipelineManager(context, monitor_interval=0.5)
    try:
        status = manager.wait(manager.start_pipeline("first_batch", {"nodes": [node]}), timeout=120)
    finally:
        manager.shutdown(timeout=30)
    assert status["status"] == "error"
    error = status["query_statuses"]["divides"]["error"]
    assert error.startswith("[DIVIDE_BY_ZERO] "), error
    assert "\n" not in error and "\tat " not in error
    assert status["error"] == f"node 'divides' failed: {error}"
    assert "DIVIDE_BY_ZERO" in status["query_statuses"]["divides"]["exception"]
