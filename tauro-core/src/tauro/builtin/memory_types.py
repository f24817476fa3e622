"""Converting the memory source's JSON rows to the schema's types (on the Python worker)."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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
    ShortType,
    StringType,
    StructType,
    TimestampNTZType,
    TimestampType,
    VarcharType,
)

from tauro.builtin.memory_spool import BASE64_MARKER, MemorySourceError

_OFFSET_ZONE: Final = re.compile(r"(?:UTC|GMT)?([+-])(\d{1,2})(?::?(\d{2}))?")
# Enough digits to quantize any Spark decimal (precision <= 38) without InvalidOperation.
_DECIMAL_CONTEXT: Final = Context(prec=80, rounding=ROUND_HALF_UP)
_INT_BITS: Final[dict[type[DataType], int]] = {
    ByteType: 8,
    ShortType: 16,
    IntegerType: 32,
    LongType: 64,
}


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


class RowConverter:
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


def unsupported_types(dtype: DataType, path: str) -> list[str]:
    """Columns (with their types) the converter cannot produce."""
    if isinstance(dtype, StructType):
        return [
            problem
            for field in dtype.fields
            for problem in unsupported_types(field.dataType, _join(path, field.name))
        ]
    if isinstance(dtype, ArrayType):
        return unsupported_types(dtype.elementType, f"{path}[]")
    if isinstance(dtype, MapType):
        if type(dtype.keyType) not in _ATOMIC:
            return [f"{path} (map key {dtype.keyType.simpleString()})"]
        return unsupported_types(dtype.valueType, f"{path}[]")
    return [] if type(dtype) in _ATOMIC else [f"{path} ({dtype.simpleString()})"]


def read_spool_file(path: Path) -> list[Any]:
    try:
        rows = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise MemorySourceError(f"{path}: spool file is missing (was the spool cleared?)") from None
    except ValueError as error:
        raise MemorySourceError(f"{path}: not valid JSON ({error})") from None
    if not isinstance(rows, list):
        raise MemorySourceError(f"{path}: expected a JSON array of rows, got {_describe(rows)}")
    return rows


def zone_info(name: str) -> tzinfo:
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


def max_files_option(value: Any) -> int | None:
    """``maxFilesPerTrigger`` as a positive int, None when unset."""
    if value is None or value == "":
        return None
    text = str(value).strip()
    if not text.isdigit() or int(text) <= 0:
        raise ValueError(f"maxFilesPerTrigger must be a positive whole number, not {value!r}")
    return int(text)
