"""The ``tauro_memory`` Python data source: spool files, replay, typing, admission control."""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pyspark.errors import StreamingQueryException
from pyspark.sql import DataFrame, Row, SparkSession
from pyspark.sql.streaming.datasource import ReadAllAvailable, ReadMaxFiles
from pyspark.sql.types import LongType, StringType, StructField, StructType
from pyspark.testing import assertDataFrameEqual

from tauro.builtin.memory_source import (
    DATA_SOURCE_NAME,
    MemoryDataSource,
    MemorySourceError,
    MemorySpool,
    read_memory_stream,
    register_memory_source,
    spool_dir_for,
)
from tauro.streaming.exceptions import StreamingValidationError

SIMPLE = StructType([StructField("id", LongType()), StructField("name", StringType())])


def _run_available_now(df: DataFrame, target: str | Path, checkpoint: Path) -> list[int]:
    """Run ``df`` until caught up, into the memory table ``target`` or parquet at a path.

    Returns the number of input rows of each micro-batch.
    """
    writer = df.writeStream.option("checkpointLocation", str(checkpoint))
    if isinstance(target, Path):
        writer = writer.format("parquet").option("path", str(target))
    else:
        writer = writer.format("memory").queryName(target)
    query = writer.trigger(availableNow=True).start()
    try:
        query.awaitTermination()
        return [progress["numInputRows"] for progress in query.recentProgress]
    finally:
        query.stop()


def _rows(spark: SparkSession, rows: list[tuple[Any, ...]], schema: StructType) -> DataFrame:
    return spark.createDataFrame(rows, schema)


def _read(spool: Path, schema: StructType, end: int) -> list[tuple[Any, ...]]:
    """Files 0..end-1 read through the stream reader in-process (no Spark)."""
    reader = MemoryDataSource({"spool": str(spool)}).streamReader(schema)
    partitions = reader.partitions({"index": 0}, {"index": end})
    return [row for partition in partitions for row in reader.read(partition)]


def test_rows_pushed_before_start_are_read_and_stray_files_ignored(
    spark: SparkSession, tmp_path: Path
) -> None:
    spool = MemorySpool(tmp_path / "spool")
    assert spool.push([{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]) == 0
    assert spool.push([[3, "c"]]) == 1
    for stray in (".00000002.json.tmp", "notes.txt", "2.json", "000000002.json"):
        (spool.path / stray).write_text('[{"id": 99, "name": "stray"}]')
    assert spool.count == 2

    df = read_memory_stream({}, spark, spool=str(spool.path), schema=SIMPLE)
    assert df.isStreaming
    _run_available_now(df, "memory_before_start", tmp_path / "checkpoint")

    expected = _rows(spark, [(1, "a"), (2, "b"), (3, "c")], SIMPLE)
    assertDataFrameEqual(spark.table("memory_before_start"), expected)


def test_restart_reads_only_new_files(spark: SparkSession, tmp_path: Path) -> None:
    # The memory sink cannot recover from a checkpoint; parquet (exactly-once) can.
    spool = MemorySpool(tmp_path / "spool")
    output, checkpoint = tmp_path / "out", tmp_path / "checkpoint"
    spool.push([{"id": 1, "name": "first"}])

    df = read_memory_stream({}, spark, spool=str(spool.path), schema=SIMPLE)
    assert _run_available_now(df, output, checkpoint) == [1]
    assertDataFrameEqual(spark.read.parquet(str(output)), _rows(spark, [(1, "first")], SIMPLE))

    spool.push([{"id": 2, "name": "second"}, {"id": 3, "name": "third"}])
    df = read_memory_stream({}, spark, spool=str(spool.path), schema=SIMPLE)
    assert _run_available_now(df, output, checkpoint) == [2]

    expected = _rows(spark, [(1, "first"), (2, "second"), (3, "third")], SIMPLE)
    assertDataFrameEqual(spark.read.parquet(str(output)), expected)


def test_typed_conversion(spark: SparkSession, tmp_path: Path) -> None:
    schema = StructType.fromDDL(
        "id SMALLINT, flag BOOLEAN, score DOUBLE, amount DECIMAL(10,2), ts TIMESTAMP, "
        "day DATE, raw BINARY, tags ARRAY<STRING>, attrs MAP<INT, DOUBLE>, "
        "customer STRUCT<name: STRING, since: DATE, orders: ARRAY<STRUCT<sku: STRING, qty: INT>>>, "
        "note STRING"
    )
    spool = MemorySpool(tmp_path / "spool")
    spool.push(  # Python values, serialized by the spool
        [
            {
                "id": 1,
                "flag": True,
                "score": 1.5,
                "amount": Decimal("12.34"),
                "ts": datetime(2024, 3, 1, 12, 30, tzinfo=UTC),
                "day": date(2024, 3, 1),
                "raw": b"\x00\xffbytes",
                "tags": ["a", "b"],
                "attrs": {1: 0.5},
                "customer": Row(name="Ann", since=date(2020, 1, 2), orders=[("x", 2)]),
                "note": None,
            }
        ]
    )
    spool.push(  # the JSON forms a config would hold
        [
            [
                2,
                False,
                3,
                "0.5",
                "2024-03-01T14:30:00+02:00",
                "2024-03-02",
                "text",
                [],
                {"7": -1},
                {"name": "Bob", "since": "2021-05-06", "orders": []},
                "n",
            ],
            {"id": 3, "ts": 1709296200, "amount": 7, "customer": None},
        ]
    )
    df = read_memory_stream({}, spark, spool=str(spool.path), schema=schema)
    _run_available_now(df, "memory_typed", tmp_path / "checkpoint")

    noon = datetime(2024, 3, 1, 12, 30, tzinfo=UTC)
    expected = [
        (
            1,
            True,
            1.5,
            Decimal("12.34"),
            noon,
            date(2024, 3, 1),
            bytearray(b"\x00\xffbytes"),
            ["a", "b"],
            {1: 0.5},
            ("Ann", date(2020, 1, 2), [("x", 2)]),
            None,
        ),
        (
            2,
            False,
            3.0,
            Decimal("0.50"),
            noon,
            date(2024, 3, 2),
            bytearray(b"text"),
            [],
            {7: -1.0},
            ("Bob", date(2021, 5, 6), []),
            "n",
        ),
        (3, None, None, Decimal("7.00"), noon, None, None, None, None, None, None),
    ]
    assertDataFrameEqual(spark.table("memory_typed"), _rows(spark, expected, schema))


def test_naive_timestamps_use_the_time_zone_option(spark: SparkSession, tmp_path: Path) -> None:
    spool = MemorySpool(tmp_path / "spool")
    spool.push([["2024-01-01T10:00:00"]])
    schema = StructType.fromDDL("ts TIMESTAMP")
    source = MemoryDataSource({"spool": str(spool.path), "timeZone": "+02:00"})
    reader = source.streamReader(schema)
    [partition] = reader.partitions({"index": 0}, {"index": 1})
    [(ts,)] = list(reader.read(partition))
    assert ts == datetime(2024, 1, 1, 10, tzinfo=timezone(timedelta(hours=2)))


def test_max_files_per_trigger_splits_batches(spark: SparkSession, tmp_path: Path) -> None:
    spool = MemorySpool(tmp_path / "spool")
    next_id = 0
    for size in range(1, 6):  # files of 1..5 rows
        spool.push([{"id": next_id + n, "name": f"f{size}"} for n in range(size)])
        next_id += size

    df = read_memory_stream({}, spark, spool=str(spool.path), schema=SIMPLE, maxFilesPerTrigger="2")
    batches = _run_available_now(df, "memory_max_files", tmp_path / "checkpoint")

    assert batches == [1 + 2, 3 + 4, 5]
    assert spark.table("memory_max_files").count() == 15


def test_config_rows_are_written_once(spark: SparkSession, tmp_path: Path) -> None:
    context = {"base_dir": str(tmp_path / "base")}
    rows = json.dumps([{"id": 1, "name": "seed"}, [2, "seed"]])
    first = read_memory_stream(context, spark, stream="orders", rows=rows, schema=SIMPLE)
    second = read_memory_stream(context, spark, stream="orders", rows=rows, schema=SIMPLE)

    spool = MemorySpool(spool_dir_for(context, "orders"))
    assert spool.path == tmp_path / "base" / "memory" / "orders"
    assert spool.count == 1
    _run_available_now(first, "memory_seed_one", tmp_path / "checkpoint_one")
    _run_available_now(second, "memory_seed_two", tmp_path / "checkpoint_two")

    expected = _rows(spark, [(1, "seed"), (2, "seed")], SIMPLE)
    assertDataFrameEqual(spark.table("memory_seed_one"), expected)
    assertDataFrameEqual(spark.table("memory_seed_two"), expected)


def test_malformed_row_names_file_row_and_column(spark: SparkSession, tmp_path: Path) -> None:
    schema = StructType.fromDDL("id BIGINT, item STRUCT<qty: INT>")
    spool = MemorySpool(tmp_path / "spool")
    spool.push([{"id": 1, "item": {"qty": 1}}, {"id": 2, "item": {"qty": "many"}}])
    df = read_memory_stream({}, spark, spool=str(spool.path), schema=schema)

    with pytest.raises(StreamingQueryException) as raised:
        _run_available_now(df, "memory_malformed", tmp_path / "checkpoint")
    message = str(raised.value)
    assert "00000000.json: row 1, column 'item.qty': expected int, got str 'many'" in message


@pytest.mark.parametrize(
    ("ddl", "row", "expected"),
    [
        ("id TINYINT", {"id": 300}, "column 'id': 300 is out of range for tinyint"),
        ("id INT", {"id": True}, "column 'id': expected int, got bool True"),
        ("id INT NOT NULL", {}, "column 'id': is null but the field is not nullable"),
        ("id INT", {"id": 1, "extra": 2}, "column 'extra': is not in the schema"),
        ("id INT, name STRING", [1], "row 0: has 1 values, the schema 2 fields"),
        ("n DECIMAL(4,2)", {"n": "123.4"}, "column 'n': 123.4 does not fit decimal(4,2)"),
        ("b BINARY", {"b": {"$base64": "!!"}}, "column 'b': expected binary (invalid base64)"),
        ("t TIMESTAMP", {"t": "yesterday"}, "column 't': expected timestamp (ISO-8601"),
        ("xs ARRAY<INT>", {"xs": [1, "2"]}, "column 'xs[1]': expected int, got str '2'"),
        ("m MAP<STRING, INT>", {"m": {"k": 1.5}}, "column 'm['k']': expected int, got float"),
    ],
)
def test_row_errors(spark: SparkSession, ddl: str, row: Any, expected: str, tmp_path: Path) -> None:
    spool = MemorySpool(tmp_path / "spool")
    spool.push([row])
    with pytest.raises(MemorySourceError, match="00000000.json") as raised:
        _read(spool.path, StructType.fromDDL(ddl), 1)
    assert expected in str(raised.value)


def test_round_trip_of_python_values(spark: SparkSession, tmp_path: Path) -> None:
    schema = StructType.fromDDL(
        "ts TIMESTAMP, ntz TIMESTAMP_NTZ, d DATE, n DECIMAL(38,18), b BINARY, m MAP<DATE, LONG>"
    )
    values = (
        datetime(2024, 1, 1, 1, 2, 3, 456789, tzinfo=UTC),
        datetime(2024, 1, 1, 1, 2, 3),
        date(1999, 12, 31),
        Decimal("12345678901234567890.123456789012345678"),
        bytes(range(256)),
        {date(2024, 2, 29): 2**62},
    )
    spool = MemorySpool(tmp_path / "spool")
    spool.push([values])
    assert _read(spool.path, schema, 1) == [values]


def test_available_now_stops_at_the_files_present_when_prepared(tmp_path: Path) -> None:
    spool = MemorySpool(tmp_path / "spool")
    spool.push([[1, "a"]])
    reader = MemoryDataSource({"spool": str(spool.path), "maxFilesPerTrigger": "5"}).streamReader(SIMPLE)
    assert reader.getDefaultReadLimit() == ReadMaxFiles(5)
    reader.prepareForTriggerAvailableNow()
    spool.push([[2, "b"]])

    assert reader.latestOffset({"index": 0}, ReadAllAvailable()) == {"index": 1}
    assert reader.latestOffset({"index": 1}, ReadAllAvailable()) == {"index": 1}
    assert reader.reportLatestOffset() == {"index": 2}


def test_admission_control_without_available_now(tmp_path: Path) -> None:
    spool = MemorySpool(tmp_path / "spool")
    for n in range(3):
        spool.push([[n, "x"]])
    reader = MemoryDataSource({"spool": str(spool.path)}).streamReader(SIMPLE)

    assert reader.getDefaultReadLimit() == ReadAllAvailable()
    assert reader.latestOffset({"index": 0}, ReadMaxFiles(2)) == {"index": 2}
    assert reader.latestOffset({"index": 2}, ReadMaxFiles(2)) == {"index": 3}
    assert reader.latestOffset({"index": 3}, ReadAllAvailable()) == {"index": 3}
    assert reader.partitions({"index": 3}, {"index": 3}) == []


@pytest.mark.parametrize("shared", [True, False], ids=["one-spool", "spool-per-thread"])
def test_concurrent_pushes_get_unique_indices(tmp_path: Path, shared: bool) -> None:
    path = tmp_path / "spool"
    spools = [MemorySpool(path)] * 2 if shared else [MemorySpool(path), MemorySpool(path)]
    pushes = 40
    start = threading.Barrier(len(spools))
    returned: dict[int, tuple[int, int]] = {}
    lock = threading.Lock()

    def pusher(writer: int) -> None:
        start.wait()
        for n in range(pushes):
            index = spools[writer].push([{"writer": writer, "n": n}])
            with lock:
                assert index not in returned
                returned[index] = (writer, n)

    threads = [threading.Thread(target=pusher, args=(writer,)) for writer in range(len(spools))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    total = pushes * len(spools)
    assert sorted(returned) == list(range(total))
    assert MemorySpool(path).count == total
    assert sorted(p.name for p in path.iterdir()) == [f"{i:08d}.json" for i in range(total)]
    for index, (writer, n) in returned.items():
        content = json.loads((path / f"{index:08d}.json").read_text())
        assert content == [{"writer": writer, "n": n}]


def test_missing_schema_is_a_validation_error(spark: SparkSession, tmp_path: Path) -> None:
    with pytest.raises(StreamingValidationError) as raised:
        read_memory_stream({}, spark, spool=str(tmp_path / "spool"))
    assert raised.value.field == "input.schema"


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"stream": "a", "spool": "/tmp/x"}, "options.spool"),
        ({"stream": "../escape"}, "options.stream"),
        ({"rows": "{not json"}, "options.rows"),
        ({"rows": '{"id": 1}'}, "options.rows"),
        ({"maxFilesPerTrigger": "0"}, "options.maxFilesPerTrigger"),
    ],
)
def test_invalid_options(spark: SparkSession, tmp_path: Path, options: dict[str, str], field: str) -> None:
    with pytest.raises(StreamingValidationError) as raised:
        read_memory_stream({"base_dir": str(tmp_path)}, spark, schema=SIMPLE, **options)
    assert raised.value.field == field


def test_registration_is_idempotent_and_schema_is_required(spark: SparkSession, tmp_path: Path) -> None:
    register_memory_source(spark)
    register_memory_source(spark)
    with pytest.raises(Exception, match="needs a schema"):
        spark.readStream.format(DATA_SOURCE_NAME).option("spool", str(tmp_path)).load()


def test_spool_dir_for_a_plain_dict_context(tmp_path: Path) -> None:
    assert spool_dir_for({"base_dir": str(tmp_path)}, "s1") == tmp_path / "memory" / "s1"
