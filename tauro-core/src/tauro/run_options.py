"""Options plugins add to ``tauro run`` (``tauro_cli_run_options``) and the run hooks that
receive their values (``tauro_run_starting``, ``tauro_run_finished``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import click
from loguru import logger

from tauro.errors import TauroError
from tauro.plugins import TauroPluginManager, get_plugin_manager

_META_KEY = "tauro.plugin_run_options"


class PluginRunOptionsError(TauroError):
    """A plugin could not prepare a run (``tauro_run_starting`` raised)."""


class PluginOptionsCommand(click.Command):
    """A click command whose parameters include those plugins contribute."""

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        own = super().get_params(ctx)
        return [*own, *plugin_options(ctx, own).values()]


def plugin_options(ctx: click.Context, own: list[click.Parameter]) -> dict[str, click.Parameter]:
    """The plugins' options for this invocation (asked once per context), by parameter name."""
    cached = ctx.meta.get(_META_KEY)
    if cached is None:
        cached = _collect(get_plugin_manager(), own)
        ctx.meta[_META_KEY] = cached
    return {name: param for name, (_plugin, param) in cached.items()}


def values_by_plugin(ctx: click.Context, values: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The values of the options each plugin added, by plugin name."""
    cached: dict[str, tuple[str, click.Parameter]] = ctx.meta.get(_META_KEY) or {}
    grouped: dict[str, dict[str, Any]] = {}
    for param_name, (plugin, _param) in cached.items():
        grouped.setdefault(plugin, {})[param_name] = values.get(param_name)
    return grouped


def run_starting(grouped: Mapping[str, Mapping[str, Any]]) -> None:
    """Call each plugin's ``tauro_run_starting``; the first that raises fails the run."""
    manager = get_plugin_manager()
    for plugin in manager.implementers("tauro_run_starting"):
        try:
            manager.call_plugin(plugin, "tauro_run_starting", options=dict(grouped.get(plugin, {})))
        except Exception as exc:
            raise PluginRunOptionsError(f"plugin '{plugin}' could not prepare the run: {exc}") from exc


def run_finished(grouped: Mapping[str, Mapping[str, Any]], exit_code: int) -> None:
    """Call each plugin's ``tauro_run_finished``; what raises is logged and ignored."""
    manager = get_plugin_manager()
    for plugin in manager.implementers("tauro_run_finished"):
        try:
            manager.call_plugin(
                plugin, "tauro_run_finished", options=dict(grouped.get(plugin, {})), exit_code=exit_code
            )
        except Exception as exc:
            logger.opt(exception=exc).error("Plugin '{}' raised in tauro_run_finished; ignored", plugin)


def _collect(
    manager: TauroPluginManager, own: list[click.Parameter]
) -> dict[str, tuple[str, click.Parameter]]:
    taken_names = {p.name for p in own}
    taken_flags = {flag for p in own for flag in (*p.opts, *p.secondary_opts)}
    found: dict[str, tuple[str, click.Parameter]] = {}
    for plugin in manager.implementers("tauro_cli_run_options"):
        try:
            params = manager.call_plugin(plugin, "tauro_cli_run_options") or ()
        except Exception as exc:
            logger.opt(exception=exc).error("Plugin '{}' raised in tauro_cli_run_options; ignored", plugin)
            continue
        for param in params:
            flags = {*param.opts, *param.secondary_opts} if isinstance(param, click.Option) else set()
            if not isinstance(param, click.Option) or not param.name:
                logger.warning("Plugin '{}' gave tauro run a non-option {!r}; skipped", plugin, param)
            elif param.name in taken_names or flags & taken_flags:
                logger.warning(
                    "Plugin '{}': option {} clashes with another of tauro run; skipped",
                    plugin,
                    "/".join(sorted(flags)) or param.name,
                )
            else:
                taken_names.add(param.name)
                taken_flags |= flags
                found[param.name] = (plugin, param)
    return found
