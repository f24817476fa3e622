"""Run a pipeline in a test: bounded, inputs replaced by rows, outputs collected as rows.

``run_pipeline`` takes the pipeline as users write it (a YAML/JSON path or a dict) and changes
only what a test must not touch:

- every node runs bounded (``available_now``), with checkpoints under the test's context and no
  restart attempts, so the run ends when the given rows are processed;
- an input named in ``inputs`` reads the given rows instead of its source (Kafka, Delta, files,
  ...): ``parse_json``, ``json_schema``, watermarks and the dead-letter split still apply, with
  the replaced reader's payload column (Kafka ``value``, Kinesis ``data``);
- an output (and a dead-letter sink) of a node named in ``collect`` is replaced by a collector,
  so no broker, table or directory is needed and the rows written are returned.

The original pipeline is validated first, exactly as ``tauro validate`` would, so a test also
catches mistakes in the parts it replaces.
"""

from __future__ import annotations

import copy
import itertools
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from tauro.streaming.exceptions import StreamingError
from tauro.streaming.readers import BaseStreamingReader

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import StructType

    from tauro.streaming.validators import ValidatedNode

#: What ``collect`` accepts: every node, or the names of the nodes whose outputs are collected.
ALL = "all"
_run_numbers = itertools.count(1)


class PipelineFailed(AssertionError):
    """The pipeline did not complete: a node failed, or it ran past the timeout.

    An ``AssertionError`` so pytest reports it as a test failure with the nodes' errors.
    ``status`` is the pipeline status (as ``tauro status`` shows it); ``result`` what was
    collected until then.
    """

    def __init__(self, message: str, status: Mapping[str, Any], result: PipelineResult) -> None:
        super().__init__(message)
        self.status = dict(status)
        self.result = result


@attrs.frozen
class Rows:
    """Rows that replace a node's input: a list of mappings (or sequences), or a DataFrame.

    ``schema`` is a Spark DDL string, a JSON dict or a ``StructType``. Without it the schema is
    the DataFrame's, else the input's own ``schema`` from the configuration, else inferred by
    Spark from the rows (``spark.createDataFrame``).
    """

    data: Any
    schema: Any = None


@attrs.frozen
class FromOutput:
    """An input fed with what another node's collected output wrote (see ``from_output``)."""

    node: str


def from_output(node: str) -> FromOutput:
    """Feed an input with the rows node ``node`` wrote to its (collected) output.

    For pipelines where one node reads what another writes (a medallion: bronze writes a Delta
    table that silver reads): the dependent node must ``depends_on`` ``node`` so it starts after
    ``node`` completed.
    """
    return FromOutput(node)


class Collector:
    """A ``foreach_batch`` function keeping each micro-batch's rows, keyed by batch id.

    A replayed batch replaces itself, as an idempotent sink would. With output mode
    ``complete`` each batch is the whole result, so ``rows`` is the last batch alone.
    """

    def __init__(self, complete: bool = False) -> None:
        self.complete = complete
        self.batches: dict[int, list[dict[str, Any]]] = {}
        self.schema: StructType | None = None
        self._lock = threading.Lock()

    def __call__(self, df: DataFrame, batch_id: int) -> None:
        rows = [row.asDict(recursive=True) for row in df.collect()]
        with self._lock:
            self.schema = df.schema
            self.batches[int(batch_id)] = rows

    @property
    def rows(self) -> list[dict[str, Any]]:
        with self._lock:
            ordered = [self.batches[b] for b in sorted(self.batches)]
        if self.complete:
            return list(ordered[-1]) if ordered else []
        return [row for batch in ordered for row in batch]


@attrs.frozen
class PipelineResult:
    """What a run wrote: ``outputs[node]`` and ``dead_letters[node]`` as lists of dicts.

    Only collected nodes appear in ``outputs``; ``dead_letters`` has an entry (maybe empty) for
    every collected node that has a dead-letter sink. ``status`` is the final pipeline status.
    """

    outputs: dict[str, list[dict[str, Any]]]
    dead_letters: dict[str, list[dict[str, Any]]]
    batches: dict[str, dict[int, list[dict[str, Any]]]]
    status: dict[str, Any]
    schemas: dict[str, Any] = attrs.field(factory=dict)

    def rows(self, node: str) -> list[dict[str, Any]]:
        """The rows ``node`` wrote to its output; a clear error for a node not collected."""
        if node not in self.outputs:
            known = ", ".join(sorted(self.outputs)) or "none"
            raise KeyError(f"node '{node}' has no collected output; collected: {known}")
        return self.outputs[node]

    def dataframe(self, spark: SparkSession, node: str) -> DataFrame:
        """``node``'s output as a DataFrame with the schema the sink saw (for
        ``pyspark.testing.assertDataFrameEqual``)."""
        schema = self.schemas.get(node)
        rows = self.rows(node)
        return spark.createDataFrame(rows, schema) if schema is not None else spark.createDataFrame(rows)


# -- configuration ------------------------------------------------------------------------------


def load_pipeline(config: Any, pipeline: str | None = None) -> tuple[str, dict[str, Any]]:
    """(name, raw pipeline dict) from a path to a YAML/JSON file or a mapping."""
    from tauro.config.loading import read_config_file, select_pipeline

    default_name = "pipeline"
    if isinstance(config, str | Path):
        raw = read_config_file(config)
        default_name = Path(config).stem
    elif isinstance(config, Mapping):
        raw = config
    else:
        raise TypeError(f"a pipeline is a path to a YAML/JSON file or a mapping, not {type(config).__name__}")
    selected, body = select_pipeline(raw, pipeline)
    if not isinstance(body, Mapping):
        raise TypeError(f"the pipeline must be a mapping, not {type(body).__name__}")
    name = selected or body.get("name") or default_name
    return str(name), copy.deepcopy(dict(body))


def _nodes(raw: Mapping[str, Any]) -> list[dict[str, Any]]:
    nodes = raw.get("nodes")
    if not isinstance(nodes, list):
        return []
    return [n for n in nodes if isinstance(n, dict)]


def _bounded(streaming: Any) -> dict[str, Any]:
    section = dict(streaming) if isinstance(streaming, Mapping) else {}
    section["trigger"] = {"type": "available_now"}
    section.pop("checkpoint_location", None)
    return section


class _ReplacedInput(BaseStreamingReader):
    """Base of the per-run readers that stand for a replaced input (set up by ``_input_class``)."""

    #: Returns (rows, schema) when the query starts: given rows, or an upstream's collected output.
    rows_source: ClassVar[Callable[[SparkSession], tuple[list[Any], StructType]]]
    spool: ClassVar[Path]

    def read(self, **options: Any) -> DataFrame:
        from tauro.builtin.memory_source import MemorySpool, read_memory_stream

        rows, schema = type(self).rows_source(self.spark)
        spool = MemorySpool(type(self).spool)
        if rows:
            spool.seed(rows)  # once: a restarted query replays the same rows
        return read_memory_stream(self.context, self.spark, spool=str(spool.path), schema=schema)


def _input_class(
    original: type[BaseStreamingReader] | None,
    source: Callable[[SparkSession], tuple[list[Any], StructType]],
    spool: Path,
) -> type[BaseStreamingReader]:
    attributes: dict[str, Any] = {
        "payload_column": original.payload_column if original else "value",
        "metadata_columns": tuple(original.metadata_columns) if original else (),
        "rows_source": staticmethod(source),
        "spool": spool,
    }
    keep = getattr(original, "parse_keep_columns", None)
    if keep is not None:
        attributes["parse_keep_columns"] = keep
    return type("ReplacedInput", (_ReplacedInput,), attributes)


def _plain_rows(data: Any) -> list[Any]:
    rows: list[Any] = []
    for row in data:
        as_dict = getattr(row, "asDict", None)
        rows.append(as_dict(recursive=True) if callable(as_dict) else row)
    return rows


def _rows_and_schema(
    spark: SparkSession, given: Rows, configured_schema: Any, node: str
) -> tuple[list[Any], StructType]:
    from tauro.config.schemas import to_struct_type

    data = given.data
    schema = to_struct_type(given.schema) if given.schema is not None else None
    if hasattr(data, "collect") and hasattr(data, "schema"):  # a Spark DataFrame
        return _plain_rows(data.collect()), schema or data.schema
    if hasattr(data, "to_dict") and hasattr(data, "columns"):  # a pandas DataFrame
        frame = spark.createDataFrame(data)
        return _plain_rows(frame.collect()), schema or frame.schema
    if isinstance(data, str | bytes) or not isinstance(data, Iterable):
        raise TypeError(
            f"inputs['{node}'] must be a list of rows (dicts) or a DataFrame, not {type(data).__name__}"
        )
    rows = _plain_rows(data)
    if schema is None and configured_schema is not None:
        schema = to_struct_type(configured_schema)
    if schema is None:
        if not rows:
            raise TypeError(
                f"inputs['{node}'] is empty and has no schema; give Rows([], schema='id BIGINT, ...')"
            )
        schema = spark.createDataFrame(rows).schema
    return rows, schema


# -- running ------------------------------------------------------------------------------------


class PipelineRunner:
    """Runs pipelines on one context (what the ``tauro_pipeline`` fixture returns).

    Call it (or ``run``) with the pipeline and its replacements; see ``run_pipeline``.
    """

    def __init__(self, context: Any) -> None:
        self.context = context

    def __call__(self, config: Any, **kwargs: Any) -> PipelineResult:
        return self.run(config, **kwargs)

    def run(
        self,
        config: Any,
        *,
        inputs: Mapping[str, Any] | None = None,
        collect: str | Iterable[str] = ALL,
        pipeline: str | None = None,
        variables: Mapping[str, Any] | None = None,
        imports: Sequence[str] = (),
        timeout: float = 300.0,
        validate: bool = True,
        check: bool = True,
    ) -> PipelineResult:
        """Run ``config`` bounded; return each collected output's rows and the dead letters.

        - ``inputs``: node name -> rows replacing that node's input: a list of dicts, a
          DataFrame, ``Rows(data, schema=...)`` or ``from_output("other_node")``.
        - ``collect``: ``"all"`` (default) or the node names whose output (and dead-letter sink)
          is replaced by a collector; other nodes write where their configuration says.
        - ``pipeline``: which pipeline of a file holding several (``pipelines:``).
        - ``variables``: values for ``${VAR}`` interpolation.
        - ``imports``: modules or ``.py`` files imported first, as ``tauro run --import`` does
          (they register the pipeline's transformations).
        - ``validate``: validate the original configuration first (as ``tauro validate``).
        - ``check``: raise ``PipelineFailed`` when a node fails or the run times out.
        """
        from tauro.runner import import_user_code
        from tauro.streaming.pipeline_manager import StreamingPipelineManager
        from tauro.streaming.validators import StreamingValidator

        import_user_code(imports)
        name, raw = load_pipeline(config, pipeline)
        validator = StreamingValidator()
        report = (validator.validate_streaming_pipeline_config if validate else validator.check_pipeline)(
            copy.deepcopy(raw), variables=variables, name=name
        )
        validated = {n.name: n for n in report.nodes}
        inputs = dict(inputs or {})
        unknown = sorted(set(inputs) - set(validated))
        if unknown:
            raise KeyError(
                f"inputs name nodes that are not in pipeline '{name}': {', '.join(unknown)}; "
                f"nodes: {', '.join(validated)}"
            )
        collected = (
            set(validated) if collect == ALL else set([collect] if isinstance(collect, str) else collect)
        )
        missing = sorted(collected - set(validated))
        if missing:
            raise KeyError(f"collect names nodes that are not in pipeline '{name}': {', '.join(missing)}")

        run_number = next(_run_numbers)
        plugin = f"tauro.testing#{run_number}"
        base = (
            Path(getattr(self.context, "base_dir", Path.cwd() / ".tauro")) / "testing" / f"run-{run_number}"
        )
        outputs: dict[str, Collector] = {}
        dead_letters: dict[str, Collector] = {}
        raw["streaming"] = _bounded(raw.get("streaming"))
        raw.pop("restart", None)
        from tauro.plugins import get_registry

        registry = get_registry()
        try:
            for node in _nodes(raw):
                node_name = str(node.get("name"))
                node["streaming"] = _bounded(node.get("streaming"))
                node["restart"] = {"max_attempts": 0}
                checked = validated.get(node_name)
                if checked is None:
                    continue
                if node_name in collected:
                    self._collect(node, checked, outputs, dead_letters)
                if node_name in inputs:
                    fmt = f"tauro_test_input_{run_number}_{len(registry.reader_names())}"
                    reader = self._replacement(
                        checked, inputs[node_name], outputs, base / "inputs" / node_name
                    )
                    registry.add_reader(fmt, reader, plugin)
                    section = dict(node.get("input") or {})
                    for key in ("format", "path", "table_name", "options", "schema"):
                        section.pop(key, None)
                    node["input"] = {"format": fmt, **section}
            manager = StreamingPipelineManager(self.context, max_concurrent_pipelines=1)
            try:
                execution_id = manager.start_pipeline(name, raw, variables=variables)
                status = manager.wait(execution_id, timeout=timeout)
                finished = _finished(status)
                if not finished:
                    manager.stop_pipeline(execution_id, timeout=30)
                    status = manager.get_pipeline_status(execution_id)
            finally:
                manager.shutdown(30)
        finally:
            registry.remove_plugin(plugin)
        result = PipelineResult(
            outputs={n: c.rows for n, c in outputs.items()},
            dead_letters={n: c.rows for n, c in dead_letters.items()},
            batches={n: dict(c.batches) for n, c in outputs.items()},
            status=status,
            schemas={n: c.schema for n, c in outputs.items()},
        )
        if check:
            problem = _failure(status, finished, timeout)
            if problem:
                raise PipelineFailed(problem, status, result)
        return result

    @staticmethod
    def _collect(
        node: dict[str, Any],
        checked: ValidatedNode,
        outputs: dict[str, Collector],
        dead_letters: dict[str, Collector],
    ) -> None:
        complete = checked.normalized["streaming"]["output_mode"] == "complete"
        collector = outputs[checked.name] = Collector(complete=complete)
        node["output"] = {"format": "foreach_batch", "options": {"function": collector}}
        section = node.get("input")
        if isinstance(section, dict) and section.get("dead_letter") is not None:
            dl = dead_letters[checked.name] = Collector()
            node["input"] = {
                **section,
                "dead_letter": {"format": "foreach_batch", "options": {"function": dl}},
            }

    @staticmethod
    def _replacement(
        checked: ValidatedNode, given: Any, outputs: Mapping[str, Collector], spool: Path
    ) -> type[BaseStreamingReader]:
        from tauro.streaming.readers import StreamingReaderFactory

        section = checked.normalized["input"]
        try:
            original: type[BaseStreamingReader] | None = StreamingReaderFactory.get_reader_class(
                section["format"]
            )
        except StreamingError:
            original = None
        node = checked.name

        if isinstance(given, FromOutput):
            upstream = given.node
            if upstream not in outputs:
                raise KeyError(
                    f"inputs['{node}'] = from_output('{upstream}'), but '{upstream}' is not a "
                    "collected node of this pipeline"
                )
            if upstream not in checked.config.depends_on:
                raise ValueError(
                    f"node '{node}' reads from_output('{upstream}') but does not depend on it; "
                    f"add depends_on: [{upstream}] so it starts after '{upstream}' completed"
                )

            def upstream_rows(spark: SparkSession) -> tuple[list[Any], StructType]:
                collector = outputs[upstream]
                if collector.schema is None:
                    raise StreamingError(
                        f"node '{node}' reads from_output('{upstream}'), which wrote no batch; "
                        f"give '{upstream}' input rows"
                    )
                return collector.rows, collector.schema

            return _input_class(original, upstream_rows, spool)

        rows = given if isinstance(given, Rows) else Rows(given)

        def given_rows(spark: SparkSession) -> tuple[list[Any], StructType]:
            return _rows_and_schema(spark, rows, section.get("schema"), node)

        return _input_class(original, given_rows, spool)


def _finished(status: Mapping[str, Any]) -> bool:
    from tauro.run_display import FINISHED_STATES
    from tauro.runs import FINAL

    return status.get("status") in FINAL and all(
        s.get("state") in FINISHED_STATES for s in (status.get("query_statuses") or {}).values()
    )


def _failure(status: Mapping[str, Any], finished: bool, timeout: float) -> str | None:
    nodes = status.get("query_statuses") or {}
    failed = {n: s for n, s in nodes.items() if s.get("state") in ("failed", "blocked")}
    if not finished:
        return (
            f"pipeline '{status.get('pipeline_name')}' did not complete within {timeout:g} s; "
            + ", ".join(f"{n}: {s.get('state')}" for n, s in nodes.items())
        )
    if failed or status.get("status") == "error":
        lines = [f"pipeline '{status.get('pipeline_name')}' ended with status {status.get('status')}"]
        for name, node in failed.items():
            lines.append(f"  {name}: {node.get('state')}: {node.get('error') or node.get('exception') or ''}")
        if status.get("error") and not failed:
            lines.append(f"  {status['error']}")
        return "\n".join(lines)
    return None


def run_pipeline(config: Any, *, context: Any, **kwargs: Any) -> PipelineResult:
    """``PipelineRunner(context).run(config, **kwargs)``: the fixture-free form."""
    return PipelineRunner(context).run(config, **kwargs)
