"""`:telemetry` events as the code writes them: where each is emitted, who handles it, which metrics read it.

- emitted: `:telemetry.execute(event, ...)`, and `:telemetry.span(prefix, ...)`,
  which emits `prefix ++ [:start]`, `[:stop]` and `[:exception]`;
- handled: `:telemetry.attach(id, event, handler, config)` and
  `attach_many(id, events, ...)`;
- measured: `Telemetry.Metrics` definitions (`summary("phoenix.endpoint.stop.duration")`
  reads the `duration` measurement of `[:phoenix, :endpoint, :stop]`, unless
  `event_name:` says otherwise).

An event counts when it is written as a literal list of atoms, directly or
in a module attribute (`@event [:my_app, :import, :done]`); one built at run
time (`prefix ++ [:stop]`) is not knowable from source and is left out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec
from tree_sitter import Node

from ..source.syntax import Call, atom_value, string_value, text

if TYPE_CHECKING:
    from .parsed import ParsedFile

_METRICS = ("counter", "sum", "last_value", "summary", "distribution")
_SPAN_SUFFIXES = ("start", "stop", "exception")


class TelemetryUse(msgspec.Struct, frozen=True, gc=False, array_like=True):
    event: str  # dotted: `my_app.orders.created`
    kind: str  # emit, span, attach, metric
    where: str  # `Module.function/arity`, or the module for code outside functions
    line: int
    detail: str = ""  # the handler (attach) or `summary duration` (metric)


def telemetry_uses(file: ParsedFile) -> tuple[TelemetryUse, ...]:
    data = file.doc.data
    if b":telemetry." not in data and b"Telemetry.Metrics" not in data:
        return ()
    found: list[TelemetryUse] = []
    for call in file.outline.calls:
        if call.module == ":telemetry":
            found += _telemetry_call(call)
        elif call.name in _METRICS and (call.module == "Telemetry.Metrics"
                                         or (call.module is None and _imports_metrics(call))):
            found += _metric(call)
    return tuple(found)


def _telemetry_call(call: Call) -> list[TelemetryUse]:
    if call.name == "execute" and call.args:
        return [_use(call, event, "emit") for event in _events(call, call.args[0], many=False)]
    if call.name == "span" and call.args:
        return [_use(call, f"{event}.{suffix}", "span") for event in _events(call, call.args[0], many=False)
                for suffix in _SPAN_SUFFIXES]
    if call.name in ("attach", "attach_many") and len(call.args) >= 3:
        handler = text(call.args[2])
        return [_use(call, event, "attach", handler)
                for event in _events(call, call.args[1], many=call.name == "attach_many")]
    return []


def _metric(call: Call) -> list[TelemetryUse]:
    name = string_value(call.args[0]) if call.args else None
    if not name or "." not in name:
        return []
    event, _, measurement = name.rpartition(".")
    override = call.keyword("event_name")
    if override is not None:  # the name is then only a label
        events = _events(call, override, many=False)
        if not events:
            return []
        event = events[0]
    measurement = atom_value(call.keyword("measurement")) or measurement
    return [_use(call, event, "metric", f"{call.name} {measurement}")]


def _events(call: Call, node: Node, *, many: bool) -> list[str]:
    """The events a literal (or a module attribute holding one) names; `many` for a list of events."""
    node = _attribute_value(call, node) or node
    if node.type != "list":
        return []
    if not many:
        event = _event(node)
        return [event] if event else []
    return [event for item in node.named_children if (event := _event(_attribute_value(call, item) or item))]


def _event(node: Node) -> str | None:
    if node.type != "list" or not node.named_children:
        return None
    parts = [atom_value(item) for item in node.named_children]
    return ".".join(parts) if all(parts) else None  # type: ignore[arg-type]


def _attribute_value(call: Call, node: Node) -> Node | None:
    """`@event` -> the literal the module set it to (the first setting; reassigned attributes are rare)."""
    if node.type != "unary_operator" or not text(node).startswith("@") or call.module_def is None:
        return None
    values = call.module_def.attributes.get(text(node)[1:].strip())
    return values[0] if values else None


def _imports_metrics(call: Call) -> bool:
    module = call.module_def
    while module is not None:
        if any(imported == "Telemetry.Metrics" for imported, _ in module.imports):
            return True
        module = module.parent
    return False


def _use(call: Call, event: str, kind: str, detail: str = "") -> TelemetryUse:
    owner, module = call.owner, call.module_def
    where = (f"{module.name}." if module else "") + (f"{owner.name}/{owner.arity}" if owner else "")
    return TelemetryUse(event, kind, where.rstrip(".") or "(top level)", call.node.start_point[0] + 1, detail)
