"""Print the medallion demo's tables: rows per table and the gold rows.

python examples/medallion/summary.py <warehouse dir>
"""

from __future__ import annotations

import sys

TABLES = ("bronze", "bronze_dead_letters", "silver", "latest_per_user", "gold")


def counts(spark: object, warehouse: str) -> dict[str, int]:
    return {t: spark.read.format("delta").load(f"{warehouse}/{t}").count() for t in TABLES}  # type: ignore[attr-defined]


def main() -> None:
    import pyspark
    from pyspark.sql import SparkSession

    from tauro_delta.options import delta_package, session_conf

    warehouse = sys.argv[1]
    builder = SparkSession.builder.master("local[1]").config("spark.ui.enabled", "false")
    builder = builder.config("spark.jars.packages", delta_package(pyspark.__version__))
    for key, value in session_conf().items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    print("\nrows per table")
    for table, rows in counts(spark, warehouse).items():
        print(f"  {table:<22}{rows:>10,}")
    print("\ngold: totals per action")
    spark.read.format("delta").load(f"{warehouse}/gold").orderBy("action").show(truncate=False)
    spark.stop()


if __name__ == "__main__":
    main()
