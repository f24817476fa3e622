"""Nodes with expectations: one ``foreachBatch`` query that judges every batch before writing it.

Per batch: the rows (parsed and transformed per batch when the node has parse dead letters,
otherwise as the stream delivered them) are cached. With ``fail`` or thresholds,
one aggregation counts them and the verdict raises before anything is written, so the batch
does not commit and a restart runs it again; without, the counts are observed on the output's
write. The kept rows go to the output and the quarantined rows, with the parse dead letters,
to the dead-letter sink in one write. Both writes are keyed by the batch id
(``write_batch``), so a replayed batch lands once. The counts are recorded last.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tauro.config.schemas import to_struct_type
from tauro.errors import ExpectationFailedError
from tauro.plugin.readers import BaseStreamingReader
from tauro.plugin.writers import BaseStreamingWriter
from tauro.streaming.dead_letters import BatchFunction
from tauro.streaming.expectation_counts import ExpectationTotals
from tauro.streaming.expectations import ExpectationSet
from tauro.streaming.json_payload import split_batch
from tauro.streaming.query_build import Step, apply_steps
from tauro.streaming.query_plan import QueryPlan

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


def checked_batches(
    plan: QueryPlan,
    reader: BaseStreamingReader,
    writer: BaseStreamingWriter,
    dl_writer: BaseStreamingWriter | None,
    steps: list[Step],
    checks: ExpectationSet,
    totals: ExpectationTotals,
    on_dead_letters: Callable[[int, int], None],
    on_failure: Callable[[ExpectationFailedError], None],
) -> BatchFunction:
    """The batch function of a node with expectations (``steps`` run here only when the node
    parses with dead letters; otherwise the stream is already transformed)."""
    node = plan.node
    section = node.normalized["input"]
    parsing = dl_writer is not None and bool(section["parse_json"])
    schema = to_struct_type(section["json_schema"]) if parsing else None
    payload = str(reader.payload_column)
    metadata = tuple(reader.metadata_columns)
    keep = tuple(reader.parse_keep_columns(section["options"]))
    out_options = plan.writer_options
    dl_options = plan.dead_letter_options or {}
    read_whole = writer.reads_whole_batch(**out_options)

    def process(batch: DataFrame, batch_id: int) -> None:
        cached: list[DataFrame] = []
        try:
            bad: DataFrame | None = None
            if parsing:
                assert schema is not None
                cached.append(batch.persist())
                good, bad = split_batch(batch, payload, schema, metadata, batch_id, node.name, keep)
                rows = apply_steps(good, steps, node, payload)
            else:
                rows = batch
            columns = rows.columns
            # The checks are cheap to compute again in each read of the cached rows.
            rows = rows.persist()
            cached.append(rows)
            if checks.gates:
                # fail and thresholds decide before anything is written.
                counts = checks.counts(rows, batch_id)
                try:
                    checks.verdict(counts, rows, columns)
                except ExpectationFailedError as exc:
                    on_failure(exc)
                    raise
                writer.write_batch(checks.kept(rows), batch_id, **out_options)
            else:
                # Nothing to decide first: the output's write counts the rows as it reads them.
                observed, observation = checks.observed(rows, batch_id)
                writer.write_batch(checks.kept(observed), batch_id, **out_options)
                counts = checks.counts_observed(observation, rows, batch_id, read_whole=read_whole)
            if dl_writer is not None:
                dead_letters = 0
                aside: DataFrame | None = None
                if bad is not None:
                    cached.append(bad.persist())
                    dead_letters = bad.count()
                    aside = bad if dead_letters else None
                if counts.quarantined:
                    layout = bad.schema if bad is not None else None
                    quarantined = checks.quarantined(rows, columns, layout, batch_id)
                    aside = quarantined if aside is None else aside.unionByName(quarantined)
                if aside is not None:
                    dl_writer.write_batch(aside, batch_id, **dl_options)
                if dead_letters:
                    on_dead_letters(batch_id, dead_letters)
            totals.record(counts)
        finally:
            for df in reversed(cached):
                df.unpersist()

    return process
