"""Everything a plugin author imports, in one namespace: ``from tauro.plugin import ...``.

It does not import pyspark (plugins import it inside the functions that need it), so loading a
plugin costs little. The reference is docs/plugins.md.
"""

from __future__ import annotations

from tauro.errors import (
    StreamingError,
    StreamingFormatNotSupportedError,
    StreamingQueryError,
    StreamingValidationError,
    TauroError,
)
from tauro.plugin.context import ContextLike, HasSpark, spark_of
from tauro.plugin.markers import hookimpl
from tauro.plugin.option_schema import (
    bool_option,
    int_option,
    options_object,
    structured_option,
    text_option,
)
from tauro.plugin.options import (
    Findings,
    find_option,
    is_dead_letter,
    is_true,
    lower_keys,
    unknown_options,
)
from tauro.plugin.preflight import (
    current_query_id,
    is_connect,
    jvm_of,
    refuse_over_connect,
    require_class,
)
from tauro.plugin.readers import BaseStreamingReader
from tauro.plugin.registration import (
    ReaderRegistry,
    Role,
    Validator,
    ValidatorRegistry,
    WriterRegistry,
    reader_class_problems,
    writer_class_problems,
)
from tauro.plugin.writers import RESERVED_KEYWORDS, BaseStreamingWriter, apply_trigger
from tauro.redaction import (
    REDACTED,
    first_line,
    is_secret_key,
    redact,
    redact_connect_url,
    redact_text,
    remember_secret,
)
from tauro.spark_settings import FormatUse, SparkSettings

__all__ = [
    "REDACTED",
    "RESERVED_KEYWORDS",
    "BaseStreamingReader",
    "BaseStreamingWriter",
    "ContextLike",
    "Findings",
    "FormatUse",
    "HasSpark",
    "ReaderRegistry",
    "Role",
    "SparkSettings",
    "StreamingError",
    "StreamingFormatNotSupportedError",
    "StreamingQueryError",
    "StreamingValidationError",
    "TauroError",
    "Validator",
    "ValidatorRegistry",
    "WriterRegistry",
    "apply_trigger",
    "bool_option",
    "current_query_id",
    "find_option",
    "first_line",
    "hookimpl",
    "int_option",
    "is_connect",
    "is_dead_letter",
    "is_secret_key",
    "is_true",
    "jvm_of",
    "lower_keys",
    "options_object",
    "reader_class_problems",
    "redact",
    "redact_connect_url",
    "redact_text",
    "refuse_over_connect",
    "remember_secret",
    "require_class",
    "spark_of",
    "structured_option",
    "text_option",
    "unknown_options",
    "writer_class_problems",
]
