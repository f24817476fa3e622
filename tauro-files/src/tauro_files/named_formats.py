"""Sources and sinks named after Spark's file formats: ``format: parquet`` is the spelling of
``.format("parquet")`` every Spark user knows.

Each name is the ``file_stream`` source / ``file`` sink with that file format fixed: the same
options (except ``options.format``), the same validation and the same behaviour.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from tauro.plugin import StreamingValidationError, find_option
from tauro_files.options import FORMAT, FORMATS, GENERIC_SINK, GENERIC_SOURCE
from tauro_files.reader import FileStreamReader
from tauro_files.validators import validate_file_output, validate_file_stream_input
from tauro_files.writer import FileStreamWriter

Validator = Callable[[Mapping[str, Any], Mapping[str, Any]], list[str]]


def _without_format(options: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in options.items() if k != FORMAT}


def named_reader(file_format: str) -> type[FileStreamReader]:
    attributes: dict[str, Any] = {
        "file_format": file_format,
        "optional_options": _without_format(FileStreamReader.optional_options),
        "__doc__": f"Spark's streaming {file_format} file source (``file_stream`` with "
        f"``options.format: {file_format}``).",
    }
    return type(f"{file_format.capitalize()}StreamReader", (FileStreamReader,), attributes)


def named_writer(file_format: str) -> type[FileStreamWriter]:
    attributes: dict[str, Any] = {
        "file_format": file_format,
        "optional_options": _without_format(FileStreamWriter.optional_options),
        "__doc__": f"Spark's {file_format} file sink (``file`` with ``options.format: {file_format}``).",
    }
    return type(f"{file_format.capitalize()}StreamWriter", (FileStreamWriter,), attributes)


def _fixed_format_validator(file_format: str, generic: str, validate: Validator) -> Validator:
    def validator(section: Mapping[str, Any], node: Mapping[str, Any]) -> list[str]:
        options = dict(section["options"])
        given = find_option(options, FORMAT)
        if given is not None and given[1].lower() != file_format:
            raise StreamingValidationError(
                f"'{given[1]}' contradicts format: {file_format}; remove options.{given[0]} (the "
                f"format name says the file format), or write format: {given[1].lower()}",
                field=f"options.{given[0]}",
            )
        if given is not None:
            del options[given[0]]
        # The generic validator with the file format set, exactly as if written the long way.
        return validate({**section, "options": {**options, FORMAT: file_format}}, node)

    validator.__name__ = f"validate_{file_format}_{'input' if generic == GENERIC_SOURCE else 'output'}"
    validator.__doc__ = f"``{generic}`` validation with ``options.format: {file_format}``."
    return validator


READERS: Mapping[str, type[FileStreamReader]] = {f: named_reader(f) for f in FORMATS}
WRITERS: Mapping[str, type[FileStreamWriter]] = {f: named_writer(f) for f in FORMATS}
INPUT_VALIDATORS: Mapping[str, Validator] = {
    f: _fixed_format_validator(f, GENERIC_SOURCE, validate_file_stream_input) for f in FORMATS
}
OUTPUT_VALIDATORS: Mapping[str, Validator] = {
    f: _fixed_format_validator(f, GENERIC_SINK, validate_file_output) for f in FORMATS
}
