"""LiveView facts: what runs on both renders, where pages patch to, what events cost.

A LiveView's `mount/3` runs twice: once for the static HTML render (a
short-lived process that answers the HTTP request) and once in the LiveView
process when the browser connects. Code under `if connected?(socket)` (or
`get_connect_params/1`, `transport_pid`), and code in `assign_async`/
`start_async` callbacks, runs only in the connected one: its call sites are
`deferred`. The rest of the file's facts are what the LiveView rules need
across files:

- `effects`: functions that directly subscribe to PubSub, track presence,
  start timers or call an HTTP client outside such a guard; with the call
  graph, a `mount/3` call that reaches one is found across modules;
- `routes`: the router's `live` routes with their full paths and helper
  names; `patches`: the `push_patch`, `<.link patch>`, `JS.patch` and
  `live_patch` sites with their target path as a pattern (`/posts/*/edit`);
- `events`: the `handle_event/3` clauses by event name, and `forms`: the
  `phx-change` forms whose text inputs send an event per keystroke;
- `collections`: assigns that hold a database list and are assigned again
  in `handle_info/2` or `handle_event/3`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from tree_sitter import Node

from ...source.markup import Element
from ...source.syntax import (
    MAX_DEPTH,
    Call,
    Clause,
    ModuleDef,
    arguments,
    atom_value,
    call_target_name,
    keyword,
    operator,
    string_value,
    text,
)
from ..assigns import assign_pairs
from ..calls import project_callee
from ..ecto.queries import is_repo_call
from ..phoenix.router import Route, router_of
from .facts import ChangeForm, CollectionAssign, Effect, EventClause, LiveRoute, LiveViewFacts, Patch

if TYPE_CHECKING:
    from ..parsed import ParsedFile

LIVE_KINDS = frozenset({"live_view", "live_component"})
# Conditions that only hold in the connected render.
# (`get_connect_params/1` is nil in the static render; `get_connect_info/2` is not: it reads the conn there.)
CONNECTED_TEST = re.compile(r"\bconnected\?\s*\(|\btransport_pid\b|\bget_connect_params\b")
_CONNECTED_HINT = re.compile(rb"connected\?|transport_pid|get_connect_params|_async\b")
_ASYNC = frozenset({"assign_async", "start_async", "stream_async"})
_CONDITIONALS = frozenset({"if", "unless", "case", "with", "cond"})
HTTP_CLIENTS = frozenset({"Req", "HTTPoison", "Finch", "Tesla", ":httpc", ":hackney"})
_HTTP_VERBS = frozenset({"get", "post", "put", "patch", "delete", "head", "request", "run", "options"})
_TIMERS = {":timer": frozenset({"send_interval", "apply_interval", "send_after", "apply_after"}),
           "Process": frozenset({"send_after"})}
# Input types that send a change event per keystroke (or per pixel dragged).
TEXT_TYPES = frozenset({"text", "search", "email", "url", "tel", "password", "number", "range"})
# Functions named to return a whole collection (searches and "recent" lists are usually limited).
_LIST_NAME = re.compile(r"^(?:list|all|find_all|fetch_all)(?:_|$)")
_CONS = re.compile(r"\[[^\[\]|]+\|[^\]]+\]")
_FIELD = re.compile(r"\[\s*:(\w+)\s*\]")
# `Routes.post_index_path(@socket, :edit, ...)`: the helper and its action (or LiveView, for `live_path`).
_ROUTES_HELPER = re.compile(
    r"^(?:[\w.]*\bRoutes\.)(\w+)_(?:path|url)\(\s*[^,()]+(?:\([^()]*\))?\s*,\s*(:\w+|[A-Z][\w.]*)")


def liveview_facts(file: ParsedFile) -> LiveViewFacts | None:
    if not file.runs_in_production:
        return None
    connected = _Connected(file) if _CONNECTED_HINT.search(file.doc.data) else None
    effects = list(_effects(file, connected))
    deferred = connected.sites() if connected is not None else ()
    routes = [r for module in file.modules_of("router") for r in live_routes(file, module)]
    patches = list(_patches(file))
    live = [m for m in file.outline.modules if LIVE_KINDS & set(file.kinds_of(m))]
    events = [e for m in live for e in _events(file, m)]
    forms = list(_forms(file)) if file.templates else []
    collections = [c for m in live for c in _Collections(file, m).found()]
    hooks = sorted({c.module_def.name for c in file.outline.calls
                    if c.name == "attach_hook" and c.module_def is not None and len(c.args) >= 3
                    and atom_value(c.args[2]) == "handle_params"})
    if not (effects or deferred or routes or patches or events or forms or collections or hooks):
        return None
    return LiveViewFacts(tuple(effects), tuple(deferred), tuple(routes), tuple(patches), tuple(events),
                         tuple(forms), tuple(collections), tuple(hooks))


# -- what runs only when connected ------------------------------------------------------------


class _Connected:
    """Which calls of a file run only in the connected render."""

    def __init__(self, file: ParsedFile):
        self.file = file
        self._flags: dict[int, set[str]] = {}  # per clause: variables holding `connected?(socket)`

    def deferred(self, call: Call) -> bool:
        clause = call.owner
        if clause is None:
            return False
        flags = self._variables(clause)
        current, depth = call.node.parent, 0
        while current is not None and current.id != clause.node.id and depth < MAX_DEPTH:
            if current.type == "call":
                name = call_target_name(current)
                if name in _ASYNC:
                    return True
                if name in _CONDITIONALS:
                    tested = arguments(current)
                    if name != "with":
                        tested = tested[:1]
                    if any(self._tests(node, flags) for node in tested if node.type != "keywords"):
                        return True
            elif current.type == "stab_clause":
                left = current.child_by_field_name("left")
                if left is not None and self._tests(left, flags):
                    return True  # `cond do connected?(socket) -> ... end`
            current, depth = current.parent, depth + 1
        return False

    def sites(self) -> tuple[tuple[int, int], ...]:
        found = []
        for call in self.file.outline.calls:
            if call.runs_at_runtime and not call.in_template and self.deferred(call):
                span = self.file.span(call.node)
                found.append((span.line, span.column))
        return tuple(found)

    @staticmethod
    def _tests(node: Node, flags: set[str]) -> bool:
        code = text(node)
        if CONNECTED_TEST.search(code):
            return True
        return any(re.search(rf"(?<![\w?!]){re.escape(flag)}(?![\w?!])", code) for flag in flags)

    def _variables(self, clause: Clause) -> set[str]:
        found = self._flags.get(id(clause))
        if found is None:
            found = set()
            for kind, node in self.file.outline.values_within(clause.node, ("match",)):
                left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
                if left is not None and right is not None and left.type == "identifier" \
                        and CONNECTED_TEST.search(text(right)):
                    found.add(text(left))
            self._flags[id(clause)] = found
        return found


def effect_of(call: Call) -> tuple[str, str] | None:
    """`(kind, "Module.fun/arity")` of a call that subscribes, tracks, starts a timer or calls HTTP."""
    name, module = call.name or "", call.module or ""
    if call.capture or not module:
        return None
    label = f"{module}.{name}/{call.arity}"
    if name == "subscribe" and (module == "Phoenix.PubSub" or module.endswith("Endpoint")):
        return "subscribe", label
    if name == "track" and (module.endswith("Presence") or module == "Phoenix.Tracker"):
        return "presence", label
    if name in _TIMERS.get(module, ()):
        if module == "Process" and not (call.args and text(call.args[0]).replace(" ", "") == "self()"):
            return None  # a message for another process
        return "timer", label
    if module in HTTP_CLIENTS and name.rstrip("!") in _HTTP_VERBS:
        return "http", label
    return None


def _effects(file: ParsedFile, connected: _Connected | None) -> Iterator[Effect]:
    for call in file.outline.calls:
        clause = call.owner
        if clause is None or clause.module is None or not call.runs_at_runtime or call.in_template:
            continue
        found = effect_of(call)
        if found is None or (connected is not None and connected.deferred(call)):
            continue
        span = file.span(call.node)
        yield Effect(clause.module.name, clause.name, clause.arity, found[0], found[1], span.line, span.column,
                     span.end_line, span.end_column)


# -- routes and patches -------------------------------------------------------------------------


def live_routes(file: ParsedFile, module: ModuleDef) -> Iterator[LiveRoute]:
    router = router_of(file.outline, module)
    for route in router.routes:
        if route.verb != "live" or route.target is None or route.path is None:
            continue
        yield LiveRoute(route.full_path(), route.target, route.action, _helper(route), route.node.start_point[0] + 1)


def _helper(route: Route) -> str:
    """The route helper prefix Phoenix derives (`Routes.<helper>_path`)."""
    args = arguments(route.node)
    own = keyword(args[-1], "as") if args and args[-1].type in ("keywords", "list") else None
    name = atom_value(own) if own is not None else None
    if name is None:
        if route.action is None:
            name = "live"
        else:
            parts = (route.target or "").split(".")
            while parts and not parts[0].endswith("Live"):
                parts.pop(0)
            words = [_underscore(p.removesuffix("Live")) for p in parts]
            name = "_".join(w for w in words if w)
    prefixes = []
    scope = route.scope
    while scope is not None and len(prefixes) < 64:
        option = next((keyword(a, "as") for a in arguments(scope.node) if a.type in ("keywords", "list")), None)
        if option is not None and atom_value(option):
            prefixes.append(atom_value(option))
        scope = scope.parent
    return "_".join([*reversed(prefixes), name])


def _underscore(word: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", word).lower()


def path_pattern(code: str) -> str | None:
    """The path a patch goes to as a pattern: `~p"/posts/#{post}/edit?x=1"` -> `/posts/*/edit`;
    `Routes.post_index_path(@socket, :edit, post)` -> `helper:post_index:edit`; None when unknown."""
    code = code.strip()
    helper = _ROUTES_HELPER.match(code)
    if helper is not None:
        name, second = helper.groups()
        return f"helper:{name}:{second[1:]}" if second.startswith(":") else f"module:{name}:{second}"
    if code.startswith("~p"):
        code = code[2:]
    if len(code) < 2 or code[0] != '"' or code[-1] != '"':
        return None
    body = _blank_interpolations(code[1:-1])
    if body is None or not body.startswith("/"):
        return None
    body = re.split(r"[?#]", body, maxsplit=1)[0]
    segments = ["*" if "\0" in s else s for s in body.split("/") if s]
    return "/" + "/".join(segments)


def _blank_interpolations(body: str) -> str | None:
    """`#{...}` replaced by a NUL, nested braces and strings included; None when unbalanced."""
    out, i = [], 0
    while i < len(body):
        if body.startswith("#{", i):
            depth, i = 1, i + 2
            while i < len(body) and depth:
                depth += {"{": 1, "}": -1}.get(body[i], 0)
                i += 1
            if depth:
                return None
            out.append("\0")
        elif body[i] == '"':
            return None  # a quote ends the literal: not a plain path
        else:
            out.append(body[i])
            i += 1
    return "".join(out)


def route_matches(pattern: str, route: LiveRoute) -> bool:
    """Whether a patch target may land on a route (an interpolated segment matches any segment)."""
    if pattern.startswith("helper:"):
        _, helper, action = pattern.split(":", 2)
        return route.helper == helper and (route.action or "index") == action
    if pattern.startswith("module:"):
        _, helper, module = pattern.split(":", 2)
        return route.helper == helper and (route.module == module or route.module.endswith("." + module))
    wanted = [s for s in pattern.split("/") if s]
    segments = [s for s in route.path.split("/") if s]
    for index, segment in enumerate(segments):
        if segment.startswith("*"):
            return True
        if index >= len(wanted):
            return False
        if not segment.startswith(":") and wanted[index] not in ("*", segment):
            return False
    return len(wanted) == len(segments)


def _patches(file: ParsedFile) -> Iterator[Patch]:
    for call in file.outline.calls:
        if not call.runs_at_runtime or call.capture:
            continue
        found = _patch_call(call)
        if found is not None:
            how, value = found
            target = path_pattern(text(value))
            if target is not None:
                span = file.span(call.node)
                module = call.module_def.name if call.module_def is not None else None
                yield Patch(module, how, target, span.line, span.column, span.end_line, span.end_column)
    for element in file.elements if file.templates else ():
        attribute = element.attribute("patch")
        if attribute is None or element.kind != "component" or not _links(element):
            continue
        target = path_pattern(attribute.code or "") if attribute.dynamic else path_pattern(f'"{attribute.value}"')
        if target is not None:
            span = file.doc.span_of_bytes(element.start, element.start + 1 + len(element.name))
            clause = _clause_at(file, element.start)
            module = clause.module.name if clause is not None and clause.module is not None else None
            yield Patch(module, f"<{element.name} patch>", target, span.line, span.column, span.end_line,
                        span.end_column)


def _links(element: Element) -> bool:
    last = element.name.rsplit(".", 1)[-1]
    return last in ("link", "button") or last.endswith("_link")


def _patch_call(call: Call) -> tuple[str, Node] | None:
    name, module = call.name, call.module
    if name == "push_patch" and module in (None, "Phoenix.LiveView"):
        value = call.keyword("to")
        return ("push_patch/2", value) if value is not None else None
    if name == "live_patch" and module in (None, "Phoenix.LiveView.Helpers", "Phoenix.Component"):
        value = call.keyword("to")
        return ("live_patch", value) if value is not None else None
    if name == "patch" and module in ("JS", "Phoenix.LiveView.JS"):
        value = next((a for a in call.args if text(a).startswith(('"', "~p", "Routes."))), None)
        return ("JS.patch", value) if value is not None else None
    return None


def _clause_at(file: ParsedFile, offset: int) -> Clause | None:
    found = None
    for clause in file.outline.clauses:
        if clause.node.start_byte <= offset < clause.node.end_byte:
            if found is None or clause.node.start_byte >= found.node.start_byte:
                found = clause
    return found


# -- events and forms ---------------------------------------------------------------------------


def _events(file: ParsedFile, module: ModuleDef) -> Iterator[EventClause]:
    for clause in file.outline.clauses_of(module):
        if clause.name == "handle_event" and clause.arity == 3 and clause.kind == "def":
            event = string_value(clause.params[0])
            yield EventClause(module.name, event or "", clause.line, clause.node.end_point[0] + 1)


def text_input(element: Element) -> bool:
    """A field whose every keystroke changes the form: a text-like `<input>`, a `<textarea>`, or the
    project's `<.input>` of such a type (core_components' `input/1` defaults to text)."""
    if element.spread:
        return False
    if element.kind == "html" and element.name == "textarea":
        return True
    last = element.name.rsplit(".", 1)[-1]
    if (element.kind, element.name) != ("html", "input") and (element.kind != "component" or last != "input"):
        return False
    kind = element.attribute("type")
    if kind is None:
        return True
    if kind.dynamic or kind.value is None:
        return False
    value = kind.value.lower()
    return value in TEXT_TYPES or (element.kind == "component" and value == "textarea")


def rate_limited(element: Element) -> bool:
    return element.has("phx-debounce", "phx-throttle")


def input_name(element: Element) -> str:
    field = element.attribute("field")
    if field is not None and field.code:
        match = _FIELD.search(field.code)
        if match:
            return match.group(1)
    return element.value("name") or element.value("id") or element.name


def _forms(file: ParsedFile) -> Iterator[ChangeForm]:
    for form in file.elements:
        change = form.attribute("phx-change")
        if change is None or change.dynamic or not change.value or rate_limited(form) or text_input(form):
            continue
        target = form.attribute("phx-target")
        if target is not None and (target.code or "").strip() != "@myself":
            continue  # another component, or a DOM selector
        inputs = [e for e in form.walk() if e is not form and text_input(e) and not rate_limited(e)
                  and not e.has("phx-change")]
        if not inputs:
            continue
        clause = _clause_at(file, form.start)
        module = clause.module.name if clause is not None and clause.module is not None else None
        span = file.doc.span_of_bytes(form.start, form.start + 1 + len(form.name))
        label = f'<{form.name} id="{form.value("id")}">' if form.value("id") else f"<{form.name}>"
        yield ChangeForm(module, label, change.value, "myself" if target is not None else "",
                         tuple(dict.fromkeys(input_name(e) for e in inputs)), span.line, span.column,
                         span.end_line, span.end_column)


# -- lists kept in assigns ------------------------------------------------------------------------


class _Collections:
    """Assigns of one LiveView that hold a database list and are assigned again by events or messages."""

    _ROOTS = (("handle_info", 2), ("handle_event", 3))

    def __init__(self, file: ParsedFile, module: ModuleDef):
        self.file = file
        self.module = module
        self.calls = [c for c in file.outline.calls if c.module_def is module and c.owner is not None
                      and c.runs_at_runtime and not c.in_template]
        self.by_node = {c.node.id: c for c in self.calls}

    def found(self) -> Iterator[CollectionAssign]:
        sites: dict[str, list[tuple[Call, Node, bool]]] = {}
        for call in self.calls:
            if call.module not in (None, "Phoenix.Component", "Phoenix.LiveView"):
                continue
            if call.name == "assign":
                for key, value, _ in assign_pairs(call):
                    sites.setdefault(key, []).append((call, value, False))
            elif call.name == "update" and len(call.args) == 3 and atom_value(call.args[1]):
                sites.setdefault(atom_value(call.args[1]), []).append((call, call.args[2], True))
        if not sites:
            return
        again = self._reached()
        for key, assigned in sites.items():
            later = [(c, v, u) for c, v, u in assigned if id(c.owner) in again]
            if not later:
                continue
            for call, value, updated in assigned:
                source = None if updated else self._list_source(call.owner, value)
                if source is None:
                    continue
                yield self._fact(key, call, source, later)
                break

    def _fact(self, key: str, call: Call, source: Call, later: list[tuple[Call, Node, bool]]) -> CollectionAssign:
        file, clause = self.file, call.owner
        grows = [c for c, v, _ in later if _appends(v)]
        again_call = (grows or [c for c, _, _ in later])[0]
        again = again_call.owner
        span, source_span = file.span(call.node), file.span(source.node)
        written = f"{source.module + '.' if source.module else ''}{source.name}/{source.arity}"
        return CollectionAssign(
            self.module.name, key, clause.name, clause.arity, written, is_repo_call(source), source_span.line,
            source_span.column, f"{again.name}/{again.arity}", again_call.line, bool(grows), span.line,
            span.column, span.end_line, span.end_column)

    def _reached(self) -> set[int]:
        """The clauses `handle_info/2` and `handle_event/3` run, and the module's functions they call."""
        clauses = self.file.outline.clauses_of(self.module)
        by_name: dict[tuple[str, int], list[Clause]] = {}
        for clause in clauses:
            by_name.setdefault((clause.name, clause.arity), []).append(clause)
        work = [c for c in clauses if (c.name, c.arity) in self._ROOTS]
        seen = {id(c) for c in work}
        calls_of: dict[int, list[Call]] = {}
        for call in self.calls:
            calls_of.setdefault(id(call.owner), []).append(call)
        while work:
            clause = work.pop()
            for call in calls_of.get(id(clause), ()):
                if call.module not in (None, self.module.name):
                    continue
                for target in by_name.get((call.name or "", call.arity), ()):
                    if id(target) not in seen:
                        seen.add(id(target))
                        work.append(target)
        return seen

    def _list_source(self, clause: Clause, value: Node) -> Call | None:
        """The call whose list the value is: `Repo.all(...)` or a list-named function (`list_posts/0`)."""
        node = _unpiped(value)
        if node.type == "identifier":
            bound = self.file.flow(clause).bindings.get(text(node), [])
            if len(bound) != 1 or bound[0] is None:
                return None
            node = _unpiped(bound[0])
        call = self.by_node.get(node.id) if node.type == "call" else None
        if call is None or call.capture:
            return None
        if is_repo_call(call):
            return call if call.name == "all" and "limit" not in text(value) else None
        if _LIST_NAME.match(call.name or "") and project_callee(call, self.file.own_functions) is not None:
            return call
        return None


def _unpiped(node: Node) -> Node:
    depth = 0
    while node.type == "binary_operator" and operator(node) == "|>" and depth < MAX_DEPTH:
        right = node.child_by_field_name("right")
        if right is None:
            break
        node, depth = right, depth + 1
    return node


def _appends(value: Node) -> bool:
    """`[post | socket.assigns.posts]`, `posts ++ [post]`, `&[post | &1]`: the list grows."""
    code = text(value)
    return "++" in code or bool(_CONS.search(code)) or "List.insert_at" in code or "Enum.concat" in code
