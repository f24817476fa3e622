"""``StreamingQueryManager``: validate a node, build its query, start it, watch it, stop it."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import attrs
from loguru import logger

from tauro.checkpoints import CheckpointLock, resolve_checkpoint
from tauro.config.context import context_settings
from tauro.config.models import NodeConfig
from tauro.config.schemas import to_struct_type
from tauro.errors import (
    StreamingQueryError,
    StreamingValidationError,
    handle_streaming_error,
)
from tauro.logging_setup import install_stdlib_bridge
from tauro.redaction import first_line, redact_text
from tauro.session import declare_session_needs, format_uses, prepare_session
from tauro.streaming.constants import BOUNDED_TRIGGERS, DEFAULT_HEALTH_TIMEOUT_SECONDS
from tauro.streaming.context_access import ContextLike, spark_of
from tauro.streaming.health_monitor import QueryHealthMonitor
from tauro.streaming.json_payload import split_batch
from tauro.streaming.listener import get_event_hub
from tauro.streaming.query_build import Step, apply_steps, build_stream, reader_options, writer_options
from tauro.streaming.readers import StreamingReaderFactory
from tauro.streaming.spark_errors import summarize_error
from tauro.streaming.validators import StreamingValidator, ValidatedNode
from tauro.streaming.writers import BaseStreamingWriter, StreamingWriterFactory, apply_trigger

if TYPE_CHECKING:
    from pyspark.sql import DataFrame
    from pyspark.sql.streaming import StreamingQuery

_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9_]")
TerminatedCallback = Callable[["ManagedQuery", str | None], None]


def default_query_name(node_name: str, pipeline_name: str | None) -> str:
    """``<pipeline>__<node>`` reduced to ``[A-Za-z0-9_]`` (Spark's memory sink rejects dots)."""
    raw = f"{pipeline_name}__{node_name}" if pipeline_name else node_name
    return _UNSAFE_NAME.sub("_", raw)


@attrs.define(kw_only=True, eq=False)
class ManagedQuery:
    """A query Tauro started, with what it needs to watch and stop it."""

    node: ValidatedNode
    query: StreamingQuery
    query_name: str
    checkpoint: str
    lock: CheckpointLock
    monitor: QueryHealthMonitor
    pipeline_name: str | None
    execution_id: str | None
    bounded: bool
    started_at: float = attrs.field(factory=time.time)
    dead_letters: int = 0
    stopped_by_tauro: bool = False

    @property
    def node_name(self) -> str:
        return self.node.name

    @property
    def id(self) -> str:
        return str(self.query.id)

    def info(self) -> dict[str, Any]:
        snapshot = self.monitor.snapshot()
        try:
            active = bool(self.query.isActive)
        except Exception:
            active = False
        return {
            "id": self.id,
            "name": self.query_name,
            "node": self.node_name,
            "pipeline": self.pipeline_name,
            "execution_id": self.execution_id,
            "isActive": active,
            "checkpoint": self.checkpoint,
            "dead_letters": self.dead_letters,
            **snapshot,
        }


class StreamingQueryManager:
    """Create, start, list and stop streaming queries for one context."""

    def __init__(
        self,
        context: ContextLike,
        *,
        health_timeout_seconds: float = DEFAULT_HEALTH_TIMEOUT_SECONDS,
        spike_factor: float = 3.0,
        spike_window: int = 20,
    ) -> None:
        self.context = context
        self.settings = context_settings(context)
        self.health_timeout_seconds = health_timeout_seconds
        self.spike_factor = spike_factor
        self.spike_window = spike_window
        self._queries: dict[str, ManagedQuery] = {}
        self._lock = threading.RLock()
        install_stdlib_bridge()

    @property
    def spark(self) -> Any:
        return spark_of(self.context)

    def validator(self) -> StreamingValidator:
        return StreamingValidator(self.settings["format_policy"], environment=self.settings["environment"])

    # -- start -------------------------------------------------------------------------------
    @handle_streaming_error(error=StreamingQueryError)
    def create_and_start_query(
        self,
        node_config: Mapping[str, Any] | NodeConfig,
        execution_id: str | None = None,
        pipeline_name: str | None = None,
        *,
        validated: ValidatedNode | None = None,
        on_terminated: TerminatedCallback | None = None,
    ) -> StreamingQuery:
        """Validate the node, build and start its query; return Spark's ``StreamingQuery``."""
        if validated is None:
            report = self.validator().validate_streaming_node_config(node_config, require_output=True)
            for warning in report.warnings:
                logger.warning("{}", warning)
            validated = report.nodes[0]
        managed = self._start(validated, execution_id, pipeline_name, on_terminated)
        return managed.query

    def start_managed(
        self,
        validated: ValidatedNode,
        execution_id: str | None,
        pipeline_name: str | None,
        on_terminated: TerminatedCallback | None = None,
    ) -> ManagedQuery:
        """Like ``create_and_start_query`` for an already validated node (the pipeline manager)."""
        return self._start(validated, execution_id, pipeline_name, on_terminated)

    def _start(
        self,
        node: ValidatedNode,
        execution_id: str | None,
        pipeline_name: str | None,
        on_terminated: TerminatedCallback | None,
    ) -> ManagedQuery:
        # The session gets (or must already hold) what this node's formats need; each plugin
        # used prepares the session once, unused plugins never.
        uses = format_uses([node], pipeline_name)
        declare_session_needs(self.context, uses)
        spark = self.spark
        prepare_session(spark, uses=uses)
        section, output = node.normalized["input"], node.normalized["output"]
        streaming = node.normalized["streaming"]
        reader = StreamingReaderFactory.create(section["format"], self.context)
        writer = StreamingWriterFactory.create(output["format"], self.context)
        dead_letter = section.get("dead_letter")
        dl_writer = (
            StreamingWriterFactory.create(dead_letter["format"], self.context) if dead_letter else None
        )
        self._preflight(node, spark, reader, writer, dl_writer)
        query_name = streaming.get("query_name") or default_query_name(node.name, pipeline_name)
        self._check_name_free(spark, query_name, node)
        checkpoint = resolve_checkpoint(
            node.name,
            pipeline_name,
            streaming.get("checkpoint_location"),
            output["options"].get("checkpointLocation"),
            self.settings["checkpoint_base"],
        )
        self._release_finished(checkpoint)
        lock = CheckpointLock(checkpoint, execution_id=execution_id, query_name=query_name)
        lock.acquire()
        query: StreamingQuery | None = None
        try:
            df, steps = build_stream(node, reader, dead_letters=dead_letter is not None)
            reserved = {
                "trigger": streaming["trigger"],
                "output_mode": streaming["output_mode"],
                "checkpoint_location": checkpoint,
                "query_name": query_name,
            }
            holder: dict[str, ManagedQuery] = {}
            if dead_letter is not None and dl_writer is not None:
                process = self._dead_letter_batches(node, reader, writer, dl_writer, steps, holder)
                stream_writer = apply_trigger(df.writeStream.foreachBatch(process), streaming["trigger"])
                stream_writer = stream_writer.outputMode(streaming["output_mode"])
                stream_writer = stream_writer.option("checkpointLocation", checkpoint).queryName(query_name)
                query = stream_writer.start()
            else:
                options = writer_options(output, self.settings["output_path"])
                self._check_sink_schema(node, writer, df, options)
                query = writer.write(df, **options, **reserved)
            managed = ManagedQuery(
                node=node,
                query=query,
                query_name=query_name,
                checkpoint=checkpoint,
                lock=lock,
                monitor=QueryHealthMonitor(
                    query,
                    query_name,
                    self.health_timeout_seconds,
                    spike_factor=self.spike_factor,
                    spike_window=self.spike_window,
                ),
                pipeline_name=pipeline_name,
                execution_id=execution_id,
                bounded=streaming["trigger"].get("type") in BOUNDED_TRIGGERS,
            )
            holder["managed"] = managed
            with self._lock:
                self._queries[managed.id] = managed
            get_event_hub(spark).track(
                query,
                managed.monitor,
                node_name=node.name,
                pipeline_name=pipeline_name,
                execution_id=execution_id,
                on_terminated=lambda _qid, exc: self._terminated(managed, exc, on_terminated),
            )
            logger.info("Started query '{}' (node '{}', checkpoint {})", query_name, node.name, checkpoint)
            return managed
        except BaseException as exc:
            # Nothing is left behind: a started query is stopped and the lock released.
            if query is not None:
                try:
                    query.stop()
                except Exception:
                    logger.opt(exception=True).warning("Could not stop query '{}' after an error", query_name)
            lock.release()
            with self._lock:
                if query is not None:
                    self._queries.pop(str(query.id), None)
            if isinstance(exc, StreamingValidationError | StreamingQueryError):
                raise
            if isinstance(exc, Exception):
                raise StreamingQueryError(
                    f"starting node '{node.name}' failed: {first_line(exc)}",
                    node_name=node.name,
                    operation="create_and_start_query",
                    component="StreamingQueryManager",
                    cause=exc,
                ) from exc
            raise

    def _preflight(
        self,
        node: ValidatedNode,
        spark: Any,
        reader: Any,
        writer: BaseStreamingWriter,
        dl_writer: BaseStreamingWriter | None,
    ) -> None:
        base = self.settings["output_path"]
        checks = [
            ("input", reader, reader_options(node.normalized["input"])),
            ("output", writer, writer_options(node.normalized["output"], base)),
        ]
        if dl_writer is not None:
            dead_letter = node.normalized["input"]["dead_letter"]
            checks.append(("input.dead_letter", dl_writer, writer_options(dead_letter, base)))
        for field, component, options in checks:
            try:
                component.preflight(spark, **options)
            except StreamingValidationError as exc:
                sub = (
                    f"{field}.{exc.field}"
                    if exc.field and not exc.field.startswith(field)
                    else exc.field or field
                )
                raise StreamingValidationError(
                    exc.message,
                    field=sub,
                    node_name=node.name,
                    operation="preflight",
                    component=type(component).__name__,
                ) from exc

    def _check_sink_schema(
        self, node: ValidatedNode, writer: BaseStreamingWriter, df: DataFrame, options: dict[str, Any]
    ) -> None:
        """The sink's verdict on the final schema, before ``start()`` (a writer's ``check_schema``)."""
        try:
            writer.check_schema(df.schema, **dict(options))
        except StreamingValidationError as exc:
            field = exc.field or ""
            raise StreamingValidationError(
                exc.message,
                field=field if field.startswith("output") else f"output.{field}".rstrip("."),
                node_name=node.name,
                operation="check_schema",
                component=type(writer).__name__,
            ) from exc
        except Exception as exc:
            raise StreamingValidationError(
                f"the {node.normalized['output']['format']} sink's schema check failed: {first_line(exc)}",
                field="output",
                node_name=node.name,
                operation="check_schema",
                component=type(writer).__name__,
            ) from exc

    def _check_name_free(self, spark: Any, query_name: str, node: ValidatedNode) -> None:
        for active in spark.streams.active:
            if active.name == query_name:
                raise StreamingQueryError(
                    f"a query named '{query_name}' is already active (id {active.id}); stop it first or "
                    "give this node another streaming.query_name",
                    field="streaming.query_name",
                    node_name=node.name,
                    operation="create_and_start_query",
                    component="StreamingQueryManager",
                )

    def _dead_letter_batches(
        self,
        node: ValidatedNode,
        reader: Any,
        writer: BaseStreamingWriter,
        dl_writer: BaseStreamingWriter,
        steps: list[Step],
        holder: dict[str, ManagedQuery],
    ) -> Callable[[DataFrame, int], None]:
        section = node.normalized["input"]
        schema = to_struct_type(section["json_schema"])
        payload = str(reader.payload_column)
        metadata = tuple(reader.metadata_columns)
        keep = tuple(reader.parse_keep_columns(section["options"]))
        out_options = writer_options(node.normalized["output"], self.settings["output_path"])
        dl_options = writer_options(section["dead_letter"], self.settings["output_path"])

        def process(batch: DataFrame, batch_id: int) -> None:
            batch.persist()
            try:
                good, bad = split_batch(batch, payload, schema, metadata, batch_id, node.name, keep)
                bad = bad.persist()
                try:
                    count = bad.count()
                    if count:
                        dl_writer.write_batch(bad, batch_id, **dl_options)
                        managed = holder.get("managed")
                        if managed is not None:
                            managed.dead_letters += count
                finally:
                    bad.unpersist()
                writer.write_batch(apply_steps(good, steps, node, payload), batch_id, **out_options)
            finally:
                batch.unpersist()

        return process

    # -- termination and stop ------------------------------------------------------------------
    def _terminated(
        self, managed: ManagedQuery, exception: str | None, callback: TerminatedCallback | None
    ) -> None:
        managed.lock.release()
        if exception:
            logger.error(
                "Query '{}' (node '{}') failed: {}",
                managed.query_name,
                managed.node_name,
                summarize_error(exception),
            )
            logger.debug("Query '{}' failed with: {}", managed.query_name, exception)
        if callback is not None:
            callback(managed, exception)

    def _release_finished(self, checkpoint: str) -> None:
        """Release locks of this manager's ended queries on ``checkpoint`` now, rather than when
        the listener's terminated event arrives (a restart may come first)."""
        for managed in self.managed_queries():
            if managed.checkpoint == checkpoint:
                try:
                    active = bool(managed.query.isActive)
                except Exception:
                    active = False
                if not active:
                    managed.lock.release()

    def stop_query(self, query: StreamingQuery | str, timeout: float = 30.0) -> bool:
        """Wait up to ``timeout`` for an in-flight batch, then stop; True when it is no longer active."""
        managed = self._find(query)
        if managed is None:
            return False
        managed.stopped_by_tauro = True
        managed.monitor.mark_stopped()
        deadline = time.monotonic() + max(timeout, 0.0)
        try:
            while managed.query.isActive and time.monotonic() < deadline:
                if not managed.query.status.get("isTriggerActive", False):
                    break
                time.sleep(0.1)
            managed.query.stop()
        except Exception as exc:
            logger.warning("Stopping query '{}' raised: {}", managed.query_name, redact_text(str(exc)))
        finally:
            managed.lock.release()
        try:
            return not managed.query.isActive
        except Exception:
            return True

    def stop_all(self, timeout: float = 30.0) -> bool:
        results = [self.stop_query(m.id, timeout) for m in self.managed_queries()]
        return all(results)

    def _find(self, query: StreamingQuery | str) -> ManagedQuery | None:
        with self._lock:
            if isinstance(query, str):
                if query in self._queries:
                    return self._queries[query]
                return next((m for m in self._queries.values() if m.query_name == query), None)
            return self._queries.get(str(query.id))

    def managed_queries(self) -> list[ManagedQuery]:
        with self._lock:
            return list(self._queries.values())

    def list_queries(self) -> list[dict[str, Any]]:
        """Every query this manager started, with its status and health."""
        return [m.info() for m in self.managed_queries()]

    def get_query(self, name_or_id: str) -> StreamingQuery | None:
        managed = self._find(name_or_id)
        return managed.query if managed is not None else None

    def forget(self, managed: ManagedQuery) -> None:
        with self._lock:
            self._queries.pop(managed.id, None)
