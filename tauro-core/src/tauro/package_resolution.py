"""What to tell a user whose session could not start because of its Spark packages.

Spark resolves ``spark.jars.packages`` with Ivy inside the JVM launcher, before a Python session
exists: when a package or one of its dependencies cannot be fetched, the launcher prints Ivy's
report on standard error and exits, and pyspark says only ``JAVA_GATEWAY_EXITED``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from tauro.errors import StreamingError
from tauro.ivy_settings import CENTRAL, ivy_home, ivy_settings_file


class SparkPackagesError(StreamingError):
    """The session's JVM did not start while its Spark packages were being resolved."""


def repositories_tried(conf: Mapping[str, str]) -> list[str]:
    """The repositories Ivy asks: the settings' chain (Maven Central for Tauro's) and the user's
    ``spark.jars.repositories``, which Spark adds to any chain."""
    own = conf.get("spark.jars.ivySettings")
    first = [CENTRAL] if own in (None, ivy_settings_file()) else [f"the chain in {own}"]
    extra = [r.strip() for r in conf.get("spark.jars.repositories", "").split(",") if r.strip()]
    return list(dict.fromkeys([*first, *extra]))


def packages_error(
    packages: Sequence[str], conf: Mapping[str, str], cause: BaseException
) -> SparkPackagesError:
    repos = repositories_tried(conf)
    return SparkPackagesError(
        "Spark did not start: its JVM exited while resolving the Spark packages "
        f"{', '.join(packages)} (Ivy asked {', '.join(repos)}). "
        "Ivy's report ('unresolved dependency: ...') is in Spark's output (for `tauro run`, the "
        "run's run.log). To fix: let this machine reach those repositories (or a proxy), or set "
        "spark.jars.repositories to a mirror that serves them, or spark.jars.ivySettings to your "
        f"own Ivy settings. Packages fetched once are kept in {ivy_home()}, so later runs work "
        "without network: `tauro fetch-packages` fetches them ahead of time.",
        operation="start SparkSession",
        component="SparkSession",
        field="spark.jars.packages",
        actual=",".join(packages),
        details={"repositories": repos},
        cause=cause,
    )
