"""A Phoenix router and endpoint as their source declares them.

- `router_of(outline, module)`: the router's pipelines with their plugs and
  options, its scopes (path, alias, `pipe_through`, nesting) and its routes
  (verb, path, controller or LiveView with the scope's alias, action).
- `endpoint_of(outline, module)`: the endpoint's plugs and `socket`
  declarations with their options.

Nothing is evaluated: values stay tree-sitter nodes, as written. Code under
an `if` (`if code_reloading?`, dev-only routes) is kept and marked
`conditional`. `web_facts(file)` keeps what the security rules need across
files: browser pipelines, the security headers a file sets, and the
`check_origin` settings of config files with the environments they apply to.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tree_sitter import Node

from ...source.document import Span
from ...source.syntax import (
    ModuleDef,
    Outline,
    arguments,
    atom_value,
    call_target_name,
    do_block,
    keyword,
    module_reference,
    operator,
    string_value,
    text,
)
from ..config import config_calls, holds_in_prod, is_env_call
from ..facts import OriginSetting, PipelineFacts, WebFacts

if TYPE_CHECKING:
    from ..parsed import ParsedFile

ROUTE_VERBS = frozenset({"get", "post", "put", "patch", "delete", "options", "head", "connect", "trace"})
MUTATING_VERBS = frozenset({"post", "put", "patch", "delete"})
_ROUTE_MACROS = ROUTE_VERBS | {"match", "live", "resources", "forward"}
_MAX_NESTING = 64


@dataclass(eq=False)
class Plug:
    """`plug :fetch_session` (a function plug) or `plug MyAppWeb.Auth, opts` (a module plug)."""

    name: str  # "fetch_session", or the module ("MyAppWeb.Auth")
    function: bool
    options: Node | None  # the second argument, as written
    node: Node
    conditional: bool = False  # `plug ... when action in ...`, or under an `if`


@dataclass(eq=False)
class Pipeline:
    name: str
    plugs: list[Plug]
    node: Node

    def plug(self, name: str) -> Plug | None:
        return next((p for p in self.plugs if p.name == name), None)


@dataclass(eq=False)
class Scope:
    path: str | None
    alias: str | None  # the module prefix routes inside get, parents' included
    pipe_through: list[str]  # this scope's own, as written (`:browser`, a module plug's name)
    parent: Scope | None
    node: Node

    def pipes(self) -> list[str]:
        """Every pipeline and plug the scope's routes go through, outermost first."""
        chain: list[Scope] = []
        scope: Scope | None = self
        while scope is not None and len(chain) < _MAX_NESTING:
            chain.append(scope)
            scope = scope.parent
        return [name for s in reversed(chain) for name in s.pipe_through]


@dataclass(eq=False)
class Route:
    verb: str  # get, post, ..., match, live, resources, forward
    path: str | None
    target: str | None  # controller, LiveView or plug module, with the scope's alias
    action: str | None  # `:show` -> "show"; None for resources and forwards
    scope: Scope | None
    node: Node
    conditional: bool = False  # under an `if` (dev-only routes)
    methods: tuple[str, ...] = ()  # `match`: the verbs it accepts (`*` for any)

    def pipes(self) -> list[str]:
        return self.scope.pipes() if self.scope is not None else []

    def live_session(self) -> str | None:
        """The `live_session :name do ... end` block the route sits in, if any."""
        node = self.node.parent
        while node is not None:
            if node.type == "call" and call_target_name(node) == "live_session":
                args = arguments(node)
                return (atom_value(args[0]) or text(args[0])) if args else None
            node = node.parent
        return None

    def full_path(self) -> str:
        """The path with every enclosing scope's prefix: `/admin/users/:id`."""
        parts = [self.path or ""]
        scope = self.scope
        while scope is not None and len(parts) < 64:
            parts.append(scope.path or "")
            scope = scope.parent
        return "/" + "/".join(s for part in reversed(parts) for s in part.split("/") if s)


@dataclass(eq=False)
class Router:
    module: ModuleDef
    pipelines: dict[str, Pipeline] = field(default_factory=dict)
    scopes: list[Scope] = field(default_factory=list)
    routes: list[Route] = field(default_factory=list)

    def plugs_through(self, pipes: list[str]) -> list[Plug]:
        """The plugs a request meets through `pipes`, pipelines expanded (also
        pipelines plugged by name inside other pipelines); a name that is no
        pipeline stands for a function or module plug of that name."""
        found: list[Plug] = []
        self._expand(pipes, found, set())
        return found

    def _expand(self, names: list[str], found: list[Plug], seen: set[str]) -> None:
        for name in names:
            pipeline = self.pipelines.get(name)
            if pipeline is None:
                found.append(Plug(name, not name[:1].isupper(), None, self.module.node))
            elif name not in seen and len(seen) < _MAX_NESTING:
                seen.add(name)
                for plug in pipeline.plugs:
                    if plug.function and plug.name in self.pipelines:
                        self._expand([plug.name], found, seen)
                    else:
                        found.append(plug)

    def users(self, pipeline: str) -> list[Scope]:
        """The scopes whose routes go through `pipeline`."""
        return [s for s in self.scopes if pipeline in s.pipes()]


@dataclass(eq=False)
class Socket:
    """`socket "/socket", MyAppWeb.UserSocket, websocket: [...], longpoll: [...]` in an endpoint."""

    path: str | None
    module: str | None
    options: Node | None  # the keyword list, as written
    node: Node
    conditional: bool = False  # under `if code_reloading?` and the like

    def transport(self, name: str) -> Node | None:
        """The options of one transport (`websocket`, `longpoll`): `true`, `false` or a keyword list."""
        return keyword(self.options, name)


@dataclass(eq=False)
class Endpoint:
    module: ModuleDef
    plugs: list[Plug] = field(default_factory=list)
    sockets: list[Socket] = field(default_factory=list)


# -- building -------------------------------------------------------------------


def router_of(outline: Outline, module: ModuleDef) -> Router:
    """The router declared in `module`'s body."""
    router = Router(module)
    body = do_block(module.node)
    if body is not None:
        _router_block(router, body, None, False, 0)
    return router


def endpoint_of(outline: Outline, module: ModuleDef) -> Endpoint:
    """The plugs and sockets declared in `module`'s body, in source order."""
    endpoint = Endpoint(module)
    _endpoint_block(endpoint, _statements(do_block(module.node)), False, 0)
    return endpoint


def _endpoint_block(endpoint: Endpoint, statements: list[Node], conditional: bool, depth: int) -> None:
    for node in statements:
        name = call_target_name(node) if node.type == "call" else None
        if name == "plug":
            plug = _plug(node, endpoint.module, conditional)
            if plug is not None:
                endpoint.plugs.append(plug)
        elif name == "socket":
            endpoint.sockets.append(_socket(node, endpoint.module, conditional))
        elif name in ("if", "unless") and depth < _MAX_NESTING:
            _endpoint_block(endpoint, _statements(do_block(node), branches=True), True, depth + 1)


def _router_block(router: Router, block: Node, scope: Scope | None, conditional: bool, depth: int) -> None:
    if depth > _MAX_NESTING:
        return
    module = router.module
    for node in _statements(block, branches=True):
        name = call_target_name(node) if node.type == "call" else None
        if name is None:
            continue
        args = arguments(node)
        if name == "pipeline" and args:
            pipeline = Pipeline(atom_value(args[0]) or text(args[0]), [], node)
            router.pipelines[pipeline.name] = pipeline
            for inner in _statements(do_block(node), branches=True):
                if inner.type == "call" and call_target_name(inner) == "plug":
                    plug = _plug(inner, module, inner.parent is not None and inner.parent.type != "do_block")
                    if plug is not None:
                        pipeline.plugs.append(plug)
        elif name == "scope":
            inner_scope = _scope(node, args, scope, module)
            router.scopes.append(inner_scope)
            _router_block(router, do_block(node), inner_scope, conditional, depth + 1)
        elif name == "pipe_through" and scope is not None and args:
            scope.pipe_through.extend(_names(args[0], module))
        elif name in _ROUTE_MACROS:
            route = _route(node, name, args, scope, module, conditional)
            if route is not None:
                router.routes.append(route)
            if name == "resources" and do_block(node) is not None:
                _router_block(router, do_block(node), scope, conditional, depth + 1)
        elif name == "live_session" or (name in ("if", "unless") and do_block(node) is not None):
            _router_block(router, do_block(node), scope, conditional or name != "live_session", depth + 1)


def _statements(block: Node | None, *, branches: bool = False) -> list[Node]:
    """The expressions of a do block (and of its `else` part when `branches`)."""
    if block is None:
        return []
    found = []
    for child in block.named_children:
        if child.type in ("else_block", "after_block", "rescue_block", "catch_block"):
            if branches and child.type == "else_block":
                found.extend(child.named_children)
        elif child.type == "block":
            found.extend(child.named_children)
        else:
            found.append(child)
    return found


def _plug(node: Node, module: ModuleDef, conditional: bool) -> Plug | None:
    args = arguments(node)
    if not args:
        return None
    head = args[0]
    if head.type == "binary_operator" and operator(head) == "when":
        head, conditional = head.child_by_field_name("left"), True
    if head is None:
        return None
    function = atom_value(head)
    name = function if function is not None else module_reference(head, module)
    if name is None:
        return None
    return Plug(name, function is not None, args[1] if len(args) > 1 else None, node, conditional)


def _scope(node: Node, args: list[Node], parent: Scope | None, module: ModuleDef) -> Scope:
    path = alias = None
    for arg in args:
        if arg.type == "string":
            path = string_value(arg)
        elif arg.type == "alias":
            alias = text(arg)
        elif arg.type == "keywords":
            path = path or string_value(keyword(arg, "path"))
            written = keyword(arg, "alias")
            alias = alias or (text(written) if written is not None and written.type == "alias" else None)
    if alias is not None:
        base = parent.alias if parent is not None else None
        alias = f"{base}.{alias}" if base else module.resolve(alias)
    elif parent is not None:
        alias = parent.alias
    return Scope(path, alias, [], parent, node)


def _names(node: Node, module: ModuleDef) -> list[str]:
    items = node.named_children if node.type == "list" else [node]
    names = []
    for item in items:
        name = atom_value(item) or module_reference(item, module)
        if name is not None:
            names.append(name)
    return names


def _route(node: Node, verb: str, args: list[Node], scope: Scope | None, module: ModuleDef,
           conditional: bool) -> Route | None:
    methods: tuple[str, ...] = ()
    if verb == "match":
        if not args:
            return None
        methods = tuple(atom_value(m) or "?" for m in (args[0].named_children if args[0].type == "list"
                                                        else [args[0]]))
        args = args[1:]
    if not args:
        return None
    path = string_value(args[0])
    target = _target(args[1], scope, module) if len(args) > 1 else None
    action = atom_value(args[2]) if len(args) > 2 and verb not in ("resources", "forward") else None
    return Route(verb, path, target, action, scope, node, conditional, methods)


def _target(node: Node, scope: Scope | None, module: ModuleDef) -> str | None:
    if node.type != "alias":
        return module_reference(node, module)
    written = text(node)
    if scope is not None and scope.alias:
        return f"{scope.alias}.{written}"
    return module.resolve(written)


def _socket(node: Node, module: ModuleDef, conditional: bool) -> Socket:
    args = arguments(node)
    path = string_value(args[0]) if args else None
    target = module_reference(args[1], module) if len(args) > 1 else None
    options = args[2] if len(args) > 2 and args[2].type in ("keywords", "list") else None
    return Socket(path, target, options, node, conditional)


def local_calls(outline: Outline, module: ModuleDef, name: str) -> set[str]:
    """What a function plug the module defines itself (`plug :put_csp` ->
    `defp put_csp(conn, opts)`) calls: names, and `Module.name` for remote calls."""
    found: set[str] = set()
    for call in outline.calls:
        owner = call.owner
        if owner is not None and owner.module is module and owner.name == name and owner.arity == 2 and call.name:
            found.add(f"{call.module}.{call.name}" if call.module else call.name)
    return found


# -- what browser pipelines send ------------------------------------------------------

CSP_HEADERS = ("content-security-policy", "content-security-policy-report-only")
_SECURITY_HEADERS = re.compile(
    rb"[\"'](content-security-policy(?:-report-only)?|x-frame-options|x-content-type-options)[\"']", re.I
)
# Libraries that set a content-security-policy: their module names, as plugged.
# What `put_secure_browser_headers` always sends (the CSP Phoenix 1.8 adds does not restrict scripts).
_PHOENIX_DEFAULTS = ["x-frame-options", "x-content-type-options"]
_HEADER_SETTERS = frozenset({"put_resp_header", "merge_resp_headers", "Plug.Conn.put_resp_header",
                             "Plug.Conn.merge_resp_headers"})
_CSP_LIBRARIES = re.compile(rb"\b(PlugContentSecurityPolicy|ContentSecurityPolicy\.Plug|PhoenixSecureHeaders)\b")


def is_browser(plugs: list[Plug]) -> bool:
    """A pipeline for HTML pages with a session: `:fetch_session`, and `accepts` HTML or fetches the flash."""
    names = {p.name for p in plugs}
    if "fetch_session" not in names:
        return False
    if names & {"fetch_live_flash", "fetch_flash"}:
        return True
    return any(p.name == "accepts" and p.options is not None and '"html"' in text(p.options) for p in plugs)


def named_like(plug: Plug, *words: str) -> bool:
    """A plug whose name says it does one of `words` (`:put_csp`, `MyAppWeb.Plugs.CSRF`)."""
    name = plug.name.lower().replace(".", "_")
    return any(word in name for word in words)


def sent_headers(plugs: list[Plug], calls: Callable[[str], set[str]] | None = None) -> tuple[tuple[str, ...], bool]:
    """The security headers `plugs` are known to send (lowercase), and whether
    some plug may send headers this cannot read (a map that is not a literal,
    a plug named for headers or CSP, a function plug of the router's own that
    sets headers). `calls(name)` tells what such a function plug calls."""
    headers: list[str] = []
    unknown = False
    for plug in plugs:
        called = calls(plug.name) if calls is not None and plug.function else set()
        if plug.name == "put_secure_browser_headers" or "put_secure_browser_headers" in called:
            headers += _PHOENIX_DEFAULTS
            options = plug.options if plug.name == "put_secure_browser_headers" else None
            if options is not None and options.type != "map":
                unknown = True
            elif options is not None:
                headers += [h.decode().lower() for h in _SECURITY_HEADERS.findall(options.text)]
        if named_like(plug, "csp", "content_security", "contentsecurity", "header") or called & _HEADER_SETTERS:
            unknown = unknown or plug.name != "put_secure_browser_headers"
    return tuple(dict.fromkeys(headers)), unknown


def web_facts(file: ParsedFile) -> WebFacts | None:
    """Browser pipelines of the file's routers, the security headers the file
    sets, and config files' `check_origin` settings; None when there are none."""
    kinds = file.kinds
    pipelines: list[PipelineFacts] = []
    data = file.doc.data
    if "router" in kinds:
        blanked = bytearray(data)
        for module in file.outline.modules:
            if "router" in file.kinds_of(module):
                router = router_of(file.outline, module)
                pipelines.extend(_pipeline_facts(file, router))
                for pipeline in router.pipelines.values():
                    # What a pipeline sends is its own: another pipeline may lack it.
                    node = pipeline.node
                    blanked[node.start_byte:node.end_byte] = b" " * (node.end_byte - node.start_byte)
        data = bytes(blanked)
    headers: tuple[str, ...] = ()
    if not kinds & {"test", "test_support", "config", "mix", "migration"}:
        found = [h.decode().lower() for h in _SECURITY_HEADERS.findall(data)]
        if _CSP_LIBRARIES.search(data):
            found.append(CSP_HEADERS[0])
        headers = tuple(sorted(set(found)))
    origins = tuple(origin_settings(file)) if "config" in kinds else ()
    if not (pipelines or headers or origins):
        return None
    return WebFacts(tuple(pipelines), headers, origins)


def pipeline_head(file: ParsedFile, node: Node) -> Span:
    """Where `pipeline :browser` is written, without its body."""
    args = arguments(node)
    return file.doc.span_of_bytes(node.start_byte, args[-1].end_byte if args else node.end_byte)


def _pipeline_facts(file: ParsedFile, router: Router) -> list[PipelineFacts]:
    found = []
    for pipeline in router.pipelines.values():
        plugs = router.plugs_through([pipeline.name])
        if not is_browser(plugs):
            continue
        headers, unknown = sent_headers(plugs, lambda name: local_calls(file.outline, router.module, name))
        span = pipeline_head(file, pipeline.node)
        found.append(PipelineFacts(router.module.name, pipeline.name, span.line, span.column, span.end_line,
                                   span.end_column, headers, unknown))
    return found


# -- check_origin in config files -------------------------------------------------------

_ENV_FILES = {"dev.exs": "dev", "test.exs": "test", "prod.exs": "prod"}


def origin_settings(file: ParsedFile) -> list[OriginSetting]:
    """`config :app, Endpoint, check_origin: x` in a config file, with whether it
    applies in production: "yes", "no" or "maybe" (a condition this cannot read)."""
    name = file.path.rsplit("/", 1)[-1]
    env = _ENV_FILES.get(name)
    found = []
    for call, app, key, options in config_calls(file):
        value = keyword(options, "check_origin")
        endpoint = module_reference(call.args[1], None) if key is not None else None
        if value is None or endpoint is None:
            continue
        prod = "no" if env in ("dev", "test") else "yes" if env == "prod" else _in_prod(call.node)
        span = file.span(value)
        found.append(OriginSetting(app, endpoint, " ".join(text(value).split()), prod, span.line, span.column,
                                   span.end_line, span.end_column))
    return found


def _in_prod(node: Node) -> str:
    """Whether code at `node` of config.exs/runtime.exs runs in production: the
    `if`/`unless`/`case` on `config_env()` (or `Mix.env()`) around it decide."""
    verdict = "yes"
    parent, depth, in_else = node.parent, 0, False
    while parent is not None and depth < _MAX_NESTING:
        if parent.type == "else_block":
            in_else = True
        elif parent.type == "do_block":
            owner = parent.parent
            name = call_target_name(owner) if owner is not None and owner.type == "call" else None
            if name in ("if", "unless") and arguments(owner):
                answer = holds_in_prod(arguments(owner)[0])
                if answer is None and _mentions_env(arguments(owner)[0]):
                    verdict = "maybe"
                elif answer is not None and (answer == (name == "if")) == in_else:
                    return "no"  # the branch that runs in production is the other one
            in_else = False
        elif parent.type == "stab_clause":
            answer = _case_branch(parent)
            if answer is False:
                return "no"
            if answer is None:
                verdict = "maybe"
        parent, depth = parent.parent, depth + 1
    return verdict


def _mentions_env(node: Node) -> bool:
    code = text(node)
    return "config_env()" in code or "Mix.env()" in code or "config_target()" in code


def _case_branch(stab: Node) -> bool | None:
    """For a branch of `case config_env() do :prod -> ... end`: whether it runs
    in production; True for branches of other `case`s."""
    body = stab.parent
    case = body.parent if body is not None and body.type == "do_block" else None
    if case is None or case.type != "call" or call_target_name(case) != "case" or not arguments(case):
        return True
    if not is_env_call(arguments(case)[0]):
        return True
    head = stab.child_by_field_name("left")
    patterns = head.named_children if head is not None and head.type == "arguments" else [head]
    values = [atom_value(p) for p in patterns if p is not None]
    if "prod" in values:
        return True
    if values and all(v is not None for v in values):
        return False
    return None  # `_ ->` and the like: production may land here


def open_origin(value: str) -> str | None:
    """How a `check_origin` value, as written, lets any site connect: "false",
    a wildcard origin (`"//*"`, `"*"`, `"//*.com"`), or None."""
    if value.strip() == "false":
        return "false"
    for origin in re.findall(r"\"([^\"]*)\"", value):
        host = origin.split("//", 1)[-1].split("/", 1)[0].split(":", 1)[0] if "//" in origin else origin
        if host in ("*", "*.*") or (host.startswith("*.") and "." not in host[2:]):
            return f'"{origin}"'
    return None
