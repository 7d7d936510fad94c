"""One parsed file: its trees, its outline, what kind of file it is, its facts.

`ParsedFile` is what per-file rules look at: the syntax helper layer
(`outline`: modules, clauses, resolved calls) for Elixir files, templates and
`~H` sigils alike, plus the model's judgement of each module's kind and the
local data flow of each function clause.
"""

from __future__ import annotations

from functools import cached_property

from tree_sitter import Node, Tree

from ..source.directives import Directive, parse_directive
from ..source.document import Document, Span
from ..source.markup import Element, template_elements
from ..source.parse import first_error
from ..source.syntax import Call, Clause, ModuleDef, Outline, do_block, string_value, text
from ..source.templates import Template
from ..source.trees import parse_document
from .calls import function_calls, local_functions
from .components import markup_facts
from .config import config_entries
from .ecto.loads import load_facts
from .ecto.migrations import migration_facts, migration_version
from .ecto.queries import query_facts
from .ecto.schemas import schema_facts
from .errorstyle import error_style
from .facts import FileFacts, FunctionFacts, ModuleFacts, SourceIssue, UseFacts
from .flow import Flow
from .kinds import module_kinds, path_kinds
from .liveview.build import liveview_facts
from .metrics import quality_facts
from .oban import oban_facts
from .otp import otp_facts
from .supervision import dynamic_facts, pubsub_subscribers, supervision_facts
from .phoenix.router import web_facts
from .phoenix_views import html_facts
from .taint import Sink, sinks, taint_facts
from .telemetry import telemetry_uses
from .testsuite import test_facts

_COMMENT_STARTS = ("#", "<%#", "<%!--", "<!--")
_NOT_PRODUCTION = frozenset({"test", "test_support", "config", "mix", "migration"})


class ParsedFile:
    def __init__(self, doc: Document):
        self.doc = doc
        trees = parse_document(doc)
        self.tree: Tree | None = trees.tree
        self.templates: list[Template] = trees.templates
        self.embedded = trees.embedded
        self.outline = Outline.build(self.tree, [self.embedded] if self.embedded else [])
        self._flows: dict[int, Flow] = {}

    @property
    def path(self) -> str:
        return self.doc.path

    @cached_property
    def module_kinds(self) -> dict[int, tuple[str, ...]]:
        found = {id(m): module_kinds(m) for m in self.outline.modules}
        for module in self._wrapped_schemas():
            found[id(module)] = (*found[id(module)], "schema") if "schema" not in found[id(module)] else found[id(module)]
        return found

    def _wrapped_schemas(self) -> list[ModuleDef]:
        """Modules that `use` a project wrapper (`use MyApp.Schema`, whose `__using__` brings Ecto.Schema) and
        declare `schema "table" do` or `embedded_schema do` in their body: Ecto schemas all the same."""
        return [call.module_def for call in self.outline.calls
                if call.name in ("schema", "embedded_schema") and call.module is None and call.owner is None
                and call.module_def is not None and call.module_def.uses
                and (call.name == "embedded_schema" or string_value(call.args[0] if call.args else None) is not None)
                and do_block(call.node) is not None
                and "schema" not in module_kinds(call.module_def)]

    def modules_of(self, kind: str) -> list[ModuleDef]:
        """The file's modules of one kind (`"router"`, `"schema"`...)."""
        return [m for m in self.outline.modules if kind in self.kinds_of(m)] if kind in self.kinds else []

    def kinds_of(self, module: ModuleDef | None) -> tuple[str, ...]:
        return self.module_kinds.get(id(module), ()) if module is not None else ()

    @cached_property
    def kinds(self) -> frozenset[str]:
        """Path kinds and the kinds of every module in the file."""
        kinds = set(path_kinds(self.doc.path))
        for module_kinds_ in self.module_kinds.values():
            kinds.update(module_kinds_)
        return frozenset(kinds)

    @cached_property
    def own_functions(self) -> dict[int, set[tuple[str, int]]]:
        """Per module (by `id`), the `(name, arity)` pairs its own functions answer to."""
        return local_functions(self)

    @property
    def runs_in_production(self) -> bool:
        """Not a test, config file, `mix.exs` or migration: code that serves users."""
        return not (self.kinds & _NOT_PRODUCTION)

    @cached_property
    def sink_calls(self) -> list[tuple[Call, Sink]]:
        """Dangerous calls that run at run time, with their sink arguments (`model.taint`)."""
        return [(call, sink) for call in self.outline.calls if call.runs_at_runtime for sink in sinks(call)]

    @cached_property
    def elements(self) -> list[Element]:
        """Every HTML element, component and slot of the file's templates and `~H` sigils, in document order."""
        return [element for template in self.templates
                for root in template_elements(template, self.doc.data) for element in root.walk()]

    def flow(self, clause: Clause) -> Flow:
        """Local data flow of one clause: which variables hold untrusted input."""
        flow = self._flows.get(id(clause))
        if flow is None:
            flow = self._flows[id(clause)] = Flow(clause, self.kinds_of(clause.module), self.outline)
        return flow

    # -- problems -----------------------------------------------------------

    def syntax_issue(self) -> SourceIssue | None:
        """The first syntax error, from the Elixir tree or a template's markup.

        Errors in the Elixir pieces of templates are not reported: those pieces
        are parsed out of context and a false alarm there would cost more than
        it finds.
        """
        error = first_error(self.tree.root_node) if self.tree is not None else None
        if error is not None:
            return SourceIssue("parse_error", _describe_error(error), self.doc.span(error))
        for template in self.templates:
            offset = template.first_error()
            if offset is not None:
                span = self.doc.span_of_bytes(offset, offset + 1)
                snippet = self.doc.line_text(span.line)[span.column - 1 :].strip()[:40]
                return SourceIssue("parse_error", f"template syntax error near `{snippet}`", span)
        return None

    # -- directives ---------------------------------------------------------

    def directives(self) -> list[Directive]:
        comments = [(c.start_byte, text(c).lstrip("#")) for c in self.outline.comments]
        for template in self.templates:
            comments.extend(template.comments)
        found = []
        code_lines: list[int] | None = None
        for offset, body in comments:
            if "beamsage:" not in body:
                continue
            if code_lines is None:
                code_lines = self._code_lines()
            span = self.doc.span_of_bytes(offset, offset)
            directive = parse_directive(body, span.line, span.column, code_lines)
            if directive is not None:
                found.append(directive)
        return found

    def _code_lines(self) -> list[int]:
        lines = self.doc.data.decode("utf-8", "replace").split("\n")
        return [n for n, line in enumerate(lines, 1) if (s := line.strip()) and not s.startswith(_COMMENT_STARTS)]

    # -- facts --------------------------------------------------------------

    def facts(self, issues: tuple[SourceIssue, ...] = ()) -> FileFacts:
        syntax = self.syntax_issue()
        functions, loops = function_calls(self)
        sink_params, arg_flows = taint_facts(self) if self.runs_in_production else ((), ())
        return FileFacts(
            path=self.doc.path,
            language=self.doc.language.value,
            kinds=tuple(sorted(self.kinds)),
            lines=self.doc.line_count,
            modules=tuple(self._module_facts(m) for m in self.outline.modules),
            directives=tuple(self.directives()),
            issues=((syntax,) if syntax else ()) + issues,
            functions=tuple(functions),
            loops=tuple(loops),
            queries=tuple(query_facts(self)),
            schemas=tuple(self._schemas()),
            migrations=tuple(self._migrations()),
            loads=tuple(load_facts(self)),
            config=tuple(config_entries(self)) if "config" in self.kinds else (),
            sink_params=tuple(sink_params),
            arg_flows=tuple(arg_flows),
            html=html_facts(self),
            web=web_facts(self),
            otp=otp_facts(self),
            oban=oban_facts(self),
            supervision=tuple(supervision_facts(self)),
            subscribers=tuple(pubsub_subscribers(self)),
            dynamic=dynamic_facts(self),
            markup=markup_facts(self),
            tests=test_facts(self),
            quality=quality_facts(self),
            liveview=liveview_facts(self),
            errors=error_style(self),
            telemetry=telemetry_uses(self),
        )

    def _schemas(self):
        for module in self.modules_of("schema"):
            facts = schema_facts(self.outline, module, self.span)
            if facts is not None:
                yield facts

    def _migrations(self):
        version = migration_version(self.doc.path)
        if version is None:
            return
        for module in self.modules_of("migration"):
            yield migration_facts(self.outline, module, version)

    def _module_facts(self, module: ModuleDef) -> ModuleFacts:
        functions: dict[tuple[str, int, str], list[Clause]] = {}
        for clause in self.outline.clauses_of(module):
            functions.setdefault((clause.name, clause.arity, clause.kind), []).append(clause)
        return ModuleFacts(
            name=module.name,
            line=module.line,
            end_line=module.node.end_point[0] + 1,
            kinds=self.kinds_of(module),
            uses=tuple(UseFacts(u.module, u.argument) for u in module.uses),
            behaviours=tuple(module.behaviours),
            imports=tuple(name for name, _ in module.imports),
            aliases=tuple(sorted(module.aliases.items())),
            attributes=tuple(module.attributes),
            functions=tuple(
                FunctionFacts(name, arity, min(c.min_arity for c in clauses), kind, clauses[0].line, len(clauses))
                for (name, arity, kind), clauses in functions.items()
            ),
        )

    def span(self, node: Node) -> Span:
        return self.doc.span(node)


def _describe_error(node: Node) -> str:
    if node.is_missing:
        return f"syntax error: missing `{node.type}`"
    snippet = text(node).strip().split("\n", 1)[0][:40]
    return f"syntax error near `{snippet}`" if snippet else "syntax error"
