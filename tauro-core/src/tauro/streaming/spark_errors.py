"""One line for a failed query: Spark's error class and message, without JVM or Python frames.

Spark's text for a failed streaming query runs to pages (the wrapper exception, the cause's
JVM stack, a Python worker's traceback, the query plan). People and alerts need the one line
that says what went wrong: ``[ERROR_CLASS] message``, or for a Python UDF the exception it
raised (``[PYTHON_EXCEPTION] ValueError: bad row 3``). The full text stays in ``exception``.
"""

from __future__ import annotations

import re

from tauro.redaction import redact_text

_ERROR_CLASS = re.compile(r"\[([A-Z][A-Z0-9_]*(?:\.[A-Z0-9_]+)*)\]\s*")
#: Spark's wrappers around the real error: their message is "... terminated with exception: X".
_WRAPPERS = frozenset({"STREAM_FAILED", "FOREACH_BATCH_USER_FUNCTION_ERROR"})
_JAVA_PREFIX = re.compile(r"^(?:Caused by: )?(?:[a-z_$][\w$]*\.)+[A-Z][\w$]*(?:Exception|Error)?: ")
_JVM_FRAME = re.compile(r"^\s+(at \S+|\.\.\. \d+ more)")
_PYTHON_ERROR = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Warning)): (.*)$")
_SQLSTATE = re.compile(r"\s*SQLSTATE: \w+\s*$")
#: Py4J's preamble of a JVM exception ("An error occurred while calling o52.start.\n: java...").
_PY4J_CALL = re.compile(r"^An error occurred while calling \S+\.?$")
_MAX_CHARS = 300


def _python_error(lines: list[str]) -> str | None:
    """The last ``SomeError: message`` line of a Python traceback, if the text has one."""
    if not any("Traceback (most recent call last)" in line for line in lines):
        return None
    found = None
    for line in lines:
        match = _PYTHON_ERROR.match(line.strip())
        if match and not _JAVA_PREFIX.match(line.strip()):
            found = f"{match.group(1).rsplit('.', 1)[-1]}: {match.group(2).strip()}"
    return found


def error_line(exc: BaseException) -> str:
    """One line for an exception raised by Spark (or Py4J) or by Python code."""
    return summarize_error(str(exc)) if str(exc).strip() else type(exc).__name__


def summarize_error(text: str | None) -> str:
    """``[ERROR_CLASS] message`` (or the first meaningful line) of a query's error text."""
    if not text:
        return "query failed"
    body = str(text).split("=== Streaming Query ===", 1)[0]
    lines = [
        line.removeprefix(": ")
        for line in body.splitlines()
        if line.strip() and not _JVM_FRAME.match(line) and not _PY4J_CALL.match(line.strip())
    ]
    python = _python_error(lines)
    error_class: str | None = None
    message: str | None = None
    for line in lines:
        stripped = _JAVA_PREFIX.sub("", line.strip())
        for match in _ERROR_CLASS.finditer(stripped):
            if match.group(1) in _WRAPPERS:
                continue
            error_class = match.group(1)
            message = stripped[match.end() :]
            break
        if error_class:
            break
    if message is None:
        message = _JAVA_PREFIX.sub("", lines[0].strip()) if lines else "query failed"
        for line in lines:
            line = line.strip()
            if line.startswith("Caused by: "):
                message = _JAVA_PREFIX.sub("", line)  # the root cause says the most
        # "Query [id = ..] terminated with exception: X" -> X
        message = re.sub(r"^.*terminated with exception: ", "", message)
        message = _ERROR_CLASS.sub("", message, count=1) if message.startswith("[STREAM_FAILED]") else message
    if python is not None:
        message = python
    message = _SQLSTATE.sub("", message.strip()).rstrip(".: ") or "query failed"
    line = f"[{error_class}] {message}" if error_class else message
    if len(line) > _MAX_CHARS:
        line = line[: _MAX_CHARS - 4].rstrip() + " ..."
    return redact_text(line)
