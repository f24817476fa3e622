"""A conformance suite for format plugins: subclass ``FormatConformance`` in a test module.

The suite checks a format's reader and writer against Tauro's plugin contract: registration,
well-formed class attributes, the validation contract (a valid section validates, and fits the
JSON Schema ``tauro schema`` prints; a missing
required option or field and an unknown option are reported with the field's name), preflight
(raises ``StreamingValidationError`` or nothing), redaction of secret options, and a round trip
with real Spark (rows written through the writer and read back through the reader).

    from tauro.testing import FormatConformance

    class TestAcmeConformance(FormatConformance):
        format = "acme"
        plugin = "acme"                      # the entry-point name that registers it
        input = {"options": {"endpoint": "{endpoint}", "queue": "{name}"}}
        output = {"options": {"endpoint": "{endpoint}", "queue": "{name}"}}
        secret_options = {"apiToken": "s3cr3t-t0ken"}

        @pytest.fixture
        def target(self, acme_server, tmp_path):   # values for the {placeholders}
            return {"endpoint": acme_server.url, "name": acme_server.new_queue(), "tmp": str(tmp_path)}

String values of ``input`` and ``output`` are ``str.format``-ed with the ``target`` fixture
(default: ``{"tmp": <tmp_path>}``), so each test gets its own table, topic or directory.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import pytest

from tauro.streaming.exceptions import StreamingError, StreamingValidationError

#: An option name no format knows (for the unknown-option check).
UNKNOWN_OPTION = "tauroConformanceUnknownOption"
_OUTPUT_MODES = frozenset({"append", "complete", "update"})


def _format_strings(value: Any, target: Mapping[str, Any]) -> Any:
    if isinstance(value, str):
        return value.format_map(target)
    if isinstance(value, Mapping):
        return {k: _format_strings(v, target) for k, v in value.items()}
    if isinstance(value, list):
        return [_format_strings(v, target) for v in value]
    return value


def _problems(error: StreamingValidationError) -> list[tuple[str, str]]:
    return [(p.field or "", p.message) for p in error.problems] or [(error.field or "", error.message)]


class FormatConformance:
    """Base test class: set the class attributes, override ``target`` when the format needs a
    service (a broker, an emulator). Every check is a ``test_*`` method pytest collects on the
    subclass (the base itself is not collected: its name does not start with ``Test``).
    """

    #: The format name under test (``format:`` in a pipeline).
    format: ClassVar[str]
    #: The plugin that must register it: its ``tauro.plugins`` entry-point name ("builtin" for
    #: core's own formats). None skips the owner check.
    plugin: ClassVar[str | None] = None
    #: The writer's format name when it differs from the reader's (``file_stream`` / ``file``).
    writer_format: ClassVar[str | None] = None
    #: What the format provides: a reader ("input"), a writer ("output"), or both.
    roles: ClassVar[tuple[str, ...]] = ("input", "output")
    #: A valid input / output section without ``format`` (placeholders filled from ``target``).
    input: ClassVar[Mapping[str, Any]] = {}
    output: ClassVar[Mapping[str, Any]] = {}
    #: Fields of each section whose absence validation must report by name. None: the reader's
    #: / writer's ``required_options`` as ``options.<name>``.
    required_input_fields: ClassVar[tuple[str, ...] | None] = None
    required_output_fields: ClassVar[tuple[str, ...] | None] = None
    #: "reported": an unknown option is an error naming ``options.<name>`` or a warning naming
    #: it; "ignored": the format passes options through unchecked (say why in a comment).
    unknown_options: ClassVar[str] = "reported"
    #: Options holding secrets, with a sample value that must never appear in an error message,
    #: its context or ``redact``-ed options.
    secret_options: ClassVar[Mapping[str, str]] = {}
    #: Rows the round trip writes (through ``tauro.testing``'s row input) and their schema.
    sample_rows: ClassVar[list[dict[str, Any]]] = [
        {"id": 1, "name": "alpha"},
        {"id": 2, "name": "beta"},
        {"id": 3, "name": "gamma"},
    ]
    sample_schema: ClassVar[str] = "id BIGINT, name STRING"
    #: Rows the reader must return (their columns are compared; other columns are ignored).
    #: None: ``sample_rows`` after a round trip; nothing compared for a reader alone.
    expected_rows: ClassVar[list[dict[str, Any]] | None] = None
    #: Write then read back in one pipeline; False when reader and writer do not share storage
    #: (each half then runs on its own).
    round_trip: ClassVar[bool] = True
    #: An input section (without ``format``) whose preflight must fail with a named field, e.g.
    #: a table that does not exist. None skips that check.
    failing_preflight_input: ClassVar[Mapping[str, Any] | None] = None
    #: Streaming settings of the round trip's nodes (e.g. an output mode).
    streaming: ClassVar[Mapping[str, Any]] = {}

    # -- fixtures and helpers (override ``target`` for services) -------------------------------
    @pytest.fixture
    def target(self, tmp_path: Path) -> dict[str, Any]:
        """Values for the sections' ``{placeholders}``; override it to add a service's."""
        return {"tmp": str(tmp_path)}

    def input_section(self, target: Mapping[str, Any]) -> dict[str, Any]:
        return {"format": self.format, **_format_strings(copy.deepcopy(dict(self.input)), target)}

    def output_section(self, target: Mapping[str, Any]) -> dict[str, Any]:
        fmt = self.writer_format or self.format
        return {"format": fmt, **_format_strings(copy.deepcopy(dict(self.output)), target)}

    def _provides(self, role: str) -> bool:
        return role in self.roles

    def _node(
        self, target: Mapping[str, Any], role: str, section: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """A node exercising one side of the format; the other side is a neutral builtin."""
        if role == "input":
            return {
                "name": "conformance",
                "input": dict(section) if section is not None else self.input_section(target),
                "output": {"format": "noop"},
            }
        return {
            "name": "conformance",
            "input": {"format": "rate"},
            "output": dict(section) if section is not None else self.output_section(target),
        }

    @staticmethod
    def _validate(node: Mapping[str, Any]) -> list[str]:
        from tauro.streaming.validators import StreamingValidator

        report = StreamingValidator().validate_streaming_node_config(node, require_output=True)
        return list(report.warnings)

    def _component(self, role: str) -> Any:
        from tauro.streaming.readers import StreamingReaderFactory
        from tauro.streaming.writers import StreamingWriterFactory

        if role == "input":
            return StreamingReaderFactory.get_reader_class(self.format)
        return StreamingWriterFactory.get_writer_class(self.writer_format or self.format)

    def _roles(self) -> list[str]:
        unknown = sorted(set(self.roles) - {"input", "output"})
        assert not unknown, f"roles may hold 'input' and 'output', not {unknown}"
        return list(self.roles)

    # -- registration -------------------------------------------------------------------------
    def test_registered_by_its_plugin(self) -> None:
        from tauro.plugins import get_registry

        registry = get_registry()
        for role in self._roles():
            table = registry.readers if role == "input" else registry.writers
            kind = "reader" if role == "input" else "writer"
            name = self.format if role == "input" else self.writer_format or self.format
            assert name in table, (
                f"no {kind} is registered for format '{name}'; registered: {', '.join(sorted(table))}"
            )
            owner = (registry.reader if role == "input" else registry.writer)(name).plugin
            if self.plugin is not None:
                assert owner == self.plugin, f"the {kind} of '{name}' is registered by '{owner}'"
        if self.plugin not in (None, "builtin"):
            from importlib.metadata import entry_points

            names = {ep.name for ep in entry_points(group="tauro.plugins")}
            assert self.plugin in names, (
                f"no entry point '{self.plugin}' in group 'tauro.plugins' (installed: {sorted(names)}); "
                f'declare [project.entry-points."tauro.plugins"] {self.plugin} = "<module>"'
            )

    def test_class_attributes_are_well_formed(self) -> None:
        from tauro.streaming.readers import BaseStreamingReader
        from tauro.streaming.writers import BaseStreamingWriter

        for role in self._roles():
            cls = self._component(role)
            where = f"{cls.__module__}.{cls.__qualname__}"
            base = BaseStreamingReader if role == "input" else BaseStreamingWriter
            assert issubclass(cls, base), f"{where} must subclass {base.__name__}"
            required = cls.required_options
            assert isinstance(required, tuple) and all(isinstance(o, str) for o in required), (
                f"{where}.required_options must be a tuple of option names, not {required!r}"
            )
            assert isinstance(cls.optional_options, Mapping), (
                f"{where}.optional_options must be a mapping of option name to default, "
                f"not {type(cls.optional_options).__name__}"
            )
            assert isinstance(cls.structured_options, frozenset | set), (
                f"{where}.structured_options must be a frozenset of option names"
            )
            assert cls.spark_format is None or isinstance(cls.spark_format, str), (
                f"{where}.spark_format must be a string or None"
            )
            if role == "input":
                assert cls.payload_column is None or isinstance(cls.payload_column, str), (
                    f"{where}.payload_column must be a column name or None"
                )
                assert isinstance(cls.metadata_columns, tuple), f"{where}.metadata_columns must be a tuple"
                assert isinstance(cls.spark_counts_rows, bool), f"{where}.spark_counts_rows must be a bool"
            else:
                modes = cls.supported_output_modes
                assert modes is None or (
                    isinstance(modes, frozenset | set) and set(modes) <= _OUTPUT_MODES
                ), f"{where}.supported_output_modes must be None or a subset of {sorted(_OUTPUT_MODES)}"

    # -- validation contract -------------------------------------------------------------------
    def test_valid_sections_validate(self, target: Mapping[str, Any]) -> None:
        for role in self._roles():
            self._validate(self._node(target, role))

    def test_valid_sections_fit_the_editor_schema(self, target: Mapping[str, Any]) -> None:
        """What ``tauro schema`` gives editors accepts the valid sections (the class's
        ``options_schema`` agrees with its validator)."""
        jsonschema = pytest.importorskip("jsonschema", reason="install jsonschema to check the editor schema")
        from tauro.config.json_schema import pipeline_schema

        validator = jsonschema.Draft202012Validator(pipeline_schema())
        for role in self._roles():
            errors = [
                f"{e.json_path}: {e.message}"
                for e in validator.iter_errors({"nodes": [self._node(target, role)]})
            ]
            assert errors == [], f"tauro schema refuses the valid {role} section: {errors}"

    def _required_fields(self, role: str) -> tuple[str, ...]:
        given = self.required_input_fields if role == "input" else self.required_output_fields
        if given is not None:
            return given
        return tuple(f"options.{name}" for name in self._component(role).required_options)

    def test_missing_required_fields_are_named(self, target: Mapping[str, Any]) -> None:
        checked = 0
        for role in self._roles():
            for field in self._required_fields(role):
                section = self.input_section(target) if role == "input" else self.output_section(target)
                # "options.kafka.bootstrap.servers": option names may hold dots themselves.
                key, _, option = field.partition(".")
                holder: Any = section.get(key, {}) if option else section
                leaf = option or key
                assert leaf in holder, (
                    f"{field} is listed as required but the valid {role} section does not set it"
                )
                del holder[leaf]
                with pytest.raises(StreamingValidationError) as raised:
                    self._validate(self._node(target, role, section))
                fields = [f for f, _ in _problems(raised.value)]
                assert any(f.endswith(f"{role}.{field}") for f in fields), (
                    f"without {role}.{field} validation reported {fields}, not the missing field"
                )
                checked += 1
        if not checked:
            pytest.skip(f"format '{self.format}' declares no required option or field")

    def test_unknown_option_is_named(self, target: Mapping[str, Any]) -> None:
        if self.unknown_options == "ignored":
            pytest.skip(f"format '{self.format}' passes options through unchecked")
        assert self.unknown_options == "reported", "unknown_options is 'reported' or 'ignored'"
        for role in self._roles():
            section = self.input_section(target) if role == "input" else self.output_section(target)
            section.setdefault("options", {})[UNKNOWN_OPTION] = "1"
            try:
                warnings = self._validate(self._node(target, role, section))
            except StreamingValidationError as exc:
                fields = [f for f, _ in _problems(exc)]
                assert any(f.endswith(f"{role}.options.{UNKNOWN_OPTION}") for f in fields), (
                    f"an unknown {role} option failed validation naming {fields}, not the option"
                )
                continue
            assert any(UNKNOWN_OPTION in w for w in warnings), (
                f"an unknown {role} option '{UNKNOWN_OPTION}' passed validation without an error or a "
                f"warning naming it (warnings: {warnings}); report it, or set unknown_options = 'ignored'"
            )

    def test_secret_options_are_redacted(self, target: Mapping[str, Any]) -> None:
        from tauro.redaction import REDACTED, is_secret_key, redact

        if not self.secret_options:
            pytest.skip(f"format '{self.format}' declares no secret options")
        for option, value in self.secret_options.items():
            assert is_secret_key(option), f"option '{option}' is not recognised as holding a secret"
            for role in self._roles():
                section = self.input_section(target) if role == "input" else self.output_section(target)
                options = section.setdefault("options", {})
                options[option] = value
                assert redact(options)[option] == REDACTED
                # An invalid node that carries the secret: the error must not show it.
                options[UNKNOWN_OPTION] = ["not", "a", "scalar"]
                node = self._node(target, role, section)
                node["streaming"] = {"output_mode": "not-a-mode"}
                with pytest.raises(StreamingError) as raised:
                    self._validate(node)
                error = raised.value
                shown = " ".join(
                    [str(error), json.dumps(error.context, default=str), *(p.message for p in _all(error))]
                )
                assert value not in shown, f"the value of secret option '{option}' appears in: {shown}"

    # -- preflight ------------------------------------------------------------------------------
    def test_preflight_raises_only_validation_errors(
        self, target: Mapping[str, Any], tauro_context: Any
    ) -> None:
        from tauro.streaming.query_build import reader_options, writer_options
        from tauro.streaming.validators import StreamingValidator

        spark = tauro_context.spark
        for role in self._roles():
            report = StreamingValidator().validate_streaming_node_config(self._node(target, role))
            normalized = report.nodes[0].normalized
            component = self._component(role)(tauro_context)
            options = (
                reader_options(normalized["input"])
                if role == "input"
                else writer_options(normalized["output"])
            )
            try:
                component.preflight(spark, **options)
            except StreamingValidationError as exc:
                assert exc.message, "a preflight error must say what is wrong"
        if self.failing_preflight_input is not None:
            section = {"format": self.format, **_format_strings(dict(self.failing_preflight_input), target)}
            report = StreamingValidator().validate_streaming_node_config(self._node(target, "input", section))
            reader = self._component("input")(tauro_context)
            with pytest.raises(StreamingValidationError) as raised:
                reader.preflight(spark, **reader_options(report.nodes[0].normalized["input"]))
            assert raised.value.message

    # -- with real Spark ------------------------------------------------------------------------
    def round_trip_pipeline(self, target: Mapping[str, Any]) -> dict[str, Any]:
        """The pipeline of ``test_round_trip``: ``write`` (rows -> the format) and ``read``
        (the format -> collected), the second after the first when ``round_trip`` is set."""
        nodes: list[dict[str, Any]] = []
        streaming = dict(self.streaming)
        if self._provides("output"):
            nodes.append(
                {
                    "name": "write",
                    "input": {"format": "memory", "schema": self.sample_schema},
                    "output": self.output_section(target),
                    "streaming": streaming,
                }
            )
        if self._provides("input"):
            read: dict[str, Any] = {
                "name": "read",
                "input": self.input_section(target),
                "output": {"format": "noop"},
                "streaming": streaming,
            }
            if self.round_trip and nodes:
                read["depends_on"] = ["write"]
            nodes.append(read)
        return {"name": f"conformance_{self.format}", "nodes": nodes}

    def test_round_trip(self, target: Mapping[str, Any], tauro_context: Any) -> None:
        from tauro.testing.pipeline import PipelineRunner, Rows

        pipeline = self.round_trip_pipeline(target)
        names = [n["name"] for n in pipeline["nodes"]]
        inputs = {"write": Rows(self.sample_rows, self.sample_schema)} if "write" in names else {}
        result = PipelineRunner(tauro_context).run(
            pipeline, inputs=inputs, collect=[n for n in names if n == "read"]
        )
        assert all(s.get("state") == "completed" for s in result.status["query_statuses"].values()), (
            result.status
        )
        if "read" not in names:
            return
        expected = self.expected_rows
        if expected is None and self.round_trip and "write" in names:
            expected = self.sample_rows
        if expected is None:
            return
        columns = sorted({c for row in expected for c in row})
        got = sorted(repr([_plain(r.get(c)) for c in columns]) for r in result.rows("read"))
        want = sorted(repr([_plain(r.get(c)) for c in columns]) for r in expected)
        assert got == want, f"read back {columns}: {got}, expected {want}"


def _plain(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", "replace")
    return value


def _all(error: StreamingError) -> list[StreamingError]:
    problems = getattr(error, "problems", None) or []
    return [error, *problems]
