"""``StreamingValidator``: four phases (I/O, Trigger, Structure, Safety) before anything runs.

Every problem is collected with its path (``nodes[1].input.options.subscribe``) and raised
together in one ``StreamingValidationError`` whose ``problems`` lists them all. Each phase
lives in its own module of ``tauro.validation``; this is the seed's public face.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tauro.config.converter import Problem, did_you_mean
from tauro.config.loading import prepare_node, prepare_pipeline
from tauro.config.models import FAILURE_POLICIES, NodeConfig
from tauro.config.normalize import normalize_node
from tauro.config.policy import FormatPolicy
from tauro.redaction import collect_secrets
from tauro.validation.connect_support import check_connect_support
from tauro.validation.expectations import check_expectation_list, check_node_expectations
from tauro.validation.inputs_outputs import check_io
from tauro.validation.real_time import check_real_time
from tauro.validation.report import (
    ValidatedNode,
    ValidationReport,
    is_non_durable,
    node_name_at,
    problems_to_report,
    raw_name,
)
from tauro.validation.safety import check_checkpoints, check_node_safety
from tauro.validation.structure import check_node_structure, check_pipeline_structure
from tauro.validation.triggers import check_trigger

__all__ = ["StreamingValidator", "ValidatedNode", "ValidationReport", "is_non_durable", "problems_to_report"]


class StreamingValidator:
    """Validate nodes and pipelines. ``format_policy`` restricts formats (from the Context)."""

    def __init__(
        self,
        format_policy: FormatPolicy | Mapping[str, Any] | None = None,
        *,
        environment: str = "dev",
        connect: bool = False,
    ) -> None:
        self.format_policy = (
            format_policy
            if isinstance(format_policy, FormatPolicy | type(None))
            else FormatPolicy.from_mapping(format_policy)
        ) or FormatPolicy()
        self.environment = environment
        #: Validate for a Spark Connect session: refuse what cannot run there, saying why.
        self.connect = connect

    def validate_streaming_node_config(
        self, node_config: Mapping[str, Any] | NodeConfig, *, require_output: bool = False
    ) -> ValidationReport:
        """Validate one node; raises ``StreamingValidationError`` listing every problem."""
        report = self.check_node(node_config, require_output=require_output)
        name = report.nodes[0].name if report.nodes else None
        report.raise_for_problems(f"Node '{name}'" if name else "Node")
        return report

    def validate_streaming_pipeline_config(
        self,
        pipeline_config: Mapping[str, Any],
        *,
        require_output: bool = True,
        variables: Mapping[str, Any] | None = None,
        name: str | None = None,
    ) -> ValidationReport:
        """Validate a whole pipeline; raises one error listing every problem with its path."""
        report = self.check_pipeline(
            pipeline_config, require_output=require_output, variables=variables, name=name
        )
        label = report.pipeline.name if report.pipeline and report.pipeline.name else name
        report.raise_for_problems(f"Pipeline '{label}'" if label else "Pipeline")
        return report

    def check_node(
        self, node_config: Mapping[str, Any] | NodeConfig, *, require_output: bool = False
    ) -> ValidationReport:
        report = ValidationReport()
        node: NodeConfig | None
        problems: list[Problem]
        if isinstance(node_config, NodeConfig):
            node, problems = node_config, []
        else:
            collect_secrets(node_config)
            node, problems = prepare_node(node_config, "")
        for field, message in problems:
            report.add(field, message, raw_name(node_config))
        if node is None:
            return report
        validated = self._normalize(node, None, "", report)
        self._check_node(validated, "", report, require_output)
        check_checkpoints(self, [validated], report, "")
        return report

    def check_pipeline(
        self,
        pipeline_config: Mapping[str, Any],
        *,
        require_output: bool = True,
        variables: Mapping[str, Any] | None = None,
        name: str | None = None,
    ) -> ValidationReport:
        collect_secrets(pipeline_config)
        prepared = prepare_pipeline(pipeline_config, variables, name)
        report = ValidationReport(pipeline=prepared.pipeline)
        raw_nodes = pipeline_config.get("nodes") if isinstance(pipeline_config, Mapping) else None
        for field, message in prepared.problems:
            report.add(field, message, node_name_at(raw_nodes, field))
        pipeline = prepared.pipeline
        if pipeline is None:
            return report
        if pipeline.type not in ("streaming", "hybrid"):
            report.add("type", f"pipeline type must be 'streaming' or 'hybrid', not '{pipeline.type}'")
        if pipeline.on_failure not in FAILURE_POLICIES:
            report.add(
                "on_failure",
                f"unknown failure policy '{pipeline.on_failure}'"
                f"{did_you_mean(pipeline.on_failure, list(FAILURE_POLICIES))} Use 'stop' (stop every "
                "query of the pipeline when a node has failed) or 'isolate' (stop only what depends "
                "on the failed node).",
            )
        check_expectation_list(pipeline.expectations, "expectations", report, None)
        for index, node in zip(prepared.indices, pipeline.nodes, strict=True):
            prefix = f"nodes[{index}]."
            validated = self._normalize(node, index, prefix, report)
            self._check_node(validated, prefix, report, require_output)
        check_pipeline_structure(self, pipeline, report, raw_nodes)
        check_checkpoints(self, report.nodes, report, None)
        return report

    def _normalize(
        self, node: NodeConfig, index: int | None, prefix: str, report: ValidationReport
    ) -> ValidatedNode:
        normalized, problems = normalize_node(node, prefix.rstrip("."))
        for field, message in problems:
            report.add(field, message, node.name)
        validated = ValidatedNode(index=index, config=node, normalized=normalized)
        report.nodes.append(validated)
        return validated

    def _check_node(
        self, node: ValidatedNode, prefix: str, report: ValidationReport, require_output: bool
    ) -> None:
        check_io(self, node, prefix, report, require_output)
        check_trigger(self, node, prefix, report)
        check_real_time(node, prefix, report)
        check_node_structure(self, node, prefix, report)
        check_node_expectations(node, prefix, report)
        check_node_safety(self, node, prefix, report)
        if self.connect:
            check_connect_support(node, prefix, report)
