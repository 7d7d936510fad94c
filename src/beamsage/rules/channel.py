"""Phoenix channel rules: what a channel does with the messages clients send it.

Shared judgement: a channel's `handle_in/3` payload is whatever a client
(any client that can join the topic) chose to send; `model.flow` tracks it
as untrusted. A value that went through a function (a changeset, a context
function, a cast) is no longer followed: the rules judge only payload data
that reaches a broadcast or a Repo write untouched.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from tree_sitter import Node

from ..model.ecto.reach import is_write
from ..model.parsed import ParsedFile
from ..source.syntax import Call, Clause, ModuleDef, operator, string_value, text, variables, walk
from .base import Confidence, FileRule, Finding, Severity, register


def _channels(file: ParsedFile) -> Iterator[ModuleDef]:
    if "channel" not in file.kinds or "lib" not in file.kinds:
        return
    for module in file.outline.modules:
        if "channel" in file.kinds_of(module):
            yield module


@register
class InterceptWithoutHandleOut(FileRule):
    """An `intercept`ed channel event that no `handle_out/3` clause handles.

    ## What it finds

    A channel that lists events in `intercept [...]` but defines no
    `handle_out/3` clause matching one of them (and no catch-all clause).

    ## Why it matters

    `intercept` tells Phoenix to hand every outgoing broadcast of that event
    to the channel's `handle_out/3` instead of pushing it to the client. With
    no clause for the event, each broadcast raises `FunctionClauseError` in
    every subscribed channel process: the clients are disconnected and
    rejoin, and the message is never delivered.

    ## Example

    ```elixir
    intercept ["new_msg", "user_joined"]

    def handle_out("new_msg", msg, socket) do
      push(socket, "new_msg", msg)
      {:noreply, socket}
    end
    ```

    ## Use instead

    ```elixir
    intercept ["new_msg"]

    def handle_out("new_msg", msg, socket) do
      push(socket, "new_msg", msg)
      {:noreply, socket}
    end
    ```
    """

    id = "Channel.InterceptWithoutHandleOut"
    severity = Severity.ERROR
    confidence = Confidence.HIGH

    def check(self, file: ParsedFile) -> Iterable[Finding]:
        for module in _channels(file):
            intercepts = [c for c in file.outline.calls if c.name == "intercept" and c.owner is None
                          and c.module_def is module and c.module is None and c.args]
            if not intercepts:
                continue
            handled, catch_all = _handled_events(file, module)
            if catch_all:
                continue
            for call in intercepts:
                yield from self._missing(file, module, call, handled)

    def _missing(self, file: ParsedFile, module: ModuleDef, call: Call, handled: set[str]) -> Iterator[Finding]:
        events = call.args[0]
        if events.type != "list":
            return
        for item in events.named_children:
            event = string_value(item)
            if event is None or event in handled:
                continue
            message = (f"`{module.name}` intercepts \"{event}\" but no `handle_out/3` clause matches it: every "
                       f"broadcast of \"{event}\" crashes the subscribed channel processes.")
            fix = (f"Add `def handle_out(\"{event}\", payload, socket)` that pushes (or filters) the message, "
                   f"or remove \"{event}\" from `intercept`.")
            yield self.finding(file.path, file.span(item), message, fix=fix)


def _handled_events(file: ParsedFile, module: ModuleDef) -> tuple[set[str], bool]:
    """The events `handle_out/3` clauses match by name, and whether one clause matches any event."""
    handled: set[str] = set()
    for clause in file.outline.clauses_of(module):
        if clause.name != "handle_out" or clause.arity != 3 or not clause.public:
            continue
        event = clause.params[0]
        name = string_value(event)
        if name is not None:
            handled.add(name)
        else:
            return handled, True  # `event`, `"prefix:" <> rest`, `<<_::binary>>`: taken as handling all
    return handled, False


# Calls that send their third argument to other clients: `broadcast(socket, event, payload)`,
# `Endpoint.broadcast(topic, event, payload)`, `Phoenix.PubSub.broadcast(pubsub, topic, message)`.
_BROADCASTS = frozenset({"broadcast", "broadcast!", "broadcast_from", "broadcast_from!"})


@register
class HandleInWithoutValidation(FileRule):
    """Channel payload fields broadcast or written to the database without validation.

    ## What it finds

    In a channel's `handle_in/3`: the client's payload (or a value taken
    from it) passed unchanged to `broadcast`/`broadcast!`/`broadcast_from`,
    an Endpoint or `Phoenix.PubSub` broadcast, or `push`, or payload fields
    written to the database without a changeset (`Repo.insert_all`, a
    struct built from the payload and inserted). A map the server builds
    for a broadcast (`%{body: body}`) fixes its shape and is not reported.
    Values that went through a changeset or any other function, values
    tested against an allow-list (`if kind in @kinds`), and values the
    clause's guard checks (`when is_binary(body) and byte_size(body) < 500`)
    are not reported. Relaying the whole payload unchanged (a relay channel,
    or the "shout" example `mix phx.gen.channel` writes) and pushing a
    payload back to the sender are reported at low confidence only.

    ## Why it matters

    Anyone who can join the topic can send any JSON: extra keys, huge
    strings, nested maps, another user's id. Relayed as is, it reaches every
    subscriber's browser (spoofed `user_id`, megabyte messages, fields your
    JavaScript trusts); written as is, it bypasses every rule the schema's
    changeset would have enforced.

    ## Example

    ```elixir
    def handle_in("new_msg", %{"body" => body} = payload, socket) do
      broadcast!(socket, "new_msg", payload)  # any keys, any size, to everyone
      Repo.insert_all(Message, [%{body: body, room_id: payload["room_id"]}])
      {:noreply, socket}
    end
    ```

    ## Use instead

    ```elixir
    def handle_in("new_msg", params, socket) do
      case Chat.create_message(socket.assigns.room, socket.assigns.user, params) do
        {:ok, message} ->
          broadcast!(socket, "new_msg", %{id: message.id, body: message.body})
          {:noreply, socket}

        {:error, changeset} ->
          {:reply, {:error, %{errors: errors_on(changeset)}}, socket}
      end
    end
    ```
    """

    id = "Channel.HandleInWithoutValidation"
    severity = Severity.WARNING
    confidence = Confidence.MEDIUM

    def check(self, file: ParsedFile) -> Iterable[Finding]:
        for module in _channels(file):
            clauses = [c for c in file.outline.clauses_of(module) if c.name == "handle_in" and c.arity == 3]
            if not clauses:
                continue
            ids = {id(c) for c in clauses}
            for call in file.outline.calls:
                if call.owner is not None and id(call.owner) in ids and call.runs_at_runtime:
                    finding = self._call(file, call.owner, call)
                    if finding is not None:
                        yield finding

    def _call(self, file: ParsedFile, clause: Clause, call: Call) -> Finding | None:
        sink = _sink(call)
        if sink is None:
            return None
        kind, value = sink
        flow = file.flow(clause)
        origin = flow.origin(value)
        if origin is None or _guarded(clause, value):
            return None
        if kind != "write" and value.type == "map":
            return None  # `%{body: body}`: the server chose the shape, as the Phoenix guides do
        shown = " ".join(text(value).split())
        if len(shown) > 40:
            shown = shown[:37] + "..."
        called = f"{call.module}.{call.name}" if call.module else call.name
        if kind == "write":
            message = (f"`{called}` in `handle_in/3` writes `{shown}`, which {origin.describe(shown)}, "
                       f"without a changeset: the client chooses what is stored.")
            fix = "Build the record through a changeset (`cast/3` + `validate_*`) in a context function."
            return self.finding(file.path, file.span(call.node), message, fix=fix, confidence=Confidence.HIGH)
        if kind == "push":
            message = (f"`{called}` in `handle_in/3` sends `{shown}`, which {origin.describe(shown)}, back "
                       f"unvalidated.")
            fix = "Reply with data the server built (`%{id: msg.id, body: msg.body}`), not the client's payload."
            return self.finding(file.path, file.span(call.node), message, fix=fix, confidence=Confidence.LOW)
        message = (f"`{called}` in `handle_in/3` relays `{shown}`, which {origin.describe(shown)}, to every "
                   f"subscriber without validation.")
        fix = ("Validate the payload first (a changeset, or pattern-match and check each field), and broadcast "
               "a map of the fields you built.")
        # Relaying the whole payload is what relay channels (terminals, file transfer, the generator's "shout")
        # exist for; a field lifted from it and broadcast on its own is the likelier mistake.
        confidence = Confidence.LOW if _whole_payload(clause, value) else None
        return self.finding(file.path, file.span(call.node), message, fix=fix, confidence=confidence)


def _sink(call: Call) -> tuple[str, Node] | None:
    """`(kind, value)` when the call sends or stores a value: kind is broadcast, push or write."""
    name, module = call.name, call.module
    if name is None or not call.args:
        return None
    if name in _BROADCASTS and _sender(module):
        # `Endpoint.broadcast_from(pid, topic, event, payload)` and `PubSub.broadcast_from(pubsub, pid, topic,
        # message)` carry one argument more than a channel's `broadcast_from(socket, event, payload)`.
        index = 3 if name.startswith("broadcast_from") and module not in (None, "Phoenix.Channel") else 2
        return ("broadcast", call.args[index]) if len(call.args) > index else None
    if name == "push" and len(call.args) >= 3 and module in (None, "Phoenix.Channel"):
        return "push", call.args[2]
    if module is not None and (module == "Repo" or module.endswith(".Repo")) and is_write(name):
        if name in ("insert_all",) and len(call.args) >= 2:
            return "write", call.args[1]
        if name in ("insert", "insert!", "update", "update!", "insert_or_update", "insert_or_update!") \
                and _struct(call.args[0]):
            return "write", call.args[0]
    return None


def _sender(module: str | None) -> bool:
    """A channel's own broadcast, PubSub, or an endpoint (`MyAppWeb.Endpoint`, `MyAppWeb.DeviceEndpoint`)."""
    return module in (None, "Phoenix.Channel", "Phoenix.PubSub") or (module or "").endswith("Endpoint")


def _whole_payload(clause: Clause, value: Node) -> bool:
    """The value is the clause's payload parameter itself (`payload`, or `%{...} = payload`)."""
    if value.type != "identifier" or len(clause.params) < 2:
        return False
    param = clause.params[1]
    sides = [param]
    if param.type == "binary_operator":
        sides = [param.child_by_field_name("left"), param.child_by_field_name("right")]
    name = text(value)
    return any(side is not None and side.type == "identifier" and text(side) == name for side in sides) \
        and not _rebound(clause, name, value)


def _rebound(clause: Clause, name: str, before: Node) -> bool:
    """`payload = Map.put(payload, :name, user.name)` earlier in the clause: the server changed the payload it
    then broadcasts (adding an identity the other keys now seem to come with), so it is no plain relay."""
    if clause.body is None:
        return False
    for node in walk(clause.body):
        if node.start_byte >= before.start_byte:
            continue
        if node.type == "binary_operator" and operator(node) == "=":
            left = node.child_by_field_name("left")
            if left is not None and left.type == "identifier" and text(left) == name:
                return True
    return False


def _struct(node: Node) -> bool:
    """A struct or map literal (`%Message{body: body}`): written without a changeset."""
    return node.type == "map"


def _guarded(clause: Clause, value: Node) -> bool:
    """Whether the clause's guard checks a variable the value is made of."""
    if clause.guard is None:
        return False
    checked = variables(clause.guard)
    return any(node.type == "identifier" and text(node) in checked for node in walk(value))
