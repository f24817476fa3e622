"""Plugin manager: the builtin plugin plus entry points of group ``tauro.plugins``.

Entry points are iterated one by one (never ``load_setuptools_entrypoints``) so that a plugin
that fails to import is recorded as failed and skipped while the rest load. Names listed in
``TAURO_DISABLE_PLUGINS`` (comma-separated entry names) are not imported at all.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import threading
import traceback
from collections.abc import Iterator
from enum import StrEnum
from importlib import metadata
from types import ModuleType
from typing import Any

import attrs
import pluggy
from loguru import logger

from tauro import __version__, hookspecs
from tauro.plugin.markers import PROJECT_NAME
from tauro.redaction import redact_text
from tauro.registry import FormatRegistry, ReaderRegistry, ValidatorRegistry, WriterRegistry

ENTRY_POINT_GROUP = "tauro.plugins"
BUILTIN_NAME = "builtin"
#: Core's own plugin, loaded by name like an entry point (it sits above this layer).
BUILTIN_MODULE = "tauro.builtin.plugin"
_REGISTRATION_HOOKS = (
    ("tauro_register_readers", ReaderRegistry),
    ("tauro_register_writers", WriterRegistry),
    ("tauro_register_format_validators", ValidatorRegistry),
)


class PluginStatus(StrEnum):
    """A plugin's state in ``tauro plugins`` (a string: ``status == "loaded"`` still holds)."""

    LOADED = "loaded"
    FAILED = "failed"
    DISABLED = "disabled"


@attrs.define(kw_only=True)
class PluginInfo:
    """What ``tauro plugins`` shows for one plugin."""

    name: str
    status: PluginStatus
    module: str | None = None
    distribution: str | None = None
    version: str | None = None
    error: str | None = None
    formats: dict[str, list[str]] = attrs.field(factory=dict)

    def as_dict(self) -> dict[str, Any]:
        data = attrs.asdict(self)
        data["status"] = str(self.status)
        return data


def disabled_plugin_names() -> set[str]:
    raw = os.environ.get("TAURO_DISABLE_PLUGINS", "")
    return {part.strip() for part in raw.split(",") if part.strip()}


class TauroPluginManager:
    """Owns the pluggy manager, the format registry and the list of plugins with their status."""

    def __init__(self, *, load_entrypoints: bool = True, load_builtin: bool = True) -> None:
        self.pm = pluggy.PluginManager(PROJECT_NAME)
        self.pm.add_hookspecs(hookspecs)
        self.registry = FormatRegistry()
        self.plugins: dict[str, PluginInfo] = {}
        self._lock = threading.RLock()
        self._callers: dict[tuple[str, str], Any] = {}
        disabled = disabled_plugin_names()
        if load_builtin and BUILTIN_NAME not in disabled:
            builtin_plugin = importlib.import_module(BUILTIN_MODULE)
            self.register(builtin_plugin, BUILTIN_NAME, distribution="tauro-core", version=__version__)
        if load_entrypoints:
            self._load_entrypoints(disabled)

    # -- loading ------------------------------------------------------------------------------
    def _load_entrypoints(self, disabled: set[str]) -> None:
        for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
            dist = getattr(ep, "dist", None)
            dist_name = dist.name if dist is not None else None
            dist_version = dist.version if dist is not None else None
            if ep.name in disabled:
                self.plugins[ep.name] = PluginInfo(
                    name=ep.name,
                    status=PluginStatus.DISABLED,
                    module=ep.value,
                    distribution=dist_name,
                    version=dist_version,
                    error="disabled by TAURO_DISABLE_PLUGINS",
                )
                continue
            if ep.name in self.plugins:
                logger.warning("Plugin name '{}' from {} already loaded; skipped", ep.name, dist_name)
                continue
            try:
                module = ep.load()
            except Exception as exc:
                self._record_failure(ep.name, ep.value, dist_name, dist_version, exc)
                continue
            self.register(module, ep.name, distribution=dist_name, version=dist_version)

    def _record_failure(
        self,
        name: str,
        module: str | None,
        dist: str | None,
        version: str | None,
        exc: BaseException,
    ) -> None:
        reason = redact_text(f"{type(exc).__name__}: {exc}")
        logger.error("Plugin '{}' failed to load and was skipped: {}", name, reason)
        logger.debug("{}", "".join(traceback.format_exception(exc)))
        self.plugins[name] = PluginInfo(
            name=name,
            status=PluginStatus.FAILED,
            module=module,
            distribution=dist,
            version=version,
            error=reason,
        )

    def register(
        self,
        plugin: ModuleType | object,
        name: str,
        *,
        distribution: str | None = None,
        version: str | None = None,
    ) -> PluginInfo:
        """Register a plugin object (usually a module of ``@hookimpl`` functions) and its formats.

        A plugin whose registration hooks raise is recorded as failed and rolled back.
        """
        module_name = getattr(plugin, "__name__", type(plugin).__name__)
        with self._lock:
            self._callers.clear()
            try:
                self.pm.register(plugin, name=name)
            except Exception as exc:
                self._record_failure(name, module_name, distribution, version, exc)
                return self.plugins[name]
            try:
                self._run_registration_hooks(name)
            except Exception as exc:
                self.pm.unregister(name=name)
                self.registry.remove_plugin(name)
                self._record_failure(name, module_name, distribution, version, exc)
                return self.plugins[name]
            info = PluginInfo(
                name=name,
                status=PluginStatus.LOADED,
                module=module_name,
                distribution=distribution,
                version=version,
                formats=self.registry.formats_of(name),
            )
            self.plugins[name] = info
            return info

    def _run_registration_hooks(self, name: str) -> None:
        # Only the plugin being registered adds its formats (the others did when they loaded).
        for hook_name, facade in _REGISTRATION_HOOKS:
            self.plugin_hook(name, hook_name)(registry=facade(self.registry, name))

    def plugin_hook(self, name: str, hook_name: str) -> Any:
        """The hook caller of ``hook_name`` restricted to plugin ``name`` (pluggy's subset
        caller: argument matching, wrappers and call order as for the full hook)."""
        key = (hook_name, name)
        with self._lock:
            caller = self._callers.get(key)
            if caller is None:
                others = [p for n, p in self.pm.list_name_plugin() if n != name and p is not None]
                caller = self.pm.subset_hook_caller(hook_name, remove_plugins=others)
                self._callers[key] = caller
            return caller

    def call_plugin(self, name: str, hook_name: str, **kwargs: Any) -> Any:
        """Call one plugin's implementation of a hook; its answer, or None if it gives none."""
        results = self.plugin_hook(name, hook_name)(**kwargs)
        return next((r for r in results if r is not None), None)

    def implementers(self, hook_name: str) -> list[str]:
        """Names of the plugins implementing ``hook_name``, in pluggy's call order."""
        return [str(impl.plugin_name) for impl in reversed(getattr(self.pm.hook, hook_name).get_hookimpls())]

    def unregister(self, name: str) -> None:
        with self._lock:
            self._callers.clear()
            if self.pm.get_plugin(name) is not None:
                self.pm.unregister(name=name)
            self.registry.remove_plugin(name)
            self.plugins.pop(name, None)

    # -- queries ------------------------------------------------------------------------------
    @property
    def hook(self) -> Any:
        return self.pm.hook

    def loaded(self) -> list[PluginInfo]:
        return [p for p in self.plugins.values() if p.status is PluginStatus.LOADED]

    def all(self) -> list[PluginInfo]:
        return sorted(self.plugins.values(), key=lambda p: (p.name != BUILTIN_NAME, p.name))

    def call_observers(self, hook_name: str, **kwargs: Any) -> None:
        """Call a lifecycle hook plugin by plugin through pluggy, in its order; an
        implementation that raises is logged and ignored, and the others are still called."""
        for name in self.implementers(hook_name):
            try:
                self.plugin_hook(name, hook_name)(**kwargs)
            except Exception as exc:
                logger.opt(exception=exc).error("Plugin '{}' raised in {}; ignored", name, hook_name)


_manager: TauroPluginManager | None = None
_manager_lock = threading.Lock()


def get_plugin_manager() -> TauroPluginManager:
    """The process-wide plugin manager, loaded on first use."""
    global _manager
    with _manager_lock:
        if _manager is None:
            _manager = TauroPluginManager()
        return _manager


def set_plugin_manager(manager: TauroPluginManager | None) -> TauroPluginManager | None:
    """Replace the process-wide manager (tests, embedding apps); returns the previous one."""
    global _manager
    with _manager_lock:
        previous, _manager = _manager, manager
        return previous


@contextlib.contextmanager
def use_plugin_manager(manager: TauroPluginManager) -> Iterator[TauroPluginManager]:
    previous = set_plugin_manager(manager)
    try:
        yield manager
    finally:
        set_plugin_manager(previous)


def get_registry() -> FormatRegistry:
    return get_plugin_manager().registry
