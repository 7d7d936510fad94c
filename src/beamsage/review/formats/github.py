"""GitHub Actions workflow commands: one annotation line per finding.

https://docs.github.com/actions/reference/workflow-commands-for-github-actions
Paths are relative to the git repository's top, as Actions expects.
"""

from __future__ import annotations

from ...rules import Severity
from ..report import Report

_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(value: str) -> str:
    return _data(value).replace(":", "%3A").replace(",", "%2C")


def render(report: Report, color: bool = False) -> str:
    lines = []
    for finding in report.findings:
        loc = finding.location
        props = [
            f"file={_property(report.repo_path(loc.path))}",
            f"line={loc.line}",
            f"col={loc.column}",
            f"endLine={loc.end_line}",
        ]
        if loc.end_line == loc.line:
            props.append(f"endColumn={loc.end_column}")
        props.append(f"title={_property(f'{finding.rule} ({finding.confidence.value} confidence)')}")
        message = finding.message + (f"\nFix: {finding.fix}" if finding.fix else "")
        lines.append(f"::{_LEVELS[finding.severity]} {','.join(props)}::{_data(message)}")
    return "".join(line + "\n" for line in lines)
