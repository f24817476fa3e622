"""Every delta / delta_stream validation rule, through core's validator (no SparkSession)."""

from __future__ import annotations

from typing import Any

import pytest

from tauro.streaming.validators import StreamingValidator


def node(
    input_section: dict[str, Any] | None = None,
    output: dict[str, Any] | None = None,
    output_mode: str = "append",
) -> dict[str, Any]:
    return {
        "name": "n",
        "input": input_section or {"format": "rate"},
        "output": output or {"format": "delta", "path": "/data/out"},
        "streaming": {"trigger": {"type": "available_now"}, "output_mode": output_mode},
    }


def report(spec: dict[str, Any]) -> Any:
    return StreamingValidator().check_node(spec, require_output=True)


def problems(spec: dict[str, Any]) -> dict[str, str]:
    return {p.field or "": p.message for p in report(spec).problems}


def test_the_seed_examples_are_valid() -> None:
    seed_cdf = {
        "format": "delta_stream",
        "path": "/mnt/delta/source_table",
        "options": {"readChangeFeed": "true", "startingVersion": "latest", "skipChangeCommits": "false"},
    }
    assert report(node(seed_cdf, {"format": "console"})).problems == []
    assert (
        report(node({"format": "delta_stream", "path": "/t", "options": {"startingVersion": "0"}})).problems
        == []
    )
    merge = {
        "format": "delta",
        "table_name": "latest",
        "options": {"merge_keys": ["id"], "sequence_by": "seq"},
    }
    assert report(node(output=merge, output_mode="update")).problems == []


CASES = [
    # (id, input, output, output mode, field, part of the message)
    ("no-location", None, {"format": "delta"}, "append", "output.path", "needs 'path'"),
    (
        "both-locations",
        None,
        {"format": "delta", "path": "/a", "table_name": "a"},
        "append",
        "output.table_name",
        "not both",
    ),
    (
        "bad-name",
        None,
        {"format": "delta", "table_name": "my-table"},
        "append",
        "output.table_name",
        "not a table name",
    ),
    ("update-without-keys", None, None, "update", "output.options.merge_keys", "not update"),
    (
        "sequence-without-keys",
        None,
        {"format": "delta", "path": "/a", "options": {"sequence_by": "seq"}},
        "append",
        "output.options.sequence_by",
        "set options.merge_keys",
    ),
    (
        "empty-keys",
        None,
        {"format": "delta", "path": "/a", "options": {"merge_keys": []}},
        "append",
        "output.options.merge_keys",
        "name the key columns",
    ),
    (
        "bad-boolean",
        None,
        {"format": "delta", "path": "/a", "options": {"mergeSchema": "yes"}},
        "append",
        "output.options.mergeSchema",
        "true or false",
    ),
    (
        "bad-cdf-property",
        None,
        {"format": "delta", "path": "/a", "options": {"delta.enableChangeDataFeed": "on"}},
        "append",
        "output.options.delta.enableChangeDataFeed",
        "true or false",
    ),
    (
        "misspelt-sink-option",
        None,
        {"format": "delta", "path": "/a", "options": {"mergeSchem": True}},
        "append",
        "output.options.mergeSchem",
        "did you mean 'mergeSchema'",
    ),
    (
        "bad-version",
        {"format": "delta", "path": "/a", "options": {"startingVersion": "soon"}},
        None,
        "append",
        "input.options.startingVersion",
        "use a number >= 0 or latest",
    ),
    (
        "version-and-timestamp",
        {
            "format": "delta",
            "path": "/a",
            "options": {"startingVersion": 1, "startingTimestamp": "2026-01-01"},
        },
        None,
        "append",
        "input.options.startingTimestamp",
        "not both",
    ),
    (
        "bad-timestamp",
        {"format": "delta_stream", "path": "/a", "options": {"startingTimestamp": "yesterday"}},
        None,
        "append",
        "input.options.startingTimestamp",
        "not a timestamp",
    ),
    (
        "bad-file-limit",
        {"format": "delta", "path": "/a", "options": {"maxFilesPerTrigger": 0}},
        None,
        "append",
        "input.options.maxFilesPerTrigger",
        "positive whole number",
    ),
    (
        "bad-skip",
        {"format": "delta", "path": "/a", "options": {"skipChangeCommits": "maybe"}},
        None,
        "append",
        "input.options.skipChangeCommits",
        "true or false",
    ),
    (
        "cdf-off",
        {"format": "delta_stream", "path": "/a", "options": {"readChangeFeed": "false"}},
        None,
        "append",
        "input.options.readChangeFeed",
        "always reads the Change Data Feed",
    ),
    ("source-no-location", {"format": "delta_stream"}, None, "append", "input.path", "needs 'path'"),
    (
        "misspelt-source-option",
        {"format": "delta", "path": "/a", "options": {"startingVersoin": 1}},
        None,
        "append",
        "input.options.startingVersoin",
        "did you mean 'startingVersion'",
    ),
]


@pytest.mark.parametrize(
    ("input_section", "output", "mode", "field", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_each_rule_names_its_field(
    input_section: dict[str, Any] | None, output: dict[str, Any] | None, mode: str, field: str, message: str
) -> None:
    found = problems(node(input_section, output, mode))
    matching = {k: v for k, v in found.items() if k.endswith(field)}
    assert matching, found
    assert message in next(iter(matching.values())), found


def test_unknown_far_option_is_a_warning_not_an_error() -> None:
    checked = report(node(output={"format": "delta", "path": "/a", "options": {"compression": "zstd"}}))
    assert checked.problems == []
    assert any("options.compression" in w for w in checked.warnings)
