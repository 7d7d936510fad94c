"""Shared judgement for the security rules: what runs at run time, what is
constant, and how sure a finding is that its value comes from an attacker."""

from __future__ import annotations

from typing import Iterator

from tree_sitter import Node

from ...model.flow import Origin
from ...model.kinds import REQUEST_HANDLERS
from ...model.parsed import ParsedFile
from ...source.syntax import Call, operator, text
from ..base import Confidence

_NOT_RUNTIME_KINDS = frozenset({"test", "test_support", "config", "mix", "migration"})


def reviewable(file: ParsedFile) -> bool:
    return not (file.kinds & _NOT_RUNTIME_KINDS)


def runtime_calls(file: ParsedFile, wanted: dict[str | None, set[str]]) -> Iterator[Call]:
    """Calls to `wanted` functions (module -> names) in code that runs at run time."""
    for call in file.outline.calls:
        if call.name in wanted.get(call.module, ()) and call.runs_at_runtime \
                and not (call.module_def and call.module_def.name.startswith("Mix.Tasks.")):
            yield call


def validated(file: ParsedFile, call: Call, value: Node) -> bool:
    """The value was checked against an allow-list of constants before the call."""
    return call.owner is not None and file.flow(call.owner).validated(value)


def judge(file: ParsedFile, call: Call, value: Node | None) -> tuple[Confidence, Origin | None]:
    """Confidence that `value`, an argument of `call`, is attacker-controlled."""
    if call.owner is not None and value is not None:
        origin = file.flow(call.owner).origin(value)
        if origin is not None:
            return Confidence.HIGH, origin
    if call.in_template or set(file.kinds_of(call.module_def)) & REQUEST_HANDLERS:
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


def shown(value: Node | None) -> str:
    """A short quote of the code that holds the value."""
    shown = " ".join(text(value).split())
    return f"`{shown if len(shown) <= 40 else shown[:37] + '...'}`" if value is not None else "its argument"


def because(origin: Origin | None, value: Node | None = None) -> str:
    if origin is None:
        return ""
    return f"; the value {origin.describe(text(value) if value is not None else None)}"
