"""Oban as a project uses it: the queues its configuration starts, its cron
entries, and the queue each worker puts its jobs in.

Read from source without evaluating it: `config :app, Oban, queues: [...]`
in any config file (`runtime.exs` included, every `config_env()` branch
counted), and `{Oban, queues: [...]}` written inline in a supervision tree.
When any of those gives queues as something other than a literal keyword
list (`queues: queues`, a merge, an env var split at boot), the set of
queues is not knowable and `open` says so; `queues: false` starts none and
hides none.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import msgspec
from tree_sitter import Node

from ..source.syntax import Use, arguments, atom_value, keyword, keyword_pairs, module_reference, string_value, text, walk

if TYPE_CHECKING:
    from .parsed import ParsedFile

_INLINE_CHILD = re.compile(rb"\{\s*Oban\s*,")
WORKER_USES = frozenset({"Oban.Worker", "Oban.Pro.Worker", "Oban.Pro.Workers.Batch", "Oban.Pro.Workers.Workflow"})


class ObanWorker(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """A module that `use`s `Oban.Worker` with a literal `queue:` option."""

    module: str
    queue: str
    line: int
    column: int
    end_line: int
    end_column: int


class CronEntry(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """`{"0 * * * *", MyApp.Worker}` in an `Oban.Plugins.Cron` crontab."""

    expression: str
    worker: str | None  # the module as written (aliases expanded where the file has none to expand)
    line: int
    column: int
    end_line: int
    end_column: int
    worker_line: int = 0
    worker_column: int = 0
    worker_end_line: int = 0
    worker_end_column: int = 0


class ObanFacts(msgspec.Struct, frozen=True, gc=False):
    configured: bool = False  # the file configures an Oban instance (config call or inline child spec)
    queues: tuple[str, ...] = ()  # queue names the file's Oban configuration starts
    open: bool = False  # some configuration gives queues the source cannot list
    workers: tuple[ObanWorker, ...] = ()
    crons: tuple[CronEntry, ...] = ()
    aliases: bool = False  # the file aliases modules outside any module: cron worker names may be short


def oban_facts(file: ParsedFile) -> ObanFacts | None:
    """What one file tells about Oban; None when it never mentions Oban."""
    if file.tree is None or b"Oban" not in file.doc.data:
        return None
    configs = list(_config_options(file))
    workers = tuple(_workers(file))
    if not configs and not workers:
        return None
    queues: list[str] = []
    crons: list[CronEntry] = []
    open_ = False
    for options in configs:
        if options is None:
            open_ = True
            continue
        names = _queue_names(options)
        if names is None:
            open_ = True
        else:
            queues.extend(names)
        crons.extend(_crons(file, options))
    aliases = "config" in file.kinds and re.search(rb"(?m)^\s*alias\s", file.doc.data) is not None
    return ObanFacts(bool(configs), tuple(dict.fromkeys(queues)), open_, workers, tuple(crons), aliases)


def _is_oban_key(key: str | None) -> bool:
    return key is not None and "Oban" in key


def _config_options(file: ParsedFile):
    """Option nodes of each Oban configuration in the file (None: options not literal)."""
    if "config" in file.kinds:
        for call in file.outline.calls:
            if call.name != "config" or call.module not in (None, "Config", "Mix.Config") or len(call.args) < 3:
                continue
            key = atom_value(call.args[1]) or module_reference(call.args[1], None)
            options = call.args[-1]
            # A named instance may use any key (`config :app, ObanB, name: ObanB, queues: [...]`): every
            # keyed config with `queues` counts, since counting one too many only makes the rules quieter.
            if not _is_oban_key(key) and keyword(options, "queues") is None:
                continue
            yield options if options.type in ("keywords", "list") else None
        return
    if "lib" not in file.kinds or not _INLINE_CHILD.search(file.doc.data):
        return
    for node in walk(file.tree.root_node):
        if node.type != "tuple" or len(node.named_children) != 2:
            continue
        head, options = node.named_children
        if head.type != "alias" or text(head) != "Oban":
            continue
        if options.type in ("keywords", "list"):
            if any(key in ("queues", "repo", "plugins") for key, _ in keyword_pairs(options)):
                yield options
        elif not _reads_config(options):
            yield None  # `{Oban, oban_config()}`, `Keyword.merge(...)`: built in code, queues not knowable


def _reads_config(node: Node) -> bool:
    """`Application.fetch_env!(:app, Oban)`: the options the config files give, read there already."""
    code = "".join(text(node).split())
    return code.startswith(("Application.fetch_env!(", "Application.get_env(", "Application.fetch_env(")) and \
        code.endswith("Oban)")


def _queue_names(options: Node) -> list[str] | None:
    """Queue names of literal `queues:`; [] for none or `false`; None when not knowable."""
    plugins = keyword(options, "plugins")
    if plugins is not None and "DynamicQueues" in text(plugins):
        return None  # Oban Pro's DynamicQueues plugin starts queues of its own (and from the database)
    queues = keyword(options, "queues")
    if queues is None or text(queues) == "false":
        return []
    if queues.type != "list":
        return None
    items = queues.named_children
    if not items:
        return []
    if len(items) != 1 or items[0].type != "keywords":
        return None
    return [name for name, _ in keyword_pairs(queues)]


def _crons(file: ParsedFile, options: Node):
    plugins = keyword(options, "plugins")
    if plugins is None or plugins.type != "list":
        return
    for plugin in plugins.named_children:
        if plugin.type != "tuple" or len(plugin.named_children) != 2:
            continue
        head, plugin_options = plugin.named_children
        if text(head) != "Oban.Plugins.Cron":
            continue
        crontab = keyword(plugin_options, "crontab")
        if crontab is None or crontab.type != "list":
            continue
        for entry in crontab.named_children:
            parts = entry.named_children if entry.type == "tuple" else []
            expression = string_value(parts[0]) if parts else None
            if expression is None:
                continue
            worker_node = parts[1] if len(parts) > 1 and parts[1].type == "alias" else None
            span = file.span(parts[0])
            wspan = file.span(worker_node) if worker_node is not None else span
            yield CronEntry(
                expression, text(worker_node) if worker_node is not None else None,
                span.line, span.column, span.end_line, span.end_column,
                wspan.line, wspan.column, wspan.end_line, wspan.end_column,
            )


def worker_use(uses: list[Use]) -> Use | None:
    return next((u for u in uses if u.module in WORKER_USES), None)


def _workers(file: ParsedFile):
    if "oban_worker" not in file.kinds:
        return
    for module in file.outline.modules:
        use = worker_use(module.uses)
        if use is None:
            continue
        args = arguments(use.node)
        queue = keyword(args[-1], "queue") if len(args) >= 2 else None
        name = atom_value(queue)
        if name is None:
            continue
        span = file.span(queue)
        yield ObanWorker(module.name, name, span.line, span.column, span.end_line, span.end_column)


# -- cron expressions -------------------------------------------------------------

_NICKNAMES = frozenset({"@yearly", "@annually", "@monthly", "@weekly", "@midnight", "@daily", "@hourly", "@reboot"})
_MONTHS = {m: i for i, m in enumerate(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV",
                                       "DEC"], 1)}
_DAYS = {d: i for i, d in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])}
# (name, lowest, highest, names); weekday 7 is read as Sunday by many crons: left alone.
_FIELDS = (("minute", 0, 59, {}), ("hour", 0, 23, {}), ("day of month", 1, 31, {}), ("month", 1, 12, _MONTHS),
           ("day of week", 0, 7, _DAYS))
_PART = re.compile(r"^(\*|[0-9A-Za-z]+(?:-[0-9A-Za-z]+)?)(?:/([0-9]+))?$")


def cron_problem(expression: str) -> str | None:
    """Why an Oban crontab expression is malformed, or None when it is well formed."""
    expr = expression.strip()
    if expr.startswith("@"):
        return None if expr.lower() in _NICKNAMES else f"`{expr}` is not a cron nickname Oban knows"
    fields = expr.split()
    if len(fields) != 5:
        return f"it has {len(fields)} fields where Oban expects 5 (minute hour day month weekday)"
    for value, (name, low, high, names) in zip(fields, _FIELDS):
        for part in value.split(","):
            problem = _part_problem(part, name, low, high, names)
            if problem:
                return problem
    return None


def _part_problem(part: str, name: str, low: int, high: int, names: dict[str, int]) -> str | None:
    match = _PART.match(part)
    if not match:
        return f"`{part}` is not a valid {name} value"
    body, step = match.groups()
    if step is not None and int(step) == 0:
        return f"the {name} step `{part}` is zero"
    if body == "*":
        return None
    bounds = body.split("-")
    numbers = []
    for bound in bounds:
        number = names.get(bound.upper()) if not bound.isdigit() else int(bound)
        if number is None:
            return f"`{bound}` is not a valid {name} value"
        if not low <= number <= high:
            return f"{name} `{bound}` is outside {low}-{high}"
        numbers.append(number)
    if len(numbers) == 2 and numbers[0] > numbers[1]:
        return f"the {name} range `{body}` runs backwards"
    return None
