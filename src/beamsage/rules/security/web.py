"""Router, endpoint, socket and channel settings that leave a Phoenix app open
to other sites: CSRF, missing browser headers, state changed by GET,
cross-site WebSockets, and sockets and channels that let anyone in."""

from __future__ import annotations

import re
from collections.abc import Iterable

from tree_sitter import Node

from ...model.facts import OriginSetting, PipelineFacts
from ...model.flow import branches
from ...model.parsed import ParsedFile
from ...model.phoenix.router import (
    CSP_HEADERS,
    MUTATING_VERBS,
    Plug,
    Route,
    Router,
    endpoint_of,
    is_browser,
    local_calls,
    named_like,
    open_origin,
    pipeline_head,
    router_of,
)
from ...model.project import Project
from ...source.document import Span
from ...source.syntax import (
    Call,
    Clause,
    ModuleDef,
    atom_value,
    keyword,
    keyword_pairs,
    operator,
    string_value,
    text,
    variables,
)
from ..base import Confidence, FileRule, Finding, ProjectRule, Severity, register
from .common import reviewable, shown


def _routers(file: ParsedFile) -> Iterable[Router]:
    return [router_of(file.outline, module) for module in file.modules_of("router")] if reviewable(file) else []


def _span(facts: PipelineFacts | OriginSetting) -> Span:
    return Span(facts.line, facts.column, facts.end_line, facts.end_column)


@register
class MissingCSRFProtection(FileRule):
    """A browser pipeline that keeps a session but never plugs `:protect_from_forgery`.

    ## What it finds

    A router pipeline for HTML pages (it plugs `:fetch_session`, and
    `accepts ["html"]` or fetches the flash) without `:protect_from_forgery`,
    `Plug.CSRFProtection` or a plug of the router's own that calls them,
    when a route that takes writes (POST, PUT, PATCH, DELETE, `resources`,
    `live`, `forward`) goes through it outside dev-only blocks with no other
    pipeline adding the protection.

    ## Why it matters

    The session cookie goes with every request the browser makes, including
    a form another site posts to yours. `protect_from_forgery` rejects POST,
    PUT, PATCH and DELETE requests that lack the CSRF token Phoenix puts in
    your own forms; without it, any page a signed-in user visits can change
    their password, place orders or delete data in their name.

    ## Example

    ```elixir
    pipeline :browser do
      plug :accepts, ["html"]
      plug :fetch_session
      plug :fetch_live_flash
      plug :put_secure_browser_headers
    end
    ```

    ## Use instead

    Keep the plug Phoenix generates in every pipeline that serves forms:

    ```elixir
    pipeline :browser do
      plug :accepts, ["html"]
      plug :fetch_session
      plug :fetch_live_flash
      plug :protect_from_forgery
      plug :put_secure_browser_headers
    end
    ```
    """

    id = "Security.MissingCSRFProtection"
    severity = Severity.ERROR
    confidence = Confidence.HIGH
    cwe = (352,)
    security_severity = 8.0

    def check(self, file: ParsedFile) -> Iterable[Finding]:
        for router in _routers(file):
            for pipeline in router.pipelines.values():
                plugs = router.plugs_through([pipeline.name])
                if not is_browser(plugs) or self._protected(file, router, plugs):
                    continue
                exposed = [r for r in router.routes
                           if pipeline.name in r.pipes() and not r.conditional and _takes_writes(r)]
                if all(self._protected(file, router, router.plugs_through(r.pipes())) for r in exposed):
                    continue  # no route takes a form through it, or another pipeline adds the protection
                yield self.finding(
                    file.path, pipeline_head(file, pipeline.node),
                    f"Pipeline `:{pipeline.name}` fetches the session for HTML pages but never plugs "
                    "`:protect_from_forgery`, so a form on any other site can post as the signed-in user",
                    fix=f"Add `plug :protect_from_forgery` to the `:{pipeline.name}` pipeline.",
                )

    @staticmethod
    def _protected(file: ParsedFile, router: Router, plugs: list[Plug]) -> bool:
        for plug in plugs:
            if plug.name in ("protect_from_forgery", "Plug.CSRFProtection") or named_like(plug, "csrf", "forgery"):
                return True
            if plug.function and local_calls(file.outline, router.module, plug.name) & _CSRF_CALLS:
                return True
        return False


def _takes_writes(route) -> bool:
    """A route a form can post to (a LiveView's events arrive over its socket, checked with the same token)."""
    if route.verb == "match":
        return any(method != "get" for method in route.methods) or not route.methods
    return route.verb in ("post", "put", "patch", "delete", "resources", "live", "forward")


_CSRF_CALLS = frozenset({"protect_from_forgery", "Plug.CSRFProtection.call", "Phoenix.Controller.protect_from_forgery"})


def _browser_pipelines(project: Project) -> Iterable[tuple[str, PipelineFacts, set[str]]]:
    """Each browser pipeline of the project's routers, with the security headers
    the project's code names anywhere (a plug in the endpoint, a helper module)."""
    named: set[str] = set()
    pipelines = []
    for path, facts in project.files.items():
        if facts.web is not None:
            named.update(facts.web.headers)
            pipelines.extend((path, p) for p in facts.web.pipelines)
    for path, pipeline in pipelines:
        yield path, pipeline, named


@register
class MissingSecureHeaders(ProjectRule):
    """A browser pipeline that sends none of the headers `put_secure_browser_headers` sets.

    ## What it finds

    A router pipeline for HTML pages (session plus HTML or flash) without
    `:put_secure_browser_headers`, when neither a plug named for headers
    nor any module of the project sets `x-frame-options` or a
    content-security-policy. Headers set by a proxy are invisible from the
    source, hence medium confidence.

    ## Why it matters

    `put_secure_browser_headers` stops other sites from framing your pages
    (clickjacking: the user clicks a hidden button of yours through a decoy
    page), stops browsers from sniffing uploads as scripts
    (`x-content-type-options: nosniff`) and limits the referrer sent to
    other sites. A pipeline without it serves every page unprotected.

    ## Example

    ```elixir
    pipeline :browser do
      plug :accepts, ["html"]
      plug :fetch_session
      plug :fetch_live_flash
      plug :protect_from_forgery
    end
    ```

    ## Use instead

    ```elixir
    pipeline :browser do
      plug :accepts, ["html"]
      plug :fetch_session
      plug :fetch_live_flash
      plug :protect_from_forgery
      plug :put_secure_browser_headers
    end
    ```
    """

    id = "Security.MissingSecureHeaders"
    severity = Severity.WARNING
    confidence = Confidence.MEDIUM
    cwe = (693, 1021)
    security_severity = 4.3

    def check(self, project: Project) -> Iterable[Finding]:
        for path, pipeline, named in _browser_pipelines(project):
            if pipeline.headers or pipeline.unknown or named & {"x-frame-options", *CSP_HEADERS}:
                continue
            yield self.finding(
                path, _span(pipeline),
                f"Pipeline `:{pipeline.name}` serves HTML pages without `:put_secure_browser_headers`, so other "
                "sites may frame them (clickjacking) and browsers may sniff content types",
                fix=f"Add `plug :put_secure_browser_headers` to the `:{pipeline.name}` pipeline.",
            )


@register
class MissingContentSecurityPolicy(ProjectRule):
    """A browser pipeline whose pages carry no content-security-policy of the project's own.

    ## What it finds

    A browser pipeline that plugs `:put_secure_browser_headers` without a
    `content-security-policy` in its map, when no plug named for CSP and no
    module of the project (endpoint plug, helper, a CSP library) sets one.
    Phoenix's generator leaves the policy out (Phoenix 1.8's default only
    sets `base-uri` and `frame-ancestors`, which do not restrict scripts),
    so this is advice, at low confidence: a proxy or CDN may add the header.

    ## Why it matters

    Phoenix escapes what templates write, but one `raw/1`, one unsafe
    `{:safe, ...}` or one vulnerable JavaScript dependency is enough for
    an injected script to run with the user's session. A policy with
    `script-src 'self'` tells the browser to refuse scripts from anywhere
    else, so such a mistake stays a bug instead of an account takeover.

    ## Example

    ```elixir
    pipeline :browser do
      plug :accepts, ["html"]
      plug :fetch_session
      plug :fetch_live_flash
      plug :protect_from_forgery
      plug :put_secure_browser_headers
    end
    ```

    ## Use instead

    Give the plug a policy (start with report-only if unsure what it breaks):

    ```elixir
    @csp "default-src 'self'; script-src 'self'; img-src 'self' data:; frame-ancestors 'self'"

    pipeline :browser do
      plug :accepts, ["html"]
      plug :fetch_session
      plug :fetch_live_flash
      plug :protect_from_forgery
      plug :put_secure_browser_headers, %{"content-security-policy" => @csp}
    end
    ```
    """

    id = "Security.MissingContentSecurityPolicy"
    severity = Severity.INFO
    confidence = Confidence.LOW
    cwe = (693,)
    security_severity = 2.0

    def check(self, project: Project) -> Iterable[Finding]:
        for path, pipeline, named in _browser_pipelines(project):
            headers = set(pipeline.headers)
            if "x-frame-options" not in headers or headers & set(CSP_HEADERS) or pipeline.unknown:
                continue
            if named & set(CSP_HEADERS):
                continue
            yield self.finding(
                path, _span(pipeline),
                f"Pipeline `:{pipeline.name}` sends secure browser headers but no content-security-policy that "
                "restricts scripts, so an injected script would run unhindered",
                fix='Pass a policy: `plug :put_secure_browser_headers, %{"content-security-policy" => @csp}`.',
            )


# Action names that say the action changes data (first word of the name).
_CHANGING_ACTIONS = frozenset({"delete", "destroy", "remove", "create", "update", "purge"})
_SECRET_SEGMENT = re.compile(r"/:(\w*_)?(token|code|key|signature|hash|secret)\b")
# Actions read-only by convention: routed by GET and POST alike without harm.
_READING_ACTIONS = frozenset({"index", "show", "new", "edit", "home", "search", "list", "preview", "export"})


@register
class StateChangingGetRoute(FileRule):
    """A `get` route to an action that changes data, which CSRF protection never checks.

    ## What it finds

    In a router, a `get` route to an action named for changing data
    (`:delete`, `:destroy`, `:remove_member`, `:update_status`, `:create`...),
    or a controller action routed both by `get` and by `post`/`put`/`patch`/
    `delete`. `resources` and `live` routes, OAuth callbacks, links that
    carry a token (`/unsubscribe/:token`), dev-only routes and routes whose
    pipelines keep no session are not reported.

    ## Why it matters

    `protect_from_forgery` only checks POST, PUT, PATCH and DELETE: GET is
    meant to be safe. A GET that deletes or updates runs for any link, image
    tag or prefetch that points at it, from any site or email, with the
    user's session cookie attached. A `get "/logout"` is the mildest case;
    `get "/posts/:id/delete"` lets a crafted `<img>` delete records.

    ## Example

    ```elixir
    scope "/", MyAppWeb do
      pipe_through :browser

      get "/posts/:id/delete", PostController, :delete
    end
    ```

    ## Use instead

    Route changes with a mutating verb and send them from a form or a
    `<.link method="delete">`, which carries the CSRF token:

    ```elixir
    scope "/", MyAppWeb do
      pipe_through :browser

      delete "/posts/:id", PostController, :delete
    end
    ```
    """

    id = "Security.StateChangingGetRoute"
    severity = Severity.WARNING
    confidence = Confidence.HIGH
    cwe = (352,)
    security_severity = 6.5

    def check(self, file: ParsedFile) -> Iterable[Finding]:
        for router in _routers(file):
            mutating = {(r.target, r.action) for r in router.routes if r.verb in MUTATING_VERBS}
            for route in router.routes:
                if route.verb != "get" or route.action is None or route.target is None or route.conditional:
                    continue
                if "callback" in route.action or "callback" in (route.path or ""):
                    continue  # OAuth providers call back by GET or POST; the state parameter guards it
                if _SECRET_SEGMENT.search(route.path or ""):
                    continue  # an emailed link with a token: another site cannot forge it
                session = self._session(router, route)
                if session is False:
                    continue
                first = route.action.split("_", 1)[0]
                controller = route.target.rsplit(".", 1)[-1]
                if first in _CHANGING_ACTIONS:
                    why = "an action named for changing data"
                    confidence = Confidence.HIGH if session else Confidence.MEDIUM
                elif (route.target, route.action) in mutating and route.action not in _READING_ACTIONS:
                    why = "an action the router also reaches by a mutating verb"
                    confidence = Confidence.MEDIUM
                else:
                    continue
                yield self.finding(
                    file.path, file.span(route.node),
                    f"`get \"{route.path or '?'}\"` routes to `{controller}.{route.action}`, {why}, and GET "
                    "requests skip CSRF protection: a link or image on any site can trigger it for a signed-in user",
                    confidence=confidence,
                    fix="Route it with `post`/`put`/`delete` and call it from a form or `<.link method=\"delete\">`.",
                )

    @staticmethod
    def _session(router: Router, route: Route) -> bool | None:
        """True when the route's pipelines fetch the session, False when every
        one is a known pipeline that does not, None when that is unknown."""
        pipes = route.pipes()
        if not pipes:
            return None
        plugs = router.plugs_through(pipes)
        if any(p.name == "fetch_session" for p in plugs):
            return True
        # `get_session` raises unless the session was fetched: pipelines we can read that never
        # fetch it serve clients that authenticate otherwise (tokens), which CSRF does not touch.
        if all(name in router.pipelines for name in pipes) and not any(named_like(p, "session") for p in plugs):
            return False
        return None


@register
class CrossSiteWebSocket(FileRule):
    """WebSockets that accept connections from any site: `check_origin: false` or a wildcard origin.

    ## What it finds

    `check_origin: false` or a wildcard origin (`"//*"`, `"*"`, `"//*.com"`)
    on an endpoint's `socket` (`websocket: [check_origin: false]`), or in
    the endpoint's config where production reads it: `config.exs` and
    `prod.exs` unless a later production file overrides it, `runtime.exs`
    outside branches for other environments. `dev.exs` and `test.exs` are
    never reported.

    ## Why it matters

    Browsers let any page open a WebSocket to any host, with your cookies.
    Phoenix checks the `Origin` header to refuse pages from other sites;
    with the check off, a page on any site can open the LiveView socket
    with the visitor's session and act as them, or join their channels and
    read what is pushed to them (cross-site WebSocket hijacking).
    Confidence is high for a socket that reads the session from the cookie
    (`connect_info: [session: ...]`, not LiveView's, whose connect also
    needs the page's CSRF token), medium for other sockets and for config.

    ## Example

    ```elixir
    # config/runtime.exs
    config :my_app, MyAppWeb.Endpoint,
      url: [host: host, port: 443, scheme: "https"],
      check_origin: false
    ```

    ## Use instead

    List the origins that serve your pages (or leave the default, which
    allows the endpoint's own `url` host):

    ```elixir
    config :my_app, MyAppWeb.Endpoint,
      url: [host: host, port: 443, scheme: "https"],
      check_origin: ["https://example.com", "https://www.example.com"]
    ```
    """

    id = "Security.CrossSiteWebSocket"
    severity = Severity.WARNING
    confidence = Confidence.HIGH
    cwe = (1385,)
    security_severity = 7.1

    _FIX = "List the allowed origins (`check_origin: [\"https://example.com\"]`) or drop the option to allow " \
           "only the endpoint's own host."

    def check(self, file: ParsedFile) -> Iterable[Finding]:
        if not reviewable(file):
            return
        for module in file.modules_of("endpoint"):
            for socket in endpoint_of(file.outline, module).sockets:
                if socket.conditional:
                    continue  # `if code_reloading?`: the live reload socket of development
                for transport in ("websocket", "longpoll"):
                    value = keyword(socket.transport(transport), "check_origin")
                    how = open_origin(text(value)) if value is not None else None
                    if how is None:
                        continue
                    # A socket that signs users in from the session cookie is the one another page can ride;
                    # LiveView's connect also wants the CSRF token from the page, which another site cannot read.
                    session = socket.module != "Phoenix.LiveView.Socket" and "session" in text(socket.options)
                    yield self.finding(
                        file.path, file.span(value),
                        f"Socket `{socket.path}` ({socket.module}) accepts {transport} connections from any site "
                        f"(`check_origin: {how}`), so other pages can open it with the visitor's cookies",
                        confidence=Confidence.HIGH if session else Confidence.MEDIUM, fix=self._FIX,
                    )

    def check_project(self, project: Project) -> Iterable[Finding]:
        """The `check_origin` production ends up with, per config folder and endpoint."""
        settings: dict[tuple[str, str, str], list[tuple[int, int, str, OriginSetting]]] = {}
        for path, facts in project.files.items():
            folder, _, name = path.rpartition("/")
            order = _CONFIG_ORDER.get(name)
            if facts.web is None or order is None:
                continue
            for setting in facts.web.origins:
                settings.setdefault((folder, setting.app, setting.endpoint), []).append(
                    (order, setting.line, path, setting))
        for found in settings.values():
            last: tuple[str, OriginSetting] | None = None
            for _, _, path, setting in sorted(found, key=lambda item: item[:2]):
                if setting.prod == "yes":
                    last = (path, setting)
                elif setting.prod == "maybe":
                    last = None  # production may or may not read it: say nothing
            how = open_origin(last[1].value) if last is not None else None
            if last is not None and how is not None:
                path, setting = last
                yield self.finding(
                    path, _span(setting),
                    f"`{setting.endpoint}` accepts WebSocket and long-poll connections from any site in production "
                    f"(`check_origin: {how}`), so other pages can open its sockets with the visitor's cookies",
                    confidence=Confidence.MEDIUM,  # which sockets trust those cookies is in the endpoint
                    fix=self._FIX,
                )


_CONFIG_ORDER = {"config.exs": 0, "prod.exs": 1, "releases.exs": 2, "runtime.exs": 2}


# Assign keys that name who the socket belongs to.
_IDENTITY = re.compile(r"user|account|member|customer|owner|admin|role|scope|player|tenant|org")
# Calls that only move data around: using them verifies nothing.
_PLUMBING = {
    None: {"assign", "assign_new", "send", "self", "push", "broadcast", "broadcast!", "broadcast_from",
           "broadcast_from!", "to_string", "elem"},
    "Phoenix.Socket": {"assign"},
    "Phoenix.Channel": {"push", "broadcast", "broadcast!", "broadcast_from", "broadcast_from!"},
    "Map": {"get", "fetch", "fetch!", "take"},
    "String": {"to_integer", "trim"},
    "Process": {"send_after"},
    "Phoenix.PubSub": {"subscribe"},
    "Logger": {"debug", "info", "warning", "warn", "error", "metadata"},
}


def _plumbing(call: Call) -> bool:
    return call.name in _PLUMBING.get(call.module, ()) or call.module == "Logger"


def _returns_ok(clause: Clause) -> bool:
    """The clause's last expression is `{:ok, ...}`."""
    body = clause.body
    if body is None:
        return False
    last = body
    for _ in range(4):
        named = [c for c in last.named_children if c.type != "comment"] if last.type in ("do_block", "block") else []
        if not named:
            break
        last = named[-1]
    values = branches(last) if last.type == "call" else None  # `case ... do`: some branch lets the client in
    return any(_ok_tuple(v) for v in values) if values is not None else _ok_tuple(last)


def _ok_tuple(node: Node) -> bool:
    return node.type == "tuple" and bool(node.named_children) and atom_value(node.named_children[0]) == "ok"


def _calls_in(file: ParsedFile, clause: Clause) -> list[Call]:
    return [c for c in file.outline.calls if c.owner is clause]


def _assigns_read(file: ParsedFile, module: ModuleDef, name: str) -> set[str]:
    """Assign keys the module's `name` function reads: `socket.assigns.user_id`, `socket.assigns[:user_id]`."""
    keys: set[str] = set()
    for clause in file.outline.clauses_of(module):
        if clause.name == name:
            code = text(clause.node)
            keys.update(re.findall(r"assigns\.(\w+)", code))
            keys.update(re.findall(r"assigns\[:(\w+)\]", code))
    return keys


@register
class UnauthenticatedSocket(FileRule):
    """A socket `connect` that takes the user's identity from the client's params unverified.

    ## What it finds

    A `connect/3` (or `connect/2`) clause of a `Phoenix.Socket` that always
    returns `{:ok, socket}`, with no guard, no branch and no call that
    could verify anything (`Phoenix.Token.verify/4`, a lookup, a `case`),
    yet assigns a value from the connect params as who the socket belongs
    to: a key naming a user, account or scope, or one the socket's `id/1`
    reads. The generated `connect/3`, which assigns nothing and whose `id/1`
    returns nil, is not reported.

    ## Why it matters

    Connect params come from JavaScript the client controls. A socket that
    assigns `user_id` from them lets anyone connect as any user by sending a
    different number, then join that user's channels and act as them. The
    identity must come from something the server signed: a `Phoenix.Token`
    or the session.

    ## Example

    ```elixir
    def connect(%{"user_id" => user_id}, socket, _connect_info) do
      {:ok, assign(socket, :user_id, user_id)}
    end

    def id(socket), do: "user_socket:#{socket.assigns.user_id}"
    ```

    ## Use instead

    ```elixir
    def connect(%{"token" => token}, socket, _connect_info) do
      case Phoenix.Token.verify(socket, "user socket", token, max_age: 86_400) do
        {:ok, user_id} -> {:ok, assign(socket, :user_id, user_id)}
        {:error, _reason} -> :error
      end
    end
    ```
    """

    id = "Security.UnauthenticatedSocket"
    severity = Severity.ERROR
    confidence = Confidence.MEDIUM
    cwe = (306, 287)
    security_severity = 8.1

    def check(self, file: ParsedFile) -> Iterable[Finding]:
        if not reviewable(file):
            return
        for module in file.modules_of("socket"):
            named = _assigns_read(file, module, "id")
            for clause in file.outline.clauses_of(module):
                if clause.name == "connect" and clause.arity in (2, 3) and clause.guard is None:
                    yield from self._connect(file, clause, named)

    def _connect(self, file: ParsedFile, clause: Clause, named: set[str]) -> Iterable[Finding]:
        if not clause.params or not _returns_ok(clause):
            return
        calls = _calls_in(file, clause)
        if not all(_plumbing(c) for c in calls):
            return  # something is called that may verify the params
        flow = file.flow(clause)
        for call in calls:
            if call.name not in ("assign", "assign_new"):
                continue
            for key, value in _assigned(call):
                origin = flow.origin(value)
                if origin is None or not (_IDENTITY.search(key) or key in named):
                    continue
                yield self.finding(
                    file.path, file.span(call.node),
                    f"`connect/{clause.arity}` takes `{key}` from the client's connect params ({shown(value)}) "
                    f"without verifying it, so any client can claim any `{key}` by sending another value",
                    fix="Have the page pass a `Phoenix.Token` and verify it in `connect` with "
                        "`Phoenix.Token.verify/4`, returning `:error` when it fails.",
                )


def _assigned(call: Call) -> list[tuple[str, Node]]:
    """`(key, value)` pairs of `assign(socket, :key, value)` and `assign(socket, key: value)`."""
    args = call.args
    if len(args) == 3 and atom_value(args[1]) is not None:
        return [(atom_value(args[1]), args[2])]
    if len(args) == 2 and args[1].type in ("keywords", "list"):
        return list(keyword_pairs(args[1]))
    return []


def _checks_values(pattern: Node) -> bool:
    """A parameter pattern that only matches some values (`%{"vsn" => "2.0"}`, `%{"token" => token}` does not)."""
    for node in _descendants(pattern):
        if node.type in ("string", "integer", "atom", "boolean") and node.parent is not None \
                and node.parent.type == "binary_operator" and operator(node.parent) == "=>" \
                and node.parent.child_by_field_name("right") == node:
            return True
    return False


def _descendants(node: Node) -> Iterable[Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(current.named_children)


@register
class ChannelJoinWithoutAuthorization(FileRule):
    """A channel `join/3` on a topic with an id (`"room:" <> id`) that lets anyone in.

    ## What it finds

    A `join/3` clause whose topic pattern takes an id (`"room:" <> room_id`)
    and returns `{:ok, socket}` with no guard, no pattern on the socket's
    assigns, no `if`/`case`/`with`, and no call that looks at the id or at
    `socket.assigns` before letting the client in. Fixed topics such as
    `"room:lobby"` are not reported. Confidence is medium when the channel
    knows its user (it reads `socket.assigns` elsewhere), low otherwise:
    anonymous sockets often serve public topics.

    ## Why it matters

    Topic ids come from the client: `channel.join("room:42")` in the browser
    console is all it takes. A join that never checks whether the socket's
    user may see room 42 hands every message broadcast on it, another user's
    notifications or a private conversation, to whoever asks, and lets them
    push messages into it (insecure direct object reference).

    ## Example

    ```elixir
    def join("conversation:" <> conversation_id, _payload, socket) do
      {:ok, assign(socket, :conversation_id, conversation_id)}
    end
    ```

    ## Use instead

    ```elixir
    def join("conversation:" <> conversation_id, _payload, socket) do
      if Chat.member?(socket.assigns.user_id, conversation_id) do
        {:ok, assign(socket, :conversation_id, conversation_id)}
      else
        {:error, %{reason: "unauthorized"}}
      end
    end
    ```
    """

    id = "Security.ChannelJoinWithoutAuthorization"
    severity = Severity.WARNING
    confidence = Confidence.MEDIUM
    cwe = (639, 862)
    security_severity = 6.5

    def check(self, file: ParsedFile) -> Iterable[Finding]:
        if not reviewable(file):
            return
        for module in file.modules_of("channel"):
            knows_user = "assigns" in text(module.node)
            for clause in file.outline.clauses_of(module):
                if clause.name == "join" and clause.arity == 3 and clause.guard is None:
                    yield from self._join(file, clause, knows_user)

    def _join(self, file: ParsedFile, clause: Clause, knows_user: bool) -> Iterable[Finding]:
        topic, payload, socket = clause.params
        prefix, id_name = _parameterised(topic)
        if prefix is None or socket.type != "identifier" or _checks_values(payload) or not _returns_ok(clause):
            return
        for call in _calls_in(file, clause):
            if call.module is None and call.name in ("if", "unless", "case", "cond", "with"):
                if call.name == "cond" or any(_looks_at(a, id_name) for a in call.args):
                    return  # a branch on the id or the user: taken as the check
                continue
            if _plumbing(call):
                continue
            used = set().union(*(variables(a) for a in call.args)) if call.args else set()
            if id_name in used or (text(socket) in used and _AUTHORIZES.search(call.name or "")):
                return  # a function looks at the id, or asks whether the socket's user may: the check
        yield self.finding(
            file.path, file.span(clause.params[0]),
            f"`join(\"{prefix}\" <> {id_name or '_'}, ...)` lets any client into any `{prefix}*` topic: nothing "
            "checks the id against the socket's user before returning `{:ok, socket}`",
            confidence=Confidence.MEDIUM if knows_user else Confidence.LOW,
            fix="Check that `socket.assigns` (the user) may join this id and return `{:error, %{reason: "
                "\"unauthorized\"}}` otherwise.",
        )


_AUTHORIZES = re.compile(r"authori[sz]|permit|allow|can_|can\?|member|access|verify|check|own")


def _looks_at(condition: Node, id_name: str | None) -> bool:
    """A condition that reads the topic's id or the socket's assigns."""
    return (id_name is not None and id_name in variables(condition)) or "assigns" in text(condition)


def _parameterised(topic: Node) -> tuple[str | None, str | None]:
    """`("room:", "room_id")` for the topic pattern `"room:" <> room_id` (id None for `_`)."""
    if topic.type != "binary_operator" or operator(topic) != "<>":
        return None, None
    left, right = topic.child_by_field_name("left"), topic.child_by_field_name("right")
    prefix = string_value(left)
    if prefix is None or right is None or right.type != "identifier":
        return None, None
    name = text(right)
    return prefix, (name if name != "_" else None)
