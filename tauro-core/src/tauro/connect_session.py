"""Sessions on a Spark Connect server (``Context(remote="sc://...")`` or ``SPARK_REMOTE``).

A Connect client cannot give the server packages or static conf: those are fixed when the server
starts. So Tauro sets the conf the server lets a session change (``spark.conf.isModifiable``),
and checks the rest, and the plugins' packages, against what the server already holds. What is
missing is refused with the ``--packages`` / ``--conf`` to start the *server* with.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from loguru import logger

from tauro.errors import StreamingValidationError
from tauro.redaction import first_line, redact_connect_url
from tauro.spark_settings import JOINABLE_KEYS, MergedSparkSettings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

#: Tauro's own session defaults: set when the server allows it, else the server's value stands.
DEFAULTS = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.streaming.stopTimeout": "60000",
}
#: Client-side settings that mean nothing to a server.
_CLIENT_ONLY = frozenset({"spark.jars.packages", "spark.jars.ivySettings", "spark.master", "spark.remote"})


def build_connect_session(
    remote: str, app_name: str, user_conf: dict[str, str], merged: MergedSparkSettings
) -> SparkSession:
    """A session on the Connect server ``remote``, with what the plugins and the user need."""
    from pyspark.sql import SparkSession  # pyspark is heavy: only when a session is built

    shown = redact_connect_url(remote)
    logger.info("Connecting to the Spark Connect server {}", shown)
    try:
        spark = SparkSession.builder.remote(remote).appName(app_name).getOrCreate()
        spark.conf.isModifiable("spark.sql.session.timeZone")  # the first call reaches the server
    except Exception as error:
        raise StreamingValidationError(
            f"Could not open a session on the Spark Connect server {shown}: {first_line(error)}",
            field="spark.remote",
            actual=shown,
            component="SparkSession",
        ) from error
    check_connect_server(spark, shown, user_conf, merged)
    return spark


def check_connect_server(
    spark: Any, shown: str, user_conf: dict[str, str], merged: MergedSparkSettings
) -> None:
    """Set the modifiable conf; refuse missing packages and static conf, naming the server flags."""
    problems: list[StreamingValidationError] = []
    have = server_packages(spark)
    for package in merged.packages:
        if not has_package(have, package):
            problems.append(
                _server_lacks(
                    shown,
                    f"package {package}",
                    f"--packages {package}",
                    f"plugin '{merged.package_owners[package]}'"
                    if package in merged.package_owners
                    else "a plugin whose formats the pipelines use",
                )
            )
    wanted: dict[str, tuple[str, str]] = {k: (v, "Tauro's defaults") for k, v in DEFAULTS.items()}
    wanted.update({k: (v, "a plugin whose formats the pipelines use") for k, v in merged.conf.items()})
    wanted.update({k: (v, "the context's spark conf") for k, v in user_conf.items()})
    for key, (value, source) in wanted.items():
        if key in _CLIENT_ONLY:
            continue
        if _modifiable(spark, key):
            spark.conf.set(key, value)
            continue
        if source == "Tauro's defaults" or _holds(_get(spark, key), value, key):
            continue
        problems.append(_server_lacks(shown, f"Spark conf {key}={value}", f"--conf {key}={value}", source))
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise StreamingValidationError(
            "; ".join(p.message for p in problems),
            field="spark.remote",
            problems=problems,
            component="SparkSession",
        )


def server_packages(spark: Any) -> tuple[set[str], set[str]]:
    """The server's Maven coordinates (``spark.jars.packages``) and jar file names
    (``spark.jars``: ``spark-submit --packages`` resolves into it and leaves no coordinates)."""
    coordinates = {p.strip() for p in (_get(spark, "spark.jars.packages") or "").split(",") if p.strip()}
    jars = {j.strip().rsplit("/", 1)[-1] for j in (_get(spark, "spark.jars") or "").split(",") if j.strip()}
    return coordinates, jars


def has_package(have: tuple[set[str], set[str]], package: str) -> bool:
    """Whether the server holds ``group:artifact:version``: by coordinates, or its jar as Ivy
    (``group_artifact-version.jar``) or Maven (``artifact-version.jar``) names it."""
    coordinates, jars = have
    if package in coordinates:
        return True
    parts = package.split(":")
    if len(parts) != 3:
        return False
    group, artifact, version = parts
    return f"{group}_{artifact}-{version}.jar" in jars or f"{artifact}-{version}.jar" in jars


def _server_lacks(shown: str, what: str, flag: str, source: str) -> StreamingValidationError:
    return StreamingValidationError(
        f"{source} needs {what}, but the Spark Connect server {shown} was not started with it. "
        f"Packages and static conf are fixed when the server starts and a Connect client cannot "
        f"set them: start the server with {flag}.",
        field="spark.remote",
        expected=what,
        component="SparkSession",
    )


def _modifiable(spark: Any, key: str) -> bool:
    try:
        return bool(spark.conf.isModifiable(key))
    except Exception:
        return False


def _get(spark: Any, key: str) -> str | None:
    try:
        value = spark.conf.get(key, None)
    except Exception:
        return None
    return None if value is None else str(value)


def _holds(have: str | None, value: str, key: str) -> bool:
    if key in JOINABLE_KEYS:
        present = {p.strip() for p in (have or "").split(",")}
        return all(w.strip() in present for w in value.split(",") if w.strip())
    return have == value
