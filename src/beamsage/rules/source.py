"""Source rules: files beamsage could not fully review, and broken suppressions.

A file that cannot be read as Elixir never stops a review: it becomes one of
these findings, and every other file is still reviewed.
"""

from __future__ import annotations

from typing import Iterable

from ..model.project import Project
from ..source.document import Span
from .base import Confidence, Finding, ProjectRule, Severity, register, registered


class _IssueRule(ProjectRule):
    """Reports each `SourceIssue` of one kind recorded in the file facts."""

    issue_kind = ""

    def check(self, project: Project) -> Iterable[Finding]:
        for facts in project.files.values():
            for issue in facts.issues:
                if issue.kind == self.issue_kind:
                    yield self.finding(facts.path, issue.span, issue.message)


@register
class ParseError(_IssueRule):
    """A file that does not parse as Elixir, HEEx or EEx.

    ## What it finds

    The first syntax error in an `.ex`/`.exs` file, a `.heex`/`.eex`/`.leex`
    template or a `~H` sigil's markup, with its position.

    ## Why it matters

    The compiler will refuse this file, and beamsage can only review the
    parts of it that still parse: findings in the rest of the file may be
    missing. Everything else in the project is still reviewed.

    ## Example

    ```elixir
    def create(conn, params) do
      case Accounts.create_user(params) do
        {:ok, user} -> redirect(conn, to: ~p"/users/#{user}")
    end
    ```

    ## Use instead

    Fix the syntax (here: the missing `end` of `case`); `mix compile` shows
    the same place.
    """

    id = "Source.ParseError"
    severity = Severity.WARNING
    confidence = Confidence.HIGH
    issue_kind = "parse_error"


@register
class InvalidEncoding(_IssueRule):
    """A source file that is not valid UTF-8.

    ## What it finds

    `.ex`, `.exs` and template files holding bytes that are not UTF-8, with
    the position of the first bad byte.

    ## Why it matters

    Elixir source must be UTF-8; the compiler rejects the file, and a review
    cannot read it. Usually an editor saved it as Latin-1 or Windows-1252.

    ## Example

    A string literal `"Café"` saved in Latin-1 (the `é` is the single byte
    0xE9).

    ## Use instead

    Re-save the file as UTF-8 (`iconv -f latin1 -t utf-8`).
    """

    id = "Source.InvalidEncoding"
    severity = Severity.WARNING
    confidence = Confidence.HIGH
    issue_kind = "encoding"


@register
class BinaryFile(_IssueRule):
    """A binary file with an Elixir or template extension.

    ## What it finds

    Files named like source (`.ex`, `.exs`, `.heex`, `.eex`, `.leex`) that hold
    NUL bytes.

    ## Why it matters

    Mix will try to compile it and fail; usually a build artefact or an
    accidental copy landed in a source folder.

    ## Example

    `lib/my_app/logo.ex` holding PNG data copied over a module by mistake.

    ## Use instead

    Move binary assets to `priv/static` or remove the file, or exclude the
    path in `.beamsage.toml` if it is intended.
    """

    id = "Source.BinaryFile"
    severity = Severity.WARNING
    confidence = Confidence.HIGH
    issue_kind = "binary"


@register
class EmptyFile(_IssueRule):
    """An empty (or whitespace-only) source file.

    ## What it finds

    `.ex`, `.exs` and template files with no content.

    ## Why it matters

    Harmless to the compiler, but usually a leftover of a move or a
    generator; it makes readers look for code that is not there.

    ## Example

    `lib/my_app/accounts/old_user.ex` with zero bytes.

    ## Use instead

    Delete the file, or give it the module it was meant to hold.
    """

    id = "Source.EmptyFile"
    severity = Severity.INFO
    confidence = Confidence.HIGH
    issue_kind = "empty"


@register
class FileTooLarge(_IssueRule):
    """A source file above the size limit, skipped.

    ## What it finds

    Files larger than `max-file-size` (2 MiB unless `.beamsage.toml` says
    otherwise). They are not parsed.

    ## Why it matters

    Hand-written Elixir files are rarely above a few hundred kilobytes; a
    larger one is usually generated data, which is slow to review and seldom
    where bugs hide. The finding says the file was not reviewed.

    ## Example

    `lib/my_app/unicode_table.ex`, 6 MB of generated clauses.

    ## Use instead

    Exclude generated files (`exclude = ["lib/my_app/generated/**"]`), or raise
    `max-file-size` if the file should be reviewed.
    """

    id = "Source.FileTooLarge"
    severity = Severity.WARNING
    confidence = Confidence.HIGH
    issue_kind = "too_large"


@register
class Unreadable(_IssueRule):
    """A source file that could not be read.

    ## What it finds

    Files listed in the project that the operating system refused to read
    (permissions, a broken link, a file removed during the review).

    ## Why it matters

    The file was not reviewed, so any finding in it is missing from the
    report; in CI this usually means a checkout or permissions problem.

    ## Example

    `lib/secret.ex` with mode 000, owned by another user than the CI runner.

    ## Use instead

    Make the file readable by the user running beamsage, or exclude it.
    """

    id = "Source.Unreadable"
    severity = Severity.WARNING
    confidence = Confidence.HIGH
    issue_kind = "unreadable"


@register
class AnalysisError(_IssueRule):
    """beamsage failed while reviewing a file (a bug in beamsage).

    ## What it finds

    A rule that raised an error on this file. The other rules' findings for
    the file, and every other file, are still reported.

    ## Why it matters

    Some findings for this file may be missing. This is beamsage's fault,
    not your code's: please report it with the message.

    ## Example

    `rule Security.UnsafeAtomConversion failed: IndexError: list index out of range`

    ## Use instead

    Upgrade beamsage, or report the message and the smallest code that
    triggers it.
    """

    id = "Source.AnalysisError"
    severity = Severity.WARNING
    confidence = Confidence.HIGH
    issue_kind = "internal_error"


def is_known_rule_name(name: str) -> bool:
    """A rule id or a family name."""
    rules = registered()
    return name in rules or any(rule_id.split(".", 1)[0] == name for rule_id in rules)


@register
class InvalidSuppression(ProjectRule):
    """A suppression comment that names no rule, or a rule that does not exist.

    ## What it finds

    `# beamsage:disable-next-line`, `disable-line` and `disable-file`
    comments (also `<%# ... %>` in templates) whose rule list is empty or names
    an unknown rule id or family.

    ## Why it matters

    A typo in a suppression silences nothing, so the finding it was meant
    for stays, or, worse, the comment looks like a deliberate decision that
    was never made. Requiring explicit ids keeps every silenced finding
    traceable.

    ## Example

    ```elixir
    # beamsage:disable-next-line Security.UnsafeAtomConverson
    String.to_atom(name)
    ```

    ## Use instead

    ```elixir
    # beamsage:disable-next-line Security.UnsafeAtomConversion -- name comes from our own enum
    String.to_atom(name)
    ```
    """

    id = "Source.InvalidSuppression"
    severity = Severity.WARNING
    confidence = Confidence.HIGH

    def check(self, project: Project) -> Iterable[Finding]:
        for facts in project.files.values():
            for directive in facts.directives:
                span = Span(directive.line, directive.column, directive.line, directive.column + 1)
                unknown = [name for name in directive.rules if not is_known_rule_name(name)]
                problems = [f"unknown rule `{name}`" for name in unknown]
                problems += [f"`{word}` is not a rule id" for word in directive.malformed]
                if not directive.rules and not directive.malformed:
                    problems.append("it names no rule")
                if problems:
                    yield self.finding(
                        facts.path,
                        span,
                        f"`beamsage:{directive.kind}` does nothing useful: {'; '.join(problems)}",
                        fix="Name rule ids (`Security.UnsafeAtomConversion`) or families (`Security`); "
                        "`beamsage rules` lists them.",
                    )
