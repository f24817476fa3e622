"""The files of a new format plugin distribution (``tauro-NAME``), with conformance tests.

The format it registers reads and writes JSON files under ``path`` with Spark's own file source
and sink: a working start that passes ``FormatConformance``, to replace with the real client.
"""

from __future__ import annotations

from tauro.scaffold.files import fill

PYPROJECT = """\
[build-system]
requires = ["setuptools>=69"]
build-backend = "setuptools.build_meta"

[project]
name = "tauro-{{dist}}"
version = "0.1.0"
description = "Tauro plugin: the {{name}} streaming source and sink."
readme = "README.md"
requires-python = ">=3.11"
dependencies = ["{{core_range}}"]

[project.optional-dependencies]
test = ["pytest>=8", "jsonschema>=4.18"]  # jsonschema: the conformance check of the editor schema

# How Tauro finds the plugin: the entry name is the family `tauro plugins` lists.
[project.entry-points."tauro.plugins"]
{{name}} = "tauro_{{name}}.plugin"

[tool.setuptools.packages.find]
where = ["src"]

[tool.setuptools.package-data]
tauro_{{name}} = ["py.typed"]

[tool.pytest.ini_options]
testpaths = ["tests"]
"""

README = """\
# tauro-{{dist}}

A [Tauro](https://github.com/) plugin registering the `{{name}}` format as a streaming source and
sink. As generated, it reads and writes JSON files under `path`; replace the reader's `read`,
the writer's `configure` / `write_batch` and the validators with your system's client.

```bash
pip install -e ".[test]"
tauro plugins          # lists {{name}} with its reader and writer
pytest                 # Tauro's FormatConformance suite on a local Spark
```

```yaml
nodes:
  - name: copy
    input: {format: {{name}}, path: /data/in, schema: "id BIGINT, name STRING"}
    output: {format: {{name}}, path: /data/out}
```
"""

INIT = '''\
"""The {{name}} format for Tauro."""
'''

PLUGIN = '''\
"""Hooks of the ``{{name}}`` plugin: its reader, writer and validators.

pyspark is imported lazily (inside the classes' methods), so `tauro plugins` stays fast.
"""

from __future__ import annotations

from tauro.plugin import ReaderRegistry, ValidatorRegistry, WriterRegistry, hookimpl
from tauro_{{name}}.reader import {{Class}}StreamingReader
from tauro_{{name}}.validators import validate_{{name}}_input, validate_{{name}}_output
from tauro_{{name}}.writer import {{Class}}StreamingWriter


@hookimpl
def tauro_register_readers(registry: ReaderRegistry) -> None:
    registry.add("{{name}}", {{Class}}StreamingReader)


@hookimpl
def tauro_register_writers(registry: WriterRegistry) -> None:
    registry.add("{{name}}", {{Class}}StreamingWriter)


@hookimpl
def tauro_register_format_validators(registry: ValidatorRegistry) -> None:
    registry.add("{{name}}", validate_{{name}}_input, role="input")
    registry.add("{{name}}", validate_{{name}}_output, role="output")
'''

READER = '''\
"""The {{name}} source: new JSON files under ``path``, read with the input's ``schema``."""

from __future__ import annotations

from typing import Any, ClassVar

from tauro.plugin import BaseStreamingReader, int_option, options_object

SOURCE_OPTIONS: dict[str, Any] = {
    "maxFilesPerTrigger": int_option("Most new files per micro-batch.", minimum=1),
}


class {{Class}}StreamingReader(BaseStreamingReader):
    """The base ``read`` does the work: ``spark.readStream.format(spark_format)``, the schema,
    the options, ``load(path)``. Override ``read`` for a source Spark does not know."""

    spark_format = "json"
    requires_path = True
    requires_schema = True
    spark_counts_rows = True  # a JVM source: Spark counts its rows
    options_schema: ClassVar[dict[str, Any]] = options_object(SOURCE_OPTIONS, closed=True)
'''

WRITER = '''\
"""The {{name}} sink: JSON files under ``path``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from tauro.plugin import BaseStreamingWriter, options_object, text_option

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

SINK_OPTIONS: dict[str, Any] = {
    "compression": text_option("Compression codec of the files.", choices=("none", "gzip", "bzip2")),
}


class {{Class}}StreamingWriter(BaseStreamingWriter):
    """The base ``configure`` gives Spark the format, ``path`` and options; core applies the
    trigger, output mode, checkpoint and query name, and starts the query."""

    spark_format = "json"
    requires_path = True
    supported_output_modes = frozenset({"append"})
    options_schema: ClassVar[dict[str, Any]] = options_object(SINK_OPTIONS, closed=True)

    def write_batch(self, df: DataFrame, batch_id: int, **options: Any) -> None:
        """One batch (dead letters, foreachBatch nodes): its own directory, replaced when the
        batch is replayed, so a retry neither repeats nor loses rows."""
        path = str(options.pop("path")).rstrip("/")
        for ignored in ("table_name", "partition_by"):
            options.pop(ignored, None)
        df.write.mode("overwrite").options(**options).json(f"{path}/batch_id={batch_id}")
'''

VALIDATORS = '''\
"""Validators of the {{name}} format: every problem of a section at once, no Spark needed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tauro.plugin import Findings, unknown_options
from tauro_{{name}}.reader import SOURCE_OPTIONS
from tauro_{{name}}.writer import SINK_OPTIONS


def _check_known(section: Mapping[str, Any], known: Mapping[str, Any], role: str, found: Findings) -> None:
    for key, close in unknown_options(section["options"], known):
        hint = f"did you mean {close}? " if close else ""
        message = f"is not an option of the {{name}} {role}; {hint}known: {', '.join(known)}"
        found.error(f"options.{key}", message)


def validate_{{name}}_input(section: Mapping[str, Any], node: Mapping[str, Any]) -> list[str]:
    found = Findings()
    _check_known(section, SOURCE_OPTIONS, "source", found)
    files = section["options"].get("maxFilesPerTrigger")
    if files is not None and not (files.isdigit() and int(files) > 0):
        found.error("options.maxFilesPerTrigger", f"must be a positive whole number, not {files!r}")
    return found.result()


def validate_{{name}}_output(section: Mapping[str, Any], node: Mapping[str, Any]) -> list[str]:
    found = Findings()
    _check_known(section, SINK_OPTIONS, "sink", found)
    return found.result()
'''

CONFORMANCE = '''\
"""Tauro's contract for formats, checked on {{name}} (registration, validation, a round trip)."""

from __future__ import annotations

from typing import Any, ClassVar

from tauro.testing import FormatConformance


class Test{{Class}}Conformance(FormatConformance):
    format = "{{name}}"
    plugin = "{{name}}"
    input: ClassVar[dict[str, Any]] = {"path": "{tmp}/data", "schema": "id BIGINT, name STRING"}
    output: ClassVar[dict[str, Any]] = {"path": "{tmp}/data"}
    # What validation must name when missing (the classes' requires_path and requires_schema).
    required_input_fields: ClassVar[tuple[str, ...]] = ("path", "schema")
    required_output_fields: ClassVar[tuple[str, ...]] = ("path",)
'''


def plugin_files(name: str, core_range: str) -> dict[str, str]:
    """Relative path -> text of the distribution ``tauro-<name>`` (``name`` a format name; its
    ``_`` become ``-`` in the distribution name)."""
    values = {
        "name": name,
        "dist": name.replace("_", "-"),  # a distribution name's usual spelling
        "Class": "".join(part.capitalize() for part in name.split("_")),
        "core_range": core_range,
    }
    package = f"src/tauro_{name}"
    return {
        "pyproject.toml": fill(PYPROJECT, values),
        "README.md": fill(README, values),
        f"{package}/__init__.py": fill(INIT, values),
        f"{package}/py.typed": "",
        f"{package}/plugin.py": fill(PLUGIN, values),
        f"{package}/reader.py": fill(READER, values),
        f"{package}/writer.py": fill(WRITER, values),
        f"{package}/validators.py": fill(VALIDATORS, values),
        "tests/test_conformance.py": fill(CONFORMANCE, values),
    }
