"""Validators of ``kinesis`` inputs and outputs (no SparkSession, no boto3).

``check_source_options`` / ``check_sink_options`` list (field, message) problems of the options
alone; the data source runs them too, so ``spark.readStream.format("kinesis")`` used without
Tauro fails with the same messages. The Tauro validators add the section-level rules and raise
every problem together as one ``StreamingValidationError``. Secret values are never quoted.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

from tauro.plugin import StreamingValidationError, unknown_options
from tauro_kinesis.options import (
    ACCESS_KEY_ID,
    DATA_COLUMN,
    DEFAULT_DATA_COLUMN,
    DEFAULT_PARTITION_KEY_COLUMN,
    ENDPOINT_URL,
    EXPLICIT_HASH_KEY_COLUMN,
    MAX_RECORDS_PER_REQUEST,
    MAX_RECORDS_PER_SHARD,
    MAX_RETRIES,
    PARTITION_KEY_COLUMN,
    PROFILE,
    PUT_RECORDS_MAX_COUNT,
    REGION,
    RETRY_BACKOFF_MS,
    ROLE_ARN,
    ROLE_EXTERNAL_ID,
    ROLE_SESSION_NAME,
    SECRET_KEY,
    SESSION_TOKEN,
    SINK_OPTIONS,
    SOURCE_OPTIONS,
    STARTING_POSITION,
    STARTING_POSITIONS,
    STARTING_TIMESTAMP,
    STREAM_ARN,
    STREAM_ARN_PATTERN,
    STREAM_NAME,
    STS_ENDPOINT_URL,
    lookup,
)

Problem = tuple[str, str]

_STREAM_NAME = re.compile(r"[A-Za-z0-9_.-]{1,128}")
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}")
_ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}")
_ROLE_SESSION_NAME = re.compile(r"[\w+=,.@-]{2,64}")


def _field(options: Mapping[str, Any], name: str) -> str:
    found = lookup(options, name)
    return f"options.{found[0] if found else name}"


def _check_known(options: Mapping[str, Any], known: Sequence[str], what: str) -> list[Problem]:
    return [
        (
            f"options.{key}",
            f"is not an option of the kinesis {what}; "
            f"{f'did you mean {close}? ' if close else ''}known options: {', '.join(known)}",
        )
        for key, close in unknown_options(options, known, cutoff=0.6)
    ]


def _check_url(options: Mapping[str, Any], name: str) -> list[Problem]:
    found = lookup(options, name)
    if found is None:
        return []
    parsed = urlparse(found[1])
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        return [
            (
                f"options.{found[0]}",
                f"'{found[1]}' is not an http(s) URL; give e.g. https://kinesis.eu-west-1.amazonaws.com "
                "or http://127.0.0.1:4568 for an emulator",
            )
        ]
    return []


def _check_stream(options: Mapping[str, Any]) -> list[Problem]:
    name, arn = lookup(options, STREAM_NAME), lookup(options, STREAM_ARN)
    if name is None and arn is None:
        return [
            (
                f"options.{STREAM_NAME}",
                f"is required: the name of the Kinesis stream (or give options.{STREAM_ARN} instead)",
            )
        ]
    if name and arn:
        return [(f"options.{arn[0]}", f"give either {STREAM_NAME} or {STREAM_ARN}, not both; keep one")]
    if name and not _STREAM_NAME.fullmatch(name[1]):
        return [
            (
                f"options.{name[0]}",
                f"'{name[1]}' is not a Kinesis stream name: 1 to 128 letters, digits, '_', '-' or '.'",
            )
        ]
    if arn and not STREAM_ARN_PATTERN.fullmatch(arn[1]):
        return [
            (
                f"options.{arn[0]}",
                f"'{arn[1]}' is not a Kinesis stream ARN; it looks like "
                "arn:aws:kinesis:eu-west-1:123456789012:stream/my-stream",
            )
        ]
    return []


def _check_region(options: Mapping[str, Any]) -> list[Problem]:
    region, arn = lookup(options, REGION), lookup(options, STREAM_ARN)
    arn_match = STREAM_ARN_PATTERN.fullmatch(arn[1]) if arn else None
    if region is None:
        if arn_match or lookup(options, ENDPOINT_URL) or lookup(options, PROFILE):
            return []
        return [
            (
                f"options.{REGION}",
                "is required: the AWS region of the stream, e.g. eu-west-1 (it may be left out when "
                f"options.{STREAM_ARN}, options.{ENDPOINT_URL} or options.{PROFILE} is given)",
            )
        ]
    if not _REGION.fullmatch(region[1]):
        return [(f"options.{region[0]}", f"'{region[1]}' is not an AWS region name such as eu-west-1")]
    if arn_match and arn_match["region"] != region[1]:
        return [
            (
                f"options.{region[0]}",
                f"'{region[1]}' differs from the region in {STREAM_ARN} ('{arn_match['region']}'); "
                "remove options.region or make them agree",
            )
        ]
    return []


def _check_credentials(options: Mapping[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    key_id, secret, token = (lookup(options, n) for n in (ACCESS_KEY_ID, SECRET_KEY, SESSION_TOKEN))
    if key_id and not secret:
        problems.append(
            (f"options.{SECRET_KEY}", f"is required with {ACCESS_KEY_ID}: give both keys, or neither")
        )
    if secret and not key_id:
        problems.append(
            (f"options.{ACCESS_KEY_ID}", f"is required with {SECRET_KEY}: give both keys, or neither")
        )
    if token and not (key_id and secret):
        problems.append(
            (
                f"options.{token[0]}",
                f"is only used with {ACCESS_KEY_ID} and {SECRET_KEY}; give them too or remove it",
            )
        )
    profile = lookup(options, PROFILE)
    if profile and (key_id or secret):
        problems.append(
            (
                f"options.{profile[0]}",
                f"give either a profile or keys ({ACCESS_KEY_ID}/{SECRET_KEY}), not both",
            )
        )
    if profile is not None and not profile[1].strip():
        problems.append((f"options.{profile[0]}", "is empty; name a profile of ~/.aws/config or remove it"))
    role = lookup(options, ROLE_ARN)
    if role and not _ROLE_ARN.fullmatch(role[1]):
        problems.append(
            (
                f"options.{role[0]}",
                f"'{role[1]}' is not an IAM role ARN such as arn:aws:iam::123456789012:role/reader",
            )
        )
    session_name, external_id = lookup(options, ROLE_SESSION_NAME), lookup(options, ROLE_EXTERNAL_ID)
    for found in (session_name, external_id):
        if found and not role:
            problems.append(
                (f"options.{found[0]}", f"is only used with {ROLE_ARN}; give the role too or remove it")
            )
    if session_name and not _ROLE_SESSION_NAME.fullmatch(session_name[1]):
        problems.append(
            (
                f"options.{session_name[0]}",
                f"'{session_name[1]}' is not a role session name: 2 to 64 letters, digits or +=,.@_-",
            )
        )
    if external_id and not 2 <= len(external_id[1]) <= 1224:
        problems.append((f"options.{external_id[0]}", "must have 2 to 1224 characters"))
    return problems


def _check_whole_number(
    options: Mapping[str, Any], name: str, low: int, high: int | None = None, unit: str = ""
) -> list[Problem]:
    found = lookup(options, name)
    if found is None:
        return []
    text = found[1].strip()
    if not text.isdigit() or int(text) < low or (high is not None and int(text) > high):
        bound = f"from {low} to {high}" if high is not None else f"of at least {low}"
        return [(f"options.{found[0]}", f"must be a whole number {bound}{unit}, not '{found[1]}'")]
    return []


def parse_timestamp_ms(text: str) -> int:
    """``startingTimestamp`` as epoch milliseconds: ISO-8601 (UTC when no offset) or epoch ms."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def _check_starting(options: Mapping[str, Any]) -> list[Problem]:
    position, stamp = lookup(options, STARTING_POSITION), lookup(options, STARTING_TIMESTAMP)
    if position and position[1].upper() not in STARTING_POSITIONS:
        return [
            (
                f"options.{position[0]}",
                f"'{position[1]}' is not a starting position; use {', '.join(STARTING_POSITIONS)}",
            )
        ]
    at_timestamp = position is not None and position[1].upper() == "AT_TIMESTAMP"
    if at_timestamp and stamp is None:
        return [
            (
                f"options.{STARTING_TIMESTAMP}",
                "is required with startingPosition AT_TIMESTAMP: an ISO-8601 time such as "
                "2026-01-31T12:00:00Z, or epoch milliseconds",
            )
        ]
    if stamp and not at_timestamp:
        return [
            (
                f"options.{stamp[0]}",
                f"is only used with {STARTING_POSITION}: AT_TIMESTAMP; set it or remove this",
            )
        ]
    if stamp:
        try:
            parse_timestamp_ms(stamp[1])
        except ValueError:
            return [
                (
                    f"options.{stamp[0]}",
                    f"'{stamp[1]}' is not a time; use ISO-8601 such as 2026-01-31T12:00:00Z, "
                    "or epoch milliseconds",
                )
            ]
    return []


def _check_connection(options: Mapping[str, Any]) -> list[Problem]:
    return [
        *_check_stream(options),
        *_check_region(options),
        *_check_url(options, ENDPOINT_URL),
        *_check_url(options, STS_ENDPOINT_URL),
        *_check_credentials(options),
    ]


def check_source_options(options: Mapping[str, Any]) -> list[Problem]:
    """Problems of a source's options, as (field, message)."""
    return [
        *_check_known(options, SOURCE_OPTIONS, "source"),
        *_check_connection(options),
        *_check_starting(options),
        *_check_whole_number(options, MAX_RECORDS_PER_SHARD, 1, unit=" (records per shard per micro-batch)"),
    ]


def _check_column(
    options: Mapping[str, Any], name: str, default: str | None, columns: Iterable[str] | None
) -> list[Problem]:
    found = lookup(options, name)
    if found is not None and not found[1].strip():
        return [(f"options.{found[0]}", "is empty; name a column of the output DataFrame")]
    column = found[1] if found else default
    if columns is None or column is None:
        return []
    present = list(columns)
    if column in present:
        return []
    close = difflib.get_close_matches(column, present, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    default_note = "" if found else f" (the default of options.{name})"
    return [
        (
            _field(options, name),
            f"column '{column}'{default_note} is not in the output{hint}; its columns are "
            f"{', '.join(present)}. Add the column in a transform, or set options.{name}",
        )
    ]


def check_sink_options(options: Mapping[str, Any], columns: Iterable[str] | None = None) -> list[Problem]:
    """Problems of a sink's options; with ``columns``, also that the named columns exist."""
    columns = list(columns) if columns is not None else None
    return [
        *_check_known(options, SINK_OPTIONS, "sink"),
        *_check_connection(options),
        *_check_whole_number(
            options, MAX_RECORDS_PER_REQUEST, 1, PUT_RECORDS_MAX_COUNT, " (Kinesis' limit per call)"
        ),
        *_check_whole_number(options, MAX_RETRIES, 0),
        *_check_whole_number(options, RETRY_BACKOFF_MS, 1, unit=" (milliseconds)"),
        *_check_column(options, DATA_COLUMN, DEFAULT_DATA_COLUMN, columns),
        *_check_column(options, PARTITION_KEY_COLUMN, DEFAULT_PARTITION_KEY_COLUMN, columns),
        *_check_column(options, EXPLICIT_HASH_KEY_COLUMN, None, columns),
    ]


# -- Tauro's validators --------------------------------------------------------------------------
def _raise_or_warn(problems: list[Problem], warnings: list[str]) -> list[str]:
    if problems:
        errors = [StreamingValidationError(message, field=field) for field, message in problems]
        first = errors[0]
        raise StreamingValidationError(first.message, field=first.field, problems=errors)
    return warnings


def _continuous(node: Mapping[str, Any]) -> list[Problem]:
    trigger = (node.get("streaming") or {}).get("trigger") or {}
    if trigger.get("type") == "continuous":
        return [
            (
                "format",
                "kinesis is a Spark Python data source, which does not support continuous processing; "
                "use a processing_time or available_now trigger",
            )
        ]
    return []


def _no_location(section: Mapping[str, Any]) -> list[Problem]:
    return [
        (key, f"is not used by kinesis; name the stream in options.{STREAM_NAME} and remove {key}")
        for key in ("path", "table_name")
        if section.get(key)
    ]


def validate_kinesis_input(section: Mapping[str, Any], node: Mapping[str, Any]) -> list[str]:
    """Validate a ``kinesis`` input section."""
    options = section.get("options") or {}
    problems = [*_no_location(section), *check_source_options(options), *_continuous(node)]
    if section.get("schema") is not None:
        problems.append(
            (
                "schema",
                "must not be set: the kinesis source's columns are fixed (data, partitionKey, "
                "sequenceNumber, approximateArrivalTimestamp, shardId, streamName); type the payload "
                "with parse_json and json_schema",
            )
        )
    return _raise_or_warn(problems, [])


def validate_kinesis_output(section: Mapping[str, Any], node: Mapping[str, Any]) -> list[str]:
    """Validate a ``kinesis`` output (or dead-letter) section."""
    options = section.get("options") or {}
    problems = [*_no_location(section), *check_sink_options(options), *_continuous(node)]
    if section.get("partition_by"):
        problems.append(
            (
                "partition_by",
                f"is not used by kinesis; records are spread over shards by options.{PARTITION_KEY_COLUMN}",
            )
        )
    return _raise_or_warn(problems, [])
