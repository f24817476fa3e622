"""Writing a scaffold: refuse a directory that already holds files unless forced."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from tauro.errors import TauroError


class ScaffoldError(TauroError):
    """The scaffold cannot be written; the message says what to do."""


def write_files(target: Path, files: Mapping[str, str], *, force: bool = False) -> list[Path]:
    """Write ``files`` (relative path -> text) under ``target``; returns the paths written.

    A directory that exists and is not empty is refused unless ``force``; then files of the same
    names are replaced and other files are left alone.
    """
    if target.exists() and not target.is_dir():
        raise ScaffoldError(f"{target} is a file; give a directory to create the project in.")
    if target.is_dir() and any(target.iterdir()) and not force:
        present = sorted(p.name for p in target.iterdir())
        shown = ", ".join(present[:5]) + (", ..." if len(present) > 5 else "")
        raise ScaffoldError(
            f"{target} is not empty ({shown}); choose a new or empty directory, or pass --force "
            "to write into it (files with the same names are replaced, others are kept)."
        )
    written = []
    for relative, text in files.items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def fill(template: str, values: Mapping[str, str]) -> str:
    """``template`` with each ``{{key}}`` replaced (braces of Python and YAML are left alone)."""
    for key, value in values.items():
        template = template.replace("{{" + key + "}}", value)
    return template
