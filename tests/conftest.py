"""Shared fixtures: one Spark session, an explicit plugin manager, clean registries.

Entry points are never autoloaded by accident: the session's plugin manager loads the builtin
plugin and the repository's own plugin families explicitly (those that are installed); tests
that need a fake plugin use ``register_plugin`` which removes it afterwards.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tauro.plugins import TauroPluginManager, set_plugin_manager
from tauro.streaming.transformations import TransformationRegistry

REPO = Path(__file__).resolve().parent.parent
# The repository's plugin families: (entry name, plugin module). Loaded when importable.
FAMILY_PLUGINS = [
    ("files", "tauro_files.plugin"),
    ("delta", "tauro_delta.plugin"),
    ("kafka", "tauro_kafka.plugin"),
    ("kinesis", "tauro_kinesis.plugin"),
    ("prometheus", "tauro_prometheus.plugin"),
    ("otel", "tauro_otel.plugin"),
]


def _build_manager() -> TauroPluginManager:
    manager = TauroPluginManager(load_entrypoints=False)
    for name, module_name in FAMILY_PLUGINS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError:
            continue
        manager.register(module, name)
    return manager


@pytest.fixture(scope="session")
def plugin_manager() -> Iterator[TauroPluginManager]:
    manager = _build_manager()
    previous = set_plugin_manager(manager)
    yield manager
    set_plugin_manager(previous)


@pytest.fixture(autouse=True)
def _session_plugins(plugin_manager: TauroPluginManager) -> Iterator[None]:
    # Every test sees the explicit manager, even one that never asks for it.
    set_plugin_manager(plugin_manager)
    yield


@pytest.fixture
def register_plugin(plugin_manager: TauroPluginManager) -> Iterator[Callable[[Any, str], Any]]:
    """Register a fake plugin object for one test; it is unregistered afterwards."""
    added: list[str] = []

    def register(plugin: Any, name: str) -> Any:
        info = plugin_manager.register(plugin, name)
        added.append(name)
        return info

    yield register
    for name in added:
        plugin_manager.unregister(name)


@pytest.fixture(autouse=True)
def _clean_transformations() -> Iterator[None]:
    before = {k: TransformationRegistry.get(k) for k in TransformationRegistry.list_transformations()}
    yield
    TransformationRegistry.clear()
    for key, function in before.items():
        TransformationRegistry.register(key, function)


@pytest.fixture(autouse=True)
def _no_unsafe_import(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STREAMING_UNSAFE_IMPORT", raising=False)
    monkeypatch.delenv("TAURO_DISABLE_PLUGINS", raising=False)


@pytest.fixture(scope="session")
def spark(plugin_manager: TauroPluginManager, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The one Spark session: local[2], 2 shuffle partitions, UI off, UTC, plugin packages."""
    from tauro.config.context import Context

    base = tmp_path_factory.mktemp("tauro-base")
    context = Context(
        master="local[2]",
        app_name="tauro-tests",
        base_dir=base,
        # Opened before any pipeline is known: every family's packages, for every test.
        spark_plugins="all",
        spark_conf={
            "spark.sql.shuffle.partitions": "2",
            "spark.default.parallelism": "2",
            "spark.ui.enabled": "false",
            "spark.sql.session.timeZone": "UTC",
            "spark.driver.memory": "2g",
        },
    )
    session = context.spark
    yield session
    for query in session.streams.active:
        query.stop()
    session.stop()


@pytest.fixture(autouse=True)
def _no_query_left_behind(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test that used Spark must not leave a streaming query running."""
    if "spark" not in request.fixturenames:
        yield
        return
    session = request.getfixturevalue("spark")
    before = {q.id for q in session.streams.active}
    yield
    leaked = [q for q in session.streams.active if q.id not in before]
    for query in leaked:
        query.stop()
    assert not leaked, f"queries left running: {[q.name for q in leaked]}"


@pytest.fixture
def context(spark: Any, tmp_path: Path) -> Any:
    """A Context on the shared session, with its own directories under tmp_path."""
    from tauro.config.context import Context

    return Context(spark=spark, base_dir=tmp_path / ".tauro")


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [f"tauro repo: {REPO}", f"JAVA_HOME={os.environ.get('JAVA_HOME', '-')}"]
