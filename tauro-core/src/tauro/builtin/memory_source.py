"""Tauro's replayable in-memory test source: a Spark Python data source over a spool directory.

Every ``MemorySpool.push`` writes one file, ``00000000.json``, ``00000001.json``, ... holding a
JSON array of rows (objects of column -> value, or positional arrays). Files are published
atomically and never rewritten, and the stream offset ``{"index": N}`` means "the first N
files", so the range (start, end] always yields the same rows: checkpoints, restarts and
replays behave as with a real source. The reader admits the contiguous run of files from
index 0; temporary files and other names are ignored.

Values are stored as JSON and converted to the schema's types when read: ``datetime`` and
``date`` become ISO-8601 strings, ``Decimal`` a string, and bytes ``{"$base64": "..."}``.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import threading
import uuid
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from loguru import logger
from pyspark.sql.datasource import DataSource, DataSourceStreamReader, InputPartition
from pyspark.sql.streaming.datasource import (
    ReadAllAvailable,
    ReadLimit,
    ReadMaxFiles,
    SupportsTriggerAvailableNow,
)
from pyspark.sql.types import (
    ArrayType,
    BinaryType,
    BooleanType,
    ByteType,
    CharType,
    DataType,
    DateType,
    DecimalType,
    DoubleType,
    FloatType,
    IntegerType,
    LongType,
    MapType,
    NullType,
    Row,
    ShortType,
    StringType,
    StructType,
    TimestampNTZType,
    TimestampType,
    VarcharType,
)

from tauro.config.context import context_settings
from tauro.errors import StreamingValidationError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

DATA_SOURCE_NAME: Final = "tauro_memory"
#: Key of the JSON object that carries bytes as base64 (``{"$base64": "aGk="}``).
BASE64_MARKER: Final = "$base64"

_FILE_PATTERN: Final = re.compile(r"(\d{8,})\.json")
_STREAM_NAME: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_OFFSET_ZONE: Final = re.compile(r"(?:UTC|GMT)?([+-])(\d{1,2})(?::?(\d{2}))?")
#: Most Spark tasks one micro-batch is split into (each task reads a contiguous run of files).
_MAX_PARTITIONS: Final = 4
# Enough digits to quantize any Spark decimal (precision <= 38) without InvalidOperation.
_DECIMAL_CONTEXT: Final = Context(prec=80, rounding=ROUND_HALF_UP)
_INT_BITS: Final[dict[type[DataType], int]] = {
    ByteType: 8,
    ShortType: 16,
    IntegerType: 32,
    LongType: 64,
}


class MemorySourceError(ValueError):
    """A spool file or one of its rows does not fit the schema (names file, row and column)."""


# -- spool files ---------------------------------------------------------------------------------


def _file_name(index: int) -> str:
    return f"{index:08d}.json"


def _list_indices(spool: Path) -> set[int]:
    """Indices of the published files; temp files and non-canonical names are ignored."""
    try:
        names = os.listdir(spool)
    except FileNotFoundError:
        return set()
    indices = set()
    for name in names:
        match = _FILE_PATTERN.fullmatch(name)
        if match and name == _file_name(int(match.group(1))):
            indices.add(int(match.group(1)))
    return indices


def _contiguous_count(spool: Path) -> int:
    """Number of files 0, 1, 2, ... present without a gap: the latest offset."""
    indices = _list_indices(spool)
    count = 0
    while count in indices:
        count += 1
    return count


def _write_temp(spool: Path, payload: bytes) -> Path:
    temp = spool / f".{uuid.uuid4().hex}.tmp"
    with open(temp, "xb") as handle:
        handle.write(payload)
        handle.flush()
        os.fsync(handle.fileno())
    return temp


def _link(temp: Path, final: Path) -> bool:
    """Publish ``temp`` as ``final`` unless that name exists; True when published."""
    try:
        # Unlike os.replace, a hard link fails when the name exists: an exclusive (O_EXCL-like)
        # create of an already complete file, so racing processes never overwrite each other.
        os.link(temp, final)
    except FileExistsError:
        return False
    return True


def _fsync_dir(path: Path) -> None:
    if os.name != "posix":  # directories cannot be opened for fsync on Windows
        return
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


# -- encoding rows (driver side) -----------------------------------------------------------------


def _json_key(key: Any) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, int | float | Decimal):
        return str(key)
    if isinstance(key, date | time):
        return key.isoformat()
    raise TypeError(f"cannot store a map key of type {type(key).__name__} in a memory spool")


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, date | time):  # datetime is a date
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return {BASE64_MARKER: base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, Row) and hasattr(value, "__fields__"):
        return {name: _json_value(item) for name, item in value.asDict().items()}
    if isinstance(value, Mapping):
        return {_json_key(key): _json_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_value(item) for item in value]
    raise TypeError(f"cannot store a {type(value).__name__} in a memory spool: {value!r}")


def _json_row(row: Mapping[str, Any] | Sequence[Any]) -> dict[str, Any] | list[Any]:
    if isinstance(row, Mapping | Row):
        encoded = _json_value(row)
    elif isinstance(row, Sequence) and not isinstance(row, str | bytes | bytearray):
        encoded = [_json_value(item) for item in row]
    else:
        raise TypeError(f"a row must be a mapping or a sequence, not {type(row).__name__}")
    if not isinstance(encoded, dict | list):  # a Row without field names encodes as a list
        raise TypeError(f"a row must be a mapping or a sequence, not {type(row).__name__}")
    return encoded


def _encode_rows(rows: Iterable[Mapping[str, Any] | Sequence[Any]]) -> bytes:
    text = json.dumps([_json_row(row) for row in rows], ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8")


class MemorySpool:
    """Driver-side writer of a spool directory: each ``push`` publishes one file atomically.

    Safe for threads (a lock) and for processes racing on the same directory: a file is
    written under a temporary name, fsynced, then hard-linked to its final name, which fails
    if another writer took that index first; the push then retries with the next index.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()
        self.path.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    @property
    def count(self) -> int:
        """Number of published files."""
        return len(_list_indices(self.path))

    def push(self, rows: Iterable[Mapping[str, Any] | Sequence[Any]]) -> int:
        """Publish ``rows`` as the next file and return its index."""
        payload = _encode_rows(rows)
        with self._lock:
            temp = _write_temp(self.path, payload)
            try:
                index = max(_list_indices(self.path), default=-1) + 1
                while not _link(temp, self.path / _file_name(index)):
                    index += 1
            finally:
                temp.unlink(missing_ok=True)
        _fsync_dir(self.path)
        return index

    def seed(self, rows: Iterable[Mapping[str, Any] | Sequence[Any]]) -> bool:
        """Publish ``rows`` as file 0 unless it exists (the spool was seeded); True if written."""
        payload = _encode_rows(rows)
        with self._lock:
            temp = _write_temp(self.path, payload)
            try:
                written = _link(temp, self.path / _file_name(0))
            finally:
                temp.unlink(missing_ok=True)
        if written:
            _fsync_dir(self.path)
        return written


# -- converting rows to the schema (Python worker side) ------------------------------------------


class _Mismatch(ValueError):
    """A value does not fit its type; ``path`` is the column, filled in by the caller."""

    def __init__(self, problem: str, path: str = "") -> None:
        super().__init__(problem)
        self.problem = problem
        self.path = path


def _describe(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 80 else text[:77] + '...'}"


def _mismatch(value: Any, dtype: DataType, hint: str = "") -> _Mismatch:
    return _Mismatch(f"expected {dtype.simpleString()}{hint}, got {_describe(value)}")


def _to_string(value: Any, dtype: DataType, zone: tzinfo) -> str:
    if not isinstance(value, str):
        raise _mismatch(value, dtype)
    return value


def _to_boolean(value: Any, dtype: DataType, zone: tzinfo) -> bool:
    if not isinstance(value, bool):
        raise _mismatch(value, dtype)
    return value


def _to_integral(value: Any, dtype: DataType, zone: tzinfo) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _mismatch(value, dtype)
    limit = 2 ** (_INT_BITS[type(dtype)] - 1)
    if not -limit <= value < limit:
        raise _Mismatch(f"{value} is out of range for {dtype.simpleString()}")
    return value


def _to_fractional(value: Any, dtype: DataType, zone: tzinfo) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _mismatch(value, dtype)
    return float(value)


def _to_decimal(value: Any, dtype: DataType, zone: tzinfo) -> Decimal:
    assert isinstance(dtype, DecimalType)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _mismatch(value, dtype)
    try:
        number = Decimal(value.strip() if isinstance(value, str) else str(value))
    except InvalidOperation:
        raise _mismatch(value, dtype) from None
    if not number.is_finite():
        raise _mismatch(value, dtype)
    rounded = number.quantize(Decimal(1).scaleb(-dtype.scale), context=_DECIMAL_CONTEXT)
    if rounded and rounded.adjusted() + 1 > dtype.precision - dtype.scale:
        raise _Mismatch(f"{value} does not fit {dtype.simpleString()}")
    return rounded


def _to_binary(value: Any, dtype: DataType, zone: tzinfo) -> bytes:
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, Mapping) and set(value) == {BASE64_MARKER}:
        try:
            return base64.b64decode(value[BASE64_MARKER], validate=True)
        except (binascii.Error, TypeError, ValueError):
            raise _mismatch(value, dtype, " (invalid base64)") from None
    raise _mismatch(value, dtype, f' (a string or {{"{BASE64_MARKER}": ...}})')


def _parse_datetime(value: Any, dtype: DataType) -> datetime:
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, tz=UTC)  # epoch seconds
        except (OverflowError, OSError, ValueError):
            raise _mismatch(value, dtype, " (epoch seconds out of range)") from None
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip())
        except ValueError:
            raise _mismatch(value, dtype, " (ISO-8601 or epoch seconds)") from None
    raise _mismatch(value, dtype, " (ISO-8601 or epoch seconds)")


def _to_timestamp(value: Any, dtype: DataType, zone: tzinfo) -> datetime:
    parsed = _parse_datetime(value, dtype)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=zone)


def _to_timestamp_ntz(value: Any, dtype: DataType, zone: tzinfo) -> datetime:
    # Like Spark's CAST to TIMESTAMP_NTZ: keep the wall-clock time, drop any offset.
    return _parse_datetime(value, dtype).replace(tzinfo=None)


def _to_date(value: Any, dtype: DataType, zone: tzinfo) -> date:
    if not isinstance(value, str):
        raise _mismatch(value, dtype, " (an ISO-8601 string)")
    text = value.strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text).date()
    except ValueError:
        raise _mismatch(value, dtype, " (an ISO-8601 string)") from None


def _to_null(value: Any, dtype: DataType, zone: tzinfo) -> None:
    raise _mismatch(value, dtype)


_Atomic = Callable[[Any, DataType, tzinfo], Any]
_ATOMIC: Final[dict[type[DataType], _Atomic]] = {
    StringType: _to_string,
    CharType: _to_string,
    VarcharType: _to_string,
    BooleanType: _to_boolean,
    ByteType: _to_integral,
    ShortType: _to_integral,
    IntegerType: _to_integral,
    LongType: _to_integral,
    FloatType: _to_fractional,
    DoubleType: _to_fractional,
    DecimalType: _to_decimal,
    BinaryType: _to_binary,
    TimestampType: _to_timestamp,
    TimestampNTZType: _to_timestamp_ntz,
    DateType: _to_date,
    NullType: _to_null,
}


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


class _RowConverter:
    """Converts decoded JSON rows to tuples of the schema's Python types."""

    def __init__(self, schema: StructType, zone: tzinfo) -> None:
        self.schema = schema
        self.zone = zone

    def convert(self, raw: Any, file: Path, number: int) -> tuple[Any, ...]:
        try:
            return self._struct(raw, self.schema, "")
        except _Mismatch as error:
            where = f"row {number}, column '{error.path}'" if error.path else f"row {number}"
            raise MemorySourceError(f"{file}: {where}: {error.problem}") from None

    def _value(self, value: Any, dtype: DataType, nullable: bool, path: str) -> Any:
        if value is None:
            if not nullable:
                raise _Mismatch("is null but the field is not nullable", path)
            return None
        if isinstance(dtype, StructType):
            return self._struct(value, dtype, path)
        if isinstance(dtype, ArrayType):
            return self._array(value, dtype, path)
        if isinstance(dtype, MapType):
            return self._map(value, dtype, path)
        try:
            return _ATOMIC[type(dtype)](value, dtype, self.zone)
        except _Mismatch as error:
            raise _Mismatch(error.problem, path) from None

    def _struct(self, value: Any, dtype: StructType, path: str) -> tuple[Any, ...]:
        fields = dtype.fields
        if isinstance(value, Mapping):
            unknown = [name for name in value if name not in dtype.names]
            if unknown:
                raise _Mismatch("is not in the schema", _join(path, str(unknown[0])))
            items = [value.get(field.name) for field in fields]
        elif isinstance(value, list):
            if len(value) != len(fields):
                raise _Mismatch(f"has {len(value)} values, the schema {len(fields)} fields", path)
            items = value
        else:
            raise _Mismatch(f"expected an object or an array, got {_describe(value)}", path)
        return tuple(
            self._value(item, field.dataType, field.nullable, _join(path, field.name))
            for item, field in zip(items, fields)
        )

    def _array(self, value: Any, dtype: ArrayType, path: str) -> list[Any]:
        if not isinstance(value, list):
            raise _Mismatch(f"expected an array, got {_describe(value)}", path)
        return [
            self._value(item, dtype.elementType, dtype.containsNull, f"{path}[{index}]")
            for index, item in enumerate(value)
        ]

    def _map(self, value: Any, dtype: MapType, path: str) -> dict[Any, Any]:
        if isinstance(value, Mapping):
            pairs = list(value.items())
        elif isinstance(value, list) and all(isinstance(pair, list) and len(pair) == 2 for pair in value):
            pairs = [(pair[0], pair[1]) for pair in value]
        else:
            raise _Mismatch(f"expected an object or [key, value] pairs, got {_describe(value)}", path)
        result = {}
        for key, item in pairs:
            where = f"{path}[{key!r}]"
            converted = self._value(self._map_key(key, dtype.keyType), dtype.keyType, False, where)
            result[converted] = self._value(item, dtype.valueType, dtype.valueContainsNull, where)
        return result

    @staticmethod
    def _map_key(key: Any, dtype: DataType) -> Any:
        # JSON object keys are strings: read "1" or "true" as the number or boolean it spells.
        if isinstance(key, str) and type(dtype) in (*_INT_BITS, FloatType, DoubleType, BooleanType):
            try:
                return json.loads(key)
            except ValueError:
                return key
        return key


def _unsupported(dtype: DataType, path: str) -> list[str]:
    """Columns (with their types) the converter cannot produce."""
    if isinstance(dtype, StructType):
        return [
            problem
            for field in dtype.fields
            for problem in _unsupported(field.dataType, _join(path, field.name))
        ]
    if isinstance(dtype, ArrayType):
        return _unsupported(dtype.elementType, f"{path}[]")
    if isinstance(dtype, MapType):
        if type(dtype.keyType) not in _ATOMIC:
            return [f"{path} (map key {dtype.keyType.simpleString()})"]
        return _unsupported(dtype.valueType, f"{path}[]")
    return [] if type(dtype) in _ATOMIC else [f"{path} ({dtype.simpleString()})"]


def _read_file(path: Path) -> list[Any]:
    try:
        rows = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise MemorySourceError(f"{path}: spool file is missing (was the spool cleared?)") from None
    except ValueError as error:
        raise MemorySourceError(f"{path}: not valid JSON ({error})") from None
    if not isinstance(rows, list):
        raise MemorySourceError(f"{path}: expected a JSON array of rows, got {_describe(rows)}")
    return rows


def _zone(name: str) -> tzinfo:
    """A Spark time zone id: a region (``Europe/Paris``), ``UTC`` or an offset (``+01:00``)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        pass
    match = _OFFSET_ZONE.fullmatch(name.strip())
    if match is None:
        raise MemorySourceError(f"unknown time zone {name!r}")
    sign = -1 if match.group(1) == "-" else 1
    offset = timedelta(hours=int(match.group(2)), minutes=int(match.group(3) or 0))
    return timezone(sign * offset)


def _max_files(value: Any) -> int | None:
    """``maxFilesPerTrigger`` as a positive int, None when unset."""
    if value is None or value == "":
        return None
    text = str(value).strip()
    if not text.isdigit() or int(text) <= 0:
        raise ValueError(f"maxFilesPerTrigger must be a positive whole number, not {value!r}")
    return int(text)


# -- the data source -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _FileRange(InputPartition):
    """Files ``first`` .. ``stop - 1`` of the spool: one Spark task."""

    first: int
    stop: int


def _split(first: int, stop: int) -> list[_FileRange]:
    count = stop - first
    if count <= 0:
        return []
    parts = min(count, _MAX_PARTITIONS)
    bounds = [first + count * part // parts for part in range(parts + 1)]
    return [_FileRange(low, high) for low, high in pairwise(bounds)]


class MemoryStreamReader(DataSourceStreamReader, SupportsTriggerAvailableNow):
    """Reads the spool's files in index order; offset ``{"index": N}`` = files consumed.

    Admission control: ``maxFilesPerTrigger`` becomes the default ``ReadMaxFiles`` limit,
    which Spark also applies under Trigger.AvailableNow; ``prepareForTriggerAvailableNow``
    freezes the target at the files present when the query starts.
    """

    def __init__(self, spool: Path, schema: StructType, max_files: int | None, time_zone: str) -> None:
        self.spool = spool
        self.schema = schema
        self.max_files = max_files
        self.time_zone = time_zone
        self._target: int | None = None

    def initialOffset(self) -> dict[str, int]:
        return {"index": 0}

    def latestOffset(self, start: dict[str, Any], limit: ReadLimit) -> dict[str, int]:
        begin = int(start["index"])
        end = _contiguous_count(self.spool)
        if self._target is not None:
            end = min(end, self._target)
        if isinstance(limit, ReadMaxFiles):
            end = min(end, begin + limit.max_files)
        return {"index": max(begin, end)}

    def getDefaultReadLimit(self) -> ReadLimit:
        return ReadMaxFiles(self.max_files) if self.max_files else ReadAllAvailable()

    def reportLatestOffset(self) -> dict[str, int]:
        return {"index": _contiguous_count(self.spool)}

    def prepareForTriggerAvailableNow(self) -> None:
        self._target = _contiguous_count(self.spool)

    def partitions(self, start: dict[str, Any], end: dict[str, Any]) -> list[_FileRange]:
        return _split(int(start["index"]), int(end["index"]))

    def read(self, partition: InputPartition) -> Iterator[tuple[Any, ...]]:
        assert isinstance(partition, _FileRange)
        converter = _RowConverter(self.schema, _zone(self.time_zone))
        for index in range(partition.first, partition.stop):
            path = self.spool / _file_name(index)
            for number, raw in enumerate(_read_file(path)):
                yield converter.convert(raw, path, number)


class MemoryDataSource(DataSource):
    """The ``tauro_memory`` Python data source (streaming reads only).

    Options: ``spool`` (directory, required), ``maxFilesPerTrigger`` (positive int) and
    ``timeZone`` (for ISO timestamps without an offset; default UTC). The schema must be
    given with ``.schema(...)``.
    """

    @classmethod
    def name(cls) -> str:
        return DATA_SOURCE_NAME

    def schema(self) -> StructType:
        raise MemorySourceError(
            f"the {DATA_SOURCE_NAME} source needs a schema: "
            f"spark.readStream.format('{DATA_SOURCE_NAME}').schema('id BIGINT, value STRING')"
        )

    def streamReader(self, schema: StructType) -> MemoryStreamReader:
        spool = self.options.get("spool")
        if not spool:
            raise MemorySourceError(f"the {DATA_SOURCE_NAME} source needs the 'spool' option")
        unsupported = _unsupported(schema, "")
        if unsupported:
            raise MemorySourceError(f"the {DATA_SOURCE_NAME} source cannot produce: {', '.join(unsupported)}")
        time_zone = self.options.get("timeZone") or "UTC"
        _zone(time_zone)  # fail at start, not in the first task
        return MemoryStreamReader(
            Path(spool), schema, _max_files(self.options.get("maxFilesPerTrigger")), time_zone
        )


# -- Tauro entry points --------------------------------------------------------------------------

_registered: weakref.WeakSet[SparkSession] = weakref.WeakSet()
_register_lock = threading.Lock()


def register_memory_source(spark: SparkSession) -> None:
    """Register the data source with ``spark`` (once per session object)."""
    with _register_lock:
        if spark in _registered:
            return
        try:
            spark.dataSource.register(MemoryDataSource)
        except Exception as error:  # e.g. a Spark Connect server without Python data sources
            logger.warning(
                "could not register the {} data source ({}); the memory source is unavailable",
                DATA_SOURCE_NAME,
                error,
            )
            return
        _registered.add(spark)


def spool_dir_for(context: Any, stream: str) -> Path:
    """The spool directory of a named stream: ``<base_dir>/memory/<stream>``."""
    if not _STREAM_NAME.fullmatch(stream):
        raise StreamingValidationError(
            f"stream names use letters, digits, '_', '-' and '.', not {stream!r}",
            field="options.stream",
        )
    return Path(context_settings(context)["base_dir"]) / "memory" / stream


def _spool_path(context: Any, options: Mapping[str, Any]) -> Path:
    stream, spool = options.get("stream"), options.get("spool")
    if stream and spool:
        raise StreamingValidationError(
            "give either options.stream or options.spool, not both", field="options.spool"
        )
    path = Path(spool).expanduser() if spool else spool_dir_for(context, stream or "default")
    return path.absolute()  # the Python workers may run in another directory


def _config_rows(rows: Any) -> list[Any]:
    try:
        parsed = json.loads(rows) if isinstance(rows, str | bytes) else rows
    except ValueError as error:
        raise StreamingValidationError(f"is not valid JSON: {error}", field="options.rows") from None
    if not isinstance(parsed, list) or not all(isinstance(row, dict | list) for row in parsed):
        raise StreamingValidationError(
            "must be a list of rows (mappings of column to value, or lists)", field="options.rows"
        )
    return parsed


def _checked_max_files(value: Any) -> int | None:
    try:
        return _max_files(value)
    except ValueError as error:
        raise StreamingValidationError(str(error), field="options.maxFilesPerTrigger") from None


def read_memory_stream(context: Any, spark: SparkSession, **options: Any) -> DataFrame:
    """The memory source's streaming DataFrame (what ``MemoryStreamingReader.read`` returns).

    Options: ``stream`` (name; default ``default``) or ``spool`` (directory), ``rows`` (JSON
    list written as the first file when the spool has none), ``schema`` (required) and
    ``maxFilesPerTrigger``.
    """
    schema = options.get("schema")
    if schema is None:
        raise StreamingValidationError(
            "the memory source needs the rows' schema, e.g. schema: 'id BIGINT, value STRING'",
            field="input.schema",
        )
    max_files = _checked_max_files(options.get("maxFilesPerTrigger"))
    spool = MemorySpool(_spool_path(context, options))
    if options.get("rows") is not None:
        rows = _config_rows(options["rows"])
        if rows:
            spool.seed(rows)
    register_memory_source(spark)
    reader = (
        spark.readStream.format(DATA_SOURCE_NAME)
        .schema(schema)
        .option("spool", str(spool.path))
        .option("timeZone", spark.conf.get("spark.sql.session.timeZone") or "UTC")
    )
    if max_files is not None:
        reader = reader.option("maxFilesPerTrigger", str(max_files))
    return reader.load()
