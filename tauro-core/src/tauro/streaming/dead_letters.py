"""Nodes with ``input.dead_letter``: one ``foreachBatch`` query splitting good rows from bad.

The query is started through the same writer path as any output (``BaseStreamingWriter.write``
applies trigger, output mode, checkpoint and query name): ``BatchFunctionWriter`` is a writer
whose format-specific part is ``foreachBatch``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tauro.config.schemas import to_struct_type
from tauro.plugin.context import ContextLike
from tauro.plugin.readers import BaseStreamingReader
from tauro.plugin.writers import BaseStreamingWriter
from tauro.streaming.json_payload import split_batch
from tauro.streaming.query_build import Step, apply_steps
from tauro.streaming.query_plan import QueryPlan

if TYPE_CHECKING:
    from pyspark.sql import DataFrame
    from pyspark.sql.streaming import DataStreamWriter

BatchFunction = Callable[["DataFrame", int], None]


class BatchFunctionWriter(BaseStreamingWriter):
    """A writer whose sink is a Python function of each micro-batch (``foreachBatch``)."""

    def __init__(self, context: ContextLike, function: BatchFunction) -> None:
        super().__init__(context)
        self.function = function

    def configure(self, writer: DataStreamWriter, **options: Any) -> DataStreamWriter:
        return writer.foreachBatch(self.function)


def dead_letter_batches(
    plan: QueryPlan,
    reader: BaseStreamingReader,
    writer: BaseStreamingWriter,
    dl_writer: BaseStreamingWriter,
    steps: list[Step],
    on_dead_letters: Callable[[int, int], None],
) -> BatchFunction:
    """The batch function: bad rows to ``dl_writer``, the good ones, transformed, to ``writer``.

    ``on_dead_letters`` receives each batch's id and the number of dead letters it wrote.
    """
    node = plan.node
    section = node.normalized["input"]
    schema = to_struct_type(section["json_schema"])
    payload = str(reader.payload_column)
    metadata = tuple(reader.metadata_columns)
    keep = tuple(reader.parse_keep_columns(section["options"]))
    out_options = plan.writer_options
    dl_options = plan.dead_letter_options or {}

    def process(batch: DataFrame, batch_id: int) -> None:
        batch.persist()
        try:
            good, bad = split_batch(batch, payload, schema, metadata, batch_id, node.name, keep)
            bad = bad.persist()
            try:
                count = bad.count()
                if count:
                    dl_writer.write_batch(bad, batch_id, **dl_options)
                    on_dead_letters(batch_id, count)
            finally:
                bad.unpersist()
            writer.write_batch(apply_steps(good, steps, node, payload), batch_id, **out_options)
        finally:
            batch.unpersist()

    return process
