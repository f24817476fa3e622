"""Schemas given as Spark DDL strings, Spark JSON dicts or ``StructType``.

DDL is parsed here, without a JVM, into Spark's JSON schema form, so validation can check
column names and types (e.g. a watermark column) before any SparkSession exists.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

_SIMPLE = {
    "string": "string",
    "varchar": "string",
    "char": "string",
    "text": "string",
    "int": "integer",
    "integer": "integer",
    "bigint": "long",
    "long": "long",
    "smallint": "short",
    "short": "short",
    "tinyint": "byte",
    "byte": "byte",
    "double": "double",
    "float": "float",
    "real": "float",
    "boolean": "boolean",
    "bool": "boolean",
    "timestamp": "timestamp",
    "timestamp_ltz": "timestamp",
    "timestamp_ntz": "timestamp_ntz",
    "date": "date",
    "binary": "binary",
    "decimal": "decimal(10,0)",
    "dec": "decimal(10,0)",
    "numeric": "decimal(10,0)",
    "void": "void",
    "variant": "variant",
}
_TOKEN = re.compile(
    r"\s*(?:(?P<quoted>`(?:[^`]|``)*`)|(?P<string>'(?:[^'\\]|\\.)*')|(?P<word>[A-Za-z_][\w]*)|"
    r"(?P<num>\d+)|(?P<sym>[<>(),:]))"
)


class SchemaError(ValueError):
    """A schema could not be understood; the message says why and what is accepted."""


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise SchemaError(f"unexpected character {text[pos]!r} at position {pos} in DDL")
        kind = match.lastgroup or ""
        value = match.group(kind)
        tokens.append((kind, value))
        pos = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, expected: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise SchemaError(f"DDL ends early; expected {expected or 'more'}")
        if expected is not None and token[1].lower() != expected:
            raise SchemaError(f"expected {expected!r} but found {token[1]!r} in DDL")
        self.i += 1
        return token

    def name(self) -> str:
        kind, value = self.take()
        if kind == "quoted":
            return value[1:-1].replace("``", "`")
        if kind != "word":
            raise SchemaError(f"expected a column name but found {value!r} in DDL")
        return value

    def fields(self, closing: str | None) -> list[dict[str, Any]]:
        fields: list[dict[str, Any]] = []
        while True:
            name = self.name()
            token = self.peek()
            if token is not None and token[1] == ":":
                self.take(":")
            data_type = self.data_type()
            nullable = True
            metadata: dict[str, Any] = {}
            while (token := self.peek()) is not None and token[0] == "word":
                word = token[1].lower()
                if word == "not":
                    self.take()
                    self.take("null")
                    nullable = False
                elif word == "comment":
                    self.take()
                    kind, text = self.take()
                    if kind != "string":
                        raise SchemaError("COMMENT must be followed by a quoted string in DDL")
                    metadata["comment"] = text[1:-1]
                else:
                    break
            fields.append({"name": name, "type": data_type, "nullable": nullable, "metadata": metadata})
            token = self.peek()
            if token is None or (closing is not None and token[1] == closing):
                return fields
            self.take(",")

    def data_type(self) -> Any:
        kind, word = self.take()
        if kind != "word":
            raise SchemaError(f"expected a type name but found {word!r} in DDL")
        lowered = word.lower()
        if lowered == "array":
            self.take("<")
            element = self.data_type()
            self.take(">")
            return {"type": "array", "elementType": element, "containsNull": True}
        if lowered == "map":
            self.take("<")
            key = self.data_type()
            self.take(",")
            value = self.data_type()
            self.take(">")
            return {"type": "map", "keyType": key, "valueType": value, "valueContainsNull": True}
        if lowered == "struct":
            self.take("<")
            token = self.peek()
            fields = [] if token is not None and token[1] == ">" else self.fields(">")
            self.take(">")
            return {"type": "struct", "fields": fields}
        if lowered in ("decimal", "dec", "numeric"):
            token = self.peek()
            if token is not None and token[1] == "(":
                self.take("(")
                precision = self.take()[1]
                scale = "0"
                if (tok := self.peek()) is not None and tok[1] == ",":
                    self.take(",")
                    scale = self.take()[1]
                self.take(")")
                return f"decimal({precision},{scale})"
        if lowered in ("varchar", "char"):
            token = self.peek()
            if token is not None and token[1] == "(":
                self.take("(")
                self.take()
                self.take(")")
        if lowered not in _SIMPLE:
            raise SchemaError(
                f"unknown type {word!r} in DDL; use STRING, INT, BIGINT, DOUBLE, BOOLEAN, "
                "TIMESTAMP, DATE, DECIMAL(p,s), BINARY, ARRAY<...>, MAP<...>, STRUCT<...>"
            )
        return _SIMPLE[lowered]


def parse_ddl(text: str) -> dict[str, Any]:
    """Parse a Spark DDL schema ("id BIGINT, ts TIMESTAMP" or "STRUCT<...>") to JSON form."""
    if not text.strip():
        raise SchemaError("the schema is empty; give columns such as 'id BIGINT, ts TIMESTAMP'")
    parser = _Parser(text)
    first = parser.peek()
    if (
        first is not None
        and first[1].lower() == "struct"
        and len(parser.tokens) > 1
        and parser.tokens[1][1] == "<"
    ):
        result = parser.data_type()
    else:
        result = {"type": "struct", "fields": parser.fields(None)}
    if parser.peek() is not None:
        raise SchemaError(f"unexpected {parser.peek()[1]!r} after the schema in DDL")  # type: ignore[index]
    return result  # type: ignore[no-any-return]


def schema_to_json(value: Any) -> dict[str, Any]:
    """Any accepted schema form to Spark's JSON dict. Raises SchemaError with the reason."""
    if isinstance(value, str):
        stripped = value.strip()
        if stripped.startswith("{"):
            try:
                value = json.loads(stripped)
            except json.JSONDecodeError as exc:
                raise SchemaError(f"schema looks like JSON but does not parse: {exc}") from exc
        else:
            return parse_ddl(value)
    if isinstance(value, Mapping):
        if value.get("type") != "struct" or not isinstance(value.get("fields"), list):
            raise SchemaError('a JSON schema must be Spark\'s form: {"type": "struct", "fields": [...]}')
        for i, field in enumerate(value["fields"]):
            if not isinstance(field, Mapping) or "name" not in field or "type" not in field:
                raise SchemaError(f"fields[{i}] needs 'name' and 'type'")
        return {
            "type": "struct",
            "fields": [{"nullable": True, "metadata": {}, **dict(f)} for f in value["fields"]],
        }
    json_method = getattr(value, "jsonValue", None)
    if callable(json_method) and type(value).__name__ == "StructType":
        result: dict[str, Any] = json_method()
        return result
    raise SchemaError(
        f"a schema must be a Spark DDL string, a JSON dict or a StructType, not {type(value).__name__}"
    )


def to_struct_type(value: Any) -> Any:
    """Any accepted schema form to a pyspark ``StructType`` (imports pyspark lazily)."""
    if type(value).__name__ == "StructType":
        return value
    from pyspark.sql.types import StructType

    try:
        return StructType.fromJson(schema_to_json(value))
    except SchemaError:
        raise
    except Exception as exc:  # an unknown type name inside a JSON dict, for example
        raise SchemaError(f"schema is not valid for Spark: {exc}") from exc


def field_types(schema_json: Mapping[str, Any]) -> dict[str, Any]:
    """Top-level column name -> JSON type of a schema in JSON form."""
    return {f["name"]: f["type"] for f in schema_json.get("fields", [])}
