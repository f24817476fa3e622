"""Print the medallion demo's tables: rows per table, silver's expectation counts and the gold
rows.

python examples/medallion/summary.py <warehouse dir>
"""

from __future__ import annotations

import sys

TABLES = ("bronze", "bronze_dead_letters", "silver", "silver_quarantine", "latest_per_user", "gold")


def counts(spark: object, warehouse: str) -> dict[str, int]:
    return {t: spark.read.format("delta").load(f"{warehouse}/{t}").count() for t in TABLES}  # type: ignore[attr-defined]


def main() -> None:
    from pathlib import Path

    from tauro.config.context import Context
    from tauro.spark_output import SparkOutputCapture

    warehouse = sys.argv[1]
    base = Path(warehouse).parent
    context = Context(
        master="local[1]",
        base_dir=base,
        warehouse=warehouse,
        spark_plugins=["delta"],
        spark_conf={"spark.ui.enabled": "false"},
    )
    # Spark's start-up output (Ivy, log4j) goes to the demo's log, as under `tauro run`.
    with SparkOutputCapture(base / "summary.log"):
        spark = context.spark
        spark.sparkContext.setLogLevel("ERROR")
    print("\nrows per table")
    for table, rows in counts(spark, warehouse).items():
        print(f"  {table:<22}{rows:>10,}")
    from tauro.streaming.expectation_counts import checkpoint_totals

    silver = checkpoint_totals(spark, str(base / "checkpoints" / "medallion" / "silver"))
    print("\nsilver expectations (every committed batch)")
    print(f"  {'checked':<28}{silver['rows']:>10,}")
    for fate in ("kept", "dropped", "quarantined"):
        print(f"  {fate:<28}{silver[fate]:>10,}")
    for name, figures in silver["expectations"].items():
        # A checkpoint keeps counts, not actions: the actions are in pipeline.yaml.
        print(f"  {name + ' failed':<28}{figures['failed']:>10,}")
    print("\ngold: totals per action")
    spark.read.format("delta").load(f"{warehouse}/gold").orderBy("action").show(truncate=False)
    spark.stop()


if __name__ == "__main__":
    main()
