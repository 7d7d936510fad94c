"""Stable fingerprints for findings: they survive unrelated edits.

A fingerprint hashes the rule, the file, the finding's own code with all
whitespace removed, and its rank among findings of the same rule on the same
code in that file. Lines inserted above, re-indentation and reformatting
leave it unchanged; changing the offending code itself gives a new one.
Baselines and SARIF `partialFingerprints` use it.
"""

from __future__ import annotations

import hashlib
import re
from typing import Callable

import msgspec

from ..rules import Finding

_WHITESPACE = re.compile(r"\s+")
_MAX_LINES = 3


def code_of(finding: Finding, lines: list[str]) -> str:
    """The finding's code (at most its first three lines), whitespace removed."""
    loc = finding.location
    if not 1 <= loc.line <= len(lines):
        return ""
    end_line = min(max(loc.end_line, loc.line), len(lines))
    last = min(end_line, loc.line + _MAX_LINES - 1)
    chunk = lines[loc.line - 1 : last]
    if last == end_line and (end_line > loc.line or loc.end_column > loc.column):
        chunk[-1] = chunk[-1][: loc.end_column - 1]
    chunk[0] = chunk[0][loc.column - 1 :]
    return _WHITESPACE.sub("", "".join(chunk))


def assign_fingerprints(findings: list[Finding], read_lines: Callable[[str], list[str]]) -> list[Finding]:
    """Return the findings with `fingerprint` set."""
    result = []
    seen: dict[tuple[str, str, str], int] = {}
    lines_by_path: dict[str, list[str]] = {}
    for finding in sorted(findings, key=Finding.sort_key):
        path = finding.location.path
        if path not in lines_by_path:
            lines_by_path[path] = read_lines(path)
        code = code_of(finding, lines_by_path[path]) or _WHITESPACE.sub("", finding.message)
        key = (finding.rule, path, code)
        rank = seen.get(key, 0)
        seen[key] = rank + 1
        digest = hashlib.blake2b(f"{finding.rule}\0{path}\0{code}\0{rank}".encode(), digest_size=10).hexdigest()
        result.append(msgspec.structs.replace(finding, fingerprint=digest))
    return result
