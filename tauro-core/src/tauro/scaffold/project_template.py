"""The files of a new pipeline project: core formats only, so it runs with tauro-core alone."""

from __future__ import annotations

import json
import re

from tauro.config.json_schema import context_schema, pipeline_schema
from tauro.scaffold.files import fill

PIPELINE = """\
# yaml-language-server: $schema=schemas/pipeline.schema.json
# Orders from Tauro's memory source (rows given here), the big ones printed to the console.
# Bounded (available_now): `tauro run` ends when every row is processed.
name: {{name}}
streaming:
  trigger: {type: available_now}
nodes:
  - name: big_orders
    description: Keep orders of at least min_amount.
    input:
      format: memory
      schema: "id BIGINT, amount DOUBLE, country STRING"
      options:
        stream: orders
        rows:
          - {id: 1, amount: 12.5, country: ES}
          - {id: 2, amount: 0.5, country: FR}
          - {id: 3, amount: 40.0, country: ES}
    transforms:
      - {key: keep_big_orders, params: {min_amount: 1}}
    output:
      format: console
      options: {truncate: false}
"""

CONTEXT = """\
# yaml-language-server: $schema=schemas/context.schema.json
# Where runs keep their state (checkpoints, run status, the memory source's rows).
spark:
  master: "local[2]"
  app_name: {{name}}
  conf:
    spark.sql.shuffle.partitions: 2
    spark.ui.enabled: false
base_dir: .tauro
environment: dev
"""

TRANSFORMS = '''\
"""Transformations of the pipeline, registered by name (`tauro run --import transforms.py`)."""

from __future__ import annotations

from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from tauro.streaming import TransformationRegistry


def keep_big_orders(df: DataFrame, params: dict[str, Any]) -> DataFrame:
    """Orders of at least ``min_amount``."""
    return df.where(F.col("amount") >= float(params.get("min_amount", 0)))


TransformationRegistry.register("keep_big_orders", keep_big_orders)
'''

TEST = '''\
"""The pipeline, run bounded on a local Spark by Tauro's test kit (fixture tauro_pipeline)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parent.parent
PIPELINE = str(PROJECT / "pipeline.yaml")
TRANSFORMS = str(PROJECT / "transforms.py")


def test_keeps_the_big_orders_of_the_configured_rows(tauro_pipeline: Any) -> None:
    result = tauro_pipeline(PIPELINE, imports=[TRANSFORMS])
    assert sorted(row["id"] for row in result.rows("big_orders")) == [1, 3]


def test_small_orders_are_left_out(tauro_pipeline: Any) -> None:
    rows = [{"id": 7, "amount": 0.25, "country": "PT"}, {"id": 8, "amount": 3.0, "country": "PT"}]
    result = tauro_pipeline(PIPELINE, imports=[TRANSFORMS], inputs={"big_orders": rows})
    assert result.rows("big_orders") == [{"id": 8, "amount": 3.0, "country": "PT"}]
'''

PYPROJECT = """\
[project]
name = "{{name}}"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = ["tauro-core>={{core_floor}}"]

[tool.pytest.ini_options]
testpaths = ["tests"]
"""

README = """\
# {{name}}

A Tauro streaming pipeline project.

```bash
tauro validate pipeline.yaml --import transforms.py     # every problem with its path
tauro run pipeline.yaml --context context.yaml --import transforms.py
pytest                                                  # the pipeline on a local Spark
tauro schema -o schemas/pipeline.schema.json            # after installing a plugin
```

- `pipeline.yaml`: the pipeline (editors with the YAML language server check it against
  `schemas/pipeline.schema.json`).
- `context.yaml`: where runs keep their state (`.tauro/`).
- `transforms.py`: transformations, registered by name.
- `tests/`: tests with Tauro's test kit (`tauro_pipeline` runs the pipeline bounded and collects
  what each node writes).
"""

GITIGNORE = """\
.tauro/
__pycache__/
.pytest_cache/
"""


def project_name(directory_name: str) -> str:
    """A pipeline name from a directory name: letters, digits and '_'."""
    name = re.sub(r"[^A-Za-z0-9_]+", "_", directory_name).strip("_").lower()
    return name or "pipeline"


def project_files(name: str, core_floor: str) -> dict[str, str]:
    """Relative path -> text of a new project named ``name``; the schemas are those of the
    installed plugins."""
    values = {"name": name, "core_floor": core_floor}
    return {
        "pipeline.yaml": fill(PIPELINE, values),
        "context.yaml": fill(CONTEXT, values),
        "transforms.py": TRANSFORMS,
        "tests/test_pipeline.py": TEST,
        "pyproject.toml": fill(PYPROJECT, values),
        "README.md": fill(README, values),
        ".gitignore": GITIGNORE,
        "schemas/pipeline.schema.json": json.dumps(pipeline_schema(), indent=2) + "\n",
        "schemas/context.schema.json": json.dumps(context_schema(), indent=2) + "\n",
    }
