"""SARIF 2.1.0, as GitHub code scanning and other viewers read it.

Rules carry their docs as `help` (text and Markdown), CWE tags
(`external/cwe/cwe-400`), a `precision` from their confidence and, for
security rules, a `security-severity`. Results carry `partialFingerprints`
so code scanning tracks a finding across commits. URIs are relative to the
git repository's top (`%SRCROOT%`).
"""

from __future__ import annotations

import json

from ...rules import Confidence, Rule, Severity
from ..report import INFORMATION_URI, TOOL_NAME, Report

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_PRECISION = {Confidence.HIGH: "high", Confidence.MEDIUM: "medium", Confidence.LOW: "low"}


def _rule(rule: Rule) -> dict:
    docs = rule.docs()
    tags = [rule.family.lower()] + [f"external/cwe/cwe-{cwe}" for cwe in rule.cwe]
    if rule.security_severity is not None and "security" not in tags:
        tags.append("security")
    properties: dict = {"tags": tags, "precision": _PRECISION[rule.confidence]}
    if rule.security_severity is not None:
        properties["security-severity"] = f"{rule.security_severity:.1f}"
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": docs.summary},
        "fullDescription": {"text": docs.what},
        "help": {"text": f"{docs.what}\n\n{docs.why}\n\n{docs.instead}", "markdown": docs.markdown()},
        "defaultConfiguration": {"level": _LEVELS[rule.severity]},
        "properties": properties,
    }


def _region(loc) -> dict:
    return {
        "startLine": loc.line,
        "startColumn": loc.column,
        "endLine": max(loc.end_line, loc.line),
        "endColumn": max(loc.end_column, 1),
    }


def _location(report: Report, loc) -> dict:
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": report.repo_path(loc.path), "uriBaseId": "%SRCROOT%"},
            "region": _region(loc),
        }
    }


def document(report: Report) -> dict:
    rules = report.rules
    index = {rule.id: i for i, rule in enumerate(rules)}
    results = []
    for finding in report.findings:
        result = {
            "ruleId": finding.rule,
            "ruleIndex": index[finding.rule],
            "level": _LEVELS[finding.severity],
            "message": {"text": finding.message + (f" Fix: {finding.fix}" if finding.fix else "")},
            "locations": [_location(report, finding.location)],
            "partialFingerprints": {"beamsage/v1": finding.fingerprint},
            "properties": {"confidence": finding.confidence.value},
        }
        if finding.related:
            result["relatedLocations"] = [
                {**_location(report, r.location), "id": i + 1, "message": {"text": r.message}}
                for i, r in enumerate(finding.related)
            ]
        results.append(result)
    root = report.root
    top = root.parents[len(report.repo_prefix.strip("/").split("/")) - 1] if report.repo_prefix else root
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": TOOL_NAME,
                        "version": report.version,
                        "semanticVersion": report.version,
                        "informationUri": INFORMATION_URI,
                        "rules": [_rule(rule) for rule in rules],
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"uri": top.as_uri() + "/"}},
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }


def render(report: Report, color: bool = False) -> str:
    return json.dumps(document(report), indent=2, ensure_ascii=False) + "\n"
