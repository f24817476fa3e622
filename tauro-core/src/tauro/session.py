"""Build the embedded SparkSession from the context and the contributions of the plugins used.

A session Tauro builds gets the Maven packages and Spark conf of the plugins whose formats its
pipelines use, and no others: a files-only pipeline never waits for Ivy to resolve the Kafka
connector. Packages are fixed when a JVM starts, so the needs of every pipeline known before the
session starts are collected first (``SessionPlan``), and a pipeline declared later that needs
something the running session lacks is refused by validation, naming the package, its plugin and
what to do.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from loguru import logger

from tauro.errors import StreamingValidationError
from tauro.ivy_settings import ivy_settings_file
from tauro.package_resolution import packages_error
from tauro.plugins import TauroPluginManager, get_plugin_manager
from tauro.spark_settings import (
    JOINABLE_KEYS,
    FormatUse,
    MergedSparkSettings,
    SparkSettings,
    merge_spark_settings,
)

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from tauro.config.context import Context

#: ``spark_plugins`` value asking for every loaded plugin's packages, whatever is used.
ALL_PLUGINS = "all"
#: The roles of a section, and which registry table owns each.
_READER_ROLES = frozenset({"input"})

_prepare_lock = threading.RLock()
_prepared: set[tuple[int, int, str]] = set()


def spark_version() -> str:
    import pyspark

    return str(pyspark.__version__)


# -- what pipelines use ---------------------------------------------------------------------------
def format_uses(nodes: Iterable[Any], pipeline: str | None = None) -> list[FormatUse]:
    """Every input, dead-letter and output section of validated nodes (or normalized dicts)."""
    uses: list[FormatUse] = []

    def add(section: Any, role: str, field: str) -> None:
        if isinstance(section, Mapping) and section.get("format"):
            uses.append(
                FormatUse(
                    format=section["format"], role=role, section=section, field=field, pipeline=pipeline
                )
            )

    for position, node in enumerate(nodes):
        normalized: Mapping[str, Any] = getattr(node, "normalized", node)
        index = getattr(node, "index", position)
        prefix = f"nodes[{index}]" if index is not None else f"node '{normalized.get('name')}'"
        section = normalized.get("input")
        add(section, "input", f"{prefix}.input")
        if isinstance(section, Mapping):
            add(section.get("dead_letter"), "dead_letter", f"{prefix}.input.dead_letter")
        add(normalized.get("output"), "output", f"{prefix}.output")
    return uses


def owner_of(use: FormatUse, manager: TauroPluginManager | None = None) -> str | None:
    """The plugin that registered the reader (input) or writer (output, dead letter) of a use."""
    registry = (manager or get_plugin_manager()).registry
    try:
        entry = registry.reader(use.format) if use.role in _READER_ROLES else registry.writer(use.format)
    except StreamingValidationError:
        return None  # unknown or conflicting: validation reports it
    return entry.plugin


def plugins_of(
    uses: Iterable[FormatUse], manager: TauroPluginManager | None = None
) -> dict[str, list[FormatUse]]:
    """The uses grouped by owning plugin."""
    owners: dict[str, list[FormatUse]] = {}
    for use in uses:
        owner = owner_of(use, manager)
        if owner is not None:
            owners.setdefault(owner, []).append(use)
    return owners


def _has_formats(manager: TauroPluginManager, plugin: str) -> bool:
    formats = manager.registry.formats_of(plugin)
    return bool(formats["readers"] or formats["writers"])


def plugin_spark_settings(
    version: str | None = None,
    uses: Iterable[FormatUse] | None = None,
    plugins: str | Iterable[str] | None = None,
) -> MergedSparkSettings:
    """Merge the ``tauro_spark_settings`` of the plugins a session needs (conflicts raise).

    With neither ``uses`` nor ``plugins``: every loaded plugin, asked for everything it may need
    (prefetching jars). Otherwise: the owners of ``uses`` (each given its own uses), the plugins
    named in ``plugins`` (or all of them for ``"all"``), and plugins that register no format
    (their settings are not tied to a format, so they apply to every session).
    """
    manager = get_plugin_manager()
    version = version or spark_version()
    everything = uses is None and plugins is None
    by_owner = plugins_of(uses or (), manager)
    named = (plugins,) if isinstance(plugins, str) else tuple(plugins or ())
    always: set[str] | None = None if ALL_PLUGINS in named else set(named)
    contributions: list[tuple[str, SparkSettings]] = []
    for name in manager.implementers("tauro_spark_settings"):
        own: tuple[FormatUse, ...] | None
        if everything or always is None or name in always or not _has_formats(manager, name):
            own = None
        elif name in by_owner:
            own = tuple(by_owner[name])
        else:
            continue
        settings = _call_settings(manager, name, version, own)
        if settings is not None:
            contributions.append((name, settings))
    return merge_spark_settings(contributions)


def _call_settings(
    manager: TauroPluginManager, name: str, version: str, uses: tuple[FormatUse, ...] | None
) -> SparkSettings | None:
    # Through pluggy: an implementation takes the arguments it names (``uses`` is optional).
    result: SparkSettings | None = manager.call_plugin(
        name, "tauro_spark_settings", spark_version=version, uses=uses
    )
    return result


# -- the plan of a session Tauro builds -----------------------------------------------------------
class SessionPlan:
    """What a session Tauro builds must hold: the uses declared before it starts.

    ``always`` names plugins whose settings the session gets whatever is used (``"all"`` for
    every loaded plugin), for sessions opened before their pipelines are known (a notebook, a
    test suite).
    """

    def __init__(self, always: str | Iterable[str] | None = None) -> None:
        names = (always,) if isinstance(always, str) else tuple(always or ())
        self.always: str | tuple[str, ...] = ALL_PLUGINS if ALL_PLUGINS in names else names
        self.uses: list[FormatUse] = []
        self.started = False

    def add(self, uses: Iterable[FormatUse]) -> None:
        self.uses.extend(uses)

    def settings(self) -> MergedSparkSettings:
        if self.always != ALL_PLUGINS:
            loaded = {p.name for p in get_plugin_manager().loaded()}
            unknown = [name for name in self.always if name not in loaded]
            if unknown:
                raise StreamingValidationError(
                    f"spark plugins {', '.join(map(repr, unknown))} are not loaded; loaded plugins: "
                    f"{', '.join(sorted(loaded))} (or 'all')",
                    field="spark.plugins",
                    component="Context",
                )
        return plugin_spark_settings(uses=self.uses, plugins=self.always)

    def always_plugins(self) -> list[str]:
        manager = get_plugin_manager()
        if self.always == ALL_PLUGINS:
            return [p.name for p in manager.loaded()]
        return list(self.always)

    def check_covered(self, spark: SparkSession, uses: list[FormatUse]) -> None:
        """Refuse uses whose packages or static conf the running session does not hold."""
        if not uses:
            return
        required = plugin_spark_settings(uses=uses)
        by_owner = plugins_of(uses)
        have_packages = set(_session_packages(spark))
        problems: list[StreamingValidationError] = []
        for package in required.packages:
            if package not in have_packages:
                plugin, use = _use_needing(by_owner, uses, lambda st, p=package: p in st.packages)
                problems.append(_missing(use, plugin, f"package {package}", package=package))
        for key, value in required.conf.items():
            have = _session_conf(spark, key)
            wanted = [p.strip() for p in value.split(",") if p.strip()] if key in JOINABLE_KEYS else [value]
            present = [p.strip() for p in (have or "").split(",")] if key in JOINABLE_KEYS else [have]
            if not all(w in present for w in wanted):
                plugin, use = _use_needing(by_owner, uses, lambda st, k=key: k in st.conf)
                problems.append(_missing(use, plugin, f"Spark conf {key}={value}", conf=(key, value)))
        if problems:
            if len(problems) == 1:
                raise problems[0]
            raise StreamingValidationError(
                "; ".join(p.message for p in problems),
                field=problems[0].field,
                problems=problems,
                component="SparkSession",
            )


def _missing(
    use: FormatUse, plugin: str, what: str, *, package: str | None = None, conf: tuple[str, str] | None = None
) -> StreamingValidationError:
    if package is not None:
        fix = f"add {package} to spark.jars.packages in the context's spark conf"
    else:
        assert conf is not None
        fix = f"set {conf[0]}={conf[1]} in the context's spark conf"
    pipeline = f"pipeline '{use.pipeline}'" if use.pipeline else "this node"
    return StreamingValidationError(
        f"{pipeline} uses format '{use.format}' ({use.field}) of plugin '{plugin}', which needs "
        f"{what}, but this process's Spark session started without it (packages and static conf "
        "are fixed when a session starts). Run the pipeline in its own process (tauro run), or "
        f"have the session start with it: create the Context with spark_plugins=['{plugin}'] "
        f"(context file: spark.plugins), or {fix}.",
        field=f"{use.field}.format",
        expected=what,
        component="SparkSession",
    )


def _use_needing(
    by_owner: dict[str, list[FormatUse]], uses: list[FormatUse], needs: Any
) -> tuple[str, FormatUse]:
    """The plugin and the first of its uses whose own settings satisfy ``needs``, for messages."""
    manager = get_plugin_manager()
    for name in manager.implementers("tauro_spark_settings"):
        for use in by_owner.get(name, ()):
            settings = _call_settings(manager, name, spark_version(), (use,))
            if settings is not None and needs(settings):
                return name, use
    return "?", uses[0]


def _session_packages(spark: Any) -> list[str]:
    raw = _session_conf(spark, "spark.jars.packages") or ""
    return [p.strip() for p in raw.split(",") if p.strip()]


def _session_conf(spark: Any, key: str) -> str | None:
    try:
        value = spark.conf.get(key, None)
    except Exception:
        value = None
    if value is None:
        try:
            value = spark.sparkContext.getConf().get(key, None)
        except Exception:
            value = None
    return None if value is None else str(value)


def declare_session_needs(context: Any, uses: list[FormatUse]) -> None:
    """Tell a Tauro context what its pipelines use before its session starts (or check it).

    A dict context, or a Context holding the user's own session, has nothing to plan: plugins'
    preflight checks name what the user's session lacks.
    """
    declare = getattr(context, "declare_formats", None)
    if callable(declare):
        declare(uses)


# -- building --------------------------------------------------------------------------------------
def session_conf(
    context: Context, merged: MergedSparkSettings | None = None
) -> tuple[dict[str, str], list[str]]:
    """The Spark conf a session Tauro builds starts with, and its packages.

    Tauro's defaults first, then what the plugins contribute, then the context's own conf: a
    user's ``spark.jars.packages`` and joinable keys (``spark.sql.extensions``) are merged with
    the plugins', anything else the user sets wins. ``merged`` is what the plugins contribute
    (``SessionPlan.settings()``); without it, every loaded plugin's settings.
    """
    if merged is None:
        merged = plugin_spark_settings()
    conf: dict[str, str] = {
        "spark.sql.session.timeZone": "UTC",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.warehouse.dir": context.warehouse,
        "spark.sql.streaming.stopTimeout": "60000",
    }
    conf.update(merged.conf)
    for key, value in context.spark_conf.items():
        if key in JOINABLE_KEYS and key in conf:
            conf[key] = ",".join(dict.fromkeys([*conf[key].split(","), *value.split(",")]))
        else:
            conf[key] = value
    packages = list(merged.packages)
    if "spark.jars.packages" in conf:
        packages = list(dict.fromkeys([*conf["spark.jars.packages"].split(","), *packages]))
    packages = [p.strip() for p in packages if p.strip()]
    if packages:
        conf["spark.jars.packages"] = ",".join(packages)
        if "spark.jars.ivySettings" not in conf:
            conf["spark.jars.ivySettings"] = ivy_settings_file()
    return conf, packages


#: Conf read when spark-submit launches the driver's JVM: too late to set from Python then.
SUBMIT_TIME_KEYS = frozenset(
    {
        "spark.master",
        "spark.submit.deployMode",
        "spark.jars",
        "spark.jars.packages",
        "spark.jars.repositories",
        "spark.jars.ivy",
        "spark.jars.ivySettings",
        "spark.jars.excludes",
        "spark.submit.pyFiles",
        "spark.driver.memory",
        "spark.driver.extraJavaOptions",
        "spark.driver.extraClassPath",
        "spark.driver.extraLibraryPath",
    }
)


def launched_by_spark_submit() -> bool:
    """True in a driver spark-submit started: its JVM is already running, with its settings."""
    return "PYSPARK_GATEWAY_PORT" in os.environ


def build_session(context: Context, merged: MergedSparkSettings | None = None) -> SparkSession:
    """The embedded session: context settings first, plugin packages and conf merged in."""
    if launched_by_spark_submit():
        return _submitted_session(context, merged)
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.master(context.master).appName(context.app_name)
    conf, packages = session_conf(context, merged)
    _choose_worker_python(context.master, conf)
    for key, value in conf.items():
        builder = builder.config(key, value)
    logger.info(
        "Starting embedded Spark {} ({}) with packages: {}",
        spark_version(),
        context.master,
        ", ".join(packages) or "none",
    )
    try:
        return builder.getOrCreate()
    except Exception as error:
        # With packages, a launcher that exits is Ivy failing far more often than anything else.
        if packages and "JAVA_GATEWAY_EXITED" in str(error):
            raise packages_error(packages, conf, error) from error
        raise


def _choose_worker_python(master: str, conf: dict[str, str]) -> None:
    """The interpreter of the session's Python workers.

    Local workers run this interpreter (its virtualenv), not python3 on the PATH. On a cluster
    it is the user's choice (``spark.pyspark.python``, else ``PYSPARK_PYTHON``): this one's
    path may not exist on the executors' hosts.
    """
    python = conf.get("spark.pyspark.python") or os.environ.get("PYSPARK_PYTHON")
    if python is None and master.startswith("local"):
        python = conf["spark.pyspark.python"] = sys.executable
    if python is not None:
        # PySpark gives its functions (UDFs, Python data sources) the interpreter named by this
        # variable alone, whatever the conf says.
        os.environ["PYSPARK_PYTHON"] = python


def _submitted_session(context: Context, merged: MergedSparkSettings | None) -> SparkSession:
    """The session of a driver spark-submit launched: spark-submit's master, packages and
    ``--conf`` win; the context's runtime conf fills in the rest; missing packages are refused."""
    from pyspark import SparkConf, SparkContext  # heavy: pyspark
    from pyspark.sql import SparkSession  # heavy: pyspark

    SparkContext._ensure_initialized()
    submitted = dict(SparkConf().getAll())
    conf, packages = session_conf(context, merged)
    builder = SparkSession.builder
    if "spark.app.name" not in submitted:
        builder = builder.appName(context.app_name)
    for key, value in conf.items():
        if key not in SUBMIT_TIME_KEYS and key not in submitted:
            builder = builder.config(key, value)
    missing = [p for p in (merged.packages if merged else []) if not _submitted_has(submitted, p)]
    if missing:
        raise StreamingValidationError(
            f"spark-submit started this driver without the package(s) its pipelines need: "
            f"{', '.join(missing)}. Packages are fixed when the JVM starts: pass "
            f"--packages {','.join(packages)} to spark-submit (tauro submit-args PIPELINE prints "
            "the whole argument list).",
            field="spark.jars.packages",
            expected=",".join(missing),
            component="SparkSession",
        )
    logger.info("Using the Spark session spark-submit started ({})", submitted.get("spark.master", "?"))
    return builder.getOrCreate()


def _submitted_has(submitted: Mapping[str, str], package: str) -> bool:
    """A package is there as ``--packages`` or as its jar in ``--jars`` (Ivy's file name)."""
    packages = {p.strip() for p in submitted.get("spark.jars.packages", "").split(",")}
    if package in packages:
        return True
    group, _, rest = package.partition(":")
    artifact, _, version = rest.partition(":")
    jar = f"{group}_{artifact}-{version}.jar"
    plain = f"{artifact}-{version}.jar"
    jars = [j.strip().rsplit("/", 1)[-1] for j in submitted.get("spark.jars", "").split(",")]
    return jar in jars or plain in jars


def is_connect_session(spark: Any) -> bool:
    return type(spark).__module__.startswith("pyspark.sql.connect")


def prepare_session(
    spark: SparkSession, plugins: Iterable[str] | None = None, uses: Iterable[FormatUse] | None = None
) -> None:
    """Call ``tauro_session_ready`` of the plugins about to be used on ``spark``.

    ``uses`` are the sections of the query about to start (their owners are prepared, plus
    plugins that register no format); ``plugins`` names plugins to prepare whatever is used;
    with neither, every loaded plugin. An implementation without ``uses`` runs once per session;
    one that takes ``uses`` runs before every query using its formats (``uses=None`` when asked
    for everything) and must be idempotent.
    """
    manager = get_plugin_manager()
    everything = plugins is None and uses is None
    by_owner = plugins_of(uses or (), manager)
    named = set(plugins or ())
    # One lock for the whole call: a second thread must not use a session a plugin is preparing.
    with _prepare_lock:
        per_query = {
            str(impl.plugin_name)
            for impl in manager.hook.tauro_session_ready.get_hookimpls()
            if "uses" in impl.argnames
        }
        for name in manager.implementers("tauro_session_ready"):
            own: tuple[FormatUse, ...] | None = None
            if name in by_owner and name not in named:
                own = tuple(by_owner[name])
            elif not (everything or name in named or not _has_formats(manager, name)):
                continue
            if name in per_query:
                manager.call_plugin(name, "tauro_session_ready", spark=spark, uses=own)
                continue
            key = (id(manager), id(spark), name)
            if key not in _prepared:
                # pluggy passes only ``spark`` to an implementation that names only it.
                manager.call_plugin(name, "tauro_session_ready", spark=spark, uses=None)
                _prepared.add(key)
