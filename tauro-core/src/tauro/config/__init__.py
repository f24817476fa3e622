"""Configuration: models, loading, interpolation and the ``Context``."""

from tauro.config.context import Context
from tauro.config.loading import prepare_pipeline, read_config_file, select_pipeline
from tauro.config.models import (
    FunctionConfig,
    InputConfig,
    NodeConfig,
    OutputConfig,
    PipelineConfig,
    RestartPolicy,
    StreamingConfig,
    TriggerConfig,
    WatermarkConfig,
)
from tauro.config.policy import FormatPolicy

__all__ = [
    "Context",
    "FormatPolicy",
    "FunctionConfig",
    "InputConfig",
    "NodeConfig",
    "OutputConfig",
    "PipelineConfig",
    "RestartPolicy",
    "StreamingConfig",
    "TriggerConfig",
    "WatermarkConfig",
    "prepare_pipeline",
    "read_config_file",
    "select_pipeline",
]
