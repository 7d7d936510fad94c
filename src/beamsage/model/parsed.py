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
from ..source.document import Document, Language, Span
from ..source.parse import first_error, parse, query
from ..source.syntax import Clause, ModuleDef, Outline, text
from ..source.templates import Template, comment_text, heex_sigil_contents, shadow_elixir
from .facts import FileFacts, FunctionFacts, ModuleFacts, SourceIssue, UseFacts
from .flow import Flow
from .kinds import module_kinds, path_kinds

_COMMENT_STARTS = ("#", "<%#", "<%!--", "<!--")


class ParsedFile:
    def __init__(self, doc: Document):
        self.doc = doc
        self.tree: Tree | None = None
        self.templates: list[Template] = []
        if doc.language is Language.ELIXIR:
            self.tree = parse("elixir", doc.data)
            sigils = query("elixir", "(sigil) @s").captures(self.tree.root_node).get("s", []) if b"~H" in doc.data else []
            contents = heex_sigil_contents(sigils)
            self.templates = [Template.parse_sigil(doc.data, content) for content in contents]
        else:
            self.templates = [Template.parse_file(doc.language.value, doc.data)]
        code = [node for template in self.templates for node in template.code]
        self.embedded = shadow_elixir(doc.data, code)
        self.outline = Outline.build(self.tree, [self.embedded] if self.embedded else [])
        self._flows: dict[int, Flow] = {}

    @property
    def path(self) -> str:
        return self.doc.path

    @cached_property
    def module_kinds(self) -> dict[int, tuple[str, ...]]:
        return {id(m): module_kinds(m) for m in self.outline.modules}

    def kinds_of(self, module: ModuleDef | None) -> tuple[str, ...]:
        return self.module_kinds.get(id(module), ()) if module is not None else ()

    @cached_property
    def kinds(self) -> frozenset[str]:
        """Path kinds and the kinds of every module in the file."""
        kinds = set(path_kinds(self.doc.path))
        for module_kinds_ in self.module_kinds.values():
            kinds.update(module_kinds_)
        return frozenset(kinds)

    def flow(self, clause: Clause) -> Flow:
        """Local data flow of one clause: which variables hold untrusted input."""
        flow = self._flows.get(id(clause))
        if flow is None:
            flow = self._flows[id(clause)] = Flow(clause, self.kinds_of(clause.module))
        return flow

    # -- problems -----------------------------------------------------------

    def syntax_issue(self) -> SourceIssue | None:
        """The first syntax error, from the Elixir tree or a template's markup.

        Errors in the Elixir pieces of templates are not reported: those pieces
        are parsed out of context and a false alarm there would cost more than
        it finds.
        """
        trees = ([self.tree] if self.tree is not None else []) + [t.tree for t in self.templates]
        for tree in trees:
            error = first_error(tree.root_node)
            if error is not None:
                return SourceIssue("parse_error", _describe_error(error), self.doc.span(error))
        return None

    # -- directives ---------------------------------------------------------

    def directives(self) -> list[Directive]:
        comments: list[tuple[Node, str]] = [(c, text(c).lstrip("#")) for c in self.outline.comments]
        for template in self.templates:
            comments.extend((c, comment_text(c)) for c in template.comments)
        found = []
        code_lines: list[int] | None = None
        for node, body in comments:
            if "beamsage:" not in body:
                continue
            if code_lines is None:
                code_lines = self._code_lines()
            line, column = node.start_point[0] + 1, node.start_point[1] + 1
            directive = parse_directive(body, line, column, code_lines)
            if directive is not None:
                found.append(directive)
        return found

    def _code_lines(self) -> list[int]:
        lines = self.doc.data.decode("utf-8", "replace").split("\n")
        return [n for n, line in enumerate(lines, 1) if (s := line.strip()) and not s.startswith(_COMMENT_STARTS)]

    # -- facts --------------------------------------------------------------

    def facts(self, issues: tuple[SourceIssue, ...] = ()) -> FileFacts:
        syntax = self.syntax_issue()
        return FileFacts(
            path=self.doc.path,
            language=self.doc.language.value,
            kinds=tuple(sorted(self.kinds)),
            lines=self.doc.line_count,
            modules=tuple(self._module_facts(m) for m in self.outline.modules),
            directives=tuple(self.directives()),
            issues=((syntax,) if syntax else ()) + issues,
        )

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
