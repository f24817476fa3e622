"""Failure detection on a Spark standalone cluster: a master and two workers started from
pyspark's spark-class on 127.0.0.1, executors running a Python without Tauro.

From the moment the failing batch's last task attempt raises (the UDF records a timestamp on
every attempt; Spark's default spark.task.maxFailures=4 retries it) to the pipeline status
"error" seen by the ``on_status`` callback; target at most 1 s.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from bench_runtime import failure_detection

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.spark_cluster import StandaloneCluster, python_interpreter_without_tauro


def main() -> None:
    from tauro.config.context import Context

    with tempfile.TemporaryDirectory(prefix="tauro-bench-cluster-") as tmp:
        base = Path(tmp)
        cluster = StandaloneCluster(base / "cluster", python_interpreter_without_tauro(base / "python"))
        cluster.start()
        try:
            ctx = Context(
                master=cluster.url,
                base_dir=base / "tauro",
                spark_conf={
                    "spark.pyspark.python": str(cluster.python),
                    "spark.ui.enabled": "false",
                    "spark.sql.shuffle.partitions": "2",
                    "spark.executor.memory": "512m",
                },
            )
            ctx.spark.sparkContext.setLogLevel("ERROR")
            print(f"cluster {cluster.url}: 2 workers, 1 core each; default task retries")
            failure_detection(ctx, base)
            ctx.spark.stop()
        finally:
            cluster.stop()


if __name__ == "__main__":
    main()
