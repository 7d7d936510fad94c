"""Baselines: adopt beamsage on an old codebase and see only new findings.

`--write-baseline FILE` records today's findings by fingerprint;
`--baseline FILE` then drops every finding whose fingerprint is recorded.
The file is JSON, meant to be committed:

    {"beamsage-baseline": 1, "findings": [{"fingerprint": "...", "rule": "...",
     "path": "lib/x.ex", "line": 3, "message": "..."}]}

Rule, path, line and message are there for the humans reading a diff of the
baseline; only the fingerprint is matched.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..rules import Finding
from ..util import write_atomic

FORMAT = 1


class BaselineError(Exception):
    pass


def write_baseline(path: Path, findings: list[Finding]) -> None:
    entries = [
        {
            "fingerprint": f.fingerprint,
            "rule": f.rule,
            "path": f.location.path,
            "line": f.location.line,
            "message": f.message,
        }
        for f in findings
    ]
    document = {"beamsage-baseline": FORMAT, "findings": entries}
    try:
        write_atomic(path, json.dumps(document, indent=2) + "\n")
    except OSError as err:
        raise BaselineError(f"{path}: cannot write baseline: {err.strerror or err}") from None


def load_baseline(path: Path) -> set[str]:
    try:
        document = json.loads(Path(path).read_text("utf-8"))
    except OSError as err:
        raise BaselineError(f"{path}: cannot read baseline: {err.strerror or err}") from None
    except (ValueError, UnicodeDecodeError) as err:
        raise BaselineError(f"{path}: not a beamsage baseline (invalid JSON: {err})") from None
    if not isinstance(document, dict) or document.get("beamsage-baseline") != FORMAT:
        raise BaselineError(f'{path}: not a beamsage baseline (missing "beamsage-baseline": {FORMAT})')
    entries = document.get("findings")
    if not isinstance(entries, list) or not all(
        isinstance(e, dict) and isinstance(e.get("fingerprint"), str) for e in entries
    ):
        raise BaselineError(f"{path}: not a beamsage baseline (`findings` must list objects with a `fingerprint`)")
    return {e["fingerprint"] for e in entries}
