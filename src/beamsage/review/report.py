"""A finished review, as the output formats see it."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from .. import __version__
from ..model.metrics import QualityMetrics
from ..rules import Finding, Rule, Severity, get_rule

TOOL_NAME = "beamsage"
INFORMATION_URI = "https://pypi.org/project/beamsage/"


@dataclass
class Report:
    root: Path
    findings: list[Finding]
    files: int
    fail_on: Severity
    suppressed: int = 0
    baselined: int = 0
    hidden: int = 0
    repo_prefix: str = ""  # the project root's path inside its git repository ("" or "backend/")
    metrics: QualityMetrics | None = None  # the quality checklist: reported, never findings
    version: str = __version__
    _lines: dict[str, list[str]] = field(default_factory=dict, repr=False)

    @property
    def failed(self) -> bool:
        return any(f.severity.rank >= self.fail_on.rank for f in self.findings)

    @cached_property
    def counts(self) -> dict[Severity, int]:
        counts = {severity: 0 for severity in Severity}
        for finding in self.findings:
            counts[finding.severity] += 1
        return counts

    @cached_property
    def rules(self) -> list[Rule]:
        """The rules that produced findings, sorted by id."""
        return [rule for rule_id in sorted({f.rule for f in self.findings}) if (rule := get_rule(rule_id))]

    def by_file(self) -> dict[str, list[Finding]]:
        grouped: dict[str, list[Finding]] = {}
        for finding in self.findings:
            grouped.setdefault(finding.location.path, []).append(finding)
        return grouped

    def source_line(self, finding: Finding) -> str:
        path = finding.location.path
        if path not in self._lines:
            try:
                text = (self.root / path).read_bytes().decode("utf-8", "replace")
                self._lines[path] = [line.rstrip("\r") for line in text.split("\n")]
            except OSError:
                self._lines[path] = []
        lines = self._lines[path]
        line = finding.location.line
        return lines[line - 1] if 0 < line <= len(lines) else ""

    def repo_path(self, path: str) -> str:
        return self.repo_prefix + path

    def summary(self) -> str:
        total = len(self.findings)
        if total == 0:
            text = f"No findings in {self.files} files."
        else:
            parts = [f"{n} {s.value}{'s' if n != 1 else ''}" for s, n in sorted(self.counts.items(), key=lambda i: -i[0].rank) if n]
            text = f"{total} finding{'s' if total != 1 else ''} ({', '.join(parts)}) in {self.files} files."
        extras = []
        if self.suppressed:
            extras.append(f"{self.suppressed} suppressed")
        if self.baselined:
            extras.append(f"{self.baselined} in baseline")
        if self.hidden:
            extras.append(f"{self.hidden} below min-confidence or not selected")
        return text + (f" ({'; '.join(extras)})" if extras else "")


def repo_prefix(root: Path) -> str:
    """The project root's path relative to its git repository's top, with a slash."""
    for folder in (root, *root.parents):
        if (folder / ".git").exists():
            rel = root.relative_to(folder).as_posix()
            return "" if rel == "." else rel + "/"
    return ""
