"""Format policy: which formats a context allows, and batch <-> streaming format names."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

#: Batch format -> the streaming format that reads it; used to turn a batch name in a streaming
#: input into a precise hint.
DEFAULT_BATCH_TO_STREAMING: Mapping[str, str] = {
    "delta": "delta_stream",
    "parquet": "file_stream",
    "json": "file_stream",
    "csv": "file_stream",
    "orc": "file_stream",
    "text": "file_stream",
    "avro": "file_stream",
}


def _names(value: Any) -> frozenset[str] | None:
    if value is None:
        return None
    return frozenset(str(v).lower() for v in value)


@attrs.frozen(kw_only=True)
class FormatPolicy:
    """``inputs`` / ``outputs``: allowed format names (None: anything registered)."""

    inputs: frozenset[str] | None = attrs.field(default=None, converter=_names)
    outputs: frozenset[str] | None = attrs.field(default=None, converter=_names)
    batch_to_streaming: Mapping[str, str] = attrs.field(factory=lambda: dict(DEFAULT_BATCH_TO_STREAMING))

    @classmethod
    def from_mapping(cls, value: Mapping[str, Any] | None) -> FormatPolicy:
        if not value:
            return cls()
        mapping = dict(DEFAULT_BATCH_TO_STREAMING)
        mapping.update({str(k): str(v) for k, v in (value.get("batch_to_streaming") or {}).items()})
        return cls(inputs=value.get("inputs"), outputs=value.get("outputs"), batch_to_streaming=mapping)

    def check(self, role: str, format_name: str) -> str | None:
        """A problem message when ``format_name`` is not allowed for ``role`` (input/output)."""
        allowed = self.inputs if role == "input" else self.outputs
        if allowed is not None and format_name not in allowed:
            return (
                f"format '{format_name}' is not allowed as an {role} by this context's "
                f"format_policy; allowed: {', '.join(sorted(allowed))}"
            )
        return None

    def streaming_equivalent(self, format_name: str) -> str | None:
        return self.batch_to_streaming.get(format_name)
