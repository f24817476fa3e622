"""What a plugin contributes to a Spark session that Tauro builds itself."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from tauro.errors import StreamingValidationError

# Keys whose values several plugins may each extend; values are comma-joined without repeats.
JOINABLE_KEYS = frozenset({"spark.sql.extensions"})


def _str_tuple(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(str(v) for v in values)


def _str_dict(values: Mapping[str, object]) -> dict[str, str]:
    return {str(k): str(v) for k, v in values.items()}


@attrs.frozen(kw_only=True)
class SparkSettings:
    """Maven coordinates and Spark conf a plugin needs when Tauro builds the session.

    ``packages`` are ``group:artifact:version`` coordinates added to ``spark.jars.packages``;
    ``conf`` entries are set on the builder. ``spark.sql.extensions`` values of several plugins
    are comma-joined; any other key two plugins set differently is an error naming both.
    """

    packages: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    conf: Mapping[str, str] = attrs.field(factory=dict, converter=_str_dict)


@attrs.frozen(kw_only=True)
class FormatUse:
    """One input, output or dead-letter section of a pipeline, as ``tauro_spark_settings`` sees it.

    ``format`` is the registered format name, ``role`` is ``input``, ``output`` or
    ``dead_letter``, ``section`` the normalized section (read-only: format, path, options, ...),
    ``field`` where it sits (``nodes[1].input``) and ``pipeline`` the pipeline's name, if any.
    """

    format: str
    role: str
    section: Mapping[str, Any] = attrs.field(factory=dict)
    field: str = ""
    pipeline: str | None = None

    @property
    def options(self) -> Mapping[str, Any]:
        options = self.section.get("options") or {}
        return options if isinstance(options, Mapping) else {}


@attrs.frozen
class MergedSparkSettings:
    packages: tuple[str, ...]
    conf: dict[str, str]
    #: Which plugin asked for each package, for messages that name it.
    package_owners: dict[str, str] = attrs.field(factory=dict)


def merge_spark_settings(
    contributions: Iterable[tuple[str, SparkSettings]],
) -> MergedSparkSettings:
    """Merge ``(plugin_name, settings)`` pairs by the rules documented on ``SparkSettings``."""
    packages: list[str] = []
    package_owners: dict[str, str] = {}
    conf: dict[str, str] = {}
    owners: dict[str, str] = {}
    for plugin, settings in contributions:
        for package in settings.packages:
            if package not in packages:
                packages.append(package)
                package_owners[package] = plugin
        for key, value in settings.conf.items():
            value = str(value)
            if key in JOINABLE_KEYS:
                parts = [p for p in conf.get(key, "").split(",") if p]
                parts += [p.strip() for p in value.split(",") if p.strip() and p.strip() not in parts]
                conf[key] = ",".join(parts)
                owners.setdefault(key, plugin)
            elif key in conf and conf[key] != value:
                raise StreamingValidationError(
                    f"Plugins '{owners[key]}' and '{plugin}' set Spark conf '{key}' to different "
                    f"values ({conf[key]!r} vs {value!r}); disable one of them with "
                    f"TAURO_DISABLE_PLUGINS or set the key yourself in the context's spark conf.",
                    field=f"spark.conf.{key}",
                    component="PluginManager",
                )
            else:
                conf[key] = value
                owners.setdefault(key, plugin)
    return MergedSparkSettings(packages=tuple(packages), conf=conf, package_owners=package_owners)
