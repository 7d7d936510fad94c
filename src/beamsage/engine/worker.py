"""The per-file phase: parse one file, run the file rules, keep its facts.

Runs in worker processes; everything in and out is plain bytes and msgspec
structs. Nothing a file contains can make it raise: a file that cannot be
read becomes a `SourceIssue`, a rule that fails records an `internal_error`
issue and the other rules still run.
"""

from __future__ import annotations

from functools import cache

import msgspec

from ..model.facts import FileFacts, SourceIssue
from ..model.kinds import path_kinds
from ..model.parsed import ParsedFile
from ..rules import FileRule, Finding, all_rules
from ..source.document import Document, Language, SourceProblem, Span, decode_source, language_for

_START = Span(1, 1, 1, 1)


class FileResult(msgspec.Struct, frozen=True, gc=False):
    facts: FileFacts
    findings: tuple[Finding, ...] = ()


@cache
def file_rules() -> tuple[FileRule, ...]:
    return tuple(rule for rule in all_rules() if isinstance(rule, FileRule))


def issue_result(path: str, kind: str, message: str, span: Span = _START) -> FileResult:
    """The result for a file that could not be reviewed at all."""
    language = language_for(path) or Language.ELIXIR
    facts = FileFacts(path, language.value, path_kinds(path), issues=(SourceIssue(kind, message, span),))
    return FileResult(facts)


def analyze_file(path: str, data: bytes) -> FileResult:
    try:
        decode_source(data)
    except SourceProblem as problem:
        return issue_result(path, problem.kind, problem.message, problem.span)
    doc = Document(path, data, language_for(path) or Language.ELIXIR)
    try:
        parsed = ParsedFile(doc)
    except (Exception, RecursionError) as err:
        return issue_result(path, "internal_error", f"could not analyse the file: {type(err).__name__}: {err}")
    findings: list[Finding] = []
    issues: list[SourceIssue] = []
    for rule in file_rules():
        try:
            findings.extend(rule.check(parsed))
        except (Exception, RecursionError) as err:
            issues.append(SourceIssue("internal_error", f"rule {rule.id} failed: {type(err).__name__}: {err}", _START))
    try:
        facts = parsed.facts(tuple(issues))
    except (Exception, RecursionError) as err:
        return issue_result(path, "internal_error", f"could not record facts: {type(err).__name__}: {err}")
    return FileResult(facts, tuple(findings))


_ENCODER = msgspec.msgpack.Encoder()


def analyze_batch(batch: list[tuple[str, bytes, str]]) -> list[tuple[str, str, bytes]]:
    """Pool entry point: analyse files; return `(path, cache key, encoded result)`."""
    return [(path, key, _ENCODER.encode(analyze_file(path, data))) for path, data, key in batch]
