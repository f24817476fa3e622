"""Tauro's test kit: run a pipeline in a test, check a format plugin against the contract.

Installed with tauro-core as a pytest plugin (``tauro.testing.plugin``), so its fixtures
(``tauro_spark``, ``tauro_context``, ``tauro_pipeline``) are available in every test of an
environment where Tauro is installed. Names here are imported lazily: pytest loads the plugin in
every run, and a run that never uses it should not pay for Spark.

- ``run_pipeline`` / the ``tauro_pipeline`` fixture: run a pipeline bounded, inputs replaced by
  rows, outputs and dead letters collected as rows (see ``tauro.testing.pipeline``).
- ``FormatConformance``: a base test class a format plugin subclasses to check its reader and
  writer against Tauro's plugin contract (see ``tauro.testing.conformance``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tauro.testing.conformance import FormatConformance
    from tauro.testing.pipeline import (
        PipelineFailed,
        PipelineResult,
        PipelineRunner,
        Rows,
        from_output,
        run_pipeline,
    )

_LAZY = {
    "FormatConformance": "tauro.testing.conformance",
    "PipelineFailed": "tauro.testing.pipeline",
    "PipelineResult": "tauro.testing.pipeline",
    "PipelineRunner": "tauro.testing.pipeline",
    "Rows": "tauro.testing.pipeline",
    "from_output": "tauro.testing.pipeline",
    "run_pipeline": "tauro.testing.pipeline",
}

__all__ = [
    "FormatConformance",
    "PipelineFailed",
    "PipelineResult",
    "PipelineRunner",
    "Rows",
    "from_output",
    "run_pipeline",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'tauro.testing' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
