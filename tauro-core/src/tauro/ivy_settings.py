"""Ivy settings for the sessions Tauro builds: Spark packages come from Maven Central only.

Spark's default Ivy chain looks in ``~/.m2/repository`` first. Maven often leaves only the POM
of an artifact there (a version that lost a conflict, a parent), and Ivy then stops with
"download failed" instead of asking Maven Central. Tauro's own chain skips ``~/.m2``: Ivy's
cache, then Maven Central (plus any ``spark.jars.repositories`` the user sets, which Spark adds).
A user's own ``spark.jars.ivySettings`` is kept as it is.
"""

from __future__ import annotations

import os
from pathlib import Path

CENTRAL = os.environ.get("TAURO_MAVEN_CENTRAL", "https://repo1.maven.org/maven2/")

_TEMPLATE = """<ivysettings>
  <settings defaultResolver="tauro"/>
  <caches defaultCacheDir="{cache}"/>
  <resolvers>
    <chain name="tauro" returnFirst="true">
      <ibiblio name="central" m2compatible="true" root="{central}"/>
    </chain>
  </resolvers>
</ivysettings>
"""


def tauro_cache() -> Path:
    return Path(os.environ.get("TAURO_CACHE", Path.home() / ".cache" / "tauro"))


def ivy_home() -> Path:
    """Where Ivy keeps what it fetched (Spark 4's default ``spark.jars.ivy``)."""
    return Path.home() / ".ivy2.5.2"


def ivy_settings_file() -> str:
    """Write (once) and return the settings file Tauro gives ``spark.jars.ivySettings``."""
    cache = ivy_home() / "cache"
    text = _TEMPLATE.format(cache=cache, central=CENTRAL)
    path = tauro_cache() / "ivy" / "ivysettings.xml"
    if not path.exists() or path.read_text() != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_suffix(f".{os.getpid()}.tmp")
        temp.write_text(text)
        os.replace(temp, path)
    return str(path)
