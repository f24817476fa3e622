"""The memory source's spool: numbered JSON files written atomically, never rewritten.

Every ``MemorySpool.push`` writes one file, ``00000000.json``, ``00000001.json``, ... holding a
JSON array of rows (objects of column -> value, or positional arrays). Values are stored as
JSON: ``datetime`` and ``date`` become ISO-8601 strings, ``Decimal`` a string, and bytes
``{"$base64": "..."}``. Tests and programs push rows from the driver.
"""

from __future__ import annotations

import base64
import json
import os
import re
import threading
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, time
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

from pyspark.sql.types import Row

DATA_SOURCE_NAME: Final = "tauro_memory"
#: Key of the JSON object that carries bytes as base64 (``{"$base64": "aGk="}``).
BASE64_MARKER: Final = "$base64"

FILE_PATTERN: Final = re.compile(r"(\d{8,})\.json")
STREAM_NAME: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


class MemorySourceError(ValueError):
    """A spool file or one of its rows does not fit the schema (names file, row and column)."""


# -- spool files ---------------------------------------------------------------------------------


def spool_file_name(index: int) -> str:
    return f"{index:08d}.json"


def _list_indices(spool: Path) -> set[int]:
    """Indices of the published files; temp files and non-canonical names are ignored."""
    try:
        names = os.listdir(spool)
    except FileNotFoundError:
        return set()
    indices = set()
    for name in names:
        match = FILE_PATTERN.fullmatch(name)
        if match and name == spool_file_name(int(match.group(1))):
            indices.add(int(match.group(1)))
    return indices


def contiguous_count(spool: Path) -> int:
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
                while not _link(temp, self.path / spool_file_name(index)):
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
                written = _link(temp, self.path / spool_file_name(0))
            finally:
                temp.unlink(missing_ok=True)
        if written:
            _fsync_dir(self.path)
        return written
