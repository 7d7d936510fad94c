"""JSON: a versioned document (schema: `review/schema/review-v1.schema.json`)."""

from __future__ import annotations

import json as _json

from ...rules import Finding
from ..report import TOOL_NAME, Report

SCHEMA_VERSION = 1


def document(report: Report) -> dict:
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": TOOL_NAME, "version": report.version},
        "root": str(report.root),
        "summary": {
            "files": report.files,
            "findings": len(report.findings),
            "by_severity": {severity.value: count for severity, count in report.counts.items()},
            "suppressed": report.suppressed,
            "baselined": report.baselined,
            "hidden": report.hidden,
            "fail_on": report.fail_on.value,
            "failed": report.failed,
        },
        "findings": [finding_json(f) for f in report.findings],
        **({"metrics": {"quality": report.metrics.json()}} if report.metrics is not None else {}),
    }


def finding_json(finding: Finding) -> dict:
    loc = finding.location
    return {
        "rule": finding.rule,
        "family": finding.family,
        "severity": finding.severity.value,
        "confidence": finding.confidence.value,
        "message": finding.message,
        "path": loc.path,
        "line": loc.line,
        "column": loc.column,
        "end_line": loc.end_line,
        "end_column": loc.end_column,
        "fingerprint": finding.fingerprint,
        "fix": finding.fix,
        "related": [
            {
                "path": r.location.path,
                "line": r.location.line,
                "column": r.location.column,
                "end_line": r.location.end_line,
                "end_column": r.location.end_column,
                "message": r.message,
            }
            for r in finding.related
        ],
    }


def render(report: Report, color: bool = False) -> str:
    return _json.dumps(document(report), indent=2, ensure_ascii=False) + "\n"
