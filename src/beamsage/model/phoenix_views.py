"""HTML written without escaping, and the values Phoenix pages are given.

Phoenix escapes whatever a template outputs (`{@bio}`, `<%= @bio %>`).
Code opts out with `raw/1`, a `{:safe, iodata}` tuple, or a response body
sent as HTML by hand (`html/2`, `send_resp/3` after
`put_resp_content_type("text/html")`). Those are the HTML sinks here.

Content is safe when the code fixes it (literals, module attributes,
translations of literal messages) or when something that escapes or
sanitises made it (`Phoenix.HTML.html_escape/1`, `Phoenix.HTML.Safe.to_iodata/1`,
`HtmlSanitizeEx`, tag and form builders, templates rendered to a string,
`Jason.encode!(x, escape: :html_safe)`, MDEx without `unsafe:`), directly or
through a variable bound to its result. Earmark is not a sanitiser:
Markdown carries raw HTML and `javascript:` links through to the output, so
its result is as untrusted as its input; so is JSON encoded without
`escape: :html_safe` (a `</script>` in it closes the script tag).

Templates read assigns, so whether `raw(@bio)` is dangerous depends on what
gives the page `bio`. Each file records (`HtmlFacts`) its template sinks
with the assigns they carry, and what its controllers render templates with
and its LiveViews assign, judged untrusted, safe or unknown. Pages are tied
to their handlers the way the association-loading model ties them
(`CallGraph.template_owners` and Phoenix's naming): a template belongs to
its view module's function of the same name (or a LiveView's `render`), a
controller `FooController` rendering `:show` feeds `show` of `FooHTML` and
`FooView`, a LiveView's assigns feed its `render`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterator

from tree_sitter import Node

from ..source.syntax import (
    DEFINITIONS,
    MAX_DEPTH,
    Call,
    Clause,
    ModuleDef,
    arguments,
    atom_value,
    call_target_name,
    is_constant,
    keyword,
    module_reference,
    operator,
    string_value,
    text,
    variables,
    walk,
)
from .assigns import assign_pairs, option_pairs
from .facts import GivenAssign, HtmlFacts, HtmlSinkFacts
from .flow import Flow, Origin

if TYPE_CHECKING:
    from .parsed import ParsedFile
    from .project import Project

_HTML_TEMPLATE = re.compile(r"\.(heex|leex)$|\.html\.[a-z]+$")
_HTML_TYPE = re.compile(r"^\s*text/html\b", re.IGNORECASE)
_NOT_RUNTIME = frozenset({"test", "test_support", "config", "mix", "migration"})
_HANDLERS = frozenset({"controller", "live_view", "live_component"})
_LIVE = frozenset({"live_view", "live_component"})
_ASSIGN_MODULES = (None, "Phoenix.Component", "Phoenix.LiveView", "Plug.Conn")
_CONN_FIELDS = frozenset({"params", "query_params", "body_params", "path_params", "req_headers", "cookies",
                          "req_cookies", "query_string", "request_path"})

# Calls whose result is escaped or sanitised HTML (or a template rendered, which escapes).
_SAFE_FUNCTIONS = {
    "Phoenix.HTML": {"html_escape", "javascript_escape", "css_escape", "safe_to_string", "attributes_escape"},
    "Phoenix.HTML.Safe": {"to_iodata"},
    "Phoenix.HTML.Engine": {"html_escape", "encode_to_iodata!"},
    "Plug.HTML": {"html_escape", "html_escape_to_iodata"},
    "Phoenix.HTML.Format": {"text_to_html"},
    "Phoenix.Template": {"render_to_string", "render_to_iodata", "render"},
    "Phoenix.View": {"render_to_string", "render_to_iodata", "render", "render_many", "render_one",
                     "render_existing"},
    "Phoenix.LiveView.HTMLEngine": {"component"},
}
_SAFE_MODULES = frozenset(
    {"HtmlSanitizeEx", "HtmlSanitizeEx.Scrubber", "FastSanitize", "Phoenix.HTML.Tag", "Phoenix.HTML.Link",
     "Phoenix.HTML.Form", "PhoenixHTMLHelpers.Tag", "PhoenixHTMLHelpers.Link", "PhoenixHTMLHelpers.Form",
     "PhoenixHTMLHelpers.Format"}
)
# Unqualified calls to what Phoenix.HTML, its helpers and Phoenix.Component import.
_SAFE_LOCALS = frozenset(
    {"html_escape", "javascript_escape", "safe_to_string", "text_to_html", "content_tag", "tag", "img_tag",
     "link", "button", "csrf_meta_tag", "render_slot", "render", "render_many", "render_one", "form_for",
     "label", "submit", "text_input", "live_title_tag", "sanitize", "render_to_string", "render_to_iodata"}
)
_TRANSLATIONS = frozenset({"gettext", "dgettext", "ngettext", "dngettext", "pgettext", "dpgettext", "pngettext",
                           "dpngettext", "gettext_noop", "dgettext_noop"})
# Calls whose result carries their first argument's text into HTML.
_CARRIERS = {
    "Earmark": {"as_html", "as_html!", "from_markdown"},
    "EEx": {"eval_string"},
    "Jason": {"encode", "encode!", "encode_to_iodata", "encode_to_iodata!"},
    "Poison": {"encode", "encode!"},
    "String": {"trim", "replace", "upcase", "downcase", "capitalize", "slice", "normalize"},
    "Enum": {"join", "map_join"},
    "Kernel": {"to_string"},
    "IO": {"iodata_to_binary"},
    "MIME": {"from_path", "type"},
    "Path": {"extname", "basename"},
    "Phoenix.HTML": {"raw"},
    None: {"to_string", "raw"},
}
_MAX_HOPS = 6
# Operators whose value is made of their operands' text.
_JOINING = frozenset({"<>", "++", "||", "&&"})


@dataclass
class HtmlSink:
    """Content written into a page (or an HTML response) without escaping."""

    label: str  # "`raw/1`", "`{:safe, ...}`", "`html/2`", "`send_resp/3`"
    node: Node  # what a finding points at
    value: Node  # the content
    clause: Clause | None
    module: ModuleDef | None
    in_template: bool
    # In templates: assigns the content carries, those it writes whole, whether
    # nothing but those and safe parts make it up, and `@conn.params`-like reads.
    reads: set[str] = field(default_factory=set)
    direct: set[str] = field(default_factory=set)
    only_assigns: bool = False
    request: str | None = None


# -- sinks ---------------------------------------------------------------------------


def html_sinks(file: ParsedFile) -> list[HtmlSink]:
    """Unescaped HTML output of non-literal, unsanitised content in code that runs at run time."""
    if file.kinds & _NOT_RUNTIME:
        return []
    if file.tree is None and not _HTML_TEMPLATE.search(file.path):
        return []  # text, JSON or XML templates: not HTML
    found = [sink for call in file.outline.calls if (sink := _call_sink(file, call)) is not None]
    if b":safe" in file.doc.data:
        found.extend(_safe_tuples(file))
    kept = []
    for sink in found:
        html = Html(file, sink.clause, sink.module, sink.in_template)
        if html.safe(sink.value):
            continue
        if sink.clause is not None and not sink.in_template and checked(file.flow(sink.clause), sink.value):
            continue
        if sink.in_template:
            sink.reads, sink.direct, sink.only_assigns = html.carried(sink.value)
            sink.request = next((r for r in sorted(sink.reads) if r.startswith("@conn.")), None)
        kept.append(sink)
    return kept


def _call_sink(file: ParsedFile, call: Call) -> HtmlSink | None:
    name, module = call.name, call.module
    if call.capture or not call.runs_at_runtime or not call.args or name not in ("raw", "html", "send_resp"):
        return None
    if call.module_def is not None and call.module_def.name.startswith("Mix.Tasks."):
        return None
    if module is None and (name, call.arity) in file.own_functions.get(id(call.module_def), ()):
        return None  # the project's own `raw/1`
    if name == "raw" and call.arity == 1 and module in (None, "Phoenix.HTML"):
        value = call.args[0]
    elif name == "html" and call.arity == 2 and _controller_html(file, call):
        value = call.args[1]
    elif name == "send_resp" and call.arity == 3 and module in (None, "Plug.Conn") and _sends_html(file, call):
        value = call.args[2]
    else:
        return None
    return HtmlSink(f"`{name}/{call.arity}`", call.node, value, call.owner, call.module_def, call.in_template)


def _controller_html(file: ParsedFile, call: Call) -> bool:
    """`html/2` of `Phoenix.Controller`: qualified, or in a controller or a module importing it."""
    if call.module == "Phoenix.Controller":
        return True
    if call.module is not None or call.in_template or call.module_def is None:
        return False
    return "controller" in file.kinds_of(call.module_def) or \
        any(m == "Phoenix.Controller" for m, _ in call.module_def.imports)


def _sends_html(file: ParsedFile, call: Call) -> bool:
    """The same function set a `text/html` content type before this `send_resp/3`."""
    if call.owner is None:
        return False
    html = False
    for other in file.outline.calls:
        if other.owner is not call.owner or other.node.start_byte >= call.node.start_byte:
            continue
        content_type = content_type_value(other)
        if content_type is not None:
            html = bool(_HTML_TYPE.match(string_value(content_type) or ""))
    return html


def checked(flow: Flow, node: Node) -> bool:
    """The value, or every variable in it, was tested against constants first
    (`when format in ["csv", "json"]`): it can only be one of them."""
    if flow.validated(node):
        return True
    names = variables(node)
    found = [n for n in walk(node) if n.type == "identifier" and text(n) in names]
    return bool(found) and all(flow.validated(n) for n in found)


def content_type_value(call: Call) -> Node | None:
    """The type argument of `put_resp_content_type/2,3` or `put_resp_header(conn, "content-type", type)`."""
    if call.module not in (None, "Plug.Conn") or call.capture:
        return None
    if call.name == "put_resp_content_type" and call.arity in (2, 3):
        return call.args[1]
    if call.name == "put_resp_header" and call.arity == 3 and (string_value(call.args[1]) or "").lower() == \
            "content-type":
        return call.args[2]
    return None


def _safe_tuples(file: ParsedFile) -> Iterator[HtmlSink]:
    """`{:safe, content}` built (not matched) at run time."""
    for tree, in_template in ((file.tree, False), (file.embedded, True)):
        if tree is None:
            continue
        for node in walk(tree.root_node):
            if node.type != "tuple" or len(node.named_children) != 2 or text(node.named_children[0]) != ":safe":
                continue
            if _in_pattern(node):
                continue
            clause, in_quote = file.outline.context_at(node)
            if in_quote or (not in_template and (clause is None or clause.kind.startswith("defmacro"))):
                continue
            if not in_template and clause.module is not None and clause.module.name.startswith("Mix.Tasks."):
                continue
            module = clause.module if clause is not None else file.outline.module_at(node.start_byte)
            yield HtmlSink("`{:safe, ...}`", node, node.named_children[1], clause, module, in_template)


def _in_pattern(node: Node) -> bool:
    """A tuple matched against rather than built: a function head, the left of
    `=`/`<-`/`->`, the pattern of `match?/2`."""
    child, parent = node, node.parent
    for _ in range(MAX_DEPTH):
        if parent is None or parent.type in ("do_block", "source", "block", "body"):
            return False
        if parent.type == "binary_operator" and operator(parent) in ("=", "<-"):
            if parent.child_by_field_name("left") == child:
                return True
        elif parent.type == "stab_clause" and parent.child_by_field_name("left") == child:
            return True
        elif parent.type == "arguments" and parent.named_children and parent.named_children[0] == child:
            call = parent.parent
            name = call_target_name(call) if call is not None and call.type == "call" else None
            if name == "match?" or name in DEFINITIONS:
                return True
            outer = call.parent.parent if call is not None and call.parent is not None and \
                call.parent.type == "arguments" else None
            if outer is not None and outer.type == "call" and call_target_name(outer) in DEFINITIONS:
                return True  # the head `f({:safe, x})` of `def`
        child, parent = parent, parent.parent
    return False


# -- what content is ---------------------------------------------------------------


class Html:
    """Judges content written as HTML in one place: safe, or where it comes from."""

    def __init__(self, file: ParsedFile, clause: Clause | None, module: ModuleDef | None, in_template: bool):
        self.file = file
        self.clause = clause
        self.module = module
        self.in_template = in_template
        self.flow: Flow | None = file.flow(clause) if clause is not None else None

    def safe(self, node: Node | None, depth: int = 0) -> bool:
        """Fixed by the code, or escaped/sanitised on the way (also through variables)."""
        if node is None or depth > 12:
            return False
        if is_constant(node, in_template=self.in_template):
            return True
        if not self.in_template and self.flow is not None and self.flow.constant(node):
            return True
        kind = node.type
        if kind == "identifier":
            values = self._bound(text(node))
            return bool(values) and all(self.safe(v, depth + 1) for v in values)
        if kind in ("string", "list", "tuple") or kind == "binary_operator" and operator(node) in _JOINING:
            return all(self.safe(p, depth + 1) for p in _parts(node))
        if kind == "binary_operator" and operator(node) == "|>":
            right = node.child_by_field_name("right")
            return right is not None and right.type == "call" and \
                self._safe_call(right, node.child_by_field_name("left"), depth)
        if kind == "call":
            return self._safe_call(node, None, depth)
        return False

    def _safe_call(self, node: Node, piped: Node | None, depth: int) -> bool:
        module, name = self._target(node)
        if name is None:
            return False
        args = arguments(node)
        options = args[-1] if args else None
        if name in _TRANSLATIONS and module in (None, "Gettext") or name in _TRANSLATIONS and module is not None \
                and module.endswith("Gettext"):
            return all(self.safe(a, depth + 1) for a in args)  # a translation of a literal message
        if module == "MDEx" and name in ("to_html", "to_html!"):
            return not _unsafe_markdown(options)
        if module in ("Jason", "Poison") and name.startswith("encode"):
            return atom_value(keyword(options, "escape")) == "html_safe"
        if name == "text_to_html" and keyword(options, "escape") is not None:
            return text(keyword(options, "escape")) != "false"
        if module == "File" and name == "read!" and not self.in_template and self.flow is not None:
            return all(self.flow.constant(a) for a in args)  # a page shipped with the app (`priv/static`)
        if name == "raw" and module in (None, "Phoenix.HTML"):
            inner = piped if piped is not None else (args[0] if args else None)
            return self.safe(inner, depth + 1)
        if module is None:
            return name in _SAFE_LOCALS
        return name in _SAFE_FUNCTIONS.get(module, ()) or module in _SAFE_MODULES

    def _target(self, node: Node) -> tuple[str | None, str | None]:
        target = node.child_by_field_name("target")
        if target is None:
            return None, None
        if target.type == "identifier":
            return None, text(target)
        if target.type != "dot" or not any(c.type == "arguments" for c in node.children):
            return None, None
        module = module_reference(target.child_by_field_name("left"), self.module)
        return (module, text(target.child_by_field_name("right"))) if module else (None, None)

    def _bound(self, name: str) -> list[Node]:
        """Everything a variable of the clause is bound to by `=`/`<-`; empty
        when it is also bound another way (a parameter, a `case` pattern)."""
        clause = self.clause
        if clause is None or self.in_template or clause.body is None:
            return []
        if any(name in variables(p) for p in clause.params):
            return []
        values = []
        for node in walk(clause.body):
            if node.type == "binary_operator" and operator(node) in ("=", "<-"):
                if name in variables(node.child_by_field_name("left")):
                    values.append(node.child_by_field_name("right"))
            elif node.type == "stab_clause" and name in variables(node.child_by_field_name("left")):
                return []
        return values

    def origin(self, node: Node | None, depth: int = 0) -> Origin | None:
        """The untrusted origin of content (`flow`), also through Markdown and
        JSON encoders and the variables bound to their results."""
        if node is None or self.flow is None or depth > _MAX_HOPS or checked(self.flow, node):
            return None
        found = self.flow.origin(node, "html")
        if found is not None:
            return found
        if node.type == "identifier":
            name = text(node)
            for value in self.flow.bindings.get(name, []) if name not in self.flow.matched else []:
                found = self.origin(value, depth + 1)
                if found is not None:
                    return found.through(name)
            return None
        if node.type in ("string", "list") or node.type == "binary_operator" and operator(node) in _JOINING:
            for part in _parts(node):
                found = self.origin(part, depth + 1)
                if found is not None:
                    return found
            return None
        carried = self._carried_argument(node)
        return self.origin(carried, depth + 1) if carried is not None else None

    def _carried_argument(self, node: Node) -> Node | None:
        """For a call that carries its input into its output (`Earmark.as_html!(md)`,
        `md |> Earmark.as_html!()`), that input."""
        piped = None
        if node.type == "binary_operator" and operator(node) == "|>":
            piped, node = node.child_by_field_name("left"), node.child_by_field_name("right")
        if node is None or node.type != "call":
            return None
        module, name = self._target(node)
        if name is None or name not in _CARRIERS.get(module, ()) or self._safe_call(node, piped, 0):
            return None
        args = arguments(node)
        return piped if piped is not None else (args[0] if args else None)

    def carried(self, node: Node | None, depth: int = 0) -> tuple[set[str], set[str], bool]:
        """In a template: (the assigns content carries, those written whole,
        whether it is made of nothing but those and safe parts). `@conn.params`
        and the like are reported as `@conn.params` reads."""
        if node is None or depth > 12:
            return set(), set(), False
        whole = assign_name(node)
        if whole is not None:
            return {whole}, {whole}, True
        if self.safe(node):
            return set(), set(), True
        kind = node.type
        if kind in ("string", "list") or kind == "binary_operator" and operator(node) in _JOINING:
            reads, direct, only = set(), set(), True
            for part in _parts(node):
                r, d, o = self.carried(part, depth + 1)
                reads |= r
                direct |= d
                only = only and o
            return reads, direct, only
        if kind == "access_call":
            reads, _, _ = self.carried(node.child_by_field_name("target"), depth + 1)
            return reads, set(), False
        if kind == "call" and not any(c.type == "arguments" for c in node.children):
            target = node.child_by_field_name("target")  # a field read: `@user.bio`, `@conn.params`
            left = target.child_by_field_name("left") if target is not None and target.type == "dot" else None
            if left is not None and assign_name(left) == "conn" and text(target.child_by_field_name("right")) \
                    in _CONN_FIELDS:
                return {f"@conn.{text(target.child_by_field_name('right'))}"}, set(), False
            reads, _, _ = self.carried(left, depth + 1)
            return reads, set(), False
        carried = self._carried_argument(node)
        if carried is not None:
            reads, _, _ = self.carried(carried, depth + 1)
            return reads, set(), False
        return set(), set(), False


def _parts(node: Node) -> list[Node]:
    """The pieces a string, list, tuple or `<>`/`++`/`||` expression is made of."""
    parts = [c for c in node.named_children if c.type not in ("quoted_content", "escape_sequence")]
    return [p.named_children[0] if p.type == "interpolation" and p.named_children else p for p in parts]


def _unsafe_markdown(options: Node | None) -> bool:
    """MDEx options that render raw HTML and do not sanitise it."""
    written = text(options)
    return bool(re.search(r"\bunsafe_?:\s*true", written)) and "sanitize" not in written


def assign_name(node: Node | None) -> str | None:
    """`bio` for `@bio`, `assigns.bio` and `assigns[:bio]` in a template."""
    if node is None:
        return None
    if node.type == "unary_operator" and operator(node) == "@":
        operand = node.child_by_field_name("operand")
        return text(operand) if operand is not None and operand.type == "identifier" else None
    if node.type == "call" and not any(c.type == "arguments" for c in node.children):
        target = node.child_by_field_name("target")
        if target is not None and target.type == "dot" and text(target.child_by_field_name("left")) == "assigns":
            return text(target.child_by_field_name("right"))
    if node.type == "access_call" and text(node.child_by_field_name("target")) == "assigns":
        key = next((c for c in node.named_children if c.type == "atom"), None)
        return atom_value(key)
    return None


# -- facts recorded per file ----------------------------------------------------------


def html_facts(file: ParsedFile) -> HtmlFacts | None:
    """The file's template sinks that read assigns, and the assigns its handlers give pages."""
    sinks = [_sink_facts(file, sink) for sink in html_sinks(file)
             if sink.in_template and sink.reads and sink.request is None]
    given = list(_given(file)) if file.kinds & _HANDLERS else []
    return HtmlFacts(tuple(sinks), tuple(given)) if sinks or given else None


def routed_to_project(sink: HtmlSink) -> bool:
    """Template sinks whose danger depends on what handlers assign: judged across files."""
    return sink.in_template and bool(sink.reads) and sink.request is None


def _sink_facts(file: ParsedFile, sink: HtmlSink) -> HtmlSinkFacts:
    span = file.span(sink.node)
    clause = sink.clause
    module = clause.module.name if clause is not None and clause.module is not None else None
    return HtmlSinkFacts(module, clause.name if clause is not None else "", sink.label, short(sink.value),
                         tuple(sorted(sink.direct)), tuple(sorted(sink.reads)), sink.only_assigns,
                         span.line, span.column, span.end_line, span.end_column)


def _given(file: ParsedFile) -> Iterator[GivenAssign]:
    per_clause: dict[int, tuple[Clause, list[str], list[tuple[str, Node, Node]]]] = {}
    viewless = set()  # clauses that pick their view with `put_view`
    for call in file.outline.calls:
        clause = call.owner
        if call.in_template or clause is None or clause.module is None or call.module not in _ASSIGN_MODULES + (
                "Phoenix.Controller",):
            continue
        kinds = file.kinds_of(clause.module)
        entry = per_clause.setdefault(id(clause), (clause, [], []))
        if "controller" in kinds:
            if call.name in ("put_view", "put_new_view"):
                viewless.add(id(clause))
            elif call.name == "render" and call.arity >= 2:
                template = atom_value(call.args[1]) or (string_value(call.args[1]) or "").split(".")[0]
                if template:
                    entry[1].append(template)
                    if call.arity > 2:
                        entry[2].extend(option_pairs(call.args[2]))
            elif call.name in ("assign", "merge_assigns"):
                entry[2].extend(assign_pairs(call))
        elif _LIVE & set(kinds) and call.name == "assign":
            entry[1].append("")
            entry[2].extend(assign_pairs(call))
    plugged = {id(c.module_def) for c in file.outline.calls
               if c.owner is None and c.name == "plug" and c.args and atom_value(c.args[0]) in ("put_view", "put_new_view")}
    for key, (clause, templates, pairs) in per_clause.items():
        if not templates or key in viewless or id(clause.module) in plugged:
            continue
        html = Html(file, clause, clause.module, False)
        for name, value, site in pairs:
            origin = html.origin(value)
            verdict = "untrusted" if origin is not None else "safe" if html.safe(value) else "unknown"
            span = file.span(site)
            for template in dict.fromkeys(templates):
                yield GivenAssign(clause.module.name, f"{clause.name}/{clause.arity}", template or None, name,
                                  verdict, short(value), origin.describe(text(value)) if origin else None,
                                  span.line, span.column)


def short(node: Node | None, limit: int = 40) -> str:
    """The code of a node on one line, shortened."""
    shown = " ".join(text(node).split())
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."


# -- across files ------------------------------------------------------------------------

Page = tuple[str, str]  # (view or LiveView module, template or function)


def sink_page(project: Project, path: str, sink: HtmlSinkFacts) -> Page | None:
    """The page a template sink is part of: its function in a module, or, for a
    template file, its owner's function of the same name (a LiveView's `render`)."""
    if sink.module is not None:
        return sink.module, sink.page
    owner = project.calls.template_owners.get(path)
    if owner is None:
        return None
    entry = project.modules.get(owner)
    if entry is not None and _LIVE & set(entry[1].kinds):
        return owner, "render"
    return owner, path.rpartition("/")[2].split(".", 1)[0]


def given_pages(given: GivenAssign) -> list[Page]:
    """The pages an assign reaches: a LiveView's `render`, or the template a
    controller renders in its conventional view module (`FooHTML`, `FooView`)."""
    if given.template is None:
        return [(given.module, "render")]
    if not given.module.endswith("Controller"):
        return []
    base = given.module.removesuffix("Controller")
    return [(f"{base}HTML", given.template), (f"{base}View", given.template)]


def assigns_by_page(project: Project) -> dict[Page, dict[str, list[tuple[str, GivenAssign]]]]:
    """Per page, per assign, what handlers give it (with their files)."""
    found: dict[Page, dict[str, list[tuple[str, GivenAssign]]]] = {}
    for path, facts in project.files.items():
        if facts.html is None:
            continue
        for given in facts.html.given:
            for page in given_pages(given):
                found.setdefault(page, {}).setdefault(given.assign, []).append((path, given))
    return found
