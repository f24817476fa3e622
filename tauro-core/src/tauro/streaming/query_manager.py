"""``StreamingQueryManager``: validate a node, build its query, start it, watch it, stop it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import attrs
from loguru import logger

from tauro.checkpoints import CheckpointLock, remove_interrupted_writes, warn_if_workers_cannot_see
from tauro.config.context import context_settings
from tauro.config.models import NodeConfig
from tauro.config.schemas import to_struct_type
from tauro.errors import (
    ExpectationFailedError,
    StreamingQueryError,
    StreamingValidationError,
    handle_streaming_error,
)
from tauro.executor_code import ship_executor_code
from tauro.logging_setup import install_stdlib_bridge
from tauro.plugin.context import ContextLike, runs_over_connect, spark_of
from tauro.redaction import redact_text
from tauro.session import declare_session_needs, format_uses, is_connect_session, prepare_session
from tauro.streaming.checked_batches import checked_batches
from tauro.streaming.constants import DEFAULT_HEALTH_TIMEOUT_SECONDS, StreamingTrigger
from tauro.streaming.dead_letters import BatchFunctionWriter, dead_letter_batches
from tauro.streaming.expectation_counts import ExpectationTotals, forget_query, register_query
from tauro.streaming.expectations import ExpectationSet, check_expectation_types
from tauro.streaming.health_monitor import QueryHealthMonitor
from tauro.streaming.json_payload import parse_stream
from tauro.streaming.listener import get_event_hub
from tauro.streaming.query_build import apply_steps, build_stream
from tauro.streaming.query_plan import QueryPlan, default_query_name, plan_query
from tauro.streaming.readers import BaseStreamingReader, StreamingReaderFactory
from tauro.streaming.real_time import check_real_time_query
from tauro.streaming.spark_errors import error_line, summarize_error
from tauro.streaming.transformations import TransformationRegistry
from tauro.streaming.validators import StreamingValidator, ValidatedNode
from tauro.streaming.writers import BaseStreamingWriter, StreamingWriterFactory

if TYPE_CHECKING:
    from pyspark.sql import DataFrame
    from pyspark.sql.streaming import StreamingQuery

__all__ = ["ManagedQuery", "StreamingQueryManager", "default_query_name"]

TerminatedCallback = Callable[["ManagedQuery", str | None], None]


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
    #: Dead letters of batches whose progress event has not been sent yet, by batch id.
    batch_dead_letters: dict[int, int] = attrs.field(factory=dict)
    stopped_by_tauro: bool = False
    #: Counts of the node's expectations (None for a node without any).
    expectations: ExpectationTotals | None = None
    #: Set when a batch broke a ``fail`` expectation or a threshold: deterministic, not retried.
    expectation_failure: ExpectationFailedError | None = None

    @property
    def node_name(self) -> str:
        return self.node.name

    def take_batch_dead_letters(self, batch_id: int) -> int:
        """The dead letters batch ``batch_id`` wrote (once; 0 when none or already taken)."""
        return self.batch_dead_letters.pop(batch_id, 0)

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
            **({"expectations": self.expectations.totals()} if self.expectations is not None else {}),
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
        return StreamingValidator(
            self.settings["format_policy"],
            environment=self.settings["environment"],
            connect=runs_over_connect(self.context),
        )

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
        plan = plan_query(
            node,
            pipeline_name,
            checkpoint_base=self.settings["checkpoint_base"],
            output_path=self.settings["output_path"],
        )
        # The session gets (or must already hold) what this node's formats need; each plugin
        # used prepares the session once, unused plugins never.
        uses = format_uses([node], pipeline_name)
        declare_session_needs(self.context, uses)
        spark = self.spark
        # On a cluster (and a Spark Connect server), executors import Tauro's and the user's
        # code: ship it before the plugins prepare the session (a Python data source registered
        # then captures the session's Python includes).
        ship_executor_code(spark, TransformationRegistry.modules())
        if not is_connect_session(spark):
            warn_if_workers_cannot_see(plan.checkpoint, str(spark.sparkContext.master))
        prepare_session(spark, uses=uses)
        reader = StreamingReaderFactory.create(plan.input_format, self.context)
        writer = StreamingWriterFactory.create(plan.output_format, self.context)
        dl_format = plan.dead_letter_format
        dl_writer = StreamingWriterFactory.create(dl_format, self.context) if dl_format else None
        self._preflight(plan, spark, reader, writer, dl_writer)
        self._check_name_free(spark, plan.query_name, node)
        return self._start_plan(plan, spark, reader, writer, dl_writer, execution_id, on_terminated)

    def _start_plan(
        self,
        plan: QueryPlan,
        spark: Any,
        reader: BaseStreamingReader,
        writer: BaseStreamingWriter,
        dl_writer: BaseStreamingWriter | None,
        execution_id: str | None,
        on_terminated: TerminatedCallback | None,
    ) -> ManagedQuery:
        node, query_name, checkpoint = plan.node, plan.query_name, plan.checkpoint
        self._release_finished(checkpoint)
        lock = CheckpointLock(checkpoint, execution_id=execution_id, query_name=query_name)
        lock.acquire()
        query: StreamingQuery | None = None
        try:
            if lock.held:
                remove_interrupted_writes(checkpoint)
            checks = ExpectationSet.of_node(node.normalized, node.name)
            parse_per_batch = dl_writer is not None and bool(node.normalized["input"]["parse_json"])
            df, steps = build_stream(node, reader, dead_letters=parse_per_batch)
            holder: dict[str, ManagedQuery] = {}
            totals: ExpectationTotals | None = None
            per_batch: dict[int, int] = {}

            def count_dead_letters(batch_id: int, count: int) -> None:
                per_batch[batch_id] = count  # taken by the batch's progress event
                managed = holder.get("managed")
                if managed is not None:
                    managed.dead_letters += count

            if checks is not None:
                self._check_expectations(node, reader, df, steps, parse_per_batch)
                totals = ExpectationTotals(spark, checkpoint, checks)

                def failed(exc: ExpectationFailedError) -> None:
                    managed = holder.get("managed")
                    if managed is not None:
                        managed.expectation_failure = exc

                process = checked_batches(
                    plan, reader, writer, dl_writer, steps, checks, totals, count_dead_letters, failed
                )
                query = BatchFunctionWriter(self.context, process).write(df, **plan.reserved)
            elif dl_writer is not None:
                process = dead_letter_batches(plan, reader, writer, dl_writer, steps, count_dead_letters)
                query = BatchFunctionWriter(self.context, process).write(df, **plan.reserved)
            else:
                if plan.real_time_seconds is not None:
                    check_real_time_query(df, spark, reader, plan.reader_options, node.name)
                self._check_sink_schema(node, writer, df, plan.writer_options)
                query = writer.write(df, **plan.writer_options, **plan.reserved)
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
                    batch_seconds=plan.real_time_seconds,
                ),
                pipeline_name=plan.pipeline_name,
                execution_id=execution_id,
                bounded=plan.bounded,
                expectations=totals,
                batch_dead_letters=per_batch,
            )
            holder["managed"] = managed
            if totals is not None:
                register_query(managed.id, totals)
            with self._lock:
                self._queries[managed.id] = managed
            get_event_hub(spark).track(
                query,
                managed.monitor,
                node_name=node.name,
                pipeline_name=plan.pipeline_name,
                execution_id=execution_id,
                on_terminated=lambda _qid, exc: self._terminated(managed, exc, on_terminated),
                dead_letters_of=managed.take_batch_dead_letters,
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
                    f"starting node '{node.name}' failed: {error_line(exc)}",
                    node_name=node.name,
                    operation="create_and_start_query",
                    component="StreamingQueryManager",
                    cause=exc,
                ) from exc
            raise

    def _preflight(
        self,
        plan: QueryPlan,
        spark: Any,
        reader: BaseStreamingReader,
        writer: BaseStreamingWriter,
        dl_writer: BaseStreamingWriter | None,
    ) -> None:
        node = plan.node
        checks: list[tuple[str, BaseStreamingReader | BaseStreamingWriter, dict[str, Any]]] = [
            ("input", reader, plan.reader_options),
            ("output", writer, plan.writer_options),
        ]
        if dl_writer is not None:
            checks.append(("input.dead_letter", dl_writer, plan.dead_letter_options or {}))
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
                f"the {node.normalized['output']['format']} sink's schema check failed: {error_line(exc)}",
                field="output",
                node_name=node.name,
                operation="check_schema",
                component=type(writer).__name__,
            ) from exc

    def _check_expectations(
        self,
        node: ValidatedNode,
        reader: BaseStreamingReader,
        df: DataFrame,
        steps: list[Any],
        parse_per_batch: bool,
    ) -> None:
        """Preflight of the expectations against the rows they will see (analysis only)."""
        rows = df
        if parse_per_batch:
            section = node.normalized["input"]
            payload = str(reader.payload_column)
            keep = reader.parse_keep_columns(section["options"])
            try:
                parsed = parse_stream(df, payload, to_struct_type(section["json_schema"]), keep)
                rows = apply_steps(parsed, steps, node, payload)
            except Exception:
                return  # a transform that needs a batch: its rows are checked per batch
        check_expectation_types(rows, node.name, node.normalized)

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
        """Wait up to ``timeout`` for an in-flight batch, then stop; True when it is no longer active.

        A real-time query always has a batch open (it ends only at its checkpoint interval), so
        it is stopped at once: waiting would only delay the stop, and the open batch's records
        are read again after a restart either way.
        """
        managed = self._find(query)
        if managed is None:
            return False
        managed.stopped_by_tauro = True
        managed.monitor.mark_stopped()
        real_time = managed.node.normalized["streaming"]["trigger"].get("type") == StreamingTrigger.REAL_TIME
        deadline = time.monotonic() + (0.0 if real_time else max(timeout, 0.0))
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
        forget_query(managed.id, managed.expectations)
