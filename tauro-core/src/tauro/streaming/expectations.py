"""Expectations at run time: the expressions that judge each row, the counts of a batch, and
the verdict (``fail`` and thresholds) taken before the batch's output is written.

Each row is judged by one boolean expression per expectation (a NULL result is a violation,
as in SQL's ``WHERE``) and the strongest action among those it broke (fail > quarantine > drop
> warn). They are computed where they are used (the filters, the counts, the reasons of the
rows set aside) rather than added to the rows as columns, which keeps the batch's plan as lean
as a hand-written filter; the names a row broke are spelled out only for the rows set aside.

Every count of a batch comes at once from one set of aggregates: when the node has a ``fail``
expectation or a threshold, as an aggregation run before anything is written (the verdict
needs them); otherwise observed on the output's write, which reads the cached batch first, so
checking costs no extra pass over it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from tauro.config.models import EXPECTATION_ACTIONS
from tauro.errors import ExpectationFailedError, StreamingValidationError
from tauro.redaction import first_line, redact

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, Observation
    from pyspark.sql.types import StructType

#: An action's strength: the strongest among the expectations a row breaks decides its fate.
STRENGTH = {action: index + 1 for index, action in enumerate(EXPECTATION_ACTIONS)}
SAMPLE_ROWS = 3
_SAMPLE_CHARS = 300


@attrs.frozen(kw_only=True)
class Expectation:
    name: str
    expr: str
    action: str
    max_fraction: float | None = None
    max_count: int | None = None

    @classmethod
    def from_normalized(cls, spec: Mapping[str, Any]) -> Expectation:
        return cls(
            name=str(spec["name"]),
            expr=str(spec["expr"]),
            action=str(spec["action"]),
            max_fraction=spec.get("max_fraction"),
            max_count=spec.get("max_count"),
        )

    @property
    def gates(self) -> bool:
        """True when a batch may have to stop before its output is written."""
        return self.action == "fail" or self.max_fraction is not None or self.max_count is not None


@attrs.frozen(kw_only=True)
class BatchCounts:
    """What one batch's rows did: per expectation passed/failed, and the rows' fates."""

    batch_id: int
    rows: int
    kept: int
    dropped: int
    quarantined: int
    failed: int
    expectations: dict[str, dict[str, int]]

    def to_json(self) -> dict[str, Any]:
        return attrs.asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> BatchCounts:
        return cls(
            batch_id=int(data["batch_id"]),
            rows=int(data["rows"]),
            kept=int(data["kept"]),
            dropped=int(data["dropped"]),
            quarantined=int(data["quarantined"]),
            failed=int(data["failed"]),
            expectations={
                str(k): {"passed": int(v["passed"]), "failed": int(v["failed"])}
                for k, v in data["expectations"].items()
            },
        )


class ExpectationSet:
    """A node's expectations, applied to micro-batches."""

    def __init__(self, expectations: Sequence[Expectation], node_name: str) -> None:
        self.expectations = tuple(expectations)
        self.node_name = node_name
        # Column expressions are built once per query, not per batch: each is a few round
        # trips to the JVM, which add up to a tenth of a second per batch.
        self._built: dict[Any, Any] = {}

    def _once(self, key: Any, build: Callable[[], Any]) -> Any:
        if key not in self._built:
            self._built[key] = build()
        return self._built[key]

    @classmethod
    def of_node(cls, normalized: Mapping[str, Any], node_name: str) -> ExpectationSet | None:
        specs = normalized.get("expectations") or ()
        if not specs:
            return None
        return cls([Expectation.from_normalized(s) for s in specs], node_name)

    @property
    def gates(self) -> bool:
        return any(e.gates for e in self.expectations)

    @property
    def quarantines(self) -> bool:
        return any(e.action == "quarantine" for e in self.expectations)

    def _check(self, index: int) -> Column:
        """Expectation ``index`` holds for the row (a NULL result does not)."""
        checks: list[Column] = self._once("checks", self._conditions)
        return checks[index]

    def _conditions(self) -> list[Column]:
        from pyspark.sql import functions as F  # pyspark is heavy: imported when a query runs

        return [F.coalesce(F.expr(e.expr), F.lit(False)) for e in self.expectations]

    def _strongest(self) -> Column:
        """The strongest action the row broke (0: none)."""
        strongest: Column = self._once("strongest", self._strongest_action)
        return strongest

    def _strongest_action(self) -> Column:
        from pyspark.sql import functions as F  # pyspark is heavy: imported when a query runs

        strengths = [
            F.when(~self._check(i), F.lit(STRENGTH[e.action])).otherwise(F.lit(0))
            for i, e in enumerate(self.expectations)
        ]
        return F.greatest(*strengths, F.lit(0)) if strengths else F.lit(0)

    def broken_names(self) -> Column:
        """The names of the expectations a row broke, comma-separated."""
        from pyspark.sql import functions as F  # pyspark is heavy: imported when a query runs

        names = [F.when(~self._check(i), F.lit(e.name)) for i, e in enumerate(self.expectations)]
        return F.array_join(F.array_compact(F.array(*names)), ", ")

    def count_columns(self) -> list[Column]:
        """Aggregates of a batch: rows, each expectation's failures, each fate."""
        columns: list[Column] = self._once("counts", self._count_columns)
        return columns

    def _count_columns(self) -> list[Column]:
        from pyspark.sql import functions as F  # pyspark is heavy: imported when a query runs

        def rows_where(condition: Column) -> Column:
            return F.coalesce(F.sum(F.when(condition, F.lit(1)).otherwise(F.lit(0))), F.lit(0))

        action = self._strongest()
        return [
            F.count(F.lit(1)).alias("rows"),
            *[rows_where(~self._check(i)).alias(f"x{i}") for i in range(len(self.expectations))],
            rows_where(action == STRENGTH["drop"]).alias("dropped"),
            rows_where(action == STRENGTH["quarantine"]).alias("quarantined"),
            rows_where(action == STRENGTH["fail"]).alias("failed"),
        ]

    def counts(self, rows: DataFrame, batch_id: int) -> BatchCounts:
        """One aggregation over the (cached) batch."""
        row = rows.agg(*self.count_columns()).collect()[0].asDict()
        return self.counts_from(row, batch_id)

    def observed(self, rows: DataFrame, batch_id: int) -> tuple[DataFrame, Observation]:
        """``rows`` counting themselves as the first action reads it (Spark's observed
        metrics), so a batch that needs no verdict before its write is not read once more."""
        from pyspark.sql import Observation

        observation = Observation(f"tauro_expectations_{uuid.uuid4().hex}_{batch_id}")
        return rows.observe(observation, *self.count_columns()), observation

    def counts_observed(
        self, observation: Observation, rows: DataFrame, batch_id: int, *, read_whole: bool
    ) -> BatchCounts:
        """The counts an ``observed`` batch collected. When no action read it (a writer that
        wrote nothing) or, unless the writer says it reads every row (``read_whole``), its
        first action read only part of it (a function that took a ``limit``): the aggregation
        instead; the row count of the cached batch tells."""
        jvm_observation = getattr(observation, "_jo", None)
        if jvm_observation is not None and jvm_observation.future().isCompleted():
            observed = observation.get
            if read_whole or int(observed["rows"]) == rows.count():
                return self.counts_from(observed, batch_id)
        return self.counts(rows, batch_id)

    def counts_from(self, row: Mapping[str, Any], batch_id: int) -> BatchCounts:
        rows = int(row["rows"])
        per: dict[str, dict[str, int]] = {}
        for i, e in enumerate(self.expectations):
            failed = int(row[f"x{i}"])
            per[e.name] = {"passed": rows - failed, "failed": failed}
        dropped, quarantined, failed = int(row["dropped"]), int(row["quarantined"]), int(row["failed"])
        return BatchCounts(
            batch_id=batch_id,
            rows=rows,
            kept=rows - dropped - quarantined - failed,
            dropped=dropped,
            quarantined=quarantined,
            failed=failed,
            expectations=per,
        )

    def kept(self, rows: DataFrame) -> DataFrame:
        """The rows that go to the output: those that broke nothing, or only warn expectations."""
        from pyspark.sql import functions as F  # pyspark is heavy: imported when a query runs

        keep = self._once("kept", lambda: self._strongest() <= F.lit(STRENGTH["warn"]))
        return rows.where(keep)

    def quarantined(
        self, rows: DataFrame, columns: Sequence[str], layout: StructType | None, batch_id: int
    ) -> DataFrame:
        """Quarantined rows in the dead-letter layout: the row as JSON in ``payload``, the names
        it broke in ``error``, the reader's metadata columns where the row still has them."""
        from pyspark.sql import functions as F  # pyspark is heavy: imported when a query runs

        aside = self._once("quarantined", lambda: self._strongest() == F.lit(STRENGTH["quarantine"]))
        aside_rows = rows.where(aside)
        built = self._once(("layout", tuple(columns)), lambda: self._quarantine_columns(columns))
        fixed = {  # the dead-letter layout's order
            "payload": built["payload"],
            "error": built["error"],
            "batch_id": F.lit(batch_id).cast("long"),
            "node": built["node"],
            "failed_at": built["failed_at"],
        }
        if layout is None:
            return aside_rows.select(*[value.alias(name) for name, value in fixed.items()])
        present = set(columns)
        selected = []
        for field in layout.fields:
            if field.name in fixed:
                value = fixed[field.name]
            elif field.name in present:
                value = F.col(f"`{field.name}`")
            else:
                value = F.lit(None)
            selected.append(value.cast(field.dataType).alias(field.name))
        return aside_rows.select(*selected)

    def _quarantine_columns(self, columns: Sequence[str]) -> dict[str, Column]:
        from pyspark.sql import functions as F  # pyspark is heavy: imported when a query runs

        return {
            "payload": F.to_json(F.struct(*[F.col(f"`{c}`") for c in columns])),
            "error": F.concat(F.lit("failed expectations: "), self.broken_names()),
            "node": F.lit(self.node_name),
            "failed_at": F.current_timestamp(),
        }

    def verdict(self, counts: BatchCounts, rows: DataFrame, columns: Sequence[str]) -> None:
        """Raise ``ExpectationFailedError`` when the batch must not be written."""
        for index, e in enumerate(self.expectations):
            failed = counts.expectations[e.name]["failed"]
            if not failed:
                continue
            reason = None
            if e.action == "fail":
                reason = f"{failed} of {counts.rows} rows broke it (action fail)"
            elif e.max_count is not None and failed > e.max_count:
                reason = f"{failed} of {counts.rows} rows broke it, more than max_count {e.max_count}"
            elif e.max_fraction is not None and counts.rows and failed / counts.rows > e.max_fraction:
                reason = (
                    f"{failed} of {counts.rows} rows ({failed / counts.rows:.1%}) broke it, more than "
                    f"max_fraction {e.max_fraction:g}"
                )
            if reason is None:
                continue
            sample = self.sample(rows, index, columns)
            shown = "".join(f"\n    {row}" for row in sample)
            raise ExpectationFailedError(
                f"expectation '{e.name}' ({e.expr}) of node '{self.node_name}' failed in batch "
                f"{counts.batch_id}: {reason}; the batch was not written and runs again on "
                f"restart.\nOffending rows (sample):{shown}",
                expectation=e.name,
                batch_id=counts.batch_id,
                sample=sample,
                node_name=self.node_name,
                field=f"expectations[{index}]",
            )

    def sample(self, rows: DataFrame, index: int, columns: Sequence[str]) -> list[str]:
        """A few rows breaking expectation ``index``, as JSON with secret-named columns masked."""
        broken = rows.where(~self._check(index)).select(*columns).limit(SAMPLE_ROWS).collect()
        sample = []
        for row in broken:
            text = json.dumps(redact(row.asDict(recursive=True)), default=str)
            sample.append(text if len(text) <= _SAMPLE_CHARS else text[: _SAMPLE_CHARS - 3] + "...")
        return sample


def check_expectation_types(df: DataFrame, node_name: str, normalized: Mapping[str, Any]) -> None:
    """Preflight: every ``expr`` resolves against the node's rows and is BOOLEAN. Analysis only:
    nothing is read."""
    from pyspark.sql import functions as F  # pyspark is heavy: imported when a query is built
    from pyspark.sql.types import BooleanType

    for index, spec in enumerate(normalized.get("expectations") or ()):
        field = f"expectations[{index}].expr"
        try:
            kind = df.select(F.expr(spec["expr"]).alias("check")).schema["check"].dataType
        except Exception as exc:
            raise StreamingValidationError(
                f"expectation '{spec['name']}' ({spec['expr']}) does not fit the node's rows: "
                f"{first_line(exc)}. Columns: {', '.join(df.columns)}",
                field=field,
                node_name=node_name,
                operation="preflight",
                component="Expectations",
            ) from exc
        if not isinstance(kind, BooleanType):
            raise StreamingValidationError(
                f"expectation '{spec['name']}' ({spec['expr']}) is {kind.simpleString().upper()}, "
                "not BOOLEAN; write a condition such as 'amount > 0' or 'user_id IS NOT NULL'",
                field=field,
                node_name=node_name,
                operation="preflight",
                component="Expectations",
            )
