"""Oban jobs: workers whose `perform/1` never matches or returns what Oban
does not understand, jobs put in queues nothing runs, args that do not
survive JSON, crontabs that stop Oban at boot.

Oban stores a job's args as JSON and decodes them with string keys before
`perform/1` sees them; it runs only the queues its configuration starts
(`model.oban` reads every config file, `runtime.exs` and the options written
in code); and it reads a handful of return values. Each rule judges only
what the source makes knowable: a value computed by a call is unknown, not
wrong.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from tree_sitter import Node

from ..model.facts import FileFacts
from ..model.oban import DEFAULT_QUEUE, ObanConfig, ObanWorker, cron_problem, structured_args, worker_use
from ..model.parsed import ParsedFile
from ..model.project import Project
from ..source.document import Span
from ..source.syntax import (
    Call,
    Clause,
    ModuleDef,
    arguments,
    atom_value,
    call_target_name,
    do_block,
    keyword,
    module_reference,
    operator,
    text,
    variables,
    walk,
)
from .base import Confidence, FileRule, Finding, ProjectRule, Severity, register

_GOOD_ATOMS = frozenset({"ok", "discard"})
_GOOD_TAGS = frozenset({"ok", "error", "cancel", "snooze", "discard"})
_INSERTS = ("Oban.insert", "Oban.insert!", "Oban.insert_all")
# Namespaces a project may extend (`Mix.Tasks.*`, `Oban.*` plugins) without owning every module in them.
_LIBRARY_NAMESPACES = frozenset({"Mix", "Oban", "Phoenix", "Ecto", "Plug", "Elixir", "Kernel", "Jason", "Logger"})
# `Map` functions whose second argument is a key.
_MAP_KEY_READS = frozenset({"get", "fetch", "fetch!", "has_key?", "get_lazy", "pop", "update", "update!", "take"})
_MAP_OUTCOMES = {"get": "is always `nil`", "get_lazy": "always takes the default", "fetch": "is always `:error`",
                 "fetch!": "raises `KeyError` on every attempt", "has_key?": "is always `false`"}
# Repo functions that return a schema struct (or nil).
_REPO_STRUCTS = frozenset({"get", "get!", "get_by", "get_by!", "one", "one!", "insert!", "update!", "reload",
                           "reload!", "preload"})


# -- which clauses are a job's -----------------------------------------------------------


@dataclass
class _JobClause:
    clause: Clause
    callback: str  # "perform/1" or "process/1" (Oban Pro)
    structured: bool  # Oban Pro cast the args to a struct with atom keys
    results: bool  # the callback returns an Oban job result (not a Pro chunk's)


def _job_clauses(file: ParsedFile) -> Iterator[_JobClause]:
    """`perform/1` of an `Oban.Worker`, `process/1` of an Oban Pro worker."""
    if not file.runs_in_production or b"Oban" not in file.doc.data:
        return
    uses: dict[int, tuple[str, bool] | None] = {}
    for clause in file.outline.clauses:
        if clause.kind != "def" or clause.arity != 1 or clause.module is None:
            continue
        if clause.name not in ("perform", "process"):
            continue
        key = id(clause.module)
        if key not in uses:
            use = worker_use(clause.module.uses)
            options = arguments(use.node)[-1] if use is not None and len(arguments(use.node)) > 1 else None
            uses[key] = (use.module, structured_args(file, clause.module, options)) if use is not None else None
        found = uses[key]
        if found is None:
            continue
        use_module, structured = found
        wanted = "perform" if use_module == "Oban.Worker" else "process"
        if clause.name == wanted:
            yield _JobClause(clause, f"{wanted}/1", structured, use_module != "Oban.Pro.Workers.Chunk")


# -- map patterns ------------------------------------------------------------------------


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


def _job_patterns(param: Node, module: ModuleDef | None) -> tuple[list[Node], set[str], set[str]]:
    """The patterns a callback matches a job's `args` against, the variables bound to the whole args, and the
    variables bound to the whole job."""
    patterns: list[Node] = []
    args_names: set[str] = set()
    job_names: set[str] = set()
    for node in _sides(param):
        if node.type == "identifier" and not text(node).startswith("_"):
            job_names.add(text(node))
        if node.type != "map" or _struct_name(node, module) not in (None, "Oban.Job", "Job"):
            continue  # `Job` without an alias: Oban Pro's `use` aliases it
        for key, value, _ in _map_entries(node):
            if _key_name(key) != "args":
                continue
            for side in _sides(value):
                if side.type == "identifier" and not text(side).startswith("_"):
                    args_names.add(text(side))
                else:
                    patterns.append(side)
    return patterns, args_names, job_names


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
    name = name[:-1].strip() if name.endswith(":") else name.lstrip(":")
    return name.strip('"')


# -- atom keys -------------------------------------------------------------------------------


class _ArgsReads:
    """Atom-key reads of a job's args in a callback's body: `args.id`, `args[:id]`, `Map.get(args, :id)`,
    `%{id: id} = args`, `job.args.id`."""

    def __init__(self, file: ParsedFile, clause: Clause, args_names: set[str], job_names: set[str]):
        self.file = file
        self.clause = clause
        body = clause.body
        rebound: set[str] = set()
        if body is not None:
            # `args = atomize(args)`, `fn args -> ... end`: from there on, not the JSON args
            for kind, node in file.outline.values_within(body, ("match", "stab")):
                left = node.child_by_field_name("left")
                if kind == "match" and left is not None and left.type == "identifier":
                    rebound.add(text(left))
                elif kind == "stab":
                    rebound.update(variables(left))
        self.args_names = args_names - rebound
        self.job_names = job_names - rebound

    def is_args(self, node: Node | None) -> bool:
        """`args` (bound to the job's args) or `job.args`."""
        if node is None:
            return False
        if node.type == "identifier":
            return text(node) in self.args_names
        if node.type == "call" and not any(c.type == "arguments" for c in node.children):
            target = node.child_by_field_name("target")
            if target is not None and target.type == "dot":
                left, right = target.child_by_field_name("left"), target.child_by_field_name("right")
                return (left is not None and left.type == "identifier" and text(left) in self.job_names
                        and text(right) == "args")
        return False

    def found(self) -> Iterator[tuple[Node, str, str]]:
        """(node, key, what happens) for each atom-key read."""
        body = self.clause.body
        if body is None or not (self.args_names or self.job_names):
            return
        for node in walk(body):
            kind = node.type
            if kind == "call" and not any(c.type == "arguments" for c in node.children):
                target = node.child_by_field_name("target")
                if target is not None and target.type == "dot" and self.is_args(target.child_by_field_name("left")):
                    yield node, text(target.child_by_field_name("right")), "raises `KeyError` on every attempt"
            elif kind == "access_call" and len(node.named_children) == 2:
                subject, key = node.named_children
                if self.is_args(subject) and atom_value(key) is not None:
                    yield node, atom_value(key), "is always `nil`"
        for call in self.file.outline.calls:
            if (call.module == "Map" and call.name in _MAP_KEY_READS and len(call.args) >= 2
                    and body.start_byte <= call.node.start_byte < body.end_byte and self.is_args(call.args[0])):
                key = atom_value(call.args[1])
                if key is not None:
                    yield call.node, key, _MAP_OUTCOMES.get(call.name, "never finds the key")
        for kind, node in self.file.outline.values_within(body, ("match", "generator", "stab")):
            pattern, subject = self._pattern(kind, node)
            if pattern is not None and self.is_args(subject):
                for key in _atom_keys(pattern)[:1]:
                    outcome = "raises `MatchError` on every attempt" if kind == "match" else "never matches"
                    yield node if kind == "match" else key, _key_name(key), outcome

    @staticmethod
    def _pattern(kind: str, node: Node) -> tuple[Node | None, Node | None]:
        if kind in ("match", "generator"):
            return node.child_by_field_name("left"), node.child_by_field_name("right")
        case = node.parent.parent if node.parent is not None else None
        if case is not None and case.type == "call" and call_target_name(case) == "case" and arguments(case):
            left = node.child_by_field_name("left")
            heads = [c for c in left.named_children] if left is not None and left.type == "arguments" else [left]
            return (heads[0] if len(heads) == 1 else None), arguments(case)[0]
        return None, None


@register
class AtomKeysInPerform(FileRule):
    """A worker reads its job's args by atom keys, which JSON-decoded args never have.

    ## What it finds

    `perform/1` clauses of an `Oban.Worker` (and `process/1` of an Oban Pro
    worker without `args_schema`) that match the job's `args` on atom keys
    (`%Oban.Job{args: %{user_id: id}}`, at any depth), or read them by atom
    key in the body: `args.user_id`, `args[:user_id]`,
    `Map.get(args, :user_id)`, `%{user_id: id} = args`, `job.args.user_id`.

    ## Why it matters

    Oban stores args as JSON and decodes them with string keys, whatever
    keys the job was built with. An atom-key pattern never matches: the job
    fails with `FunctionClauseError` on every attempt, then is discarded.
    `args.user_id` raises `KeyError`, `args[:user_id]` is always `nil`.
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
        for job in _job_clauses(file):
            if job.structured:
                continue
            clause = job.clause
            where = f"`{clause.module.name}.{job.callback}`"
            patterns, args_names, job_names = _job_patterns(clause.params[0], clause.module)
            keys = [key for pattern in patterns for key in _atom_keys(pattern)]
            if keys:
                names = ", ".join(f"`{_key_name(k)}`" for k in keys[:4])
                yield self.finding(
                    file.path, file.span(keys[0]),
                    f"{where} matches job args on atom key{'s' if len(keys) > 1 else ''} {names}, but Oban "
                    "decodes args from JSON with string keys, so this clause never matches.",
                    fix='Match string keys: `%{"' + _key_name(keys[0]) + '" => value}`.',
                )
            lines = set()
            for node, key, outcome in _ArgsReads(file, clause, args_names, job_names).found():
                span = file.span(node)
                if span.line in lines:
                    continue
                lines.add(span.line)
                yield self.finding(
                    file.path, span,
                    f"{where} reads job args by the atom key `{key}`: `{_short(node)}` {outcome}, because Oban "
                    "decodes args from JSON with string keys.",
                    fix=f'Read the string key: `args["{key}"]` or `%{{"{key}" => value}}`.',
                )


# -- returns -----------------------------------------------------------------------------------


def _last_expression(body: Node | None) -> Node | None:
    if body is None:
        return None
    if body.type not in ("do_block", "body", "block"):
        return body
    exprs = [c for c in body.named_children if c.type != "comment" and not c.type.endswith("_block")]
    return exprs[-1] if exprs else None


def _block(node: Node, name: str) -> Node | None:
    """The `else_block`/`rescue_block`... of a call's do block."""
    block = do_block(node)
    return next((c for c in block.named_children if c.type == name), None) if block is not None else None


def _stab_values(block: Node | None) -> list[Node | None]:
    if block is None:
        return []
    return [s.child_by_field_name("right") for s in block.named_children if s.type == "stab_clause"]


def _returned(node: Node | None, depth: int = 0) -> Iterator[Node]:
    """The expressions a body's value may come from: the branch ends of a final `case`, `cond`, `if`/`unless`
    with `else`, `with` (its `do` and `else` clauses) and `try` (its body and `rescue`/`catch` clauses)."""
    if node is None or depth > 8:
        return
    name = call_target_name(node) if node.type == "call" else None
    if name in ("case", "cond"):
        for value in _stab_values(do_block(node)):
            yield from _returned(value, depth + 1)
    elif name in ("if", "unless"):
        yield from _if_values(node, depth)
    elif name == "with" and do_block(node) is not None:
        yield from _returned(_last_expression(do_block(node)), depth + 1)
        for value in _stab_values(_block(node, "else_block")):
            yield from _returned(value, depth + 1)
    elif name == "try" and do_block(node) is not None and _block(node, "after_block") is None:
        if _block(node, "else_block") is None:
            yield from _returned(_last_expression(do_block(node)), depth + 1)
        for part in ("rescue_block", "catch_block", "else_block"):
            for value in _stab_values(_block(node, part)):
                yield from _returned(value, depth + 1)
    elif node.type in ("body", "block"):
        yield from _returned(_last_expression(node), depth + 1)
    else:
        yield node


def _if_values(node: Node, depth: int) -> Iterator[Node]:
    """Both branches of an `if`/`unless` that has an `else`; without one a false test gives nil: left alone."""
    block = do_block(node)
    if block is not None:
        otherwise = _block(node, "else_block")
        if otherwise is None:
            return
        yield from _returned(_last_expression(block), depth + 1)
        yield from _returned(_last_expression(otherwise), depth + 1)
        return
    args = arguments(node)
    if len(args) == 2 and keyword(args[1], "else") is not None:
        yield from _returned(keyword(args[1], "do"), depth + 1)
        yield from _returned(keyword(args[1], "else"), depth + 1)


def _bad_return(node: Node, module: ModuleDef | None) -> str | None:
    """Why a returned literal is not a result Oban reads, or None (valid or not knowable)."""
    kind = node.type
    if kind == "atom":
        name = atom_value(node)
        if name in _GOOD_ATOMS:
            return None
        if name == "error":
            return "a bare `:error`, which Oban does not read as a failure: the job is completed and never retried"
        return f"`{text(node)}`, which is not a result Oban reads: the job is completed as if it succeeded"
    if kind in ("boolean", "nil", "string", "integer", "float", "list", "charlist"):
        return f"`{_short(node)}`, which is not a result Oban reads: the job is completed as if it succeeded"
    if kind == "map":
        what = "a struct" if _struct_name(node, module) else "a map"
        return f"{what}, which is not a result Oban reads: the job is completed as if it succeeded"
    if kind == "tuple":
        items = node.named_children
        tag = atom_value(items[0]) if items else None
        if tag is None:
            return None
        if tag in _GOOD_TAGS and len(items) == 2:
            return None
        if tag in _GOOD_TAGS:
            return (f"a {len(items)}-element `{{:{tag}, ...}}` tuple, where Oban reads only `{{:{tag}, value}}`: "
                    "the job is completed as if it succeeded")
        return f"`{{:{tag}, ...}}`, which is not a result Oban reads: the job is completed as if it succeeded"
    return None


def _short(node: Node, limit: int = 40) -> str:
    code = " ".join(text(node).split())
    return code if len(code) <= limit else code[:limit - 3] + "..."


@register
class InvalidReturn(FileRule):
    """A worker's `perform/1` returns a value Oban does not read as a job result.

    ## What it finds

    `perform/1` clauses (and Oban Pro `process/1`) whose last expression,
    or a branch end of a final `case`, `cond`, `with`, `try` or
    `if ... else`, is a literal that is not `:ok`, `{:ok, value}`,
    `{:error, reason}`, `{:cancel, reason}`, `{:snooze, seconds}`,
    `:discard` or `{:discard, reason}`: a bare `:error`, `nil`, `true`, a
    string, `{:error}`, `{:ok, a, b}`, `{:retry, ...}`. Calls are not
    judged: what they return is not knowable from here.

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
        for job in _job_clauses(file):
            if not job.results:
                continue
            clause = job.clause
            for node in _returned(_last_expression(clause.body)):
                why = _bad_return(node, clause.module)
                if why:
                    yield self.finding(
                        file.path, file.span(node),
                        f"`{clause.module.name}.{job.callback}` returns {why}.",
                        fix="Return `:ok`, `{:ok, value}`, `{:error, reason}` (retried), `{:cancel, reason}` "
                            "or `{:snooze, seconds}`.",
                    )


# -- args ----------------------------------------------------------------------------------------


def _job_builder(call: Call, workers: set[str]) -> bool:
    """`Worker.new(args)` of a worker this file defines, one named like a worker, or one Oban inserts."""
    if call.name != "new" or not call.args or call.capture or call.args[0].type not in ("map", "identifier"):
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


class _ArgsCheck:
    """Values in a job's args that JSON does not carry back as written."""

    def __init__(self, file: ParsedFile, call: Call):
        self.file = file
        self.call = call
        self.module = call.module_def
        self.flow = file.flow(call.owner) if call.owner is not None else None

    def args_maps(self) -> list[Node]:
        """The map literal(s) the args are: written in place, or bound to the variable passed."""
        node = self.call.args[0]
        if node.type == "map":
            return [node]
        values = self.flow.values(node) if self.flow is not None else []
        return [v for v in values if v.type == "map" and _struct_name(v, self.module) is None] \
            if values and all(v.type == "map" for v in values) else []

    def problems(self, value: Node, depth: int = 0) -> Iterator[tuple[Node, str, bool]]:
        """(node, why, certain)."""
        if depth > 6:
            return
        kind = value.type
        if kind == "atom":
            yield value, (f"the atom `{text(value)}`, which comes back as the string \"{atom_value(value)}\" and no "
                          "longer matches atom comparisons"), False
        elif kind == "tuple":
            yield value, "a tuple, which Jason cannot encode: inserting the job raises", True
        elif kind == "anonymous_function" or (kind == "unary_operator" and operator(value) == "&"):
            yield value, "a function, which JSON cannot carry: inserting the job raises", True
        elif kind == "call" and text(value).replace(" ", "") in ("self()", "Kernel.self()", "make_ref()"):
            what = "a PID (`self()`)" if "self" in text(value) else "a reference"
            yield value, f"{what}, which JSON cannot carry: inserting the job raises", True
        elif kind == "map" and _struct_name(value, self.module):
            yield value, _struct_why(f"a `%{_struct_name(value, self.module)}{{}}` struct"), True
        elif kind == "map":
            for _, item, _ in _map_entries(value):
                yield from self.problems(item, depth + 1)
        elif kind == "list":
            for item in value.named_children:
                if item.type != "keywords":
                    yield from self.problems(item, depth + 1)
        elif kind == "identifier":
            struct = self._struct_variable(value)
            if struct:
                yield value, _struct_why(f"`{text(value)}`, {struct}"), True

    def _struct_variable(self, node: Node) -> str | None:
        """What makes a variable a struct: `%User{} = user` in the head, or `user = Repo.get!(User, id)`."""
        clause = self.call.owner
        name = text(node)
        if clause is None or self.flow is None:
            return None
        if name in self.flow.parameters:
            for param in clause.params:
                sides = _sides(param)
                if any(s.type == "identifier" and text(s) == name for s in sides):
                    struct = next((_struct_name(s, self.module) for s in sides if _struct_name(s, self.module)), None)
                    if struct:
                        return f"a `%{struct}{{}}` struct (matched in the function head)"
            return None
        values = self.flow.bindings.get(name, [])
        if not values or name in self.flow.matched:
            return None
        found = [self._struct_value(v) for v in values]
        return found[0] if all(found) else None

    def _struct_value(self, value: Node) -> str | None:
        if value.type == "map" and _struct_name(value, self.module):
            return f"a `%{_struct_name(value, self.module)}{{}}` struct"
        while value.type == "binary_operator" and operator(value) == "|>":
            value = value.child_by_field_name("right")
        target = value.child_by_field_name("target") if value.type == "call" else None
        if target is None or target.type != "dot":
            return None
        module = module_reference(target.child_by_field_name("left"), self.module) or ""
        function = text(target.child_by_field_name("right"))
        if module.rsplit(".", 1)[-1] == "Repo" and function in _REPO_STRUCTS:
            return f"a struct loaded by `{module.rsplit('.', 1)[-1]}.{function}`"
        return None


def _struct_why(what: str) -> str:
    return (f"{what}, which Jason refuses to encode unless it derives `Jason.Encoder`, and which reaches "
            "`perform/1` as a plain map with string keys if it does")


@register
class NonSerializableArgs(FileRule):
    """A job is built with args that do not survive Oban's JSON encoding.

    ## What it finds

    `Worker.new(args)` calls (of a worker the file defines, a module named
    like a worker, or one passed to `Oban.insert`) whose args map, written
    in place or bound to the variable passed, holds a struct (`%User{}`,
    or a variable bound to one or to a `Repo.get!` result), a tuple, a PID
    (`self()`), a function, or an atom value (`status: :pending`), also
    inside nested maps and lists. Atom keys are fine.

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
        workers = {m.name for m in file.outline.modules if worker_use(m.uses) is not None}
        for call in file.outline.calls:
            if not call.runs_at_runtime or not _job_builder(call, workers):
                continue
            check = _ArgsCheck(file, call)
            for args in check.args_maps():
                for node, why, certain in check.problems(args):
                    yield self.finding(
                        file.path, file.span(node),
                        f"`{call.module or call.module_def.name}.new/{call.arity}` gets {why}.",
                        confidence=Confidence.HIGH if certain else Confidence.MEDIUM,
                        fix="Pass plain JSON values (ids, strings, numbers, maps with string or atom keys) and "
                            "load the rest in `perform/1`.",
                    )


# -- project: queues and crons ----------------------------------------------------------------


def _span(line: int, column: int, end_line: int, end_column: int) -> Span:
    return Span(line, column, end_line, end_column)


def _runtime_files(project: Project) -> Iterator[tuple[str, FileFacts]]:
    for path, facts in project.files.items():
        if facts.oban is not None and not {"test", "test_support"} & set(facts.kinds):
            yield path, facts


def _configs(project: Project) -> list[ObanConfig]:
    """Every Oban configuration: named as Oban's, or under a key an Oban instance reads."""
    keys = {key for facts in project.files.values() if facts.oban is not None for key in facts.oban.keys}
    return [config for facts in project.files.values() if facts.oban is not None
            for config in facts.oban.configs if config.known or config.key in keys]


@register
class UnknownQueue(ProjectRule):
    """A worker puts its jobs in a queue no Oban configuration starts.

    ## What it finds

    `use Oban.Worker, queue: :name` (or `Worker.new(args, queue: :name)`,
    or a cron entry's `queue:`) where no Oban configuration of the project
    starts `name`: every `config :app, Oban` call in `config/*.exs` and
    `runtime.exs` (all environments, named instances and facades
    included), and options written in code (`{Oban, queues: [...]}`,
    `Oban.start_queue/1`) count. A worker without `queue:` uses `default`
    (reported with medium confidence when nothing starts it). Silent when
    the project has no Oban configuration that starts queues, or gives
    them in a way the source cannot list (an env var, a function).

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
        configs = _configs(project)
        if any(config.open for config in configs):
            return
        queues = {queue for config in configs for queue in config.queues}
        if not queues:
            return  # no configuration starts any queue here: jobs may run on nodes configured elsewhere
        known = ", ".join(f"`:{q}`" for q in sorted(queues)[:8]) + (", ..." if len(queues) > 8 else "")
        workers = {w.module: w for _, facts in _runtime_files(project) for w in facts.oban.workers}
        choosers = {c.worker for facts in project.files.values() if facts.oban is not None
                    for c in facts.oban.choices}
        for path, facts in _runtime_files(project):
            for worker in facts.oban.workers:
                finding = self._worker(path, worker, queues, known, worker.module in choosers)
                if finding is not None:
                    yield finding
            for choice in facts.oban.choices:
                if choice.worker in workers and choice.queue is not None and choice.queue not in queues:
                    yield self.finding(
                        path, _span(choice.line, choice.column, choice.end_line, choice.end_column),
                        f"This `{choice.worker}` job goes to queue `:{choice.queue}`, which no Oban configuration "
                        f"starts (configured queues: {known}): it is inserted and never runs.",
                        fix=f"Use a configured queue, or add `{choice.queue}: 10` to the `queues` of the Oban config.",
                    )

    def _worker(self, path: str, worker: ObanWorker, queues: set[str], known: str, chosen: bool) -> Finding | None:
        if worker.queue is None or worker.queue in queues:
            return None
        span = _span(worker.line, worker.column, worker.end_line, worker.end_column)
        if worker.explicit:
            return self.finding(
                path, span,
                f"`{worker.module}` puts its jobs in queue `:{worker.queue}`, which no Oban configuration starts "
                f"(configured queues: {known}): its jobs are inserted and never run.",
                fix=f"Use a configured queue, or add `{worker.queue}: 10` to the `queues` of the Oban config.",
            )
        if worker.own_new or chosen or worker.queue != DEFAULT_QUEUE:
            return None  # its jobs may all name a queue of their own
        return self.finding(
            path, span,
            f"`{worker.module}` sets no `queue:`, so its jobs go to Oban's `default` queue, which no Oban "
            f"configuration starts (configured queues: {known}): they are inserted and never run.",
            confidence=Confidence.MEDIUM,
            fix="Give the worker a configured queue (`use Oban.Worker, queue: ...`), or start `default`.",
        )


@register
class InvalidCron(ProjectRule):
    """An Oban crontab entry is malformed or names a worker the project does not define.

    ## What it finds

    Entries of an `Oban.Plugins.Cron` (or Oban Pro `DynamicCron`, or the
    old top-level `crontab:`) crontab whose expression Oban rejects: not
    five fields, a value out of range (minute `60`, hour `24`, weekday
    `7`), a backwards range, a step of `0`, lower-case names (`mon`) or an
    unknown nickname. Also entries naming a worker under the project's own
    namespace that no file of the project defines; workers from
    dependencies are left alone.

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
        for path, facts in _runtime_files(project):
            for cron in facts.oban.crons:
                problem = cron_problem(cron.expression)
                if problem:
                    yield self.finding(
                        path, _span(cron.line, cron.column, cron.end_line, cron.end_column),
                        f"Oban rejects the cron expression \"{cron.expression}\": {problem}; the Cron plugin "
                        "fails to start.",
                        fix="Write five fields `minute hour day month weekday` (or a nickname such as `@daily`).",
                    )
                worker = cron.worker
                if worker and "." in worker and worker.split(".", 1)[0] in namespaces and worker not in project.modules:
                    yield self.finding(
                        path, _span(cron.worker_line, cron.worker_column, cron.worker_end_line,
                                    cron.worker_end_column),
                        f"The Oban crontab schedules `{worker}`, which no module of the project defines: Oban "
                        "fails to start with this crontab.",
                        fix="Name the worker module as it is defined, or remove the entry.",
                    )
