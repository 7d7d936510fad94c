"""The command line: `beamsage review`, `beamsage map`, `beamsage rules`.

Thin by design: parse options, call the engine, hand the result to a format.
Exit codes: 0 nothing at or above `--fail-on`; 1 findings at or above it;
2 a usage, configuration or I/O error (one line on stderr, never a
traceback); 130 interrupted.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from . import __version__
from .engine import baseline as baselines
from .engine.cache import Cache, default_cache_dir
from .engine.config import ConfigError, load_config
from .engine.pipeline import load_project, project_findings
from .engine.pipeline import review as run_review
from .map import FORMATS as MAP_FORMATS
from .map.html import render_html
from .model.architecture import build_map
from .model.layout import ProjectError, discover
from .model.metrics import quality_metrics
from .review.formats import FORMATS
from .review.formats.json import finding_json
from .review.report import Report, repo_prefix
from .rules import Confidence, Severity, all_rules, get_rule, is_known_rule_name
from .util import write_atomic

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR, EXIT_INTERRUPTED = 0, 1, 2, 130


class UserError(click.ClickException):
    """An error worded for the user: one line, exit 2."""

    exit_code = EXIT_ERROR

    def show(self, file=None) -> None:
        click.echo(f"beamsage: error: {self.format_message()}", err=True)


def _names(values: tuple[str, ...]) -> list[str] | None:
    """Repeatable, comma-separable rule names; None when none given."""
    names = [name.strip() for value in values for name in value.split(",") if name.strip()]
    return names or None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="beamsage")
def cli() -> None:
    """beamsage: a senior Elixir/Phoenix engineer for your Mix project."""


@cli.command()
@click.argument("path", default=".", type=click.Path(path_type=Path))
@click.option("--format", "-f", "format_", type=click.Choice(sorted(FORMATS)), default="text", show_default=True,
              help="Output format.")
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the report to FILE (atomically) instead of stdout.")
@click.option("--fail-on", type=click.Choice([s.value for s in Severity]),
              help="Exit 1 when a finding is at or above this severity. [default: warning]")
@click.option("--min-confidence", type=click.Choice([c.value for c in Confidence]),
              help="Hide findings below this confidence. [default: medium]")
@click.option("--select", multiple=True, metavar="ID", help="Only these rules or families (repeatable, comma-separated).")
@click.option("--ignore", multiple=True, metavar="ID", help="Skip these rules or families (repeatable, comma-separated).")
@click.option("--exclude", multiple=True, metavar="GLOB", help="Skip files matching GLOB (repeatable).")
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Configuration file. [default: .beamsage.toml at the project root]")
@click.option("--baseline", type=click.Path(path_type=Path, dir_okay=False),
              help="Report only findings not recorded in this baseline file.")
@click.option("--write-baseline", type=click.Path(path_type=Path, dir_okay=False),
              help="Record today's findings in this baseline file and exit 0.")
@click.option("--no-project", is_flag=True, help="Review loose files when no mix.exs is found.")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the per-file cache.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), help="Worker processes. [default: all cores]")
@click.option("--quiet", "-q", is_flag=True, help="No progress or status on stderr.")
def review(path, format_, output, fail_on, min_confidence, select, ignore, exclude, config_path, baseline,
           write_baseline, no_project, no_cache, jobs, quiet) -> None:
    """Review the Mix project at PATH (default: the current folder).

    PATH may be any folder or file inside a project: the project root is the
    nearest mix.exs upward (an umbrella's root for its apps); findings are
    reported for PATH only.
    """
    try:
        layout = discover(path, no_project=no_project)
        config = load_config(layout.root, config_path).override(
            select=_names(select), ignore=_names(ignore), exclude=list(exclude) or None,
            fail_on=Severity(fail_on) if fail_on else None,
            min_confidence=Confidence(min_confidence) if min_confidence else None,
        )
        known = baselines.load_baseline(baseline) if baseline else None
    except (ProjectError, ConfigError, baselines.BaselineError) as err:
        raise UserError(str(err)) from None

    cache = Cache(None if no_cache else default_cache_dir())
    show_progress = not quiet and sys.stderr.isatty()
    with _progress(show_progress) as progress:
        result = run_review(layout, config, cache=cache, jobs=jobs, progress=progress, baseline=known)

    if write_baseline:
        try:
            baselines.write_baseline(write_baseline, result.findings)
        except baselines.BaselineError as err:
            raise UserError(str(err)) from None
        if not quiet:
            click.echo(f"beamsage: wrote {len(result.findings)} findings to {write_baseline}", err=True)
        return

    report = Report(
        root=layout.root,
        findings=result.findings,
        files=result.files,
        fail_on=config.fail_on,
        suppressed=result.suppressed,
        baselined=result.baselined,
        hidden=result.hidden,
        repo_prefix=repo_prefix(layout.root),
        metrics=quality_metrics(result.project),
    )
    color = format_ == "text" and output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    rendered = FORMATS[format_](report, color)
    if output is not None:
        try:
            write_atomic(output, rendered)
        except OSError as err:
            raise UserError(f"cannot write {output}: {err.strerror or err}") from None
        if not quiet and sys.stderr.isatty():
            click.echo(f"beamsage: {report.summary()} Report written to {output}.", err=True)
    else:
        click.echo(rendered, nl=False, color=color)
    sys.exit(EXIT_FINDINGS if report.failed else EXIT_OK)


@cli.command("map")
@click.argument("path", default=".", type=click.Path(path_type=Path))
@click.option("--format", "-f", "format_", type=click.Choice(sorted([*MAP_FORMATS, "html"])), default="markdown",
              show_default=True, help="Output format. `html` is one self-contained page with the diagrams drawn "
              "and the review's findings linked to the map.")
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the map to FILE (atomically) instead of stdout.")
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Configuration file. [default: .beamsage.toml at the project root]")
@click.option("--no-project", is_flag=True, help="Map loose files when no mix.exs is found.")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the per-file cache.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), help="Worker processes. [default: all cores]")
def map_(path, format_, output, config_path, no_project, no_cache, jobs) -> None:
    """Map the architecture of the Mix project at PATH: supervision tree, processes, routes, schemas, jobs."""
    try:
        layout = discover(path, no_project=no_project)
        config = load_config(layout.root, config_path)
    except (ProjectError, ConfigError) as err:
        raise UserError(str(err)) from None
    cache = Cache(None if no_cache else default_cache_dir())
    with _progress(sys.stderr.isatty(), "mapping") as progress:
        if format_ == "html":  # the page links the review's findings to the map, so it runs the review too
            result = run_review(layout, config, cache=cache, jobs=jobs, progress=progress)
            findings = [finding_json(f) for f in result.findings]
            doc = {**build_map(result.project), "consistency": [f for f in findings if f["family"] == "Schema"]}
            rendered = render_html(doc, findings)
        else:
            project = load_project(layout, config, cache=cache, jobs=jobs, progress=progress)
            consistency = [finding_json(f) for f in project_findings(project, config, "Schema")]
            rendered = MAP_FORMATS[format_]({**build_map(project), "consistency": consistency})
    if output is None:
        click.echo(rendered, nl=False)
        return
    try:
        write_atomic(output, rendered)
    except OSError as err:
        raise UserError(f"cannot write {output}: {err.strerror or err}") from None


class _progress:
    """A transient progress bar on stderr, or a no-op."""

    def __init__(self, enabled: bool, label: str = "reviewing"):
        self.enabled = enabled
        self.label = label
        self._bar = None

    def __enter__(self):
        if not self.enabled:
            return None
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._bar = Progress(
            TextColumn(self.label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=Console(stderr=True), transient=True,
        )
        self._bar.start()
        task = self._bar.add_task("review", total=None)

        def update(done: int, total: int) -> None:
            self._bar.update(task, completed=done, total=total)

        return update

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.stop()


@cli.command()
@click.argument("rule_id", required=False)
@click.option("--format", "-f", "format_", type=click.Choice(["text", "json"]), default="text", show_default=True)
def rules(rule_id, format_) -> None:
    """List every rule, or show one rule's docs (RULE_ID may also be a family)."""
    selected = all_rules()
    if rule_id:
        if not is_known_rule_name(rule_id):
            raise UserError(f"unknown rule `{rule_id}` (`beamsage rules` lists them)")
        rule = get_rule(rule_id)
        if rule is not None:
            click.echo(_rule_json(rule, full=True) if format_ == "json" else _rule_text(rule), nl=False)
            return
        selected = [r for r in selected if r.family == rule_id]
    if format_ == "json":
        click.echo(json.dumps([json.loads(_rule_json(r)) for r in selected], indent=2))
        return
    width = max(len(r.id) for r in selected)
    click.echo(f"{'RULE'.ljust(width)}  {'SEVERITY':8}  {'CONFIDENCE':10}  SUMMARY")
    for rule in selected:
        click.echo(f"{rule.id.ljust(width)}  {rule.severity.value:8}  {rule.confidence.value:10}  {rule.docs().summary}")


def _rule_json(rule, full: bool = False) -> str:
    docs = rule.docs()
    data = {
        "id": rule.id,
        "family": rule.family,
        "severity": rule.severity.value,
        "confidence": rule.confidence.value,
        "cwe": list(rule.cwe),
        "summary": docs.summary,
    }
    if full:
        data.update(what=docs.what, why=docs.why, example=docs.example, instead=docs.instead)
    return json.dumps(data, indent=2) + "\n"


def _rule_text(rule) -> str:
    docs = rule.docs()
    cwe = ", ".join(f"CWE-{c}" for c in rule.cwe)
    meta = f"severity: {rule.severity.value}   confidence: {rule.confidence.value}" + (f"   {cwe}" if cwe else "")
    return (
        f"{rule.id}: {docs.summary}\n{meta}\n\n"
        f"What it finds\n\n{_indent(docs.what)}\n\nWhy it matters\n\n{_indent(docs.why)}\n\n"
        f"Example\n\n{_indent(docs.example)}\n\nUse instead\n\n{_indent(docs.instead)}\n"
    )


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" if line else "" for line in text.splitlines())


def main() -> None:
    """Entry point: no traceback ever reaches the user."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Exit as exit_:
        sys.exit(exit_.exit_code)
    except click.ClickException as err:
        if isinstance(err, UserError):
            err.show()
        else:
            click.echo(f"beamsage: error: {err.format_message()}", err=True)
        sys.exit(EXIT_ERROR)
    except click.exceptions.Abort:
        click.echo("beamsage: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except KeyboardInterrupt:
        click.echo("beamsage: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except BrokenPipeError:
        # The reader went away (`beamsage review | head`); nothing left to say.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(EXIT_ERROR)
    except SystemExit:
        raise
    except Exception as err:  # a bug in beamsage: say so in one line
        if os.environ.get("BEAMSAGE_DEBUG"):
            raise
        click.echo(f"beamsage: internal error: {type(err).__name__}: {err} (set BEAMSAGE_DEBUG=1 for details)", err=True)
        sys.exit(EXIT_ERROR)
