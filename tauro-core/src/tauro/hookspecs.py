"""Every Tauro hook, and the only place hooks are declared.

Plugins implement these with ``@tauro.hookimpl`` in a module named by an entry point of the
``tauro.plugins`` group. Registration hooks are called once per plugin manager; lifecycle hooks
are called from a Tauro thread (never Spark's listener thread), and an implementation that raises
is logged and ignored: observers never break a pipeline.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tauro.plugin.markers import hookspec

if TYPE_CHECKING:
    import click
    from pyspark.sql import SparkSession

    from tauro.events import (
        NodeStatusChangedEvent,
        PipelineStatusChangedEvent,
        QueryProgressEvent,
        QueryStartedEvent,
        QueryTerminatedEvent,
        QueryUnhealthyEvent,
    )
    from tauro.plugin.registration import ReaderRegistry, ValidatorRegistry, WriterRegistry
    from tauro.spark_settings import FormatUse, SparkSettings


@hookspec
def tauro_register_readers(registry: ReaderRegistry) -> None:
    """Register streaming readers: ``registry.add("kafka", KafkaStreamingReader)``.

    Called once when the plugin manager loads. The class must subclass
    ``tauro.plugin.BaseStreamingReader``. Format names are lower-case identifiers;
    a name another plugin already registered is an error naming both plugins.
    Return nothing.
    """


@hookspec
def tauro_register_writers(registry: WriterRegistry) -> None:
    """Register streaming writers: ``registry.add("kafka", KafkaStreamingWriter)``.

    Called once when the plugin manager loads. The class must subclass
    ``tauro.plugin.BaseStreamingWriter``. Same naming rules as readers.
    Return nothing.
    """


@hookspec
def tauro_register_format_validators(registry: ValidatorRegistry) -> None:
    """Register format validators: ``registry.add("kafka", validate_kafka_input, role="input")``.

    ``role`` is ``"input"``, ``"output"`` or ``"both"``. A validator is
    ``fn(section, node) -> None | Iterable[str]``: ``section`` is the normalized input or output
    section (read-only mapping), ``node`` the whole normalized node. Raise
    ``StreamingValidationError(message, field=...)`` with ``field`` relative to the section
    (``options.subscribe``); return warning strings. Validators must not need a SparkSession.
    Return nothing.
    """


@hookspec
def tauro_spark_settings(spark_version: str, uses: tuple[FormatUse, ...] | None) -> SparkSettings | None:
    """Return the Maven packages and Spark conf this plugin needs, or ``None``.

    Called when Tauro builds its embedded SparkSession, only for the plugins whose formats the
    session's pipelines use (and for plugins that register no format), with the running pyspark
    version (e.g. ``"4.2.0"``) so a plugin can pick matching artifacts. ``uses`` (optional: an
    implementation may take ``spark_version`` alone) holds the sections of this plugin's formats
    (``FormatUse``: format, role, section, field), so a plugin can add a package only for the
    option that needs it; it is ``None`` when Tauro asks for everything the plugin may need (a
    session started with every plugin, a jar prefetch). ``spark.sql.extensions`` values are
    comma-joined across plugins; any other key set differently by two plugins is an error.
    """


@hookspec
def tauro_session_ready(spark: SparkSession, uses: tuple[FormatUse, ...] | None) -> None:
    """Called for a SparkSession Tauro uses (embedded or the user's) before a query that uses one
    of the plugin's formats starts on it; never for a plugin none of whose formats is used
    (plugins that register no format: before every first query).

    An implementation with ``spark`` alone runs once per session. One that also takes ``uses``
    (the sections of its formats in the query about to start; ``None`` when Tauro prepares the
    session for everything) runs before every such query, so it can do only what those sections
    need; it must be idempotent.

    Use it to register Python data sources (``spark.dataSource.register``) or UDFs.
    Exceptions propagate: a session a plugin cannot prepare is an error.
    """


@hookspec
def tauro_after_query_started(event: QueryStartedEvent) -> None:
    """Called after a Tauro query started. Observers only; exceptions are logged and ignored."""


@hookspec
def tauro_on_query_progress(event: QueryProgressEvent) -> None:
    """Called after every micro-batch of a Tauro query, with Spark's progress as a dict."""


@hookspec
def tauro_on_query_unhealthy(event: QueryUnhealthyEvent) -> None:
    """Called when a query's health turns STALLED or FAILED, or a latency spike is flagged."""


@hookspec
def tauro_after_query_terminated(event: QueryTerminatedEvent) -> None:
    """Called after a Tauro query terminated, with the redacted exception text if it failed."""


@hookspec
def tauro_on_pipeline_status_changed(event: PipelineStatusChangedEvent) -> None:
    """Called when a pipeline's status changes (queued, starting, running, completed, ...).

    Also called with ``old_status == new_status`` when a node fails for good while the pipeline
    goes on (``running`` with failures); ``event.failed_nodes`` and ``event.blocked_nodes`` are
    those of the pipeline's status at that moment.
    """


@hookspec
def tauro_on_node_status_changed(event: NodeStatusChangedEvent) -> None:
    """Called when a node of a pipeline changes state (``waiting`` -> ``starting`` -> ``running``,
    ``idle``, ``restarting``, ``failed``, ...), once per change, before the pipeline's own
    ``tauro_on_pipeline_status_changed`` of the same moment. A move to ``restarting`` is a
    restart being scheduled. Observers only; exceptions are logged and ignored.
    """


@hookspec
def tauro_cli_run_options() -> Sequence[click.Option] | None:
    """Return ``click.Option`` objects to add to ``tauro run`` (e.g. ``--metrics-port``).

    Called when ``tauro run`` parses its command line (and for ``tauro run --help``). Option
    names must not clash with ``tauro run``'s own or another plugin's (a clashing option is
    skipped with a warning naming the plugin). The values arrive in ``tauro_run_starting``.
    """


@hookspec
def tauro_run_starting(options: Mapping[str, Any]) -> None:
    """Called by ``tauro run`` after the pipeline file and context loaded, before the pipeline
    starts, with the values of the options this plugin added (``{parameter name: value}``;
    empty when it added none).

    Start what the run needs (an HTTP endpoint). An exception fails the run before anything
    starts: ``tauro run`` prints it, naming the plugin, and exits 1.
    """


@hookspec
def tauro_run_finished(options: Mapping[str, Any], exit_code: int) -> None:
    """Called by ``tauro run`` when the run has ended (its queries stopped, its final status
    written), with the same ``options`` as ``tauro_run_starting`` and the exit status the
    command is about to return. Release what ``tauro_run_starting`` started; exceptions are
    logged and ignored.
    """
