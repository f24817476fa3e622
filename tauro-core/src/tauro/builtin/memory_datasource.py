"""The memory source as a Spark Python data source: offsets are "the first N spool files".

The stream offset ``{"index": N}`` means "the first N files", so the range (start, end] always
yields the same rows: checkpoints, restarts and replays behave as with a real source. The reader
admits the contiguous run of files from index 0; temporary files and other names are ignored.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any, Final

from pyspark.sql.datasource import DataSource, DataSourceStreamReader, InputPartition
from pyspark.sql.streaming.datasource import (
    ReadAllAvailable,
    ReadLimit,
    ReadMaxFiles,
    SupportsTriggerAvailableNow,
)
from pyspark.sql.types import StructType

from tauro.builtin.memory_spool import DATA_SOURCE_NAME, MemorySourceError, contiguous_count, spool_file_name
from tauro.builtin.memory_types import (
    RowConverter,
    max_files_option,
    read_spool_file,
    unsupported_types,
    zone_info,
)

#: Most Spark tasks one micro-batch is split into (each task reads a contiguous run of files).
_MAX_PARTITIONS: Final = 4


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
        end = contiguous_count(self.spool)
        if self._target is not None:
            end = min(end, self._target)
        if isinstance(limit, ReadMaxFiles):
            end = min(end, begin + limit.max_files)
        return {"index": max(begin, end)}

    def getDefaultReadLimit(self) -> ReadLimit:
        return ReadMaxFiles(self.max_files) if self.max_files else ReadAllAvailable()

    def reportLatestOffset(self) -> dict[str, int]:
        return {"index": contiguous_count(self.spool)}

    def prepareForTriggerAvailableNow(self) -> None:
        self._target = contiguous_count(self.spool)

    def partitions(self, start: dict[str, Any], end: dict[str, Any]) -> list[_FileRange]:
        return _split(int(start["index"]), int(end["index"]))

    def read(self, partition: InputPartition) -> Iterator[tuple[Any, ...]]:
        assert isinstance(partition, _FileRange)
        converter = RowConverter(self.schema, zone_info(self.time_zone))
        for index in range(partition.first, partition.stop):
            path = self.spool / spool_file_name(index)
            for number, raw in enumerate(read_spool_file(path)):
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
        unsupported = unsupported_types(schema, "")
        if unsupported:
            raise MemorySourceError(f"the {DATA_SOURCE_NAME} source cannot produce: {', '.join(unsupported)}")
        time_zone = self.options.get("timeZone") or "UTC"
        zone_info(time_zone)  # fail at start, not in the first task
        return MemoryStreamReader(
            Path(spool), schema, max_files_option(self.options.get("maxFilesPerTrigger")), time_zone
        )
