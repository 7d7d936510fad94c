"""The review pipeline every face shares.

1. List the project's source files (`model.layout`).
2. For each file: its cached result by content hash, or parse it and run the
   file rules, in parallel across cores (`worker`).
3. Assemble the project from every file's facts and run the project rules.
4. Fingerprint every finding, then apply the configuration (rule selection,
   severities, confidence floor), suppression comments, the focus path and
   the baseline.
"""

from __future__ import annotations

import gc
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import msgspec

from ..model.layout import Layout, source_files
from ..model.project import Project
from ..rules import Finding, ProjectRule, all_rules
from ..rules.source import AnalysisError
from ..source.directives import Directive
from ..source.document import Span
from .cache import Cache
from .config import Config
from .fingerprint import assign_fingerprints
from .worker import FileResult, analyze_batch, issue_result

_DECODER = msgspec.msgpack.Decoder(FileResult)
_PARALLEL_MIN_FILES = 48
_BATCH_BYTES = 256 * 1024

Progress = Callable[[int, int], None]


@dataclass
class ReviewResult:
    project: Project
    findings: list[Finding]
    config: Config
    suppressed: int = 0
    baselined: int = 0
    hidden: int = 0  # below the confidence floor or deselected
    cached: int = 0

    @property
    def files(self) -> int:
        """Files reviewed under the path the user asked about."""
        return sum(1 for path in self.project.files if self.project.layout.in_focus(path))


def review(
    layout: Layout,
    config: Config,
    *,
    cache: Cache,
    jobs: int | None = None,
    progress: Progress | None = None,
    baseline: set[str] | None = None,
) -> ReviewResult:
    project, results, cached = _load(layout, config, cache, jobs, progress)
    raw = [finding for path in project.files for finding in results[path].findings]
    # The facts live until the end of the review and hold no cycles: keep the
    # garbage collector from rescanning them while the project rules build
    # their indexes.
    gc.freeze()
    try:
        raw.extend(_project_findings(project))
    finally:
        gc.unfreeze()
    result = _judged(project, raw, config, baseline, cached)
    cache.prune()
    cache.close()
    return result


def project_findings(project: Project, config: Config, family: str) -> list[Finding]:
    """One family's project rules over a loaded project, judged as a review judges them (configuration,
    suppressions): the Schema findings `map` shows beside the architecture."""
    raw = _project_findings(project, [rule for rule in all_rules() if rule.family == family])
    return _judged(project, raw, config, None, 0).findings


def _judged(project: Project, raw: list[Finding], config: Config, baseline: set[str] | None,
            cached: int) -> ReviewResult:
    """Fingerprint the findings, then keep what the configuration, the suppressions and the baseline let
    through, sorted."""
    layout = project.layout
    raw = assign_fingerprints(_most_confident(raw), lambda path: _read_lines(layout.root / path))
    result = ReviewResult(project, [], config, cached=cached)
    directives = {path: facts.directives for path, facts in project.files.items() if facts.directives}
    for finding in raw:
        if not layout.in_focus(finding.location.path):
            continue
        if not config.keeps(finding):
            result.hidden += 1
        elif _suppressed(finding, directives.get(finding.location.path, ())):
            result.suppressed += 1
        elif baseline is not None and finding.fingerprint in baseline:
            result.baselined += 1
        else:
            severity = config.severity_of(finding)
            if severity is not finding.severity:
                finding = msgspec.structs.replace(finding, severity=severity)
            result.findings.append(finding)
    result.findings.sort(key=Finding.sort_key)
    return result


def load_project(layout: Layout, config: Config, *, cache: Cache, jobs: int | None = None,
                 progress: Progress | None = None) -> Project:
    """The project's model (every file's facts, through the cache) without judging it: what `map` reads."""
    project, _, _ = _load(layout, config, cache, jobs, progress)
    cache.close()
    return project


def _load(layout: Layout, config: Config, cache: Cache, jobs: int | None,
          progress: Progress | None) -> tuple[Project, dict[str, FileResult], int]:
    paths = source_files(layout, config.exclude)
    results, cached = _analyze(layout.root, paths, config, cache, jobs, progress)
    settings = {"privileged-fields": tuple(config.privileged_fields), "max-test-file-lines": config.max_test_file_lines}
    return Project(layout, {path: results[path].facts for path in paths}, settings), results, cached


# -- per-file phase -------------------------------------------------------------


def _analyze(
    root: Path, paths: list[str], config: Config, cache: Cache, jobs: int | None, progress: Progress | None
) -> tuple[dict[str, FileResult], int]:
    results: dict[str, FileResult] = {}
    candidates: list[tuple[str, bytes, str]] = []
    for path in paths:
        immediate, job = _read(root, path, config, cache)
        if immediate is not None:
            results[path] = immediate
        else:
            candidates.append(job)
    hits = cache.load_many([key for _, _, key in candidates])
    todo = []
    for job in candidates:
        if job[2] in hits:
            results[job[0]] = hits[job[2]]
        else:
            todo.append(job)
    cached = len(hits)
    if progress:
        progress(len(results), len(paths))
    for path, result in _run(todo, cache, jobs):
        results[path] = result
        if progress:
            progress(len(results), len(paths))
    return results, cached


def _read(root: Path, path: str, config: Config, cache: Cache):
    """A file's immediate result (too large, unreadable), or the job to analyse it."""
    try:
        with open(os.path.join(root, path), "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > config.max_file_size:
                message = f"file is {size:,} bytes, above max-file-size ({config.max_file_size:,}); not reviewed"
                return issue_result(path, "too_large", message), None
            data = handle.read()
    except OSError as err:
        return issue_result(path, "unreadable", f"cannot read file: {err.strerror or err}"), None
    return None, (path, data, cache.key(path, data))


def _run(todo: list[tuple[str, bytes, str]], cache: Cache, jobs: int | None) -> Iterable[tuple[str, FileResult]]:
    """Analyse files in batches (in worker processes when there are enough),
    store each batch's results in the cache, and yield them as they complete."""
    workers = jobs or _cpu_count()
    batches = _batches(todo, workers)
    if workers <= 1 or len(todo) < _PARALLEL_MIN_FILES:
        yield from _completed(map(analyze_batch, batches), cache)
        return
    import multiprocessing  # imported here: only cold reviews of big projects need it

    context = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
    pool = context.Pool(workers, initializer=_ignore_sigint)
    try:
        yield from _completed(pool.imap_unordered(analyze_batch, batches), cache)
        pool.close()
    finally:
        pool.terminate()
        pool.join()


def _completed(batches: Iterable[list[tuple[str, str, bytes]]], cache: Cache) -> Iterable[tuple[str, FileResult]]:
    for done in batches:
        cache.store([(key, payload) for _, key, payload in done])
        for path, _, payload in done:
            yield path, _DECODER.decode(payload)


def _batches(todo: list[tuple[str, bytes, str]], workers: int) -> list[list[tuple[str, bytes, str]]]:
    """Split jobs into batches of about `_BATCH_BYTES`, biggest files first, so
    workers finish together and IPC stays cheap."""
    ordered = sorted(todo, key=lambda job: -len(job[1]))
    limit = max(min(_BATCH_BYTES, sum(len(j[1]) for j in todo) // (workers * 4)), 1)
    batches: list[list[tuple[str, bytes, str]]] = [[]]
    size = 0
    for job in ordered:
        if batches[-1] and size + len(job[1]) > limit:
            batches.append([])
            size = 0
        batches[-1].append(job)
        size += len(job[1])
    return batches


def _ignore_sigint() -> None:
    # The parent handles Ctrl-C and terminates the pool; workers stay quiet.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


# -- project phase --------------------------------------------------------------


def _project_findings(project: Project, rules=None) -> list[Finding]:
    findings: list[Finding] = []
    for rule in all_rules() if rules is None else rules:
        try:
            findings.extend(rule.check(project) if isinstance(rule, ProjectRule) else rule.check_project(project))
        except (Exception, RecursionError) as err:
            anchor = "mix.exs" if "mix.exs" in project.files else next(iter(project.files), "mix.exs")
            message = f"rule {rule.id} failed on the project: {type(err).__name__}: {err}"
            findings.append(AnalysisError().finding(anchor, Span(1, 1, 1, 1), message))
    return findings


def _most_confident(findings: list[Finding]) -> list[Finding]:
    """Drop a finding when the same rule reports the same place more
    confidently: a path across functions shown by the project phase beats the
    file phase's guess."""
    best: dict[tuple, int] = {}
    for finding in findings:
        key = (finding.rule, finding.location.path, finding.location.line, finding.location.column)
        best[key] = max(best.get(key, 0), finding.confidence.rank)
    return [f for f in findings
            if f.confidence.rank == best[(f.rule, f.location.path, f.location.line, f.location.column)]]


def _suppressed(finding: Finding, directives: tuple[Directive, ...]) -> bool:
    line = finding.location.line
    for directive in directives:
        if directive.target_line in (0, line) and any(
            finding.rule == name or finding.family == name for name in directive.rules
        ):
            return True
    return False


def _read_lines(path: Path) -> list[str]:
    try:
        # Split on "\n" only, as the parser counts lines (str.splitlines also splits on \f, \x1c...).
        return [line.rstrip("\r") for line in path.read_bytes().decode("utf-8", "replace").split("\n")]
    except OSError:
        return []
