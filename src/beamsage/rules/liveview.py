"""LiveView: work done on both renders, state held per connected user, events
that flood the server, params that pick atoms, components, patches and streams.

Shared judgement: a LiveView's `mount/3` runs for the static HTML render and
again when the browser connects, so what it starts outside `connected?(socket)`
runs twice (`model.liveview`). Cross-file questions (does this call reach a
PubSub subscription, a query, an HTTP client; which LiveView does this path
route to; which `handle_event/3` clause answers this form) go through the call
graph and the router model; when the source cannot answer, the rules stay
silent. What `mix phx.gen.live` generates (streams, subscriptions under
`connected?`, `<.input>` forms validated by changesets, patches to LiveViews
that define `handle_params/3`) produces no finding.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from ..model.callgraph import Caller, FunctionKey
from ..model.facts import CallSite, FileFacts
from ..model.liveview.build import LIVE_KINDS, rate_limited, text_input
from ..model.liveview.facts import ChangeForm, CollectionAssign, EventClause, Patch
from ..model.liveview.project import LiveViews, liveviews
from ..model.parsed import ParsedFile
from ..model.project import Project
from ..source.document import Span
from ..source.markup import Element
from ..source.syntax import Clause, is_constant, keyword_pairs, text
from .base import Confidence, FileRule, Finding, Location, ProjectRule, Related, Severity, register
from .security.common import captured_subject, shown

_NOT_PRODUCTION = frozenset({"test", "test_support", "config", "mix", "migration"})
_KEY_EVENTS = ("phx-keyup", "phx-keydown", "phx-window-keyup", "phx-window-keydown")
_STREAM_LOOP = re.compile(r"<-\s*@streams(?:\.(\w+)|\[:(\w+)\])")
_LIVE_COMPONENT = frozenset({".live_component", "live_component", "Phoenix.Component.live_component"})
# Conversions that pick an existing atom (or module) by name: Security.UnsafeAtomConversion judges
# the ones that create atoms.
_PICKERS = {"String": {"to_existing_atom"}, "List": {"to_existing_atom"},
            ":erlang": {"binary_to_existing_atom", "list_to_existing_atom"}, "Module": {"safe_concat"}}
# Callbacks whose params the client chooses: event params (and the event name), URL params.
_PARAMS_CALLBACKS = frozenset({("handle_event", 3), ("handle_params", 3)})
_EFFECT_WORDS = {
    "subscribe": "subscribes to PubSub",
    "presence": "tracks presence",
    "timer": "starts a timer",
}


def _span(line: int, column: int, end_line: int | None = None, end_column: int | None = None) -> Span:
    return Span(line, column, end_line or line, end_column or column)


def _production(facts: FileFacts) -> bool:
    return not set(facts.kinds) & _NOT_PRODUCTION


def _mounts(project: Project, names: tuple[tuple[str, int], ...]) -> Iterator[tuple[str, FunctionKey]]:
    """`(path, key)` of the functions called on both renders: LiveViews' `mount/3`, hooks' `on_mount/4`."""
    for name, (facts, module) in project.modules.items():
        if not _production(facts):
            continue
        for function in module.functions:
            if (function.name, function.arity) in names and (function.name != "mount" or "live_view" in module.kinds):
                yield facts.path, (name, function.name, function.arity)


def _label(key: FunctionKey) -> str:
    return f"`{key[1]}/{key[2]}` of `{key[0]}`"


@register
class SubscribeWithoutConnected(ProjectRule):
    """A LiveView `mount/3` that subscribes, tracks presence or starts a timer outside `connected?`.

    ## What it finds

    `Phoenix.PubSub.subscribe`, an endpoint's `subscribe`, `Presence.track`,
    `:timer.send_interval` and `Process.send_after(self(), ...)` in a
    LiveView's `mount/3` (or an `on_mount/4` hook) that are not under
    `if connected?(socket)` (or `get_connect_params/1`), also when `mount/3`
    reaches them through project functions such as a context's
    `subscribe/0`. Calls inside `assign_async`/`start_async` callbacks run
    only when connected and are not reported.

    ## Why it matters

    `mount/3` runs twice: first to render the static HTML in the process
    answering the HTTP request, then again in the LiveView process once the
    browser connects. Unguarded, every page load subscribes or starts timers
    in a process that exits a moment later, and `Presence.track` makes every
    visitor join and leave once before really joining. The LiveView docs
    reserve stateful work for `connected?(socket)`.

    ## Example

    ```elixir
    def mount(_params, _session, socket) do
      Phoenix.PubSub.subscribe(MyApp.PubSub, "orders")
      :timer.send_interval(5_000, self(), :refresh)
      {:ok, assign(socket, :orders, [])}
    end
    ```

    ## Use instead

    ```elixir
    def mount(_params, _session, socket) do
      if connected?(socket) do
        Phoenix.PubSub.subscribe(MyApp.PubSub, "orders")
        :timer.send_interval(5_000, self(), :refresh)
      end

      {:ok, assign(socket, :orders, [])}
    end
    ```
    """

    id = "LiveView.SubscribeWithoutConnected"
    severity = Severity.WARNING
    confidence = Confidence.HIGH

    def check(self, project: Project) -> Iterable[Finding]:
        lv = liveviews(project)
        fix = "Wrap it in `if connected?(socket) do ... end`, so only the connected LiveView process does it."
        for path, key in _mounts(project, (("mount", 3), ("on_mount", 4))):
            for effect_path, effect in lv.effects.get(key, ()):
                if effect.kind in _EFFECT_WORDS:
                    yield self.finding(
                        effect_path, _span(effect.line, effect.column, effect.end_line, effect.end_column),
                        f"{_label(key)} calls `{effect.call}` outside `connected?(socket)`: {self._why(effect.kind)}",
                        fix=fix)
            for caller, site, resolved in lv.calls(key):
                if not isinstance(resolved, tuple):
                    continue
                for kind in _EFFECT_WORDS:
                    chain = lv.reaching(kind).get(resolved)
                    if chain is None:
                        continue
                    yield self.finding(
                        caller.path, _span(site.line, site.column, site.end_line, site.end_column),
                        f"{_label(key)} calls `{resolved[0]}.{resolved[1]}/{resolved[2]}`, which "
                        f"{_EFFECT_WORDS[kind]} ({' -> '.join(chain)}), outside `connected?(socket)`: "
                        f"{self._why(kind)}",
                        confidence=Confidence.HIGH if len(chain) <= 1 else Confidence.MEDIUM, fix=fix)
                    break

    @staticmethod
    def _why(kind: str) -> str:
        if kind == "presence":
            return ("mount runs for the static render too, so every visitor is tracked by a process that exits "
                    "at once, and others see them join and leave on each page load")
        what = "subscribes" if kind == "subscribe" else "starts a timer in"
        return f"mount runs for the static render too, so every page load also {what} a process that exits at once"


@register
class ExpensiveMount(ProjectRule):
    """A LiveView `mount/3` that runs several queries or an HTTP call on both renders.

    ## What it finds

    Advice. A LiveView's `mount/3` that, outside `connected?(socket)` and
    outside `assign_async`/`start_async`, makes three or more calls that run
    database queries (Repo calls, or project functions that reach one), or
    calls an HTTP client (Req, HTTPoison, Finch, Tesla), directly or through
    project functions. One or two queries, as `mix phx.gen.live` generates,
    are not reported.

    ## Why it matters

    `mount/3` runs for the static HTML render and again when the browser
    connects: every query and HTTP call in it runs twice per page view, and
    the first paint waits for all of them. Data the first paint can do
    without loads faster, once, with `assign_async/3` (only started when
    connected) or under `if connected?(socket)`.

    ## Example

    ```elixir
    def mount(_params, _session, socket) do
      {:ok,
       socket
       |> assign(:orders, Orders.recent_orders())
       |> assign(:stats, Orders.monthly_stats())
       |> assign(:top_customers, Customers.top(10))
       |> assign(:forecast, Weather.forecast!("Berlin"))}
    end
    ```

    ## Use instead

    ```elixir
    def mount(_params, _session, socket) do
      {:ok,
       socket
       |> assign(:orders, Orders.recent_orders())
       |> assign_async([:stats, :top_customers], fn ->
         {:ok, %{stats: Orders.monthly_stats(), top_customers: Customers.top(10)}}
       end)
       |> assign_async(:forecast, fn -> {:ok, %{forecast: Weather.forecast!("Berlin")}} end)}
    end
    ```
    """

    id = "LiveView.ExpensiveMount"
    severity = Severity.INFO
    confidence = Confidence.MEDIUM
    _QUERIES = 3

    def check(self, project: Project) -> Iterable[Finding]:
        lv = liveviews(project)
        reach = project.ecto.reach
        for path, key in _mounts(project, (("mount", 3),)):
            queries: list[str] = []
            first: Caller | None = None
            for caller, site, resolved in lv.calls(key):
                first = caller
                if reach.repo_call(site, resolved):
                    repo = resolved if isinstance(resolved, str) else resolved[0]
                    queries.append(f"`{repo}.{site.name}/{site.arity}`")
                elif isinstance(resolved, tuple) and resolved in reach.performs:
                    queries.append(f"`{resolved[0]}.{resolved[1]}/{resolved[2]}`")
                chain = lv.reaching("http").get(resolved) if isinstance(resolved, tuple) else None
                if chain is not None:
                    yield self._http(caller.path, site, key, f"`{resolved[0]}.{resolved[1]}/{resolved[2]}`", chain)
            for effect_path, effect in lv.effects.get(key, ()):
                if effect.kind == "http":
                    site = CallSite(None, "", 0, effect.line, effect.column, effect.end_line, effect.end_column)
                    yield self._http(effect_path, site, key, f"`{effect.call}`", ())
            if len(queries) >= self._QUERIES and first is not None:
                shown_queries = ", ".join(queries[:4]) + (" and more" if len(queries) > 4 else "")
                yield self.finding(
                    path, _span(first.function.line, 1),
                    f"{_label(key)} makes {len(queries)} calls that query the database ({shown_queries}) on both "
                    "the static and the connected render: each page view runs them twice before the first paint",
                    fix="Load what the first paint can do without with `assign_async/3`, or under "
                        "`if connected?(socket)`.")

    def _http(self, path: str, site: CallSite, key: FunctionKey, call: str, chain: tuple[str, ...]) -> Finding:
        via = f" ({' -> '.join(chain)})" if chain else ""
        return self.finding(
            path, _span(site.line, site.column, site.end_line, site.end_column),
            f"{_label(key)} calls {call}{via}, an HTTP request, on both the static and the connected render: "
            "every page view waits for it twice",
            fix="Fetch it with `assign_async/3` (started only once connected) and render a loading state.")


@register
class LargeCollectionInAssigns(ProjectRule):
    """A database list kept in a LiveView's assigns and assigned again by events or messages.

    ## What it finds

    An assign set from `Repo.all/1` (without a `limit`) or from a
    project function named to return a whole collection (`list_posts/0`,
    `all_orders/1`) that queries the database, in a LiveView or LiveComponent, when
    `handle_info/2` or `handle_event/3` (or a function they call) assigns
    the same key again or appends to it. Confidence is high when the list
    grows (`[post | socket.assigns.posts]`, `++`).

    ## Why it matters

    Assigns live in the LiveView process for as long as the user stays on
    the page: every connected user holds a full copy of the list, and each
    reassignment diffs and re-sends it. A list that grows with every
    PubSub message grows without bound. `stream/3` sends the items to the
    browser and frees them on the server; `stream_insert/3` adds one.

    ## Example

    ```elixir
    def mount(_params, _session, socket) do
      {:ok, assign(socket, :messages, Chat.list_messages())}
    end

    def handle_info({:new_message, message}, socket) do
      {:noreply, assign(socket, :messages, socket.assigns.messages ++ [message])}
    end
    ```

    ## Use instead

    ```elixir
    def mount(_params, _session, socket) do
      {:ok, stream(socket, :messages, Chat.list_messages())}
    end

    def handle_info({:new_message, message}, socket) do
      {:noreply, stream_insert(socket, :messages, message)}
    end
    ```
    """

    id = "LiveView.LargeCollectionInAssigns"
    severity = Severity.WARNING
    confidence = Confidence.MEDIUM

    def check(self, project: Project) -> Iterable[Finding]:
        reach = project.ecto.reach
        graph = project.calls
        for path, facts in project.files.items():
            for found in facts.liveview.collections if facts.liveview else ():
                chain = f"`{found.source}` returns" if found.direct else self._queries(graph, reach, found)
                if chain is None:
                    continue
                yield self._finding(path, found, chain)

    @staticmethod
    def _queries(graph, reach, found: CollectionAssign) -> str | None:
        caller = graph.callers.get((found.module, found.function, found.arity))
        site = next((s for s in caller.function.calls if (s.line, s.column) == (found.call_line, found.call_column)),
                    None) if caller is not None else None
        if site is None:
            return None
        resolved = graph.resolve(caller, site)
        path = reach.performs.get(resolved) if isinstance(resolved, tuple) else None
        if path is None:
            return None
        return f"`{resolved[0]}.{resolved[1]}/{resolved[2]}` returns (it runs `{path.query.target}`)"

    def _finding(self, path: str, found: CollectionAssign, chain: str) -> Finding:
        what = "appends to it" if found.grows else "assigns it again"
        message = (
            f"`@{found.key}` holds every row {chain}, and `{found.again}` {what}: each connected user's "
            "LiveView process keeps the whole list in memory, "
            + ("growing with every update" if found.grows else "and re-renders it on every change"))
        related = [Related(Location(path, found.again_line, 1, found.again_line, 1),
                           f"`@{found.key}` is {'appended to' if found.grows else 'assigned again'} here")]
        return self.finding(path, _span(found.line, found.column, found.end_line, found.end_column), message,
                            confidence=Confidence.HIGH if found.grows else Confidence.MEDIUM, related=related,
                            fix=f"Keep the items in a stream: `stream(socket, :{found.key}, ...)` and "
                                "`stream_insert/3` for new ones.")


@register
class MissingDebounce(FileRule):
    """Text inputs that send an event per keystroke to a handler that queries, or unfiltered key events.

    ## What it finds

    A form with `phx-change` whose text-like inputs (`<input type="text">`,
    `search`, `email`, `number`, `range`, `<textarea>`, `<.input>` of those
    types) have neither `phx-debounce` nor `phx-throttle`, when the
    `handle_event/3` clause answering the event queries the database or
    calls an HTTP client (directly or through project functions). Forms
    whose change handler only validates a changeset, as `mix phx.gen.live`
    generates, are not reported. Also: `phx-keyup`/`phx-keydown` on text
    inputs and `phx-window-keyup`/`phx-window-keydown` anywhere that push a
    server event with no `phx-key` filter, `phx-debounce` or `phx-throttle`
    (a key binding on a focusable `role="button"` element is keyboard
    support, and fires only while it has focus).

    ## Why it matters

    A `phx-change` form sends an event on every keystroke: typing
    "headphones" in a search box runs ten queries, one after the other in
    the LiveView process, and results arrive out of step with the typing.
    A window key binding without `phx-key` sends every key the user
    presses anywhere on the page.

    ## Example

    ```elixir
    ~H\"\"\"
    <form phx-change="search">
      <input type="search" name="q" value={@q} />
    </form>
    \"\"\"

    def handle_event("search", %{"q" => q}, socket) do
      {:noreply, stream(socket, :products, Catalog.search_products(q), reset: true)}
    end
    ```

    ## Use instead

    ```elixir
    ~H\"\"\"
    <form phx-change="search">
      <input type="search" name="q" value={@q} phx-debounce="300" />
    </form>
    \"\"\"
    ```
    """

    id = "LiveView.MissingDebounce"
    severity = Severity.WARNING
    confidence = Confidence.HIGH

    def check(self, file: ParsedFile) -> Iterable[Finding]:
        if not file.templates or not file.runs_in_production:
            return
        for element in file.elements:
            if element.spread or rate_limited(element) or element.has("phx-key"):
                continue
            for name in _KEY_EVENTS:
                attribute = element.attribute(name)
                if "window" not in name and not text_input(element):
                    continue  # a key binding on a focused control (`role="button"`) fires only while it has focus
                if attribute is None or (attribute.dynamic and "JS.push" not in (attribute.code or "")) \
                        or (not attribute.dynamic and not attribute.value):
                    continue
                event = f'"{attribute.value}"' if not attribute.dynamic else f"{{{attribute.code}}}"
                every = "key press anywhere on the page" if "window" in name else "key press"
                yield self.finding(
                    file.path, _element_span(file, element),
                    f"`<{element.name} {name}={event}>` sends an event to the server on every {every} (no "
                    "`phx-key`, `phx-debounce` or `phx-throttle`)",
                    confidence=Confidence.MEDIUM,
                    fix='Filter with `phx-key="Enter"`, or add `phx-debounce="300"` (`phx-throttle` for window keys).')
                break

    def check_project(self, project: Project) -> Iterable[Finding]:
        lv = liveviews(project)
        for path, facts in project.files.items():
            for form in facts.liveview.forms if facts.liveview and _production(facts) else ():
                target = self._target(lv, path, form)
                clauses = lv.handlers(target, form.event) if target is not None else None
                cost = self._cost(project, lv, target, clauses) if clauses else None
                if cost is None:
                    continue
                inputs = ", ".join(f"`{name}`" for name in form.inputs)
                yield self.finding(
                    path, _span(form.line, form.column, form.end_line, form.end_column),
                    f"`{form.form}` sends `{form.event}` on every keystroke in {inputs} (no `phx-debounce`), and "
                    f"`{target}.handle_event(\"{form.event}\", ...)` {cost} each time",
                    related=[Related(Location(p, c.line, 1, c.line, 1), f"handles `{form.event}`") for p, c in clauses],
                    fix='Add `phx-debounce="300"` (or `"blur"`) to the text inputs.')

    @staticmethod
    def _target(lv: LiveViews, path: str, form: ChangeForm) -> str | None:
        """The module whose `handle_event/3` gets the form's event."""
        owner = lv.owner(path, form.module)
        module = lv.module(owner)
        if module is None:
            return None
        wanted = "live_component" if form.target == "myself" else "live_view"
        return owner if wanted in module.kinds else None

    @staticmethod
    def _cost(project: Project, lv: LiveViews, module: str, clauses: list[tuple[str, EventClause]]) -> str | None:
        """"queries the database (`A` -> `Repo.all/1`)" when a clause answering the event does."""
        reach = project.ecto.reach
        ranges = [(c.line, c.end_line) for _, c in clauses]
        key = (module, "handle_event", 3)
        for _, effect in lv.effects.get(key, ()):
            if effect.kind == "http" and any(a <= effect.line <= b for a, b in ranges):
                return f"calls an HTTP client (`{effect.call}`)"
        for caller, site, resolved in lv.calls(key):
            if not any(a <= site.line <= b for a, b in ranges):
                continue
            if reach.repo_call(site, resolved):
                return f"queries the database (`{site.name}/{site.arity}` on the Repo)"
            if isinstance(resolved, tuple) and resolved in reach.performs:
                steps = [f"`{resolved[0]}.{resolved[1]}/{resolved[2]}`"] + \
                    [f"`{s.target}`" for s in reach.performs[resolved].steps]
                return f"queries the database ({' -> '.join(dict.fromkeys(steps))})"
            chain = lv.reaching("http").get(resolved) if isinstance(resolved, tuple) else None
            if chain is not None:
                return f"calls an HTTP client ({' -> '.join(chain)})"
        return None


def _element_span(file: ParsedFile, element: Element) -> Span:
    return file.doc.span_of_bytes(element.start, element.start + 1 + len(element.name))


@register
class UntrustedEventParams(FileRule):
    """Event params turned into an existing atom or module without checking them against a list.

    ## What it finds

    In a LiveView or LiveComponent, `String.to_existing_atom/1`,
    `List.to_existing_atom/1`, `:erlang.binary_to_existing_atom/1,2` and
    `Module.safe_concat/1,2` applied to `handle_event/3` params, the event
    name or the URL params of `handle_params/3` (in the callback, or in a
    function of the same module it hands them to) that were not first
    checked against constants
    (`when field in ~w(name price)`). It uses the same data-flow engine as
    the security rules; `String.to_atom/1`, which creates atoms, is
    `Security.UnsafeAtomConversion`'s.

    ## Why it matters

    Any client can send any event with any params over the LiveView socket,
    not only the ones your buttons send. An existing atom is any atom the VM
    knows: the client chooses which assign to overwrite
    (`assign(socket, key, value)` with `:current_user`), which column to
    sort or filter by, which module to call; a name that is no atom raises
    and crashes the LiveView.

    ## Example

    ```elixir
    def handle_event("sort", %{"by" => by}, socket) do
      field = String.to_existing_atom(by)
      {:noreply, assign(socket, :products, Catalog.list_products(order_by: field))}
    end
    ```

    ## Use instead

    ```elixir
    @sortable %{"name" => :name, "price" => :price_cents}

    def handle_event("sort", %{"by" => by}, socket) when is_map_key(@sortable, by) do
      {:noreply, assign(socket, :products, Catalog.list_products(order_by: @sortable[by]))}
    end
    ```
    """

    id = "LiveView.UntrustedEventParams"
    severity = Severity.WARNING
    confidence = Confidence.HIGH

    def check(self, file: ParsedFile) -> Iterable[Finding]:
        if not file.runs_in_production or not file.kinds & LIVE_KINDS:
            return
        live = {id(m) for m in file.outline.modules if LIVE_KINDS & set(file.kinds_of(m))}
        handed = self._handed_on(file, live)
        for call in file.outline.calls:
            if call.name not in _PICKERS.get(call.module, ()) or call.owner is None or not call.runs_at_runtime \
                    or id(call.owner.module) not in live:
                continue
            value = captured_subject(call) if call.capture else (call.args[0] if call.args else None)
            if value is None or is_constant(value):
                continue
            where = self._origin(file, call.owner, value, handed)
            if where is None:
                continue
            name = f"{call.module}.{call.name}/{call.arity}"
            picks = "an existing module" if call.name == "safe_concat" else "whichever existing atom the client names"
            yield self.finding(
                file.path, file.span(call.node),
                f"`{name}` turns {shown(value)}, which {where}, into {picks}: a client can send any value, "
                "picking assigns, fields or modules the page never offered, and an unknown name crashes the "
                "LiveView",
                fix="Map the accepted strings explicitly (`%{\"name\" => :name}`) or check them with "
                    "`when value in ~w(...)` first.")

    @staticmethod
    def _origin(file: ParsedFile, clause: Clause, value, handed: dict) -> str | None:
        flow = file.flow(clause)
        if flow.validated(value) or flow.constant(value):
            return None
        if (clause.name, clause.arity) in _PARAMS_CALLBACKS:
            origin = flow.origin(value)
            if origin is not None:
                return origin.describe(text(value))
            param = flow.parameter(value)
            if param is not None and param.param == 0:
                return f"is the event name `{clause.qualified_name}` receives"
            return None
        param = flow.parameter(value)
        return handed.get((id(clause.module), clause.name, clause.arity, param.param)) if param else None

    @staticmethod
    def _handed_on(file: ParsedFile, live: set[int]) -> dict[tuple, str]:
        """Parameters of the module's own functions that `handle_event/3` hands event params or names to."""
        found: dict[tuple, str] = {}
        own = file.own_functions
        for call in file.outline.calls:
            clause = call.owner
            if clause is None or id(clause.module) not in live or (clause.name, clause.arity) not in _PARAMS_CALLBACKS:
                continue
            if call.module not in (None, clause.module.name) or (call.name, call.arity) not in own.get(
                    id(clause.module), ()):
                continue
            flow = file.flow(clause)
            for index, arg in enumerate(call.args):
                origin = flow.origin(arg)
                param = flow.parameter(arg) if origin is None else None
                if origin is not None:
                    where = origin.describe(text(arg))
                elif param is not None and param.param == 0:
                    where = f"is the event name `{clause.qualified_name}` receives"
                else:
                    continue
                found.setdefault((id(clause.module), call.name, call.arity, index),
                                 f"{where}, handed to `{call.name}/{call.arity}`")
        return found


@register
class ComponentWithoutId(FileRule):
    """A `live_component` rendered without an `:id`, or with the same literal id in a `:for` loop.

    ## What it finds

    `<.live_component module={...}>` with no `id` attribute (and no
    `{@rest}`-style spread that may give one), `live_component(Module, opts)`
    whose keyword list has no `:id`, and a live component inside a `:for`
    loop whose `id` is a literal string: the same id for every item.

    ## Why it matters

    A LiveComponent's state is keyed by its module and id. Without an id,
    `live_component/1` raises `ArgumentError` when the page renders; with
    the same id for every item of a loop, LiveView raises on the duplicate
    (or, across renders, every item shares one component's state).

    ## Example

    ```elixir
    ~H\"\"\"
    <.live_component module={MyAppWeb.CartComponent} cart={@cart} />
    <.live_component :for={item <- @items} module={MyAppWeb.ItemComponent} id="item" item={item} />
    \"\"\"
    ```

    ## Use instead

    ```elixir
    ~H\"\"\"
    <.live_component module={MyAppWeb.CartComponent} id="cart" cart={@cart} />
    <.live_component :for={item <- @items} module={MyAppWeb.ItemComponent} id={"item-#{item.id}"} item={item} />
    \"\"\"
    ```
    """

    id = "LiveView.ComponentWithoutId"
    severity = Severity.ERROR
    confidence = Confidence.HIGH

    def check(self, file: ParsedFile) -> Iterable[Finding]:
        if not file.runs_in_production:
            return
        fix = 'Give it an `id` unique among the page\'s components of that module (`id={"item-#{item.id}"}`).'
        for element in file.elements if file.templates else ():
            if element.kind != "component" or element.name not in _LIVE_COMPONENT or element.spread:
                continue
            module = element.attribute("module")
            what = f"`<{element.name} module={{{module.code}}}>`" if module is not None and module.code else \
                f"`<{element.name}>`"
            given = element.attribute("id")
            if given is None:
                yield self.finding(file.path, _element_span(file, element),
                                   f"{what} has no `id`: `live_component/1` raises `ArgumentError` when it renders",
                                   fix=fix)
            elif _literal(given) and _looped(element):
                yield self.finding(file.path, _element_span(file, element),
                                   f"{what} inside a `:for` loop has the literal id `{_literal(given)}`: every item "
                                   "gets the same id, and LiveView raises on the duplicate", fix=fix)
        for call in file.outline.calls:
            if call.name == "live_component" and call.module in (None, "Phoenix.LiveView.Helpers") \
                    and call.runs_at_runtime and len(call.args) == 2 and not text(call.args[0]).endswith("socket"):
                options = call.args[1]
                if options.type in ("keywords", "list") and "|" not in text(options) \
                        and "id" not in {k for k, _ in keyword_pairs(options)}:
                    yield self.finding(file.path, file.span(call.node),
                                       f"`live_component({text(call.args[0])}, ...)` has no `:id`: it raises "
                                       "`ArgumentError` when it renders", fix=fix)


def _literal(attribute) -> str | None:
    if not attribute.dynamic:
        return attribute.value
    code = (attribute.code or "").strip()
    return code[1:-1] if re.fullmatch(r'"[^"#\\]*"', code) else None


def _looped(element: Element) -> bool:
    return element.has(":for") or any(a.has(":for") for a in element.ancestors())


@register
class PushPatchWithoutHandleParams(ProjectRule):
    """A patch (`push_patch`, `<.link patch>`) to a LiveView that defines no `handle_params/3`.

    ## What it finds

    `push_patch(socket, to: ...)`, `<.link patch={...}>`, `JS.patch(...)` and
    `live_patch` whose path (a `~p` sigil, a string, or a `Routes.*_path`
    helper) routes, through the project's router `live` routes, only to
    LiveViews that do not define `handle_params/3`. Paths computed at run time
    (`socket.assigns.patch`) and LiveViews whose `use`s may define callbacks
    are not judged. A patch from another LiveView is a different mistake (a
    full page reload) and is not reported here.

    ## Why it matters

    A patch keeps the LiveView mounted and calls its `handle_params/3` with
    the new URL params; that is the whole point of patching. A LiveView
    without it crashes with `UndefinedFunctionError` on the patch and
    remounts, losing its state, or, from a LiveComponent of another page,
    falls back to a full page load.

    ## Example

    ```elixir
    # router: live "/orders", OrderLive.Index, :index
    def handle_event("filter", %{"status" => status}, socket) do
      {:noreply, push_patch(socket, to: ~p"/orders?#{[status: status]}")}
    end
    # OrderLive.Index defines mount/3 and render/1, no handle_params/3
    ```

    ## Use instead

    ```elixir
    def handle_params(params, _uri, socket) do
      {:noreply, assign(socket, :orders, Orders.list_orders(status: params["status"]))}
    end
    ```
    """

    id = "LiveView.PushPatchWithoutHandleParams"
    severity = Severity.ERROR
    confidence = Confidence.HIGH

    def check(self, project: Project) -> Iterable[Finding]:
        lv = liveviews(project)
        if not lv.routes:
            return
        for path, facts in project.files.items():
            for patch in facts.liveview.patches if facts.liveview and _production(facts) else ():
                found = self._judge(lv, path, patch)
                if found is not None:
                    yield found

    def _judge(self, lv: LiveViews, path: str, patch: Patch) -> Finding | None:
        matched = lv.routes_to(patch.target)
        targets = list(dict.fromkeys(r.module for r in matched))
        if not targets or any(lv.defines(m, "handle_params", 3) is not False or m in lv.param_hooks
                              for m in targets):
            return None
        origin = lv.owner(path, patch.module)
        module = lv.module(origin)
        if module is not None and "live_view" in module.kinds and origin not in targets:
            return None  # a patch to another LiveView: a full page load, whatever it defines
        target = targets[0]
        route = next(r for r in matched if r.module == target)
        same = origin in targets
        where = f"`{patch.target}`" if patch.target.startswith("/") else _helper_call(patch.target)
        effect = ("its process crashes with `UndefinedFunctionError` and remounts, losing its state" if same else
                  "it crashes with `UndefinedFunctionError` if it is the current page, or reloads the whole page")
        confidence = Confidence.HIGH if same and not lv.param_hooks else Confidence.MEDIUM
        return self.finding(
            path, _span(patch.line, patch.column, patch.end_line, patch.end_column),
            f"`{patch.how}` to {where} routes to `{target}`, which defines no `handle_params/3`: a patch calls it, "
            f"so {effect}",
            confidence=confidence,
            related=[Related(Location(p, r.line, 1, r.line, 1), f"`live \"{r.path}\"` routes to `{target}`")
                     for p, r in [(self._router_path(lv, route), route)] if p],
            fix=f"Define `handle_params/3` in `{target}` (read the params there), or use `navigate` instead of "
                "`patch`.")

    @staticmethod
    def _router_path(lv: LiveViews, route) -> str | None:
        for path, facts in lv.project.files.items():
            if facts.liveview and route in facts.liveview.routes:
                return path
        return None


def _helper_call(target: str) -> str:
    """`helper:report:index` -> "`Routes.report_path(..., :index)`"."""
    kind, helper, last = target.split(":", 2)
    return f"`Routes.{helper}_path(..., {':' + last if kind == 'helper' else last})`"


@register
class StreamWithoutPhxUpdate(FileRule):
    """Stream items outside a `phx-update="stream"` container with an `id`, or items without an `id`.

    ## What it finds

    An element looping over `@streams.name` with `:for` whose parent
    element lacks `phx-update="stream"` (or sets another value) or a DOM
    `id`, and stream items (HTML elements) without an `id` (`id={dom_id}`).
    Containers in components (`<.table rows={@streams.posts}>`) are the
    component's business and are not judged.

    ## Why it matters

    Streams are not kept on the server: after a render, LiveView forgets
    the items and only sends inserts and deletes. The browser keeps the
    items only inside a `phx-update="stream"` container with an `id`,
    matching each item by its DOM id; elsewhere the next update wipes or
    duplicates them, and LiveView raises on items without an id.

    ## Example

    ```elixir
    ~H\"\"\"
    <ul>
      <li :for={{dom_id, message} <- @streams.messages} id={dom_id}>{message.body}</li>
    </ul>
    \"\"\"
    ```

    ## Use instead

    ```elixir
    ~H\"\"\"
    <ul id="messages" phx-update="stream">
      <li :for={{dom_id, message} <- @streams.messages} id={dom_id}>{message.body}</li>
    </ul>
    \"\"\"
    ```
    """

    id = "LiveView.StreamWithoutPhxUpdate"
    severity = Severity.ERROR
    confidence = Confidence.HIGH

    def check(self, file: ParsedFile) -> Iterable[Finding]:
        if not file.templates or not file.runs_in_production:
            return
        for element in file.elements:
            loop = element.attribute(":for")
            match = _STREAM_LOOP.search(loop.code or "") if loop is not None else None
            if match is None:
                continue
            stream = match.group(1) or match.group(2)
            parent = element.parent
            if parent is not None and parent.kind == "html" and not parent.spread:
                missing = self._missing(parent)
                if missing:
                    yield self.finding(
                        file.path, _element_span(file, parent),
                        f"`<{parent.name}>` holds the items of `@streams.{stream}` but {missing}: after the next "
                        "update the browser drops or duplicates them",
                        fix=f'Give the container `id="{stream}"` and `phx-update="stream"`.')
            if element.kind == "html" and not element.spread and element.attribute("id") is None:
                yield self.finding(
                    file.path, _element_span(file, element),
                    f"`<{element.name}>` items of `@streams.{stream}` have no `id`: LiveView matches stream items by "
                    "their DOM id, and raises without one",
                    fix="Bind the id in the loop and set it: `:for={{dom_id, item} <- @streams.x} id={dom_id}`.")

    @staticmethod
    def _missing(parent: Element) -> str:
        problems = []
        update = parent.attribute("phx-update")
        if update is None:
            problems.append('has no `phx-update="stream"`')
        elif not update.dynamic and update.value != "stream":
            problems.append(f'has `phx-update="{update.value}"`, not `"stream"`')
        if parent.attribute("id") is None:
            problems.append("has no `id`")
        return " and ".join(problems)
