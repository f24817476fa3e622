"""``Context``: where Tauro runs: Spark settings, base directories, environment, format policy.

``Context()`` is the embedded default: local Spark and directories under ``./.tauro/``.
``Context.load_from_file(path)`` reads the same settings from YAML or JSON.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from tauro.config.converter import structure_with_problems
from tauro.config.loading import interpolate_tree, read_config_file
from tauro.config.policy import FormatPolicy
from tauro.connect_session import build_connect_session, check_connect_server
from tauro.errors import StreamingValidationError, summarize_problems
from tauro.executor_code import ship_executor_code
from tauro.redaction import redact_connect_url
from tauro.session import SessionPlan, build_session, plugin_spark_settings, prepare_session

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from tauro.spark_settings import FormatUse, MergedSparkSettings

ENVIRONMENTS = ("dev", "production")
#: The environment variable PySpark reads for a Spark Connect remote; Tauro reads it too.
SPARK_REMOTE_ENV = "SPARK_REMOTE"
CONNECT_SCHEME = "sc://"


@attrs.frozen(kw_only=True)
class SparkSection:
    master: str = "local[*]"
    #: A Spark Connect server (``sc://host:port``); when set, Tauro sets no master.
    remote: str | None = None
    app_name: str = "tauro"
    conf: Mapping[str, Any] = attrs.field(factory=dict)
    #: Plugins whose packages the session gets whatever the pipelines use ("all" or names).
    plugins: tuple[str, ...] | None = None


@attrs.frozen(kw_only=True)
class FormatPolicySection:
    inputs: tuple[str, ...] | None = None
    outputs: tuple[str, ...] | None = None
    batch_to_streaming: Mapping[str, Any] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class ContextFile:
    """The keys a context file may hold."""

    spark: SparkSection = attrs.field(factory=SparkSection)
    base_dir: str | None = None
    checkpoint_base: str | None = None
    output_path: str | None = None
    warehouse: str | None = None
    environment: str = "dev"
    format_policy: FormatPolicySection | None = None


class Context:
    """Settings shared by every pipeline run in one place; builds the SparkSession lazily."""

    def __init__(
        self,
        *,
        spark: SparkSession | None = None,
        master: str = "local[*]",
        app_name: str = "tauro",
        spark_conf: Mapping[str, Any] | None = None,
        base_dir: str | Path | None = None,
        checkpoint_base: str | Path | None = None,
        output_path: str | Path | None = None,
        warehouse: str | Path | None = None,
        environment: str = "dev",
        format_policy: FormatPolicy | Mapping[str, Any] | None = None,
        spark_plugins: str | Iterable[str] | None = None,
        remote: str | None = None,
    ) -> None:
        if environment not in ENVIRONMENTS:
            raise StreamingValidationError(
                f"environment must be one of {', '.join(ENVIRONMENTS)}, not {environment!r}.",
                field="environment",
                actual=environment,
                component="Context",
            )
        base = Path(base_dir) if base_dir is not None else Path.cwd() / ".tauro"
        self.base_dir = base.absolute()
        self.master = master
        #: The Spark Connect server sessions are built on (``sc://...``), or None for ``master``.
        self.remote = _remote(remote)
        self.app_name = app_name
        self.spark_conf = {str(k): _conf_value(v) for k, v in (spark_conf or {}).items()}
        self.checkpoint_base = str(checkpoint_base or self.base_dir / "checkpoints")
        self.output_path = str(output_path) if output_path is not None else None
        self.warehouse = str(warehouse or self.base_dir / "warehouse")
        self.environment = environment
        self.format_policy = (
            format_policy
            if isinstance(format_policy, FormatPolicy)
            else FormatPolicy.from_mapping(format_policy)
        )
        self._spark = spark
        self._spark_lock = threading.Lock()
        # What the session Tauro builds must hold: the formats of pipelines declared before it
        # starts, plus ``spark_plugins`` ("all" for every plugin, for a session opened first).
        self._plan = SessionPlan(spark_plugins)

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def spark_target(self) -> str:
        """Where sessions run, for messages: the remote (its secrets redacted) or the master."""
        return redact_connect_url(self.remote) if self.remote else self.master

    @property
    def runs_dir(self) -> Path:
        return self.base_dir / "runs"

    @property
    def spark(self) -> SparkSession:
        """The session: the one given, else an embedded one built with plugin contributions."""
        with self._spark_lock:
            if self._spark is None:
                if self.remote:
                    spark = build_connect_session(
                        self.remote, self.app_name, self.spark_conf, self._plan.settings()
                    )
                else:
                    spark = build_session(self, self._plan.settings())
                self._plan.started = True
                self._spark = spark
                ship_executor_code(spark)
                if self._plan.always:
                    prepare_session(spark, self._plan.always_plugins())
            return self._spark

    def declare_formats(self, uses: list[FormatUse]) -> None:
        """Record what a pipeline uses before the session starts; once a session Tauro built is
        running, refuse uses it cannot serve (packages are fixed at session start)."""
        with self._spark_lock:
            if self._spark is None:
                self._plan.add(uses)
            elif self._plan.started and self.remote:
                # A Connect server's packages were fixed when it started: name the server flags.
                check_connect_server(self._spark, self.spark_target, {}, plugin_spark_settings(uses=uses))
            elif self._plan.started:
                self._plan.check_covered(self._spark, uses)

    def planned_spark_settings(self) -> MergedSparkSettings:
        """What the plugins contribute to the session this context would build now: the
        packages and conf of the formats declared so far, plus ``spark_plugins``."""
        return self._plan.settings()

    def has_spark(self) -> bool:
        return self._spark is not None

    @classmethod
    def load_from_file(cls, path: str | Path, variables: Mapping[str, Any] | None = None) -> Context:
        raw = read_config_file(path)
        if raw is None:
            raw = {}
        raw, problems = interpolate_tree(raw, variables)
        parsed, structure_problems = structure_with_problems(raw, ContextFile)
        problems += structure_problems
        environment = raw.get("environment", "dev") if isinstance(raw, Mapping) else "dev"
        if isinstance(environment, str) and environment not in ENVIRONMENTS:
            problems.append(("environment", f"must be one of {', '.join(ENVIRONMENTS)}, not '{environment}'"))
        if problems or parsed is None:
            errors = [StreamingValidationError(m, field=p or None, component="Context") for p, m in problems]
            raise StreamingValidationError(
                f"Context file {path} is invalid:\n{summarize_problems(errors)}",
                problems=errors,
                component="Context",
                field=errors[0].field,
            )
        folder = Path(path).absolute().parent

        def resolve(value: str | None) -> str | None:
            # Relative paths in a context file are relative to the file, not the shell.
            if value is None or "://" in value or value.startswith("/"):
                return value
            return str(folder / value)

        policy = parsed.format_policy
        return cls(
            master=parsed.spark.master,
            remote=parsed.spark.remote,
            app_name=parsed.spark.app_name,
            spark_conf=parsed.spark.conf,
            base_dir=resolve(parsed.base_dir),
            checkpoint_base=resolve(parsed.checkpoint_base),
            output_path=resolve(parsed.output_path),
            warehouse=resolve(parsed.warehouse),
            environment=parsed.environment,
            format_policy=attrs.asdict(policy) if policy is not None else None,
            spark_plugins=parsed.spark.plugins,
        )

    def __repr__(self) -> str:
        target = f"remote={self.spark_target!r}" if self.remote else f"master={self.master!r}"
        return f"Context(environment={self.environment!r}, {target}, base_dir='{self.base_dir}')"


def _remote(remote: str | None) -> str | None:
    """The given remote, else ``SPARK_REMOTE``; a value that is not ``sc://...`` is an error."""
    source = "spark.remote"
    if remote is None:
        remote = os.environ.get(SPARK_REMOTE_ENV) or None
        source = f"spark.remote (from {SPARK_REMOTE_ENV})"
    if remote is None:
        return None
    remote = str(remote).strip()
    if not remote.startswith(CONNECT_SCHEME) or len(remote) == len(CONNECT_SCHEME):
        raise StreamingValidationError(
            f"{source} must be a Spark Connect URL like sc://host:15002, not {redact_connect_url(remote)!r}",
            field="spark.remote",
            expected="sc://host:port",
            actual=redact_connect_url(remote),
            component="Context",
        )
    return remote


def _conf_value(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def context_settings(context: Any) -> dict[str, Any]:
    """Uniform view of a Context or a plain dict context (the seed's dict form)."""
    if isinstance(context, Context):
        return {
            "checkpoint_base": context.checkpoint_base,
            "environment": context.environment,
            "format_policy": context.format_policy,
            "output_path": context.output_path,
            "warehouse": context.warehouse,
            "base_dir": str(context.base_dir),
            "remote": context.remote,
        }
    mapping = context if isinstance(context, Mapping) else {}
    base_dir = str(mapping.get("base_dir") or Path.cwd() / ".tauro")
    policy = mapping.get("format_policy")
    return {
        "checkpoint_base": str(mapping.get("checkpoint_base") or Path(base_dir) / "checkpoints"),
        "environment": mapping.get("environment", "dev"),
        "format_policy": policy if isinstance(policy, FormatPolicy) else FormatPolicy.from_mapping(policy),
        "output_path": mapping.get("output_path"),
        "warehouse": mapping.get("warehouse") or str(Path(base_dir) / "warehouse"),
        "base_dir": base_dir,
        "remote": _dict_remote(mapping),
    }


def _dict_remote(mapping: Mapping[str, Any]) -> str | None:
    spark = mapping.get("spark")
    value = spark.get("remote") if isinstance(spark, Mapping) else None
    return str(value) if value else None
