"""Path checks without a SparkSession: Spark's archive-overlap rule and "is under" tests.

Paths may carry Hadoop glob patterns (``*``, ``?``, ``[ab]``, ``[^a]``, ``{a,b}``). Local paths
(no scheme, or ``file:``) are made absolute against the working directory, as Spark does with
the local file system.
"""

from __future__ import annotations

import fnmatch
import os
import re
from urllib.parse import urlsplit

_BRACES = re.compile(r"\{([^{}]*)\}")


def split_path(path: str) -> tuple[str, list[str]]:
    """(file system, path components): ``s3a://b/x/y`` -> (``s3a://b``, [x, y])."""
    parts = urlsplit(path)
    if parts.scheme and parts.scheme != "file":
        return f"{parts.scheme}://{parts.netloc}", [p for p in parts.path.split("/") if p]
    local = parts.path if parts.scheme == "file" else path
    absolute = os.path.normpath(os.path.join(os.getcwd(), local))
    return "file://", [p for p in absolute.split(os.sep) if p]


def _expand_braces(pattern: str) -> list[str]:
    match = _BRACES.search(pattern)
    if match is None:
        return [pattern]
    head, tail = pattern[: match.start()], pattern[match.end() :]
    return [x for alt in match.group(1).split(",") for x in _expand_braces(head + alt + tail)]


def component_matches(name: str, pattern: str) -> bool:
    """Whether one path component matches one glob component (Hadoop's GlobFilter)."""
    return any(fnmatch.fnmatchcase(name, alt.replace("[^", "[!")) for alt in _expand_braces(pattern))


def _prefix_matches(names: list[str], patterns: list[str]) -> bool:
    return all(component_matches(n, p) for n, p in zip(names, patterns))


def archive_overlaps_source(source: str, archive: str) -> bool:
    """Spark's rule for ``sourceArchiveDir``: compared at the smaller depth of the two paths,
    the archive must not match the source pattern, or archived files could be read again."""
    _, src = split_path(source)
    _, arc = split_path(archive)
    depth = min(len(src), len(arc))
    return _prefix_matches(arc[:depth], src[:depth])


def lies_under(path: str, pattern: str) -> bool:
    """Whether ``path`` is, or is inside, a directory ``pattern`` matches (same file system)."""
    fs_a, parts = split_path(path)
    fs_b, pattern_parts = split_path(pattern)
    if fs_a != fs_b or len(parts) < len(pattern_parts):
        return False
    return _prefix_matches(parts[: len(pattern_parts)], pattern_parts)


def same_file_system(a: str, b: str) -> bool:
    return split_path(a)[0] == split_path(b)[0]


def has_glob(path: str) -> bool:
    return any(ch in path for ch in "*?[{")
