"""Oban jobs: workers whose `perform/1` never matches or returns what Oban
does not understand, jobs put in queues nothing runs, args that do not
survive JSON, crontabs that never fire.

Oban stores a job's args as JSON and decodes them with string keys before
`perform/1` sees them; it runs only the queues its configuration starts
(`model.oban` reads every config file, `runtime.exs` and inline child
specs); and it reads a handful of return values. Each rule judges only what
the source makes knowable.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from tree_sitter import Node

from ..model.oban import cron_problem, worker_use
from ..model.parsed import ParsedFile
from ..model.project import Project
from ..source.document import Span
from ..source.syntax import Call, Clause, ModuleDef, atom_value, call_target_name, operator, text
from .base import Confidence, FileRule, Finding, ProjectRule, Severity, register

_GOOD_ATOMS = frozenset({"ok", "discard"})
_GOOD_TAGS = frozenset({"ok", "error", "cancel", "snooze", "discard"})
_INSERTS = ("Oban.insert", "Oban.insert!", "Oban.insert_all")
# Namespaces a project may extend (`Mix.Tasks.*`, `Oban.*` plugins) without owning every module in them.
_LIBRARY_NAMESPACES = frozenset({"Mix", "Oban", "Phoenix", "Ecto", "Plug", "Elixir", "Kernel", "Jason", "Logger"})


def _performs(file: ParsedFile) -> Iterator[Clause]:
    """`def perform/1` clauses of modules that `use Oban.Worker` (Pro workers define `process/1`)."""
    if "oban_worker" not in file.kinds or not file.runs_in_production:
        return
    for clause in file.outline.clauses:
        if clause.name == "perform" and clause.kind == "def" and clause.arity == 1 and clause.module is not None:
            use = worker_use(clause.module.uses)
            if use is not None and use.module == "Oban.Worker":
                yield clause


def _map_entries(node: Node) -> Iterator[tuple[Node, Node, bool]]:
    """(key, value, atom key) for each entry of a map literal or pattern."""
    for content in node.named_children:
        if content.type != "map_content":
            continue
        for item in content.named_children:
            if item.type == "keywords":
                for pair in item.named_children:
                    key, value = pair.child_by_field_name("key"), pair.child_by_field_name("value")
                    if key is not None and value is not None:
                        yield key, value, True
            elif item.type == "binary_operator" and operator(item) == "=>":
                key, value = item.child_by_field_name("left"), item.child_by_field_name("right")
                if key is not None and value is not None:
                    yield key, value, key.type in ("atom", "quoted_atom")


def _struct_name(node: Node, module: ModuleDef | None) -> str | None:
    struct = next((c for c in node.named_children if c.type == "struct"), None) if node.type == "map" else None
    if struct is None:
        return None
    name = text(struct).strip()
    return module.resolve(name) if module is not None else name


def _sides(node: Node) -> list[Node]:
    """`a = b` in a pattern binds both sides; other nodes are themselves."""
    if node.type == "binary_operator" and operator(node) == "=":
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        return [n for side in (left, right) if side is not None for n in _sides(side)]
    return [node]


def _args_patterns(param: Node, module: ModuleDef | None) -> list[Node]:
    """The patterns `perform/1` matches a job's `args` against."""
    found = []
    for node in _sides(param):
        if node.type != "map" or _struct_name(node, module) not in (None, "Oban.Job"):
            continue
        for key, value, _ in _map_entries(node):
            if text(key).rstrip().rstrip(":").strip() == "args":
                found.extend(_sides(value))
    return found


def _atom_keys(pattern: Node, depth: int = 0) -> list[Node]:
    """Atom keys in a (nested) plain-map pattern: decoded JSON has none at any depth."""
    if depth > 8 or pattern.type != "map" or _struct_name(pattern, None) is not None:
        return []
    keys = []
    for key, value, atom in _map_entries(pattern):
        if atom:
            keys.append(key)
        for side in _sides(value):
            keys.extend(_atom_keys(side, depth + 1))
    return keys


def _key_name(key: Node) -> str:
    name = text(key).strip()
    return name[:-1].strip() if name.endswith(":") else name.lstrip(":")


@register
class AtomKeysInPerform(FileRule):
    """A `perform/1` clause matches job args on atom keys, which decoded JSON never has.

    ## What it finds

    `perform/1` clauses of an `Oban.Worker` whose pattern on the job's
    `args` uses atom keys: `%Oban.Job{args: %{user_id: id}}` or
    `%{:user_id => id}`, at any depth of the args map.

    ## Why it matters

    Oban stores args as JSON and decodes them with string keys, whatever
    keys the job was built with. An atom-key pattern never matches: the job
    fails with `FunctionClauseError` on every attempt, then is discarded.
    Tests that call `perform/1` directly with an atom-key map pass anyway.

    ## Example

    ```elixir
    def perform(%Oban.Job{args: %{user_id: user_id}}) do
      Accounts.send_welcome(user_id)
    end
    ```

    ## Use instead

    ```elixir
    def perform(%Oban.Job{args: %{"user_id" => user_id}}) do
      Accounts.send_welcome(user_id)
    end
    ```
    """

    id = "Oban.AtomKeysInPerform"
    severity = Severity.ERROR
    confidence = Confidence.HIGH

    def check(self, file: ParsedFile) -> Iterable[Finding]:
        for clause in _performs(file):
            keys = [key for pattern in _args_patterns(clause.params[0], clause.module) for key in _atom_keys(pattern)]
            if not keys:
                continue
            names = ", ".join(f"`{_key_name(k)}`" for k in keys[:4])
            yield self.finding(
                file.path, file.span(keys[0]),
                f"`{clause.module.name}.perform/1` matches job args on atom key{'s' if len(keys) > 1 else ''} "
                f"{names}, but Oban decodes args from JSON with string keys, so this clause never matches.",
                fix='Match string keys: `%{"' + _key_name(keys[0]) + '" => value}`.',
            )


# -- returns -----------------------------------------------------------------------


def _last_expression(body: Node | None) -> Node | None:
    if body is None:
        return None
    if body.type != "do_block":
        return body
    exprs = [c for c in body.named_children if c.type != "comment" and not c.type.endswith("_block")]
    return exprs[-1] if exprs else None


def _returned(node: Node | None, depth: int = 0) -> Iterator[Node]:
    """The expressions a body's value may come from: branch ends of `case`/`cond`/`if ... else`."""
    if node is None or depth > 6:
        return
    if node.type == "call" and call_target_name(node) in ("case", "cond"):
        block = next((c for c in node.children if c.type == "do_block"), None)
        for stab in block.named_children if block is not None else []:
            if stab.type == "stab_clause":
                yield from _returned(stab.child_by_field_name("right"), depth + 1)
        return
    if node.type == "call" and call_target_name(node) == "if":
        block = next((c for c in node.children if c.type == "do_block"), None)
        otherwise = next((c for c in block.named_children if c.type == "else_block"), None) if block else None
        if block is None or otherwise is None:
            return  # without `else`, a false condition returns nil: not worth a guess
        yield from _returned(_last_expression(block), depth + 1)
        yield from _returned(_last_expression(otherwise), depth + 1)
        return
    if node.type == "body":
        children = [c for c in node.named_children if c.type != "comment"]
        yield from _returned(children[-1] if children else None, depth + 1)
        return
    yield node


def _bad_return(node: Node, module: ModuleDef | None) -> str | None:
    """Why a returned literal is not a result Oban reads, or None (valid or not knowable)."""
    kind = node.type
    if kind == "atom":
        name = atom_value(node)
        if name in _GOOD_ATOMS:
            return None
        if name == "error":
            return "a bare `:error`, which Oban does not read as a failure: the job is completed and never retried"
        return f"`{text(node)}`, which is not a result Oban reads"
    if kind in ("boolean", "nil", "string", "integer", "float", "list", "charlist"):
        return f"`{_short(node)}`, which is not a result Oban reads"
    if kind == "map":
        return f"{'a struct' if _struct_name(node, module) else 'a map'}, which is not a result Oban reads"
    if kind == "tuple":
        items = node.named_children
        tag = atom_value(items[0]) if items else None
        if tag is None:
            return None
        if tag in _GOOD_TAGS and len(items) == 2:
            return None
        if tag in _GOOD_TAGS:
            return f"a {len(items)}-element `{{:{tag}, ...}}` tuple, where Oban reads only `{{:{tag}, value}}`"
        return f"`{{:{tag}, ...}}`, which is not a result Oban reads"
    return None


def _short(node: Node) -> str:
    code = " ".join(text(node).split())
    return code if len(code) <= 30 else code[:27] + "..."


@register
class InvalidReturn(FileRule):
    """A `perform/1` clause returns a value Oban does not read as a job result.

    ## What it finds

    `perform/1` clauses whose last expression (or a branch end of a final
    `case`, `cond` or `if ... else`) is a literal that is not `:ok`,
    `{:ok, value}`, `{:error, reason}`, `{:cancel, reason}`,
    `{:snooze, seconds}`, `:discard` or `{:discard, reason}`: a bare
    `:error`, `nil`, `true`, a string, `{:ok, a, b}`, `{:retry, ...}`.

    ## Why it matters

    Oban decides retries from the return value. Anything it does not
    recognise is logged and the job is marked completed, so a worker that
    means to signal a failure with `:error` or `{:retry, ...}` is never
    retried and the failure disappears from the dashboard.

    ## Example

    ```elixir
    def perform(%Oban.Job{args: %{"id" => id}}) do
      case Billing.charge(id) do
        {:ok, _} -> :ok
        {:error, _} -> :error
      end
    end
    ```

    ## Use instead

    ```elixir
    def perform(%Oban.Job{args: %{"id" => id}}) do
      case Billing.charge(id) do
        {:ok, _} -> :ok
        {:error, reason} -> {:error, reason}
      end
    end
    ```
    """

    id = "Oban.InvalidReturn"
    severity = Severity.WARNING
    confidence = Confidence.HIGH

    def check(self, file: ParsedFile) -> Iterable[Finding]:
        for clause in _performs(file):
            for node in _returned(_last_expression(clause.body)):
                why = _bad_return(node, clause.module)
                if why:
                    yield self.finding(
                        file.path, file.span(node),
                        f"`{clause.module.name}.perform/1` returns {why}.",
                        fix="Return `:ok`, `{:ok, value}`, `{:error, reason}` (retried), `{:cancel, reason}` "
                            "or `{:snooze, seconds}`.",
                    )


# -- args ---------------------------------------------------------------------------


def _job_builder(call: Call, workers: set[str]) -> bool:
    """`Worker.new(args)` of a worker this file defines, one named like a worker, or one Oban inserts."""
    if call.name != "new" or not call.args or call.args[0].type != "map":
        return False
    if call.module is None:  # `new(args)` inside a worker builds that worker's job
        return call.module_def is not None and call.module_def.name in workers
    if call.module in workers:
        return True
    segments = call.module.split(".")
    if segments[-1].endswith(("Worker", "Job")) or {"Workers", "Jobs", "Worker"} & set(segments[:-1]):
        return True
    node, depth = call.node.parent, 0
    while node is not None and depth < 4:
        target = node.child_by_field_name("target") if node.type == "call" else None
        if node.type == "binary_operator" and operator(node) == "|>":
            target = node.child_by_field_name("right")
        if target is not None and text(target).startswith(_INSERTS):
            return True
        node, depth = node.parent, depth + 1
    return False


def _unserializable(value: Node, module: ModuleDef | None, depth: int = 0) -> Iterator[tuple[Node, str, bool]]:
    """(node, why, certain) for values in an args literal that JSON does not carry back as written."""
    if depth > 6:
        return
    kind = value.type
    if kind == "atom":
        yield value, (f"the atom `{text(value)}`, which comes back as the string \"{atom_value(value)}\" and no "
                      "longer matches atom comparisons"), False
    elif kind == "tuple":
        yield value, "a tuple, which Jason cannot encode: inserting the job raises", True
    elif kind in ("anonymous_function",) or (kind == "unary_operator" and operator(value) == "&"):
        yield value, "a function, which JSON cannot carry: inserting the job raises", True
    elif kind == "call" and text(value).replace(" ", "") in ("self()", "Kernel.self()"):
        yield value, "a PID (`self()`), which JSON cannot carry: inserting the job raises", True
    elif kind == "map" and _struct_name(value, module):
        name = _struct_name(value, module)
        yield value, (f"a `%{name}{{}}` struct, which either fails to encode or reaches `perform/1` as a plain "
                      "map with string keys"), True
    elif kind == "map":
        for _, item, _ in _map_entries(value):
            yield from _unserializable(item, module, depth + 1)
    elif kind == "list":
        for item in value.named_children:
            if item.type == "keywords":
                continue
            yield from _unserializable(item, module, depth + 1)


@register
class NonSerializableArgs(FileRule):
    """A job is built with args that do not survive Oban's JSON encoding.

    ## What it finds

    `Worker.new(args)` calls whose args map literal holds a struct, a
    tuple, a PID (`self()`), a function, or an atom value (`status:
    :pending`), including inside nested maps and lists.

    ## Why it matters

    Oban stores args as JSON. Tuples, PIDs and functions cannot be encoded,
    so inserting the job raises. Structs either fail to encode or come back
    as plain maps with string keys. Atoms come back as strings, so a worker
    that matches `"status" => :pending` never sees the value it expects.

    ## Example

    ```elixir
    %{user: user, status: :pending, reply_to: self()}
    |> MyApp.Workers.Notify.new()
    |> Oban.insert()
    ```

    ## Use instead

    ```elixir
    %{user_id: user.id, status: "pending"}
    |> MyApp.Workers.Notify.new()
    |> Oban.insert()
    ```
    """

    id = "Oban.NonSerializableArgs"
    severity = Severity.WARNING
    confidence = Confidence.HIGH

    def check(self, file: ParsedFile) -> Iterable[Finding]:
        if not file.runs_in_production or b"new(" not in file.doc.data:
            return
        workers = {m.name for m in file.outline.modules if "oban_worker" in file.kinds_of(m)}
        for call in file.outline.calls:
            if not call.runs_at_runtime or not _job_builder(call, workers):
                continue
            for node, why, certain in _unserializable(call.args[0], call.module_def):
                yield self.finding(
                    file.path, file.span(node),
                    f"`{call.module or call.module_def.name}.new/{call.arity}` gets {why}.",
                    confidence=Confidence.HIGH if certain else Confidence.MEDIUM,
                    fix="Pass plain JSON values (ids, strings, numbers, maps with string or atom keys) and "
                        "load the rest in `perform/1`.",
                )


# -- project: queues and crons ----------------------------------------------------------


def _span(line: int, column: int, end_line: int, end_column: int) -> Span:
    return Span(line, column, end_line, end_column)


@register
class UnknownQueue(ProjectRule):
    """A worker puts its jobs in a queue no Oban configuration starts.

    ## What it finds

    `use Oban.Worker, queue: :name` where no Oban configuration of the
    project lists `name` among its `queues`: every `config :app, Oban`
    call in `config/*.exs` and `runtime.exs` (all environments) and
    `{Oban, queues: [...]}` written inline in a supervision tree count.
    Silent when the project has no Oban configuration or gives its queues
    in a way the source cannot list.

    ## Why it matters

    Oban only runs jobs from the queues it starts. A job in any other queue
    is inserted and stays `available` forever: nothing fails, nothing
    retries, the work silently never happens. A typo (`:mailer` for
    `:mailers`) is enough.

    ## Example

    ```elixir
    # config/config.exs
    config :my_app, Oban, repo: MyApp.Repo, queues: [default: 10, mailers: 5]

    defmodule MyApp.Workers.Welcome do
      use Oban.Worker, queue: :mailer
    end
    ```

    ## Use instead

    ```elixir
    defmodule MyApp.Workers.Welcome do
      use Oban.Worker, queue: :mailers
    end
    ```
    """

    id = "Oban.UnknownQueue"
    severity = Severity.ERROR
    confidence = Confidence.HIGH

    def check(self, project: Project) -> Iterable[Finding]:
        queues: set[str] = set()
        configured = False
        for facts in project.files.values():
            if facts.oban is None:
                continue
            if facts.oban.open:
                return
            configured = configured or facts.oban.configured
            queues.update(facts.oban.queues)
        if not configured:
            return
        known = ", ".join(f"`:{q}`" for q in sorted(queues)) or "none"
        for path, facts in project.files.items():
            if facts.oban is None or "test" in facts.kinds or "test_support" in facts.kinds:
                continue
            for worker in facts.oban.workers:
                if worker.queue in queues:
                    continue
                yield self.finding(
                    path, _span(worker.line, worker.column, worker.end_line, worker.end_column),
                    f"`{worker.module}` puts its jobs in queue `:{worker.queue}`, which no Oban configuration "
                    f"starts (configured queues: {known}): its jobs are inserted and never run.",
                    fix=f"Use a configured queue, or add `{worker.queue}: 10` to the `queues` of the Oban config.",
                )


@register
class InvalidCron(ProjectRule):
    """An Oban crontab entry is malformed or names a worker the project does not define.

    ## What it finds

    Entries of the `Oban.Plugins.Cron` `crontab` in the Oban configuration
    whose expression is not a valid cron expression (wrong number of
    fields, values out of range such as minute `60` or hour `24`, unknown
    names or nicknames), and entries naming a worker module under the
    project's own namespace that no file of the project defines.

    ## Why it matters

    Oban validates the crontab when the plugin starts: a bad expression or
    a missing worker module stops Oban, and with it the application, at
    boot in production, while dev and test (where `queues: false` or
    `testing: :manual` often skip plugins) never notice. A renamed worker
    left behind in the crontab has the same effect.

    ## Example

    ```elixir
    {Oban.Plugins.Cron,
     crontab: [
       {"0 24 * * *", MyApp.Workers.DailyReport},
       {"*/5 * * *", MyApp.Workers.Heartbeat}
     ]}
    ```

    ## Use instead

    ```elixir
    {Oban.Plugins.Cron,
     crontab: [
       {"0 0 * * *", MyApp.Workers.DailyReport},
       {"*/5 * * * *", MyApp.Workers.Heartbeat}
     ]}
    ```
    """

    id = "Oban.InvalidCron"
    severity = Severity.ERROR
    confidence = Confidence.HIGH

    def check(self, project: Project) -> Iterable[Finding]:
        namespaces = {name.split(".", 1)[0] for facts in project.files.values() if "lib" in facts.kinds
                      for name in (m.name for m in facts.modules)} - _LIBRARY_NAMESPACES
        for path, facts in project.files.items():
            if facts.oban is None or "test" in facts.kinds:
                continue
            for cron in facts.oban.crons:
                problem = cron_problem(cron.expression)
                if problem:
                    yield self.finding(
                        path, _span(cron.line, cron.column, cron.end_line, cron.end_column),
                        f"The Oban cron expression \"{cron.expression}\" is malformed: {problem}.",
                        fix="Write five fields `minute hour day month weekday` (or a nickname such as `@daily`).",
                    )
                worker = cron.worker
                if (worker and not facts.oban.aliases and "." in worker and worker.split(".", 1)[0] in namespaces
                        and worker not in project.modules):
                    yield self.finding(
                        path, _span(cron.worker_line, cron.worker_column, cron.worker_end_line,
                                    cron.worker_end_column),
                        f"The Oban crontab schedules `{worker}`, which no module of the project defines: Oban "
                        "fails to start with this crontab.",
                        fix="Name the worker module as it is defined, or remove the entry.",
                    )

