"""Shared judgement for the security rules: what runs at run time, what is
constant, and how sure a finding is that its value comes from an attacker."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterable, Iterator
from typing import ClassVar

from tree_sitter import Node

from ...model.flow import Origin
from ...model.kinds import REQUEST_HANDLERS
from ...model.parsed import ParsedFile
from ...model.project import Project
from ...model.taint import Sink, TaintPath
from ...source.syntax import Call, is_constant, operator, text
from ..base import Confidence, FileRule, Finding, Location, Related


def reviewable(file: ParsedFile) -> bool:
    return file.runs_in_production


def runtime_calls(file: ParsedFile, wanted: dict[str | None, set[str]]) -> Iterator[Call]:
    """Calls to `wanted` functions (module -> names) in code that runs at run time."""
    for call in file.outline.calls:
        if call.name in wanted.get(call.module, ()) and call.runs_at_runtime and not _mix_task(call):
            yield call


def validated(file: ParsedFile, call: Call, value: Node) -> bool:
    """The value is fixed by the code (`case` branches of literals, a path in
    the release) or was checked against an allow-list before the call."""
    if call.owner is None:
        return False
    flow = file.flow(call.owner)
    return flow.validated(value) or (not call.in_template and flow.constant(value))


def judge(file: ParsedFile, call: Call, value: Node | None) -> tuple[Confidence, Origin | None]:
    """Confidence that `value`, an argument of `call`, is attacker-controlled."""
    if call.owner is not None and value is not None:
        origin = file.flow(call.owner).origin(value)
        if origin is not None:
            return Confidence.HIGH, origin
    if request_handler(file, call):
        return Confidence.MEDIUM, None
    return Confidence.LOW, None


def captured_subject(call: Call) -> Node | None:
    """For `Enum.map(list, &String.to_atom/1)`, the `list` the capture is applied to."""
    node = call.node.parent.parent if call.node.parent else None  # `/` then `&`
    args = node.parent if node is not None else None
    outer = args.parent if args is not None and args.type == "arguments" else None
    if outer is None or outer.type != "call":
        return None
    parent = outer.parent
    if parent is not None and parent.type == "binary_operator" and operator(parent) == "|>":
        return parent.child_by_field_name("left")
    return args.named_children[0] if args.named_children and args.named_children[0] != node else None


def shown(value: Node | str | None) -> str:
    """A short quote of the code that holds the value."""
    if value is None:
        return "its argument"
    code = " ".join((value if isinstance(value, str) else text(value)).split())
    return f"`{code if len(code) <= 40 else code[:37] + '...'}`"


def because(origin: Origin | None, value: Node | str | None = None) -> str:
    if origin is None:
        return ""
    return f"; the value {origin.describe(value if isinstance(value, str) or value is None else text(value))}"


class SinkRule(FileRule):
    """A rule about values reaching one kind of sink (`model.taint`).

    In a file: each sink call whose value is not fixed by the code, not
    checked against constants and not sanitised for this kind; high
    confidence when the value is shown untrusted, else `unknown_confidence`.
    Across the project: untrusted values handed to functions that pass them
    on to such a sink, reported at the sink with high confidence.
    """

    kinds: ClassVar[tuple[str, ...]]
    # Values of unknown origin: low confidence in request handlers, silent elsewhere.
    unknown_only_in_requests: ClassVar[bool] = False

    def check(self, file: ParsedFile) -> Iterable[Finding]:
        if not reviewable(file):
            return
        for call, sink in file.sink_calls:
            if sink.kind in self.kinds and not _mix_task(call):
                yield from self.judge_sink(file, call, sink)

    def judge_sink(self, file: ParsedFile, call: Call, sink: Sink) -> Iterable[Finding]:
        value = sink.value
        if is_constant(value, in_template=call.in_template) or validated(file, call, value):
            return
        flow = file.flow(call.owner) if call.owner is not None else None
        origin = flow.origin(value, sink.kind) if flow is not None else None
        if origin is None and flow is not None and (flow.sanitised(value, sink.kind) or flow.origin(value)):
            return  # a sanitiser made it safe for this kind of sink
        confidence = Confidence.HIGH if origin is not None else self.unknown_confidence(file, call, sink)
        if confidence is not None:
            yield self.finding(file.path, file.span(call.node), self.describe(sink, value, origin),
                               confidence=confidence, fix=self.fix_for(sink))

    def check_project(self, project: Project) -> Iterable[Finding]:
        by_sink: dict[tuple, list[TaintPath]] = {}
        for kind in self.kinds:
            for path in project.taint.paths(kind):
                by_sink.setdefault(path.reach.at, []).append(path)
        for paths in by_sink.values():
            yield self._path_finding(paths)

    def _path_finding(self, paths: list[TaintPath]) -> Finding:
        """One finding at the sink for every call site that hands it untrusted data."""
        first = paths[0]
        reach = first.reach
        source = first.source.removeprefix("comes from ")
        others = len(paths) - 1
        more = f" (and {others} more call site{'s' if others > 1 else ''})" if others else ""
        origin = Origin(f"{source}, passed to {' -> '.join(reach.through)}{more}")
        sink = Sink(reach.kind, None, reach.sink, detail=reach.detail)
        message = self.describe(sink, reach.value, origin)
        location = Location(reach.path, reach.line, reach.column, reach.end_line, reach.end_column)
        related = tuple(
            Related(Location(p.call_path, p.call_line, p.call_column, p.call_line, p.call_column),
                    f"untrusted data enters {p.reach.through[0]} here")
            for p in paths
        )
        return Finding(self.id, self.severity, Confidence.HIGH, message, location, related,
                       self.fix_for(sink))

    def unknown_confidence(self, file: ParsedFile, call: Call, sink: Sink) -> Confidence | None:
        """Confidence for a value of unknown origin (None: not reported)."""
        if self.unknown_only_in_requests:
            return Confidence.LOW if request_handler(file, call) else None
        return Confidence.MEDIUM if request_handler(file, call) else Confidence.LOW

    @abstractmethod
    def describe(self, sink: Sink, value: Node | str | None, origin: Origin | None) -> str:
        """The finding's message for a value reaching `sink` (`value` None: in another file)."""

    def fix_for(self, sink: Sink) -> str | None:
        return None


def request_handler(file: ParsedFile, call: Call) -> bool:
    return call.in_template or bool(set(file.kinds_of(call.module_def)) & REQUEST_HANDLERS)


def _mix_task(call: Call) -> bool:
    return bool(call.module_def and call.module_def.name.startswith("Mix.Tasks."))
