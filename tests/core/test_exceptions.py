from __future__ import annotations

import pytest

from tauro.redaction import REDACTED, is_secret_key, redact, redact_text, remember_secret
from tauro.streaming.exceptions import (
    CONTEXT_KEYS,
    StreamingError,
    StreamingFormatNotSupportedError,
    StreamingPipelineError,
    StreamingQueryError,
    StreamingValidationError,
    create_error_context,
    handle_streaming_error,
)


def test_hierarchy_matches_the_seed() -> None:
    for cls in (
        StreamingValidationError,
        StreamingFormatNotSupportedError,
        StreamingQueryError,
        StreamingPipelineError,
    ):
        assert issubclass(cls, StreamingError)


def test_context_always_has_the_documented_keys() -> None:
    error = StreamingValidationError(
        "Input format is required", field="input.format", expected="str", actual="None", node_name="my_node"
    )
    assert set(CONTEXT_KEYS) <= set(error.context)
    assert error.context["field"] == "input.format"
    assert error.context["node_name"] == "my_node"
    assert error.context["component"] == "StreamingValidator"


def test_create_error_context_redacts_secret_fields() -> None:
    context = create_error_context(
        field="input.options.kafka.ssl.keystore.password", actual="pa55word!", details={"token": "abc123xyz"}
    )
    assert context["actual"] == REDACTED
    assert context["details"] == {"token": REDACTED}


@pytest.mark.parametrize(
    "key,secret",
    [
        ("password", True),
        ("kafka.sasl.jaas.config", True),
        ("kafka.ssl.key.password", True),
        ("kafka.ssl.truststore.password", True),
        ("awsSecretKey", True),
        ("secretKey", True),
        ("sessionToken", True),
        ("credentials", True),
        ("key", False),
        ("keys", False),
        ("partitionKey", False),
        ("kafka.sasl.mechanism", False),
        ("subscribe", False),
    ],
)
def test_secret_keys(key: str, secret: bool) -> None:
    assert is_secret_key(key) is secret


def test_known_secrets_are_scrubbed_from_any_text() -> None:
    remember_secret("sUp3r-s3cret-value")
    text = "org.apache.kafka.common.KafkaException: Failed: password=sUp3r-s3cret-value in jaas"
    assert "sUp3r-s3cret-value" not in redact_text(text)
    assert redact_text('username="u" password="abc"') == 'username="u" password="***"'
    assert redact({"options": {"kafka.sasl.jaas.config": "x y z"}}) == {
        "options": {"kafka.sasl.jaas.config": REDACTED}
    }


def test_handle_streaming_error_wraps_foreign_exceptions() -> None:
    class StreamingQueryManager:
        @handle_streaming_error
        def create_and_start_query(self, node_config: dict[str, str]) -> None:
            raise KeyError("missing")

    with pytest.raises(StreamingQueryError) as info:
        StreamingQueryManager().create_and_start_query({"name": "n1"})
    assert info.value.context["operation"] == "create_and_start_query"
    assert info.value.context["component"] == "StreamingQueryManager"
    assert info.value.context["node_name"] == "n1"
    assert isinstance(info.value.__cause__, KeyError)


def test_handle_streaming_error_keeps_tauro_errors() -> None:
    @handle_streaming_error
    def fails() -> None:
        raise StreamingValidationError("bad", field="x")

    with pytest.raises(StreamingValidationError) as info:
        fails()
    assert info.value.field == "x"


def test_pipeline_component_gives_pipeline_errors() -> None:
    class StreamingPipelineManager:
        @handle_streaming_error
        def start_pipeline(self) -> None:
            raise ValueError("x")

    with pytest.raises(StreamingPipelineError):
        StreamingPipelineManager().start_pipeline()
