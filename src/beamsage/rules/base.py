"""The rule framework: severities, confidences, findings, rules and their docs.

A rule is a class whose docstring is its documentation, in four sections
(What it finds / Why it matters / Example / Use instead), the way ruff and
Credo keep a check's explanation beside its code. `beamsage rules ID` and
SARIF `help` are generated from it. Rules come in two scopes:

- `FileRule.check(file)` sees one `ParsedFile` (the syntax helper layer and
  the file's model). Its findings are cached with the file's facts.
- `ProjectRule.check(project)` sees every file's facts, for what crosses
  files; it runs on every review, cached or not. A `FileRule` may also
  look at the project (`check_project`) to raise its confidence in a
  finding of its own.
"""

from __future__ import annotations

import re
import textwrap
from abc import ABC, abstractmethod
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, ClassVar, Iterable

import msgspec

from ..source.document import Span

if TYPE_CHECKING:
    from ..model.parsed import ParsedFile
    from ..model.project import Project


class Severity(str, Enum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


class Confidence(str, Enum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        return _CONFIDENCE_RANK[self]


_SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}
_CONFIDENCE_RANK = {Confidence.LOW: 0, Confidence.MEDIUM: 1, Confidence.HIGH: 2}


class Location(msgspec.Struct, frozen=True, gc=False):
    path: str
    line: int
    column: int
    end_line: int
    end_column: int

    @classmethod
    def of(cls, path: str, span: Span) -> Location:
        return cls(path, span.line, span.column, span.end_line, span.end_column)


class Related(msgspec.Struct, frozen=True, gc=False):
    location: Location
    message: str


class Finding(msgspec.Struct, frozen=True, gc=False):
    rule: str
    severity: Severity
    confidence: Confidence
    message: str
    location: Location
    related: tuple[Related, ...] = ()
    fix: str | None = None
    fingerprint: str = ""

    @property
    def family(self) -> str:
        return self.rule.split(".", 1)[0]

    def sort_key(self) -> tuple:
        loc = self.location
        return (loc.path, loc.line, loc.column, self.rule, self.message)


@dataclass(frozen=True)
class RuleDocs:
    summary: str
    what: str
    why: str
    example: str
    instead: str

    def markdown(self) -> str:
        return (
            f"{self.summary}\n\n## What it finds\n\n{self.what}\n\n## Why it matters\n\n{self.why}\n\n"
            f"## Example\n\n{self.example}\n\n## Use instead\n\n{self.instead}\n"
        )


_SECTIONS = {"what it finds": "what", "why it matters": "why", "example": "example", "use instead": "instead"}
RULE_ID = re.compile(r"^[A-Z][A-Za-z0-9]*\.[A-Z][A-Za-z0-9]*$")


def parse_docs(docstring: str | None) -> RuleDocs:
    """Split a rule's docstring into its summary and four sections."""
    first, _, rest = (docstring or "").strip().partition("\n")
    lines = [first, *textwrap.dedent(rest).splitlines()]
    summary = lines[0].strip() if lines else ""
    sections: dict[str, list[str]] = {}
    current = None
    for line in lines[1:]:
        heading = re.match(r"^##\s+(.*?)\s*$", line)
        if heading and heading.group(1).lower() in _SECTIONS:
            current = _SECTIONS[heading.group(1).lower()]
            sections[current] = []
        elif current:
            sections[current].append(line)
    return RuleDocs(summary, **{key: "\n".join(sections.get(key, [])).strip() for key in _SECTIONS.values()})


class Rule:
    """Base class; see the module docstring."""

    id: ClassVar[str]
    severity: ClassVar[Severity]
    confidence: ClassVar[Confidence]  # the confidence of a typical finding
    cwe: ClassVar[tuple[int, ...]] = ()
    # GitHub code scanning's 0-10 rating, for security rules.
    security_severity: ClassVar[float | None] = None

    @property
    def family(self) -> str:
        return self.id.split(".", 1)[0]

    @property
    def name(self) -> str:
        return self.id.split(".", 1)[1]

    @classmethod
    def docs(cls) -> RuleDocs:
        return parse_docs(cls.__doc__)

    def finding(
        self,
        path: str,
        span: Span,
        message: str,
        *,
        confidence: Confidence | None = None,
        severity: Severity | None = None,
        related: Iterable[Related] = (),
        fix: str | None = None,
    ) -> Finding:
        return Finding(
            rule=self.id,
            severity=severity or self.severity,
            confidence=confidence or self.confidence,
            message=message,
            location=Location.of(path, span),
            related=tuple(related),
            fix=fix,
        )


class FileRule(Rule, ABC):
    @abstractmethod
    def check(self, file: ParsedFile) -> Iterable[Finding]:
        """Findings in one parsed file."""

    def check_project(self, project: Project) -> Iterable[Finding]:
        """Findings only the whole project shows (untrusted data reaching this
        rule's dangerous call through other functions); none by default. A
        finding here at the place of a file finding replaces it when it is
        more confident."""
        return ()


class ProjectRule(Rule, ABC):
    @abstractmethod
    def check(self, project: Project) -> Iterable[Finding]:
        """Findings over the whole project's facts."""


_REGISTRY: dict[str, type[Rule]] = {}


def register(cls: type[Rule]) -> type[Rule]:
    """Class decorator: make a rule known to the engine."""
    if not RULE_ID.match(cls.id):
        raise ValueError(f"rule id {cls.id!r} is not Family.Name")
    if cls.id in _REGISTRY:
        raise ValueError(f"rule id {cls.id!r} is registered twice")
    _REGISTRY[cls.id] = cls
    return cls


def registered() -> dict[str, type[Rule]]:
    return _REGISTRY
