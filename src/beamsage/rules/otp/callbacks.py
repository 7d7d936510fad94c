"""OTP callback rules: what runs inside `init/1` and the `handle_*` callbacks of a process.

Shared judgement:

- Only code that runs in production is judged: not tests, config, migrations,
  scripts (`.exs`) or Mix tasks (`lib/mix/tasks`, `Mix.Tasks.*`).
- A callback is read with the private helpers it calls directly (one level):
  `handle_call` that calls `fetch_remote/1` which calls `Req.get!/1` blocks
  the same way as the call written inline.
- Queries are found across the project (`model/ecto/reach.py`): a context
  function that reaches a Repo counts as a query.
"""

from __future__ import annotations

from typing import Iterable, Iterator

from tree_sitter import Node

from ...model.ecto.queries import is_repo_call
from ...model.facts import BroadcastFacts, FileFacts, ProcessFacts
from ...model.kinds import REQUEST_HANDLERS
from ...model.liveview.project import liveviews
from ...model.otp import (CALLBACKS, Process, detached, pattern_tag, processes, tuple_size, waits_forever,
                          warms_table)
from ...model.parsed import ParsedFile
from ...model.project import Project
from ...source.document import Span
from ...source.syntax import Call, Clause, arguments, atom_value, call_target_name, text
from ..base import Confidence, FileRule, Finding, Location, Related, Severity, register

_HTTP_VERBS = frozenset(
    v + bang for v in ("get", "post", "put", "patch", "delete", "head", "options", "request", "run")
    for bang in ("", "!")
)
_HTTP = {
    "Req": _HTTP_VERBS,
    "HTTPoison": _HTTP_VERBS,
    "Tesla": _HTTP_VERBS,
    "Finch": frozenset({"request", "request!", "stream", "stream_while"}),
    ":httpc": frozenset({"request"}),
}
_AWAITS = {"Task": frozenset({"await", "await_many", "yield", "yield_many", "shutdown"})}
_ASYNC = {"Task": frozenset({"async"}), "Task.Supervisor": frozenset({"async", "async_nolink"})}
_HANDLERS = (("handle_call", 3), ("handle_cast", 2), ("handle_info", 2))
_REPO_SERVERS = frozenset({"genserver", "gen_statem"})


# -- shared helpers ---------------------------------------------------------------


def _judged(file: ParsedFile) -> bool:
    return file.runs_in_production and not _script_or_task(file.path)


def _judged_processes(project: Project) -> Iterator[tuple[str, ProcessFacts]]:
    """Every process of the files the OTP rules judge, with its file."""
    for path, facts in project.files.items():
        if facts.otp is not None and _judged_facts(facts):
            for process in facts.otp.processes:
                yield path, process


def _judged_facts(facts: FileFacts) -> bool:
    return {"test", "test_support", "config", "mix", "migration"}.isdisjoint(facts.kinds) and not _script_or_task(
        facts.path)


def _script_or_task(path: str) -> bool:
    return path.endswith(".exs") or "lib/mix/tasks/" in f"/{path}"


def _runtime_calls(file: ParsedFile) -> dict[int, list[Call]]:
    """Calls that run at run time, by the clause they sit in (`id(clause)`)."""
    found: dict[int, list[Call]] = {}
    for call in file.outline.calls:
        if call.owner is not None and call.runs_at_runtime:
            found.setdefault(id(call.owner), []).append(call)
    return found


def _reached(process: Process, clause: Clause, by_owner: dict[int, list[Call]],
             away: list[Node] | None = None) -> Iterator[tuple[Call, str]]:
    """Calls in a callback clause and in the private helpers it calls directly, with how they are reached.
    Calls inside the functions in `away` (handed to a Task or `spawn`) run elsewhere and are left out."""
    own = [call for call in by_owner.get(id(clause), ()) if not _inside(call.node, away)]
    yield from ((call, "") for call in own)
    seen: set[str] = set()
    for call in own:
        if call.module is None and call.name in process.helpers and call.name not in seen:
            seen.add(call.name)
            for helper in process.helpers[call.name]:
                via = f" (through `{call.name}/{helper.arity}`)"
                yield from ((inner, via) for inner in by_owner.get(id(helper), ()) if not _inside(inner.node, away))


def _inside(node: Node, ranges: list[Node] | None) -> bool:
    return bool(ranges) and any(r.start_byte <= node.start_byte < r.end_byte for r in ranges)


def _in_lines(line: int, ranges: tuple[tuple[int, int], ...]) -> bool:
    return any(start <= line <= end for start, end in ranges)


def _shown(call: Call) -> str:
    return f"{call.module}.{call.name}/{call.arity}" if call.module else f"{call.name}/{call.arity}"


def _http(call: Call) -> bool:
    return call.name in _HTTP.get(call.module or "", ()) and not call.capture


def _is(call: Call, table: dict[str, frozenset[str]]) -> bool:
    return call.name in table.get(call.module or "", ()) and not call.capture


def _infinity(call: Call) -> bool:
    return len(call.args) >= 2 and atom_value(call.args[-1]) == "infinity"


def _blocking(call: Call) -> str | None:
    """What makes a call block its process, or None."""
    if _http(call):
        return f"makes an HTTP request (`{_shown(call)}`)"
    if call.is_("Process", "sleep") or call.is_(":timer", "sleep"):
        return f"sleeps (`{_shown(call)}`)"
    if call.is_("System", "cmd", "shell") or call.is_(":os", "cmd"):
        return f"runs an external command (`{_shown(call)}`)"
    if call.is_("Task", "await", "await_many", "yield") and _infinity(call):
        return f"waits forever for a task (`{_shown(call)}` with `:infinity`)"
    return None


def _head(file: ParsedFile, clause: Clause) -> Span:
    args = arguments(clause.node)
    return file.span(args[0] if args else clause.node)


def _site_span(site) -> Span:
    return Span(site.line, site.column, site.end_line, site.end_column)


def _chain(path) -> str:
    return " -> ".join(f"`{step.target}`" for step in path.steps)


# -- rules --------------------------------------------------------------------------


@register
class HeavyInit(FileRule):
    """A database query or HTTP request in `init/1`, which blocks the supervisor that starts it.

    ## What it finds

    Queries (a Repo call, or a call to any project function that reaches
    one) and HTTP requests (Req, HTTPoison, Finch, Tesla, `:httpc`, also
    through another module's functions, such as an API client) made in
    `init/1` of a GenServer or `:gen_statem`, or in the function an `Agent`
    starts with. Work done in `handle_continue/2` is not reported, nor is
    an `init/1` that creates a named ETS table and fills it: other processes
    read the table directly, so filling it before `init/1` returns is
    deliberate.

    ## Why it matters

    A supervisor starts its children one at a time and waits for each
    `init/1` to return. A slow query or a remote API in `init/1` delays the
    whole application's boot, and when the database or the API is down the
    process crashes during start, the supervisor gives up after its restart
    intensity and the application fails to boot at all.

    ## Example

    ```elixir
    def init(opts) do
      {:ok, %{rates: Rates.load_all()}}
    end
    ```

    ## Use instead

    ```elixir
    def init(opts) do
      {:ok, %{rates: %{}}, {:continue, :load}}
    end

    def handle_continue(:load, state), do: {:noreply, %{state | rates: Rates.load_all()}}
    ```
    """

    id = "OTP.HeavyInit"
    severity = Severity.WARNING
    confidence = Confidence.HIGH

    _FIX = "Return `{:ok, state, {:continue, :load}}` from `init/1` and do the work in `handle_continue/2`."

    def check(self, file: ParsedFile) -> Iterable[Finding]:
        if not ({"genserver", "gen_statem", "agent"} & file.kinds) or not _judged(file):
            return
        by_owner = _runtime_calls(file)
        for process in processes(file, frozenset({"genserver", "gen_statem"})):
            if warms_table(file, process):
                continue
            away = detached(file, process.module)
            for clause in process.callback("init", 1):
                for call, via in _reached(process, clause, by_owner, away):
                    if _http(call):
                        yield self.finding(
                            file.path, file.span(call.node),
                            f"`init/1` of `{process.module.name}` makes an HTTP request (`{_shown(call)}`){via}; "
                            "its supervisor and every sibling started after it wait for the response.",
                            fix=self._FIX)
        yield from self._agents(file)

    def _agents(self, file: ParsedFile) -> Iterator[Finding]:
        """`Agent.start_link(fn -> ... end)`: the function runs as the agent's init."""
        starts = [c for c in file.outline.calls if c.is_("Agent", "start_link", "start") and c.args
                  and c.args[0].type == "anonymous_function" and c.runs_at_runtime]
        for start in starts:
            body = start.args[0]
            for call in file.outline.calls:
                if body.start_byte <= call.node.start_byte < body.end_byte and (
                        _http(call) or is_repo_call(call)):
                    yield self.finding(
                        file.path, file.span(call.node),
                        f"The function `{_shown(start)}` runs as the agent's init calls `{_shown(call)}`; "
                        "its supervisor and every sibling started after it wait for it.",
                        fix="Start the agent empty and load its state in a `GenServer` with `handle_continue/2`.")

    def check_project(self, project: Project) -> Iterable[Finding]:
        reach = project.ecto.reach
        for path, process in _judged_processes(project):
            if _REPO_SERVERS.isdisjoint(process.kinds) or process.warms_table:
                continue
            found = reach.performs.get((process.module, "init", 1))
            if found is None or _in_lines(found.steps[0].site.line, process.detached):
                continue
            yield self.finding(
                path, _site_span(found.steps[0].site),
                f"`init/1` of `{process.module}` queries the database ({_chain(found)}); its supervisor "
                "and every sibling started after it wait, and a database outage stops the app from booting.",
                fix=self._FIX)
        yield from self._remote_http(project)

    def _remote_http(self, project: Project) -> Iterator[Finding]:
        """`init/1` calling another module's function that makes an HTTP request (`Client.fetch_token/0`);
        requests in the module itself are reported by the file phase."""
        http = liveviews(project).reaching("http")
        for path, process in _judged_processes(project):
            caller = project.calls.callers.get((process.module, "init", 1))
            if caller is None or _REPO_SERVERS.isdisjoint(process.kinds) or process.warms_table:
                continue
            for site in caller.function.calls:
                target = project.calls.resolve(caller, site)
                chain = http.get(target) if isinstance(target, tuple) and target[0] != process.module else None
                if chain is None or _in_lines(site.line, process.detached):
                    continue
                yield self.finding(
                    path, _site_span(site),
                    f"`init/1` of `{process.module}` makes an HTTP request through `{target[0]}.{target[1]}/"
                    f"{target[2]}` ({' -> '.join(chain)}); its supervisor and every sibling started after it "
                    "wait for the response.",
                    fix=self._FIX)
                break


@register
class BlockingCallback(FileRule):
    """Slow work (HTTP, sleep, external commands) inside a GenServer's `handle_*` callbacks.

    ## What it finds

    HTTP requests (Req, HTTPoison, Finch, Tesla, `:httpc`), `Process.sleep`,
    `:timer.sleep`, `System.cmd` and `Task.await(task, :infinity)` inside
    `handle_call/3`, and inside `handle_cast/2` or `handle_info/2` of a
    server that also answers calls (directly or in a private helper the
    callback calls). Queries are reported only in a server registered under
    one fixed name (a singleton every caller goes through). A poller that
    only sends itself messages is free to block itself and is not reported.

    ## Why it matters

    A GenServer handles one message at a time. While it waits on a remote
    API every `GenServer.call` to it queues up, and after the default five
    seconds each caller crashes with a timeout. A named singleton turns
    one slow dependency into an outage of every request that touches it.

    ## Example

    ```elixir
    def handle_call({:quote, sku}, _from, state) do
      {:reply, Req.get!("https://prices.example.com/#{sku}").body, state}
    end
    ```

    ## Use instead

    ```elixir
    def handle_call({:quote, sku}, from, state) do
      Task.Supervisor.async_nolink(MyApp.TaskSupervisor, fn -> {from, fetch_quote(sku)} end)
      {:noreply, state}
    end
    ```
    """

    id = "OTP.BlockingCallback"
    severity = Severity.WARNING
    confidence = Confidence.MEDIUM

    _FIX = ("Move the slow work out of the server: let the caller do it, or run it in "
            "`Task.Supervisor.async_nolink/2` and reply with `GenServer.reply/2` when it finishes.")

    def check(self, file: ParsedFile) -> Iterable[Finding]:
        if "genserver" not in file.kinds or not _judged(file):
            return
        by_owner = _runtime_calls(file)
        for process in processes(file, frozenset({"genserver"})):
            serves_calls = bool(process.callback("handle_call", 3))
            away = detached(file, process.module)
            for name, arity in _HANDLERS:
                if name != "handle_call" and not serves_calls:
                    continue
                confidence = _blocking_confidence(name, process.singleton)
                for clause in process.callback(name, arity):
                    for call, via in _reached(process, clause, by_owner, away):
                        what = _blocking(call)
                        if what:
                            yield self.finding(
                                file.path, file.span(call.node),
                                f"`{name}/{arity}` of `{process.module.name}` {what}{via}; every caller of the "
                                "server waits behind it and `GenServer.call` times out after 5 seconds.",
                                confidence=confidence, fix=self._FIX)

    def check_project(self, project: Project) -> Iterable[Finding]:
        reach = project.ecto.reach
        for path, process in _judged_processes(project):
            if "genserver" not in process.kinds or process.name_kind not in ("atom", "module", "global"):
                continue
            if reach.graph.function(process.module, "handle_call", 3) is None:
                continue  # nobody waits on a server that answers no calls
            for name, arity in _HANDLERS:
                found = reach.performs.get((process.module, name, arity))
                if found is None or _in_lines(found.steps[0].site.line, process.detached):
                    continue
                yield self.finding(
                    path, _site_span(found.steps[0].site),
                    f"`{name}/{arity}` of the singleton `{process.module}` queries the database "
                    f"({_chain(found)}); every request that calls the server queues behind each query.",
                    confidence=Confidence.MEDIUM if name == "handle_call" else Confidence.LOW,
                    fix="Query in the caller's process (or an ETS table the server fills) instead of "
                        "funnelling every query through one named process.")


def _blocking_confidence(callback: str, singleton: bool) -> Confidence:
    if callback == "handle_call":
        return Confidence.HIGH if singleton else Confidence.MEDIUM
    return Confidence.MEDIUM if singleton else Confidence.LOW


@register
class MissingCatchAllHandleInfo(FileRule):
    """A `handle_info/2` without a catch-all clause in a process that receives messages it did not send.

    ## What it finds

    A `handle_info/2` whose clauses all match specific messages, in a
    GenServer, LiveView or channel that monitors processes, traps exits,
    starts tasks whose replies arrive as messages, schedules
    (`Process.send_after`, `:timer.send_interval`) a message no clause
    matches, or subscribes to a PubSub topic on which the project
    broadcasts a message no clause matches (topics and messages as
    written in the source). Not reported when `handle_info/2` is not
    defined (the default implementation logs and carries on) or has a
    catch-all clause.

    ## Why it matters

    A message no clause matches raises `FunctionClauseError` and crashes
    the process, losing its state (a LiveView reloads in front of the user).
    A PubSub topic gains new events over time, a `:DOWN` arrives for every
    monitor, and a task's reply comes as `{ref, result}`: the crash waits
    for the first message nobody thought of.

    ## Example

    ```elixir
    def mount(_params, _session, socket) do
      if connected?(socket), do: Phoenix.PubSub.subscribe(MyApp.PubSub, "orders")
      {:ok, socket}
    end

    def handle_info({:order_created, order}, socket), do: {:noreply, stream_insert(socket, :orders, order)}
    ```

    ## Use instead

    ```elixir
    def handle_info({:order_created, order}, socket), do: {:noreply, stream_insert(socket, :orders, order)}
    def handle_info(_message, socket), do: {:noreply, socket}
    ```
    """

    id = "OTP.MissingCatchAllHandleInfo"
    severity = Severity.WARNING
    confidence = Confidence.MEDIUM

    _KINDS = frozenset({"genserver", "live_view", "channel"})

    def check(self, file: ParsedFile) -> Iterable[Finding]:
        if not (self._KINDS & file.kinds) or not _judged(file):
            return
        for process in processes(file, self._KINDS):
            clauses = process.callback("handle_info", 2)
            if not clauses:
                continue
            tags = [pattern_tag(c.params[0]) for c in clauses]
            if any(tag in ("*", None) for tag in tags):
                continue
            reason = self._reason(file, process, set(tags), _runtime_calls(file))
            if reason is None:
                continue
            why, confidence = reason
            matched = ", ".join(f"`{t}`" if t == "{}" else f"`:{t}`" for t in dict.fromkeys(tags))
            yield self.finding(
                file.path, _head(file, clauses[0]),
                f"`handle_info/2` of `{process.module.name}` matches only {matched}, but the process {why}; "
                "any other message raises FunctionClauseError and crashes it.",
                confidence=confidence,
                fix="Add a last clause `def handle_info(_message, state), do: {:noreply, state}` "
                    "(log the message if it is unexpected).")

    @staticmethod
    def _reason(file: ParsedFile, process: Process, tags: set[str], by_owner: dict[int, list[Call]]
                ) -> tuple[str, Confidence] | None:
        """Why the process receives messages its clauses may not match, and how sure that is. PubSub
        subscriptions are judged across files (`check_project`): a topic whose broadcasts all match the
        clauses is fine."""
        module = process.module
        reasons: list[tuple[str, Confidence]] = []
        calls = [c for c in file.outline.calls if c.module_def is module and c.runs_at_runtime and not c.capture
                 and _in_process(c)]
        links = any(c.name in ("spawn_link", "link", "start_link", "async") or c.is_("Port", "open") for c in calls)
        for call in calls:
            line = call.line
            if (call.is_("Process", "monitor") or call.is_(":erlang", "monitor")) and "DOWN" not in tags:
                reasons.append((f"monitors a process (line {line}) and no clause matches `:DOWN`", Confidence.HIGH))
            elif call.is_(":net_kernel", "monitor_nodes") and not tags & {"nodeup", "nodedown"}:
                reasons.append((f"monitors nodes (line {line})", Confidence.HIGH))
            elif (call.is_("Process", "flag") and call.args and atom_value(call.args[0]) == "trap_exit"
                  and "EXIT" not in tags and links):  # without links, trapping only makes `terminate/2` run
                reasons.append((f"traps exits (line {line}) and no clause matches `:EXIT`", Confidence.MEDIUM))
            elif _is(call, _ASYNC) and "{}" not in tags and not _awaited(call, by_owner):
                reasons.append((f"starts a task (`{_shown(call)}` at line {line}) whose reply no clause matches",
                                Confidence.HIGH))
            else:
                message = _scheduled(call)
                tag = pattern_tag(message) if message is not None else None
                if tag not in (None, "*") and tag not in tags and not ("{}" in tags and message.type == "tuple"):
                    reasons.append((f"schedules `{text(message)}` (line {line}), which no clause matches",
                                    Confidence.HIGH))
        if not reasons:
            return None
        return max(reasons, key=lambda r: r[1].rank)


    def check_project(self, project: Project) -> Iterable[Finding]:
        broadcasts: dict[str, list[tuple[str, BroadcastFacts]]] = {}
        for path, facts in project.files.items():
            if facts.otp is not None and _judged_facts(facts):
                for sent in facts.otp.broadcasts:
                    broadcasts.setdefault(sent.topic, []).append((path, sent))
        if not broadcasts:
            return
        for path, process in _judged_processes(project):
            if not process.info_tags or "{}" in process.info_tags or self._KINDS.isdisjoint(process.kinds):
                continue  # `{type, post} when type in [...]` may match any tuple: its guard decides
            unmatched = [(where, sent) for topic in process.subscriptions for where, sent in
                         broadcasts.get(topic, ()) if sent.tag not in process.info_tags]
            if not unmatched:
                continue
            where, sent = unmatched[0]
            matched = ", ".join(f"`{t}`" if t == "{}" else f"`:{t}`" for t in process.info_tags)
            yield self.finding(
                path, Span(process.info_line, process.info_column, process.info_line, process.info_column),
                f"`handle_info/2` of `{process.module}` matches only {matched}, but it subscribes to "
                f"\"{sent.topic}\" where `{sent.message}` is broadcast ({where}:{sent.line}); that message "
                "raises FunctionClauseError and crashes the process.",
                related=[Related(Location.of(where, Span(sent.line, sent.column, sent.line, sent.column)),
                                 "the broadcast no clause matches")],
                fix="Add a clause for the message, or a last clause "
                    "`def handle_info(_message, state), do: {:noreply, state}`.")


def _scheduled(call: Call) -> Node | None:
    """The message a timer sends to the process itself."""
    if call.is_("Process", "send_after") and len(call.args) >= 2 and text(call.args[0]) == "self()":
        return call.args[1]
    if call.is_(":timer", "send_interval", "send_after") and len(call.args) == 2:
        return call.args[1]
    return None


@register
class InfiniteCallTimeout(FileRule):
    """A call with an `:infinity` timeout in code that serves a request.

    ## What it finds

    `GenServer.call(server, msg, :infinity)`, `Task.await(task, :infinity)`,
    `Task.await_many(tasks, :infinity)` and the `Agent` equivalents in
    controllers, LiveViews, channels and plugs, or in a function they call
    (a GenServer's client API, a context function), up to four calls away.
    Code handed to a Task or `assign_async` runs in its own process and is
    not counted. Tests are not judged.

    ## Why it matters

    The default five-second timeout is what turns a stuck server into an
    error the caller can handle. With `:infinity` a request waits forever
    on a deadlocked or overloaded process: the connection stays open, the
    client retries, and request processes pile up until the node runs out
    of memory or the load balancer gives up.

    ## Example

    ```elixir
    def show(conn, %{"id" => id}) do
      report = GenServer.call(MyApp.Reports, {:build, id}, :infinity)
      render(conn, :show, report: report)
    end
    ```

    ## Use instead

    ```elixir
    def show(conn, %{"id" => id}) do
      report = GenServer.call(MyApp.Reports, {:build, id}, :timer.seconds(15))
      render(conn, :show, report: report)
    end
    ```
    """

    id = "OTP.InfiniteCallTimeout"
    severity = Severity.WARNING
    confidence = Confidence.HIGH

    def check(self, file: ParsedFile) -> Iterable[Finding]:
        if not (REQUEST_HANDLERS & file.kinds) or not _judged(file):
            return
        for call in file.outline.calls:
            if not waits_forever(call) or REQUEST_HANDLERS.isdisjoint(file.kinds_of(call.module_def)):
                continue
            yield self.finding(
                file.path, file.span(call.node),
                f"`{_shown(call)}` waits with `:infinity` while serving a request; a stuck or overloaded "
                "process holds this request (and its connection) forever.",
                fix=self._FIX)

    _FIX = "Pass a finite timeout (`:timer.seconds(15)`) and handle the exit, or do the work asynchronously."

    def check_project(self, project: Project) -> Iterable[Finding]:
        """Waits in other modules (a GenServer's client function, a context) that requests reach."""
        waits = [(path, wait) for path, facts in project.files.items() if _judged_facts(facts) and facts.otp
                 for wait in facts.otp.waits]
        for path, wait in waits:
            handlers = _request_callers(project, (wait.module, wait.function, wait.arity))
            if not handlers:
                continue
            first = handlers[0]
            message = (f"`{wait.call}` in `{wait.module}.{wait.function}/{wait.arity}` waits with `:infinity`, "
                       f"and requests reach it (`{first[0].function.module}.{first[0].function.name}/"
                       f"{first[0].function.arity}`); a stuck or overloaded process holds those requests forever.")
            related = [Related(Location.of(caller.path, _site_span(site)),
                               f"called while serving a request in `{caller.function.module}`")
                       for caller, site in handlers[:5]]
            span = Span(wait.line, wait.column, wait.end_line, wait.end_column)
            yield self.finding(path, span, message, related=related, fix=self._FIX)


def _request_callers(project: Project, key) -> list:
    """The call sites in request handlers (controllers, LiveViews, channels, plugs) that reach a function,
    through up to four project functions; nearest first. Code handed to a Task does not count."""
    return project.calls.nearest_callers(
        key, lambda caller: _handler(project, caller.function.module),
        skip=lambda caller, site: _runs_detached(project, caller, site))


def _handler(project: Project, module: str | None) -> bool:
    return module is not None and not REQUEST_HANDLERS.isdisjoint(project.kinds_of(module))


def _runs_detached(project: Project, caller, site) -> bool:
    """The call sits in a function handed to a Task or `assign_async`: it runs in another process."""
    otp = project.files[caller.path].otp
    return otp is not None and any(
        process.module == caller.function.module and _in_lines(site.line, process.detached)
        for process in otp.processes)




@register
class TaskAsyncInGenServer(FileRule):
    """`Task.async` in a GenServer callback whose reply message the server never handles.

    ## What it finds

    `Task.async`, `Task.Supervisor.async` and `Task.Supervisor.async_nolink`
    called in a GenServer callback (or a private helper it calls) that
    neither awaits the task (there or anywhere in the module) nor has a
    `handle_info/2` clause for the `{ref, result}` reply. A catch-all
    `handle_info/2` clause takes the reply, or ignores it on purpose: not
    reported (an `async_nolink` task with a catch-all but no `:DOWN` clause,
    whose failures go unnoticed, is reported at low confidence).

    ## Why it matters

    A task started from a GenServer sends its result to the server as a
    message `{ref, result}`, followed by a `:DOWN` message. A
    `handle_info/2` without a clause for them crashes the server with
    `FunctionClauseError`; without `handle_info/2` the result is logged and
    lost. `Task.async` also links the task: its crash takes the server down.

    ## Example

    ```elixir
    def handle_cast({:sync, id}, state) do
      Task.async(fn -> Sync.run(id) end)
      {:noreply, state}
    end
    ```

    ## Use instead

    ```elixir
    def handle_cast({:sync, id}, state) do
      task = Task.Supervisor.async_nolink(MyApp.TaskSupervisor, fn -> Sync.run(id) end)
      {:noreply, Map.put(state, task.ref, id)}
    end

    def handle_info({ref, _result}, state) when is_reference(ref) do
      Process.demonitor(ref, [:flush])
      {:noreply, Map.delete(state, ref)}
    end

    def handle_info({:DOWN, ref, :process, _pid, _reason}, state), do: {:noreply, Map.delete(state, ref)}
    ```
    """

    id = "OTP.TaskAsyncInGenServer"
    severity = Severity.WARNING
    confidence = Confidence.HIGH

    def check(self, file: ParsedFile) -> Iterable[Finding]:
        if "genserver" not in file.kinds or not _judged(file):
            return
        by_owner = _runtime_calls(file)
        for process in processes(file, frozenset({"genserver"})):
            infos = process.callback("handle_info", 2)
            if _takes_replies(process):
                continue  # a `{ref, result}` clause takes the reply
            # A catch-all clause takes (or deliberately ignores) the reply: nothing crashes. An `async_nolink`
            # task's failure arrives only as `:DOWN`, which the catch-all would swallow unless a clause takes it.
            catch_all = any(pattern_tag(c.params[0]) in ("*", None) for c in infos)
            downs = any(pattern_tag(c.params[0]) == "DOWN" for c in infos)
            confidence = Confidence.HIGH if infos else Confidence.MEDIUM
            seen: set[int] = set()
            for (name, arity), clauses in process.callbacks.items():
                for clause in clauses:
                    for call, via in _reached(process, clause, by_owner):
                        if not _is(call, _ASYNC) or call.node.id in seen or _awaited(call, by_owner):
                            continue
                        seen.add(call.node.id)
                        if catch_all:
                            if call.name == "async_nolink" and not downs:
                                yield self._unnoticed(file, process, call, name, arity, via)
                            continue
                        outcome = ("crashes the server" if confidence is Confidence.HIGH
                                   else "the default `handle_info/2` logs as unexpected and drops")
                        yield self.finding(
                            file.path, file.span(call.node),
                            f"`{_shown(call)}` in `{name}/{arity}` of `{process.module.name}`{via} is never "
                            f"awaited and no `handle_info/2` clause matches its `{{ref, result}}` reply, "
                            f"which {outcome}.",
                            confidence=confidence,
                            fix="Use `Task.Supervisor.async_nolink/2` and add `handle_info({ref, result}, state)` "
                                "and `handle_info({:DOWN, ref, :process, _, _}, state)` clauses.")

    def _unnoticed(self, file: ParsedFile, process: Process, call: Call, name: str, arity: int, via: str) -> Finding:
        return self.finding(
            file.path, file.span(call.node),
            f"`{_shown(call)}` in `{name}/{arity}` of `{process.module.name}`{via} is never awaited and its "
            "reply and `:DOWN` message fall into the catch-all `handle_info/2` clause: a failed task goes unnoticed.",
            confidence=Confidence.LOW,
            fix="Handle `{:DOWN, ref, :process, _, reason}` for the task, or start it with "
                "`Task.Supervisor.start_child/2` when its result is not needed.")


def _takes_replies(process: Process) -> bool:
    """A `handle_info({ref, result}, state)` clause: the reply of a task started by the process."""
    return any(pattern_tag(c.params[0]) == "{}" and tuple_size(_unmatched(c.params[0])) == 2
               for c in process.callback("handle_info", 2))


def _unmatched(node: Node) -> Node:
    """The pattern without a `= var` binding around it."""
    if node.type == "binary_operator" and text(node.child_by_field_name("operator")) == "=":
        left = node.child_by_field_name("left")
        right = node.child_by_field_name("right")
        return left if left is not None and left.type == "tuple" else right if right is not None else node
    return node


def _discarded(node: Node) -> bool:
    """A statement whose value nothing uses: not the last expression of its block."""
    parent = node.parent
    if parent is None or parent.type not in ("body", "block", "do_block"):
        return False
    return node.next_named_sibling is not None


def _awaited(call: Call, by_owner: dict[int, list[Call]]) -> bool:
    """Awaited (or yielded, or shut down) in the same function, or, when the task is kept (bound, returned,
    passed on), anywhere in the module: another function often awaits it (`Task.yield(task, 4_000)`)."""
    if any(_is(other, _AWAITS) for other in by_owner.get(id(call.owner), ())):
        return True
    module = call.owner.module if call.owner is not None and not _discarded(call.node) else None
    return module is not None and any(
        _is(other, _AWAITS) for calls in by_owner.values() for other in calls
        if other.owner is not None and other.owner.module is module)


# Functions that run inside the process (with the module's private helpers); public client
# functions run in the caller's process.
_CALLBACKS = frozenset({"init", "handle_call", "handle_cast", "handle_info", "handle_continue", "terminate",
                        "mount", "handle_event", "handle_params", "handle_async", "join", "handle_in", "update"})


def _quoted(node: Node) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.type == "call" and call_target_name(parent) == "quote":
            return True
        parent = parent.parent
    return False


def _in_process(call: Call) -> bool:
    owner = call.owner
    return owner is not None and (owner.kind == "defp" or owner.name in _CALLBACKS)


@register
class UnsupervisedProcess(FileRule):
    """A process started with no supervisor from a request handler or a GenServer callback.

    ## What it finds

    `spawn/1`, `spawn_link/1`, `Task.start/1` and `Task.async/1` whose task
    is never awaited, in controllers, LiveViews, channels and plugs, or in
    the callbacks of a GenServer; and `spawn`/`Task.start` in any function
    requests reach through the call graph (a context, a notifier), up to
    four calls away. Mix tasks, scripts and tests are not judged. (`Task.async` in a GenServer callback is `OTP.TaskAsyncInGenServer`.)

    ## Why it matters

    A process nobody supervises is invisible to the application: it is not
    shut down cleanly on deploy (its work is cut off mid-way), its crash is
    only a log line, and nothing bounds how many of them pile up under
    load. `spawn_link` and `Task.async` also tie the request or server to
    the fate of the work it wanted to hand off.

    ## Example

    ```elixir
    def create(conn, params) do
      Task.start(fn -> Mailer.deliver_welcome(params["email"]) end)
      send_resp(conn, 201, "")
    end
    ```

    ## Use instead

    ```elixir
    def create(conn, params) do
      Task.Supervisor.start_child(MyApp.TaskSupervisor, fn -> Mailer.deliver_welcome(params["email"]) end)
      send_resp(conn, 201, "")
    end
    ```
    """

    id = "OTP.UnsupervisedProcess"
    severity = Severity.WARNING
    confidence = Confidence.MEDIUM

    def check(self, file: ParsedFile) -> Iterable[Finding]:
        if not ((REQUEST_HANDLERS | {"genserver"}) & file.kinds) or not _judged(file):
            return
        by_owner = _runtime_calls(file)
        callbacks: set[int] = set()
        for process in processes(file, frozenset({"genserver"})):
            for clauses in process.callbacks.values():
                for clause in clauses:
                    callbacks.add(id(clause))
                    callbacks.update(id(c) for call, _ in _reached(process, clause, by_owner)
                                     if call.name in process.helpers and call.module is None
                                     for c in process.helpers[call.name])
        # A LiveView or channel that takes the `{ref, result}` reply awaits its task in `handle_info/2`.
        replies = {id(p.module) for p in processes(file, frozenset({"live_view", "channel"})) if _takes_replies(p)}
        for call in file.outline.calls:
            if call.owner is None or not call.runs_at_runtime or call.capture:
                continue
            handler = not REQUEST_HANDLERS.isdisjoint(file.kinds_of(call.module_def))
            if not handler and id(call.owner) not in callbacks:
                continue
            started = _unsupervised(call, handler and id(call.module_def) not in replies, by_owner)
            if started:
                where = "a request handler" if handler else "a GenServer callback"
                yield self.finding(
                    file.path, file.span(call.node),
                    f"`{_shown(call)}` in `{call.owner.name}/{call.owner.arity}` starts {started} from {where}; "
                    "no supervisor shuts it down on deploy or bounds how many run.",
                    fix=self._FIX)

    _FIX = ("Start it under a `Task.Supervisor` in the application's tree: "
            "`Task.Supervisor.start_child(MyApp.TaskSupervisor, fn -> ... end)`.")

    def check_project(self, project: Project) -> Iterable[Finding]:
        """Unsupervised starts in other modules (a context, a notifier) that requests reach."""
        for path, facts in project.files.items():
            if not _judged_facts(facts) or facts.otp is None:
                continue
            for spawn in facts.otp.spawns:
                handlers = _request_callers(project, (spawn.module, spawn.function, spawn.arity))
                if not handlers:
                    continue
                caller = handlers[0][0].function
                message = (f"`{spawn.call}` in `{spawn.module}.{spawn.function}/{spawn.arity}` starts a process no "
                           f"supervisor knows, and requests reach it (`{caller.module}.{caller.name}/{caller.arity}`)"
                           "; nothing shuts it down on deploy or bounds how many run.")
                related = [Related(Location.of(c.path, _site_span(site)), f"called while serving a request in "
                                   f"`{c.function.module}`") for c, site in handlers[:5]]
                yield self.finding(path, Span(spawn.line, spawn.column, spawn.end_line, spawn.end_column), message,
                                   related=related, fix=self._FIX)


def _unsupervised(call: Call, handler: bool, by_owner: dict[int, list[Call]]) -> str | None:
    if call.name in ("spawn", "spawn_link") and (call.module in (None, "Kernel", "Process")) and call.arity <= 3:
        return "a bare process"
    if call.is_("Task", "start"):
        return "an unsupervised task"
    if handler and call.is_("Task", "async") and not _awaited(call, by_owner):
        return "a task that is never awaited"
    return None


@register
class MissingImpl(FileRule):
    """A callback without `@impl` in a module that marks its other callbacks with `@impl`.

    ## What it finds

    A function that is a callback of the module's behaviour (GenServer,
    Supervisor, Application, LiveView, LiveComponent, Channel, Oban.Worker)
    defined without `@impl` before it, in a module where other callbacks
    carry `@impl`. Modules that use no `@impl` at all are left alone.

    ## Why it matters

    `@impl` tells the reader (and the compiler) that a function is called
    by the behaviour, not by the module's clients. Once one callback has it
    Elixir expects it on every callback, and a missing one usually means a
    typo in a name or an arity, such as `handle_info/3`, that the behaviour
    will never call.

    ## Example

    ```elixir
    @impl true
    def init(state), do: {:ok, state}

    def handle_info(:tick, state), do: {:noreply, state}
    ```

    ## Use instead

    ```elixir
    @impl true
    def init(state), do: {:ok, state}

    @impl true
    def handle_info(:tick, state), do: {:noreply, state}
    ```
    """

    id = "OTP.MissingImpl"
    severity = Severity.INFO
    confidence = Confidence.HIGH

    def check(self, file: ParsedFile) -> Iterable[Finding]:
        if not (set(CALLBACKS) & file.kinds) or not _judged(file):
            return
        for process in processes(file, frozenset(CALLBACKS)):
            impls = [node.start_byte for node in process.module.attributes.get("impl", ())]
            if not impls:
                continue
            # Clauses a macro injects (`quote` in `__using__`) belong to the modules that use it.
            ordered = sorted((c for c in process.clauses if not _quoted(c.node)), key=lambda c: c.node.start_byte)
            seen: set[tuple[str, int]] = set()
            for index, clause in enumerate(ordered):
                key = (clause.name, clause.arity)
                if key in seen or key not in process.callbacks:
                    seen.add(key)
                    continue
                seen.add(key)
                start = ordered[index - 1].node.end_byte if index else process.module.node.start_byte
                if any(start <= at < clause.node.start_byte for at in impls):
                    continue
                yield self.finding(
                    file.path, _head(file, clause),
                    f"Callback `{clause.name}/{clause.arity}` of `{process.module.name}` has no `@impl`, "
                    "while other callbacks in the module have one.",
                    fix="Add `@impl true` before the first clause.")


# Callback names whose other arities are never legitimate helpers in a process module.
_ARITY_CHECKED = frozenset({"init", "handle_call", "handle_cast", "handle_info", "handle_continue", "mount",
                            "handle_params", "handle_event", "handle_async", "join", "handle_in", "handle_out",
                            "perform"})


@register
class WrongCallbackArity(FileRule):
    """A callback defined with an arity its behaviour never calls, so it never runs.

    ## What it finds

    A public function named like a callback of the module's behaviour, such
    as `handle_info/3` in a GenServer, `mount/2` in a LiveView, `join/2` in a
    channel or `perform/2` in an Oban worker, when the behaviour calls that
    name with another arity and nothing in the module calls this one; and
    a misspelled callback (`hanle_info/2`) with the arity of the callback
    it is one or two letters away from. Default arguments count: `def
    perform(job, now \\\\ DateTime.utc_now())` also defines `perform/1`.

    ## Why it matters

    The compiler accepts the function: it is just another public function.
    The behaviour keeps calling the arity it knows, which falls to the
    default (`handle_info/2` logs and drops the message) or is missing
    altogether (a LiveView with no `mount/3`), so the code written for the
    callback never runs. `@impl true` would have turned this into a compiler
    warning.

    ## Example

    ```elixir
    def handle_info(:refresh, _from, state) do
      {:noreply, reload(state)}
    end
    ```

    ## Use instead

    ```elixir
    @impl true
    def handle_info(:refresh, state) do
      {:noreply, reload(state)}
    end
    ```
    """

    id = "OTP.WrongCallbackArity"
    severity = Severity.ERROR
    confidence = Confidence.HIGH

    def check(self, file: ParsedFile) -> Iterable[Finding]:
        if not (set(CALLBACKS) & file.kinds) or not _judged(file):
            return
        for process in processes(file, frozenset(CALLBACKS)):
            if "plug" in process.kinds:  # a plug's `init/1` and `call/2` share names with no callback here
                continue
            expected: dict[str, set[int]] = {}
            for name, arity in process.expected_callbacks:
                expected.setdefault(name, set()).add(arity)
            called = {(call.name, len(call.args)) for call in file.outline.calls
                      if call.module is None and call.owner is not None and call.owner.module is process.module}
            reported: set[tuple[str, int]] = set()
            for clause in process.clauses:
                key = (clause.name, clause.arity)
                if not clause.public or key in reported or key in called or _quoted(clause.node):
                    continue
                problem = _never_called(clause, expected)
                if problem is not None:
                    reported.add(key)
                    message, wanted = problem
                    yield self.finding(
                        file.path, _head(file, clause),
                        f"`{clause.name}/{clause.arity}` in `{process.module.name}` {message}",
                        fix=f"Define {wanted} instead, with `@impl true` so the compiler checks it.")


_ALL_CALLBACK_NAMES = frozenset(name for callbacks in CALLBACKS.values() for name, _ in callbacks)


def _never_called(clause: Clause, expected: dict[str, set[int]]) -> tuple[str, str] | None:
    """Why the behaviour never calls this public function, and what it calls instead; None when it may."""
    answers = set(range(clause.min_arity, clause.arity + 1))  # default arguments define several arities
    arities = expected.get(clause.name)
    if arities is not None:
        if clause.name not in _ARITY_CHECKED or answers & arities:
            return None
        wanted = " or ".join(f"`{clause.name}/{arity}`" for arity in sorted(arities))
        return f"is never called by its behaviour, which calls {wanted}.", wanted
    if len(clause.name) < 6 or clause.name in _ALL_CALLBACK_NAMES:
        return None
    for name in sorted(_ARITY_CHECKED & expected.keys()):
        if answers & expected[name] and _edit_distance(clause.name, name) <= 2:
            wanted = f"`{name}/{max(answers & expected[name])}`"
            return f"is never called by its behaviour: did you mean {wanted}?", wanted
    return None


def _edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, char in enumerate(a, 1):
        current = [i]
        for j, other in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char != other)))
        previous = current
    return previous[-1]
