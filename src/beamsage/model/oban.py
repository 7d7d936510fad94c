"""Oban as a project uses it: the queues its configurations start, their cron
entries, the workers and the queue each puts its jobs in, and the job-building
call sites that choose a queue of their own.

Read from source without evaluating it:

- `config :app, Oban, ...` in any config file (`runtime.exs` included, every
  `config_env()` branch counted: a queue any environment starts is a queue),
  also under another key for a named instance or a facade (`MyApp.Oban`,
  `use Oban, otp_app: :app`);
- options written in code: `{Oban, queues: [...]}` children,
  `Oban.start_link/1`, `use Oban, queues: [...]`, `Oban.start_queue/1,2`.

Values are followed the short way a reader would: a variable bound in the
same file or function (`queues = [default: 10]`), a module attribute, both
sides of `++`, `Keyword.merge/2`, and every branch of an `if`/`case`. What
cannot be followed that way (an env var parsed at boot, a function's result,
Oban Pro's `DynamicQueues`) makes the configuration `open`: its queues are
not knowable. `{Oban, Application.fetch_env!(:app, Oban)}` reads the config
files, which are read here already.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

import msgspec
from tree_sitter import Node

from ..source.syntax import (
    ModuleDef,
    Use,
    arguments,
    atom_value,
    call_target_name,
    keyword,
    keyword_pairs,
    module_reference,
    operator,
    string_value,
    text,
    walk,
)
from .config import config_calls
from .flow import branches

if TYPE_CHECKING:
    from .parsed import ParsedFile

WORKER_USES = frozenset(
    {"Oban.Worker", "Oban.Pro.Worker", "Oban.Pro.Workers.Batch", "Oban.Pro.Workers.Workflow",
     "Oban.Pro.Workers.Chunk"}
)
DEFAULT_QUEUE = "default"
# Options only an Oban instance takes: with `queues:`, they tell a config under any key is Oban's.
_OBAN_OPTIONS = frozenset({"repo", "engine", "notifier", "peer", "plugins", "crontab", "testing", "prefix"})
_ENV_READS = frozenset({"fetch_env!", "fetch_env", "get_env", "compile_env", "compile_env!", "get_all_env"})
_MAX_DEPTH = 12
_MAX_WORK = 5000
_INLINE_CHILD = re.compile(rb"\{\s*Oban\s*,")
_SPECIAL_FORMS = frozenset({"if", "unless", "case", "cond", "with", "for", "fn", "quote", "try", "receive"})


class ObanConfig(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """One set of Oban options: a `config` call, a child spec, `use Oban`, or `start_queue`."""

    key: str  # the config key ("Oban", "MyApp.Oban"), "Oban" for options in code, the facade for `use Oban`
    line: int
    known: bool  # surely Oban's (named so, Oban-only options, options in code); else only if Oban reads `key`
    queues: tuple[str, ...] = ()  # queue names it starts
    open: bool = False  # it starts queues the source cannot list


class ObanWorker(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """A module that `use`s `Oban.Worker` (or an Oban Pro worker)."""

    module: str
    use: str  # "Oban.Worker", "Oban.Pro.Worker", ...
    queue: str | None  # the queue its jobs go to; None when the source does not say which
    explicit: bool  # `queue:` is written (False: Oban's `default` queue)
    line: int  # the `queue:` value, or the `use` line when there is none
    column: int
    end_line: int
    end_column: int
    options: tuple[tuple[str, str], ...] = ()  # `use` options, values as written
    own_new: bool = False  # the module defines `new/1,2` itself and may pick the queue there
    structured: bool = False  # Oban Pro `args_schema`/`structured:`: `process/1` sees atom keys


class QueueChoice(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """`Worker.new(args, queue: q)` or a cron entry's `queue:`: a job that picks its queue itself."""

    worker: str  # the worker module, resolved as far as the file tells
    queue: str | None  # the literal queue; None when computed
    line: int
    column: int
    end_line: int
    end_column: int


class CronEntry(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """`{"0 * * * *", MyApp.Worker}` (or with options) in a crontab."""

    expression: str
    worker: str | None  # resolved through the file's aliases
    line: int
    column: int
    end_line: int
    end_column: int
    worker_line: int = 0
    worker_column: int = 0
    worker_end_line: int = 0
    worker_end_column: int = 0


class ObanFacts(msgspec.Struct, frozen=True, gc=False):
    configs: tuple[ObanConfig, ...] = ()
    keys: tuple[str, ...] = ()  # config keys Oban reads: facades (`use Oban`), `Application.fetch_env!(:app, Key)`
    workers: tuple[ObanWorker, ...] = ()
    crons: tuple[CronEntry, ...] = ()
    choices: tuple[QueueChoice, ...] = ()


def oban_facts(file: ParsedFile) -> ObanFacts | None:
    """What one file tells about Oban; None when it tells nothing."""
    data = file.doc.data
    # A facade's config (`config :app, MyApp.Jobs, queues: [...]`) and `MyApp.Jobs.start_queue/1` need not say Oban.
    if file.tree is None or not (b"Oban" in data or b"queues" in data or b"start_queue" in data):
        return None
    reader = _Reader(file)
    if "config" in file.kinds:
        reader.config_file()
    elif "lib" in file.kinds:
        reader.code_file()
    workers = tuple(_workers(file))
    choices = reader.choices + list(_new_with_queue(file))
    if not (reader.configs or reader.keys or workers or reader.crons or choices):
        return None
    keys = tuple(dict.fromkeys(reader.keys))
    # A crontab shared by two branches (`if(selfhost, do: base, else: base ++ cloud)`) is read twice: once is enough.
    crons = tuple({(c.line, c.column): c for c in reader.crons}.values())
    choices = tuple({(c.line, c.column): c for c in choices}.values())
    return ObanFacts(tuple(reader.configs), keys, workers, crons, choices)


def worker_use(uses: list[Use]) -> Use | None:
    return next((u for u in uses if u.module in WORKER_USES), None)


def is_oban_key(key: str | None) -> bool:
    """`Oban`, `MyApp.Oban`, `:oban`, `ObanEvents`: a config key named for Oban."""
    return key is not None and "oban" in key.lower()


# -- reading options ------------------------------------------------------------------


class _Reader:
    """Finds Oban options in one file and follows their values within it."""

    def __init__(self, file: ParsedFile):
        self.file = file
        self.configs: list[ObanConfig] = []
        self.crons: list[CronEntry] = []
        self.choices: list[QueueChoice] = []
        self.keys: list[str] = []  # config keys Oban instances read
        self._bindings: dict[int, dict[str, list[Node]]] = {}
        self._seen: set[int] = set()
        self._top_aliases: dict[str, str] | None = None
        self._work = 0  # values followed so far: a file of generated code must not take long

    # -- where options are ----------------------------------------------------

    def config_file(self) -> None:
        for call, _app, key, options in config_calls(self.file):
            if key is not None:
                self.options(options, key, call.line, named=is_oban_key(key))

    def code_file(self) -> None:
        file = self.file
        for module in file.outline.modules:
            use = next((u for u in module.uses if u.module == "Oban"), None)
            if use is not None:
                self.keys.append(module.name)  # a facade: `config :app, MyApp.Oban, ...` configures it
                args = arguments(use.node)
                if len(args) > 1:
                    self.options(args[-1], module.name, _line(use.node), named=True)
        for call in file.outline.calls:
            if call.name == "start_link" and call.module == "Oban" and call.args:
                self.options(call.args[-1], "Oban", call.line, named=True)
            elif call.name == "start_queue" and call.args and call.module is not None and (
                    call.module == "Oban" or call.args[0].type != "atom"):  # a facade's; not Honeydew's
                self._start_queue(call.args[-1], call.line)
        if not (b"queues" in file.doc.data or _INLINE_CHILD.search(file.doc.data)):
            return  # most files that mention Oban only insert jobs: no options to look for
        for node in walk(file.tree.root_node):
            if node.type == "tuple" and len(node.named_children) == 2:
                head, options = node.named_children
                if head.type == "alias" and module_reference(head, file.outline.module_at(head.start_byte)) == "Oban":
                    self.options(options, "Oban", _line(node), named=True)
            elif node.type == "keywords" and node.id not in self._seen and keyword(node, "queues") is not None:
                # Options built in code (`defp oban_config, do: [repo: Repo, queues: [...]]`): queues they name
                # may be started, so they count; counting one too many only makes the rules quieter.
                self.options(node, "Oban", _line(node), named=True)

    def _start_queue(self, options: Node, line: int) -> None:
        queue = keyword(options, "queue")
        name = _queue_name(queue) if queue is not None else None
        self.configs.append(ObanConfig("Oban", line, True, (name,) if name else (), open=name is None))

    # -- options ------------------------------------------------------------------

    def options(self, node: Node, key: str, line: int, *, named: bool) -> None:
        """Record the Oban options `node` evaluates to."""
        pieces = self.pieces(node)
        if pieces is None:
            if named:
                self.configs.append(ObanConfig(key, line, True, open=True))
            return
        for piece in pieces:
            read = config_read(piece)
            if read and "config" not in self.file.kinds:
                self.keys.append(read)  # options from `config :app, <read>`: that key configures Oban
            if piece.type not in ("keywords", "list"):
                continue  # `false`, `nil` and config reads start nothing the config files do not show
            self._seen.update(n.id for n in walk(piece) if n.type == "keywords")
            pairs = dict(keyword_pairs(piece))
            if not named and "queues" not in pairs:
                continue
            known = named or ("queues" in pairs and bool(_OBAN_OPTIONS & pairs.keys()))
            queues, open_ = self.queues(pairs.get("queues"))
            plugins = self.pieces(pairs["plugins"]) if "plugins" in pairs else []
            for plugin in _list_items(plugins or []):
                head, plugin_options = _plugin(plugin)
                last = head.rsplit(".", 1)[-1]
                if last == "DynamicQueues":
                    open_ = True  # Oban Pro starts these from its own options and from the database
                elif last in ("Cron", "DynamicCron") and plugin_options is not None:
                    self._crons(keyword(plugin_options, "crontab"))
            if "crontab" in pairs:
                self._crons(pairs["crontab"])
            if "queues" in pairs or known:
                self.configs.append(ObanConfig(key, line, known, tuple(dict.fromkeys(queues)), open_))

    def queues(self, node: Node | None) -> tuple[list[str], bool]:
        """Queue names a `queues:` value starts, and whether it may start others."""
        if node is None:
            return [], False
        pieces = self.pieces(node)
        if pieces is None:
            return [], True
        names: list[str] = []
        open_ = False
        for piece in pieces:
            if piece.type in ("boolean", "nil"):
                continue
            if piece.type == "keywords":  # `Keyword.merge(queues, reports: 2)`
                names.extend(name for name, _ in keyword_pairs(piece))
                continue
            if piece.type != "list":
                open_ = True
                continue
            for item in piece.named_children:
                if item.type == "keywords":
                    names.extend(name for name, _ in keyword_pairs(item))
                elif item.type == "tuple" and item.named_children and _queue_name(item.named_children[0]):
                    names.append(_queue_name(item.named_children[0]))
                elif item.type != "comment":
                    open_ = True
        return names, open_

    def _crons(self, node: Node | None) -> None:
        if node is None:
            return
        for entry in _list_items(self.pieces(node) or []):
            parts = entry.named_children if entry.type == "tuple" else []
            expression = string_value(parts[0]) if parts else None
            if expression is None:
                continue
            worker_node = parts[1] if len(parts) > 1 and parts[1].type == "alias" else None
            worker = self._module(worker_node) if worker_node is not None else None
            span = self.file.span(parts[0])
            wspan = self.file.span(worker_node) if worker_node is not None else span
            self.crons.append(CronEntry(
                expression, worker, span.line, span.column, span.end_line, span.end_column,
                wspan.line, wspan.column, wspan.end_line, wspan.end_column,
            ))
            queue = keyword(parts[2], "queue") if len(parts) > 2 else None
            if worker and queue is not None:
                qspan = self.file.span(queue)
                self.choices.append(QueueChoice(worker, _queue_name(queue), qspan.line, qspan.column,
                                                qspan.end_line, qspan.end_column))

    # -- following values -----------------------------------------------------------

    def pieces(self, node: Node | None, depth: int = 0) -> list[Node] | None:
        """The literal values `node` may evaluate to, or None when one of them cannot be followed.

        Config reads (`Application.fetch_env!/2`) are kept as they are: the caller decides what they mean.
        """
        self._work += 1
        if node is None or depth > _MAX_DEPTH or self._work > _MAX_WORK:
            return None
        kind = node.type
        if kind in ("keywords", "list", "tuple", "boolean", "nil", "atom", "string", "integer"):
            return [node]
        if kind == "identifier":
            values = self._bound(node)
            return self._all(values, depth) if values else None
        if kind == "unary_operator" and operator(node) == "@":
            module = self.file.outline.module_at(node.start_byte)
            inner = node.named_children[0] if node.named_children else None
            name = text(inner.child_by_field_name("target") if inner is not None and inner.type == "call" else inner)
            values = module.attributes.get(name, []) if module is not None else []
            return self._all(values, depth) if values else None
        if kind == "binary_operator" and operator(node) == "++":
            return self._all([node.child_by_field_name("left"), node.child_by_field_name("right")], depth)
        if kind == "binary_operator" and operator(node) == "|>":
            return self._piped(node, depth)
        if kind == "call":
            found = branches(node)
            if found is not None:
                return self._all(found, depth) if found else None
            if config_read(node) is not None:
                return [node]
            target = node.child_by_field_name("target")
            if target is None:
                return None
            if target.type == "dot":
                return self._keyword_call(text(target), arguments(node), depth)
            return self._local(node, depth)
        if kind in ("block", "body"):
            return self.pieces(_last(node), depth + 1)
        return None

    def _all(self, nodes: list[Node | None], depth: int) -> list[Node] | None:
        found: list[Node] = []
        for value in nodes:
            pieces = self.pieces(value, depth + 1)
            if pieces is None:
                return None
            found.extend(pieces)
        return found

    def _piped(self, node: Node, depth: int) -> list[Node] | None:
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if right is None or right.type != "call":
            return None
        target = right.child_by_field_name("target")
        if target is not None and target.type == "dot":
            return self._keyword_call(text(target), [left, *arguments(right)], depth)
        return None

    def _keyword_call(self, name: str, args: list[Node], depth: int) -> list[Node] | None:
        """`Keyword.merge/2` gives both sides' options; `Keyword.put/3` and `Keyword.delete/2` the first's, as
        long as they do not set queues to something of their own (`Keyword.put(opts, :queues, false)` in an IEx
        session starts fewer)."""
        if name == "Keyword.merge" and len(args) == 2:
            return self._all(args, depth)
        if name == "Keyword.delete" and len(args) == 2:
            return self.pieces(args[0], depth + 1)
        if name == "Keyword.put" and len(args) == 3:
            if atom_value(args[1]) == "queues":
                value = self.pieces(args[2], depth + 1)
                if value is None or any(v.type not in ("boolean", "nil") for v in value):
                    return None
            return self.pieces(args[0], depth + 1)
        return None

    def _bound(self, node: Node) -> list[Node]:
        """What a variable holds where it is read: its last binding (`x = value`) before that point, in the
        function, or in the file outside functions."""
        clause, _ = self.file.outline.context_at(node)
        scope = clause.node if clause is not None else self.file.tree.root_node
        table = self._bindings.get(scope.id)
        if table is None:
            table = self._bindings[scope.id] = {}
            for _, match in self.file.outline.values_within(scope, ("match",)):
                left, right = match.child_by_field_name("left"), match.child_by_field_name("right")
                if left is not None and right is not None and left.type == "identifier":
                    table.setdefault(text(left), []).append(match)
        earlier = [m for m in table.get(text(node), []) if m.end_byte <= node.start_byte]
        return [earlier[-1].child_by_field_name("right")] if earlier else []

    def _local(self, node: Node, depth: int) -> list[Node] | None:
        """What a function of the same module returns (`defp oban_config, do: ...`): its clauses' last values."""
        name = call_target_name(node)
        module = self.file.outline.module_at(node.start_byte)
        if name is None or module is None or name in _SPECIAL_FORMS:
            return None
        arity = len(arguments(node))
        bodies = [c.body for c in self.file.outline.clauses_of(module) if c.name == name and c.arity == arity]
        if not bodies or any(b is None for b in bodies):
            return None
        return self._all([_last(b) for b in bodies], depth)

    def _module(self, node: Node) -> str:
        module = self.file.outline.module_at(node.start_byte)
        if module is not None:
            return module_reference(node, module) or text(node)
        if self._top_aliases is None:
            self._top_aliases = _top_level_aliases(self.file)
        written = text(node)
        head, _, rest = written.partition(".")
        full = self._top_aliases.get(head)
        return (f"{full}.{rest}" if rest else full) if full else written


def config_read(node: Node) -> str | None:
    """The key of `Application.fetch_env!(:app, Key)` (or `get_env`...), "" for a read without one; None for other
    nodes."""
    if node.type != "call":
        return None
    target = node.child_by_field_name("target")
    if target is None or target.type != "dot" or text(target.child_by_field_name("left")) != "Application":
        return None
    if text(target.child_by_field_name("right")) not in _ENV_READS:
        return None
    args = arguments(node)
    key = args[1] if len(args) > 1 else None
    return (atom_value(key) or module_reference(key, None) or "") if key is not None else ""


def _last(node: Node) -> Node:
    """A block's value: its last expression."""
    while node.type in ("block", "do_block", "body") and node.named_children:
        children = [c for c in node.named_children if c.type != "comment"]
        if not children:
            break
        node = children[-1]
    return node


def _line(node: Node) -> int:
    return node.start_point[0] + 1


def _queue_name(node: Node | None) -> str | None:
    return atom_value(node) or string_value(node)


def _list_items(pieces: list[Node]) -> Iterator[Node]:
    for piece in pieces:
        if piece.type == "list":
            yield from (item for item in piece.named_children if item.type != "comment")


def _plugin(node: Node) -> tuple[str, Node | None]:
    """(`Oban.Plugins.Cron`, its options) for `{Oban.Plugins.Cron, crontab: [...]}`; a bare module has none."""
    if node.type == "alias":
        return text(node), None
    if node.type == "tuple" and len(node.named_children) == 2:
        head, options = node.named_children
        return text(head), options
    return "", None


def _top_level_aliases(file: ParsedFile) -> dict[str, str]:
    """`alias MyApp.Workers` at the top of a config file: short name -> module."""
    found: dict[str, str] = {}
    for call in file.outline.calls:
        if call.name != "alias" or call.module is not None or call.module_def is not None or not call.args:
            continue
        target = call.args[0]
        as_node = keyword(call.args[-1], "as") if len(call.args) > 1 else None
        if target.type == "dot" and (right := target.child_by_field_name("right")) is not None \
                and right.type == "tuple":
            base = text(target.child_by_field_name("left"))
            for item in right.named_children:
                if item.type == "alias":
                    found[text(item).rsplit(".", 1)[-1]] = f"{base}.{text(item)}"
        elif target.type == "alias":
            found[text(as_node) if as_node is not None else text(target).rsplit(".", 1)[-1]] = text(target)
    return found


# -- workers and the jobs they build ----------------------------------------------------------


def _workers(file: ParsedFile) -> Iterator[ObanWorker]:
    for module in file.outline.modules:
        use = worker_use(module.uses)
        if use is None or _quoted(use.node):
            continue  # `quote do use Oban.Worker ... end`: a base for workers, not one
        args = arguments(use.node)
        options = args[-1] if len(args) >= 2 else None
        pairs = list(keyword_pairs(options))
        queue = keyword(options, "queue")
        if queue is not None:
            name = _worker_queue(queue, module)
        elif options is not None and options.type not in ("keywords", "list"):
            name = None  # `use Oban.Worker, @options`: which queue is not written here
        else:
            name = DEFAULT_QUEUE
        span = file.span(queue if queue is not None else use.node)
        own_new = any(c.name == "new" and c.arity in (1, 2) for c in file.outline.clauses_of(module))
        structured = structured_args(file, module, options)
        yield ObanWorker(
            module.name, use.module, name, queue is not None, span.line, span.column, span.end_line,
            span.end_column, tuple((key, _short(value)) for key, value in pairs), own_new, structured,
        )


def _quoted(node: Node) -> bool:
    parent, depth = node.parent, 0
    while parent is not None and depth < 50:
        if parent.type == "call" and call_target_name(parent) == "quote":
            return True
        parent, depth = parent.parent, depth + 1
    return False


def _worker_queue(node: Node, module: ModuleDef) -> str | None:
    name = _queue_name(node)
    if name is None and node.type == "unary_operator" and operator(node) == "@" and node.named_children:
        values = module.attributes.get(text(node.named_children[0]), [])
        names = {_queue_name(v) for v in values}
        name = names.pop() if len(names) == 1 else None
    return name


def structured_args(file: ParsedFile, module: ModuleDef, options: Node | None) -> bool:
    """Oban Pro casts the worker's args to a struct (`args_schema do ... end`, or the older `structured:`):
    `process/1` then sees atom keys."""
    if keyword(options, "structured") is not None or keyword(options, "args_schema") is not None:
        return True
    return any(c.name == "args_schema" and c.module_def is module for c in file.outline.calls)


def _new_with_queue(file: ParsedFile) -> Iterator[QueueChoice]:
    """`Worker.new(args, queue: :q)` and `Oban.Job.new(args, worker: W, queue: :q)`."""
    if b"queue:" not in file.doc.data:
        return
    for call in file.outline.calls:
        if call.name != "new" or call.arity != 2 or call.capture or not call.runs_at_runtime:
            continue
        queue = keyword(call.args[-1], "queue")
        if queue is None:
            continue
        worker = call.module or (call.module_def.name if call.module_def is not None else None)
        if worker == "Oban.Job":
            named = keyword(call.args[-1], "worker")
            worker = module_reference(named, call.module_def) if named is not None else None
        if worker:
            span = file.span(queue)
            yield QueueChoice(worker, _queue_name(queue), span.line, span.column, span.end_line, span.end_column)


def _short(node: Node) -> str:
    code = " ".join(text(node).split())
    return code if len(code) <= 60 else code[:57] + "..."


# -- cron expressions -------------------------------------------------------------------------
# As `Oban.Cron.Expression.parse/1` reads them: five fields split on whitespace, each a comma list of
# `*`, `n`, `a-b`, `*/s`, `n/s` or `a-b/s` (steps 1-99); upper-case month and weekday names; weekdays
# 0-6; lower-case nicknames only.

_NICKNAMES = frozenset({"@yearly", "@annually", "@monthly", "@weekly", "@midnight", "@daily", "@hourly", "@reboot"})
_MONTHS = {m: str(i) for i, m in enumerate("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split(), 1)}
_DAYS = {d: str(i) for i, d in enumerate("SUN MON TUE WED THU FRI SAT".split())}
_FIELDS = (("minute", 0, 59, {}), ("hour", 0, 23, {}), ("day of month", 1, 31, {}), ("month", 1, 12, _MONTHS),
           ("weekday", 0, 6, _DAYS))
_PART = re.compile(r"^(?:(\*)|(\d+)(?:-(\d+))?)(?:/(\d+))?$")


def cron_problem(expression: str) -> str | None:
    """Why Oban rejects a crontab expression, or None when it accepts it."""
    expr = expression.strip()
    if expr.startswith("@"):
        if expr in _NICKNAMES:
            return None
        if expr.lower() in _NICKNAMES:
            return f"Oban knows the nickname only in lower case (`{expr.lower()}`)"
        return f"`{expr}` is not a nickname Oban knows (`@hourly`, `@daily`, `@weekly`, `@monthly`, `@yearly`...)"
    fields = expr.split()
    if len(fields) != 5:
        return f"it has {len(fields)} fields where Oban expects 5 (minute hour day month weekday)"
    for value, (name, low, high, names) in zip(fields, _FIELDS):
        for part in value.split(","):
            problem = _part_problem(part, name, low, high, names)
            if problem:
                return problem
    return None


def _part_problem(part: str, name: str, low: int, high: int, names: dict[str, str]) -> str | None:
    written = part
    for word, number in names.items():
        part = part.replace(word, number)
    match = _PART.match(part)
    if not match:
        if names and any(word.lower() in written.lower() for word in names):
            return f"the {name} `{written}` is not understood (Oban reads names in upper case only: `JAN`, `MON`)"
        return f"the {name} `{written}` is not a cron value (`*`, `n`, `a-b`, `*/n`, `a-b/n`)"
    star, first, last, step = match.groups()
    if step is not None and not 1 <= int(step) <= 99:
        return f"the {name} step in `{written}` must be 1-99"
    numbers = [int(n) for n in (first, last) if n is not None]
    for number in numbers:
        if not low <= number <= high:
            return f"the {name} `{written}` is outside {low}-{high}"
    if len(numbers) == 2 and numbers[0] > numbers[1]:
        return f"the {name} range `{written}` runs backwards"
    return None
