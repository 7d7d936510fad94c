"""Plain text for a terminal: findings grouped by file, each with its source line."""

from __future__ import annotations

import click

from ...rules import Finding, Severity
from ..report import Report

_COLORS = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "blue"}
_MAX_SHOWN = 120  # characters of a source line shown under a finding


def render(report: Report, color: bool) -> str:
    def style(value: str, **kwargs) -> str:
        return click.style(value, **kwargs) if color else value

    out: list[str] = []
    for path, findings in report.by_file().items():
        out.append(style(path, bold=True, underline=True))
        for finding in findings:
            out.extend(_finding(report, finding, style))
        out.append("")
    out.extend(_quality(report))
    status = report.summary()
    if report.failed:
        status += f" Failing: findings at or above `{report.fail_on.value}`."
    out.append(style(status, bold=True, fg="red" if report.failed else "green"))
    return "\n".join(out) + "\n"


def _finding(report: Report, finding: Finding, style) -> list[str]:
    loc = finding.location
    head = (
        f"  {loc.line}:{loc.column}  "
        f"{style(finding.severity.value, fg=_COLORS[finding.severity], bold=True)}  "
        f"{style(finding.rule, bold=True)}  "
        f"{style(f'({finding.confidence.value} confidence)', dim=True)}"
    )
    lines = [head, f"    {finding.message}"]
    source = report.source_line(finding)
    if source.strip():
        number = str(loc.line)
        gutter = " " * len(number)
        expanded = source.expandtabs(4)
        whole_line = not (loc.end_line == loc.line and loc.end_column > loc.column)
        column = len(source) - len(source.lstrip()) + 1 if whole_line and loc.column == 1 else loc.column
        start = len(source[: column - 1].expandtabs(4))  # a whole-line finding is underlined from its code
        end_column = len(source.rstrip()) + 1 if whole_line else loc.end_column
        width = max(len(source[: end_column - 1].expandtabs(4)) - start, 1)
        if len(expanded) > _MAX_SHOWN:  # a minified or generated line (mix.lock): show the part that matters
            left = max(start - 20, 0)
            shown = expanded[left : left + _MAX_SHOWN]
            expanded = ("..." if left else "") + shown + ("..." if left + _MAX_SHOWN < len(expanded) else "")
            start = start - left + (3 if left else 0)
            width = min(width, _MAX_SHOWN - (start - (3 if left else 0)))
        lines.append(f"    {style(number, dim=True)} | {expanded}")
        lines.append(f"    {gutter} | {' ' * start}{style('^' * max(width, 1), fg=_COLORS[finding.severity])}")
    for related in finding.related:
        where = related.location
        lines.append(f"    {style('see:', dim=True)} {where.path}:{where.line}: {related.message}")
    if finding.fix:
        first, *rest = finding.fix.split("\n")
        lines.append(f"    {style('fix:', fg='green')} {first}")
        lines.extend(f"         {line}" if line else "" for line in rest)
    return lines


def _quality(report: Report) -> list[str]:
    """The quality checklist (`model.metrics`) as a small table: reported, never findings."""
    metrics = report.metrics
    if metrics is None or not metrics.total.modules:
        return []
    rows = [("Quality checklist", "@doc", "@spec", "@moduledoc", "@impl")]
    groups = [(name, counts) for name, counts in metrics.groups.items() if counts.modules]
    for name, counts in groups + ([("all", metrics.total)] if len(groups) > 1 else []):
        if counts.modules:
            rows.append((f"  {name}", _share(counts.documented, counts.functions),
                         _share(counts.specced, counts.functions), _share(counts.with_moduledoc, counts.modules),
                         _share(counts.with_impl, counts.callbacks)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows] + [""]


def _share(part: int, whole: int) -> str:
    return f"{part}/{whole} {round(100 * part / whole)}%" if whole else "-"
