"""Logging: loguru inside, quiet as a library, and bridged to the standard ``logging`` module.

A program that configures ``logging`` (e.g. ``logging.getLogger("tauro.streaming")``) receives
Tauro's records there, under the logger named by the emitting module.
"""

from __future__ import annotations

import logging
import sys
import threading
from typing import Any

from loguru import logger

from tauro.redaction import redact_text

_bridge_lock = threading.Lock()
_bridge_installed = False


def _to_stdlib(message: Any) -> None:
    record = message.record
    std_logger = logging.getLogger(record["name"] or "tauro")
    level = record["level"].no
    if not std_logger.isEnabledFor(level):
        return
    std_logger.handle(
        std_logger.makeRecord(
            std_logger.name,
            level,
            record["file"].path,
            record["line"],
            redact_text(record["message"]),
            (),
            None,
            record["function"],
        )
    )


def _stdlib_configured() -> bool:
    root = logging.getLogger()
    return bool(root.handlers) or bool(logging.getLogger("tauro").handlers)


def install_stdlib_bridge() -> None:
    """Forward Tauro's loguru records to ``logging`` when the host program configured it."""
    global _bridge_installed
    if not _stdlib_configured():
        return
    with _bridge_lock:
        if _bridge_installed:
            return
        _bridge_installed = True
    logger.add(
        _to_stdlib,
        level=0,
        format="{message}",
        filter=lambda r: (r["name"] or "").startswith("tauro") and _stdlib_configured(),
    )
    logger.enable("tauro")


def _cli_level(verbosity: int) -> str:
    return "WARNING" if verbosity == 0 else "INFO" if verbosity == 1 else "DEBUG"


def configure_cli_logging(verbosity: int) -> None:
    logger.remove()
    logger.add(sys.stderr, level=_cli_level(verbosity), format="<level>{level: <8}</level> {message}")
    logger.enable("tauro")


def _to_terminal(message: Any) -> None:
    sys.stderr.write(str(message))


def configure_run_logging(log_file: str, verbosity: int) -> None:
    """``tauro run``: Tauro's log goes to the run's log file (beside Spark's output), and to
    the terminal only with ``-v``, so the terminal shows the status and nothing else."""
    logger.remove()
    logger.add(
        log_file,
        level="DEBUG" if verbosity > 1 else "INFO",
        format="{time:YYYY-MM-DD HH:mm:ss.SSS} {level: <8} tauro {message}",
        enqueue=False,
    )
    if verbosity > 0:
        # sys.stderr is read at each call: the terminal even while descriptor 2 is captured.
        logger.add(
            _to_terminal,
            level=_cli_level(verbosity),
            format="<level>{level: <8}</level> {message}",
            colorize=False,
        )
    logger.enable("tauro")
