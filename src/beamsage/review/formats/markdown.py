"""Markdown for a pull-request comment: a verdict, a table, and the rules' docs."""

from __future__ import annotations

from ...rules import Severity
from ..report import Report

_ICONS = {Severity.ERROR: "🔴", Severity.WARNING: "🟡", Severity.INFO: "🔵"}
_MAX_ROWS = 200


def _cell(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")


def render(report: Report, color: bool = False) -> str:
    verdict = "❌ fails" if report.failed else "✅ passes"
    out = [
        "## beamsage review",
        "",
        f"**{verdict}** at `{report.fail_on.value}`. {report.summary()}",
        "",
    ]
    if report.findings:
        out += ["| | Rule | Location | Finding | Confidence |", "|---|---|---|---|---|"]
        ordered = sorted(report.findings, key=lambda f: (-f.severity.rank, f.sort_key()))
        for finding in ordered[:_MAX_ROWS]:
            loc = finding.location
            out.append(
                f"| {_ICONS[finding.severity]} {finding.severity.value} | `{finding.rule}` "
                f"| `{_cell(loc.path)}:{loc.line}` | {_cell(finding.message)} | {finding.confidence.value} |"
            )
        if len(ordered) > _MAX_ROWS:
            out.append(f"\n… and {len(ordered) - _MAX_ROWS} more; run `beamsage review` locally for all of them.")
        out.append("")
        for rule in report.rules:
            docs = rule.docs()
            out += [
                f"<details><summary><code>{rule.id}</code>: {docs.summary}</summary>",
                "",
                f"{docs.why}\n\n**Use instead**\n\n{docs.instead}",
                "",
                "</details>",
            ]
    return "\n".join(out) + "\n"
