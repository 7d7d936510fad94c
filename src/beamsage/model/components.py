"""What the project's own function components render, and how templates use them.

A template writes `<.input field={@form[:email]} label="Email" />`; whether the
page then has a labelled `<input>` depends on `input/1` in the project's
`core_components.ex`. This module reads each function component's `~H` (and
each `.heex` file `embed_templates` turns into one) as a `Rendering`: the
element the caller's attributes and inner block reach (the one with
`{@rest}`, else the single root), what names it (its own text, `{@label}`),
the form control it renders and which attributes label that control, the
heading its inner block sits in.

Templates record their component uses (`ComponentUse`) with what their own
markup already tells (given attributes, text content, an enclosing
`<label>`); the project phase resolves each use to a definition
(`Components`) and judges the HTML it renders. A use nothing in the project
defines (or several definitions disagree about) resolves to None: rules stay
silent about it. Phoenix's own `<.link>` (an `<a href>`) and `<.form>` are
known without a definition.

The helpers at the end read markup the way assistive technology does: what
gives an element an accessible name, which elements are focusable, which
`phx-click` handlers are the caller's.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

import msgspec

from ..source.markup import Element
from ..source.syntax import Clause, atom_value, text
from ..source.templates import heex_sigil_contents

if TYPE_CHECKING:
    from .parsed import ParsedFile
    from .project import Project

CONTROLS = frozenset({"input", "select", "textarea"})
# Input types that are not fields a person fills in (a button's value names it; hidden shows nothing).
UNLABELLED_INPUT_TYPES = frozenset({"hidden", "submit", "button", "reset", "image"})
NAME_ATTRIBUTES = ("aria-label", "aria-labelledby", "title")
HEADINGS = {f"h{level}": level for level in range(1, 7)}
KEY_HANDLERS = ("phx-keydown", "phx-keyup", "phx-hook", "onkeydown", "onkeyup", "onkeypress")
# Elements that are focusable and operable from the keyboard by themselves.
INTERACTIVE = frozenset({"a", "button", "input", "select", "textarea", "summary", "option", "details", "label",
                         "audio", "video", "iframe", "embed", "object"})
# Components whose names say they render a link, a button or a field (for "has a keyboard alternative").
_INTERACTIVE_COMPONENT = re.compile(r"(?:^|[._])(link|button|input|select|checkbox|toggle|form)\w*$")
_SIMPLE_ASSIGN = re.compile(r"^\s*@([a-z_][a-zA-Z0-9_]*)\s*$")
_INNER_BLOCK = re.compile(r"@inner_block\b|\brender_slot\(\s*@inner_block\b")
_BUILTIN_TARGETS = {".link": "a", ".form": "form", "Phoenix.Component.link": "a", "Phoenix.Component.form": "form"}
_USE_VALUES = ("type", "tabindex", "role")


# -- facts --------------------------------------------------------------------------------


class Rendering(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """One way a component renders: one `~H` of one clause (or a `.heex` file)."""

    target: str  # the tag the caller's attributes and inner block reach ("button", "a", "div"); "" unknown
    rest: bool  # `{@rest}` is on the target: the caller's other attributes reach it
    inner: bool  # the inner block renders inside the target
    text: bool  # the target shows content of its own (text, an expression, something unknown)
    names: tuple[str, ...]  # attributes that, given, name the target (`{@label}` in it, `aria-label={@label}`)
    attrs: tuple[str, ...]  # the attributes the target sets itself
    values: tuple[tuple[str, str], ...]  # ... and their literal values
    control: str  # the form control rendered: "input", "select", "textarea"; "hidden", "" none, "?" several
    control_rest: bool  # `{@rest}` is on that control
    labels: tuple[str, ...]  # attributes whose value labels the control (a `<label>` showing `{@label}`)
    labelled: bool  # the control has a label whatever the caller gives
    heading: int  # the level of the heading the inner block renders in; 0 when none

    def value(self, name: str) -> str | None:
        return next((v for k, v in self.values if k == name), None)


class ComponentFacts(msgspec.Struct, frozen=True, gc=False):
    module: str
    name: str
    line: int
    declared: tuple[str, ...] = ()  # the `attr` names declared for it
    renderings: tuple[Rendering, ...] = ()
    given: tuple[str, ...] = ()  # declared attrs that always have a value (required, or a non-nil default)


class ComponentUse(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """`<.input ...>` or `<Mod.fun ...>` in a template, and what its own markup tells."""

    name: str  # as written: ".input", "CoreComponents.input"
    module: str | None  # the module whose `~H` holds it; None in a template file
    line: int
    column: int
    end_line: int
    end_column: int
    attrs: tuple[str, ...]  # the attributes given
    values: tuple[tuple[str, str], ...]  # literal `type`, `tabindex` and `role` values given
    spread: bool  # `{@rest}`-style attributes: anything may be given
    named: bool  # its content gives a name: text, an expression, a named image
    content: tuple[int, ...]  # the component uses inside its content (indices into `MarkupFacts.uses`)
    labelled: bool  # its place labels it: inside a `<label>`, or a `<label for>` names its id
    click: bool  # a `phx-click` handler of the page's own (not a caller's, not a flash's dismissal)
    interactive: bool  # a link, button or field inside it
    hidden: bool = False  # it or an element around it is hidden (`hidden()`): not in the accessibility tree

    def value(self, name: str) -> str | None:
        return next((v for k, v in self.values if k == name), None)


class NameCheck(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """A `<button>` or `<a href>` whose only possible name is what components inside it render."""

    element: str
    line: int
    column: int
    end_line: int
    end_column: int
    content: tuple[int, ...]  # indices into `MarkupFacts.uses`


class HeadingMark(msgspec.Struct, frozen=True, gc=False, array_like=True):
    level: int  # 1-6, or 0 for a component use (`use`) whose rendering decides
    use: int
    line: int
    column: int
    end_line: int
    end_column: int


class MarkupFacts(msgspec.Struct, frozen=True, gc=False):
    """A file's function components, component uses and heading outlines (`model.components`)."""

    components: tuple[ComponentFacts, ...] = ()
    uses: tuple[ComponentUse, ...] = ()
    names: tuple[NameCheck, ...] = ()
    headings: tuple[tuple[HeadingMark, ...], ...] = ()  # per template, when it has two or more
    rendering: Rendering | None = None  # a `.heex` file: what it renders as an embedded component


# -- reading markup -----------------------------------------------------------------------


def attr_set(element: Element, name: str) -> bool:
    """The attribute is given a value that may be non-empty (dynamic, bare, or non-blank literal)."""
    attribute = element.attributes.get(name)
    return attribute is not None and (attribute.dynamic or attribute.value is None or bool(attribute.value.strip()))


def hidden(element: Element) -> bool:
    """`aria-hidden="true"`, `hidden` or Tailwind's `hidden` class on the element or an ancestor: assistive
    technology skips it (until a script shows it, which the markup does not tell). A component counts too:
    these are global HTML attributes, which a component passes to what it renders (`<.link class="hidden">`)."""
    for node in (element, *element.ancestors()):
        if node.kind == "slot":
            continue
        if (node.value("aria-hidden") or "").lower() == "true" or "hidden" in (node.value("class") or "").split():
            return True
        if node.has("hidden") and not node.attributes["hidden"].dynamic:
            return True
    return False


def caller_handler(element: Element, name: str = "phx-click") -> bool:
    """A handler the component's caller passes in (`phx-click={@on_click}`, `{@row_click && ...}`), or a
    flash's dismissal (`lv:clear-flash`): the page decides, or a mouse shortcut duplicates the keyboard."""
    attribute = element.attributes.get(name)
    if attribute is None:
        return False
    written = attribute.code if attribute.dynamic else attribute.value
    return bool(written) and (written.lstrip().startswith("@") or "lv:clear-flash" in written)


def content_name(element: Element) -> tuple[bool, list[Element]]:
    """Whether an element's content gives it an accessible name (text, an expression, an image with
    `alt`, an element with `aria-label`), and otherwise the component uses whose rendering decides.
    An image without `alt` counts as a name: `A11y.ImageWithoutAlt` reports that image."""
    uses: list[Element] = []
    stack = list(reversed(element.children))
    if element.own_text or element.dynamic_content:
        return True, []
    while stack:
        child = stack.pop()
        if child.kind == "component":
            uses.append(child)
            if child.own_text or child.dynamic_content:
                return True, []  # the inner block of a component most often renders
            stack.extend(reversed(child.children))
            continue
        if child.kind == "html":
            if (child.value("aria-hidden") or "").lower() == "true":
                continue
            if child.spread or any(attr_set(child, n) for n in ("aria-label", "aria-labelledby")):
                return True, []
            if child.name == "img":
                if not child.has("alt") or attr_set(child, "alt"):
                    return True, []
                continue
        if child.own_text or child.dynamic_content:
            return True, []
        stack.extend(reversed(child.children))
    return False, uses


def named_by_attributes(element: Element) -> bool:
    return any(attr_set(element, name) for name in NAME_ATTRIBUTES)


def interactive_inside(element: Element) -> bool:
    """A link, button or field inside the element: a keyboard user can reach what it does there."""
    for inner in element.walk():
        if inner is element:
            continue
        if inner.kind == "html" and (inner.name in INTERACTIVE or inner.has("tabindex")):
            return True
        if inner.kind == "component" and _INTERACTIVE_COMPONENT.search(inner.name):
            return True
    return False


def tag_span(element: Element) -> tuple[int, int]:
    """File byte offsets of `<name` of an element's opening tag."""
    return element.start, element.start + 1 + len(element.name.lstrip(":") if element.kind == "slot"
                                                  else element.name)


def template_roots(file: ParsedFile) -> list[list[Element]]:
    """The top-level elements of each template of the file (`~H` sigils separately)."""
    roots = [e for e in file.elements if e.parent is None]
    if file.tree is None:
        return [roots] if roots else []
    contents = heex_sigil_contents(file.outline.sigils)
    starts = [c.start_byte for c in contents]
    grouped: dict[int, list[Element]] = {}
    for element in roots:
        index = bisect_right(starts, element.start) - 1
        if index >= 0:
            grouped.setdefault(index, []).append(element)
    return [grouped[i] for i in sorted(grouped)]


# -- per-file facts -----------------------------------------------------------------------


def markup_facts(file: ParsedFile) -> MarkupFacts | None:
    """The file's component definitions, component uses, name checks and heading outlines."""
    if not file.templates or not file.runs_in_production or not file.elements:
        return None
    reader = _Reader(file)
    components = reader.components() if file.tree is not None else ()
    uses, names, headings = reader.uses()
    rendering = None
    if file.tree is None and file.doc.language.value == "heex":
        roots = template_roots(file)
        rendering = reader.rendering(roots[0] if roots else [], {})
    if not (components or uses or names or headings or rendering):
        return None
    return MarkupFacts(tuple(components), tuple(uses), tuple(names), tuple(headings), rendering)


class TemplateCode:
    """The Elixir inside a file's templates, by element."""

    def __init__(self, file: ParsedFile):
        self.file = file
        self.data = file.doc.data
        self.codes = sorted(piece for template in file.templates for piece in template.code)
        self.code_starts = [start for start, _ in self.codes]

    def own_code(self, element: Element) -> list[str]:
        """The Elixir of the element's own body (`{@label}`, `<%= render_slot(@inner_block) %>`)."""
        found = []
        index = bisect_right(self.code_starts, element.body_start - 1)
        children = iter(element.children)
        child = next(children, None)
        while index < len(self.codes) and self.codes[index][0] < element.end:
            start, end = self.codes[index]
            while child is not None and child.end <= start:
                child = next(children, None)
            if child is not None and child.start <= start:
                index = bisect_right(self.code_starts, child.end - 1)  # skip the child's own code
                continue
            found.append(self.data[start:end].decode("utf-8", "replace"))
            index += 1
        return found

    def top_code(self, roots: list[Element], template_range: tuple[int, int]) -> list[str]:
        """Code of a template outside any element (`~H"{render_slot(@inner_block)}"`)."""
        low, high = template_range
        return [self.data[s:e].decode("utf-8", "replace") for s, e in self.codes
                if low <= s < high and not any(r.start <= s < r.end for r in roots)]

    def everything(self, element: Element) -> list[str]:
        """The element's own body code and its attributes' code."""
        return self.own_code(element) + [a.code for a in element.attributes.values() if a.code]


class _Reader(TemplateCode):
    # -- component definitions

    def components(self) -> list[ComponentFacts]:
        file = self.file
        contents = heex_sigil_contents(file.outline.sigils)
        if not contents:
            return []
        roots_by_sigil = template_roots(file)
        starts = [c.start_byte for c in contents]
        roots_at = {}
        for roots in roots_by_sigil:
            roots_at[bisect_right(starts, roots[0].start) - 1] = roots
        clauses = [c for c in file.outline.clauses if c.arity == 1 and c.kind in ("def", "defp") and c.module]
        found: dict[tuple[str, str], list[tuple[int, list[Element], tuple[int, int]]]] = {}
        lines: dict[tuple[str, str], int] = {}
        for index, content in enumerate(contents):
            clause = _innermost(clauses, content.start_byte)
            if clause is None or clause.name == "render" and _renders_live(file, clause):
                continue
            key = (clause.module.name, clause.name)
            lines.setdefault(key, clause.line)
            found.setdefault(key, []).append((index, roots_at.get(index, []), (content.start_byte,
                                                                                 content.end_byte)))
        # Two passes: a component's markup may use another of the same module (`<.label>` in `input/1`).
        local: dict[str, tuple[Rendering, ...]] = {}
        for _ in range(2):
            renderings = {key: tuple(r for _, roots, span in sigils if (r := self.rendering(roots, local, span))
                                     is not None) for key, sigils in found.items()}
            local = {f".{name}": value for (module, name), value in renderings.items() if value}
        declared = self.declared()
        found_facts = []
        for (module, name), value in renderings.items():
            attrs = declared.get((module, name), ())
            if value:
                found_facts.append(ComponentFacts(module, name, lines[(module, name)], tuple(a for a, _ in attrs),
                                                  value, tuple(a for a, always in attrs if always)))
        return found_facts

    def declared(self) -> dict[tuple[str, str], tuple[tuple[str, bool], ...]]:
        """`attr :name, ...` declarations for the function defined after them, and whether each always has
        a value (`required: true`, or a default other than nil)."""
        file = self.file
        found: dict[tuple[str, str], list[tuple[str, bool]]] = {}
        pending: dict[str, list[tuple[str, bool]]] = {}
        events = [(c.node.start_byte, "attr", c) for c in file.outline.calls
                  if c.owner is None and c.name == "attr" and c.module is None and c.args and c.module_def]
        events += [(c.node.start_byte, "def", c) for c in file.outline.clauses if c.module is not None]
        for _, kind, item in sorted(events, key=lambda e: e[0]):
            if kind == "attr":
                name = atom_value(item.args[0])
                if name:
                    default, required = item.keyword("default"), item.keyword("required")
                    always = default is not None and text(default) != "nil" or text(required) == "true"
                    pending.setdefault(item.module_def.name, []).append((name, always))
            else:
                names = pending.pop(item.module.name, None)
                if names:
                    found.setdefault((item.module.name, item.name), []).extend(names)
        return {key: tuple(dict.fromkeys(names)) for key, names in found.items()}

    def rendering(self, roots: list[Element], local: dict[str, tuple[Rendering, ...]],
                  span: tuple[int, int] | None = None) -> Rendering | None:
        elements = [e for root in roots for e in root.walk()]
        top = self.top_code(roots, span) if span is not None else []
        if not elements and not top:
            return None
        spread = [e for e in elements if e.spread and e.kind != "slot"]
        target = spread[0] if len(spread) == 1 else roots[0] if len(roots) == 1 and not top else None
        scope = [target] if target is not None else roots
        inner = any(_INNER_BLOCK.search(code) for code in top)
        shown = bool(top) and not inner
        names: set[str] = set()
        heading = 0
        for element in (e for root in scope for e in root.walk()):
            if hidden(element) or element.kind == "slot":
                continue
            codes = self.own_code(element)
            if any(_INNER_BLOCK.search(code) for code in codes):
                inner = True
                heading = next((HEADINGS[a.name] for a in (element, *element.ancestors())
                                if a.kind == "html" and a.name in HEADINGS), heading)
            for code in codes:
                simple = _SIMPLE_ASSIGN.match(code)
                if simple:
                    names.add(simple.group(1))
                elif not _INNER_BLOCK.search(code):
                    shown = True
            if element.own_text or element is not target and element.spread:
                shown = True
            if element.kind == "html" and element.name == "img" and (not element.has("alt") or
                                                                      attr_set(element, "alt")):
                shown = True
            if element.kind == "component" and element is not target and _shows(local.get(element.name)):
                shown = True
        attrs, values = (), ()
        if target is not None:
            attrs = tuple(a for a in target.attributes if not a.startswith(":"))
            values = tuple((k, a.value) for k, a in target.attributes.items() if a.value is not None)
            for name in ("aria-label", "title"):
                attribute = target.attributes.get(name)
                simple = _SIMPLE_ASSIGN.match(attribute.code or "") if attribute is not None else None
                if simple:
                    names.add(simple.group(1))
        control, control_rest, labels, labelled = self.control(elements, local)
        return Rendering(
            target=_target_tag(target, local), rest=target is not None and target.spread, inner=inner, text=shown,
            names=tuple(sorted(names)), attrs=attrs, values=values, control=control, control_rest=control_rest,
            labels=labels, labelled=labelled, heading=heading,
        )

    def control(self, elements: list[Element], local: dict[str, tuple[Rendering, ...]]
                ) -> tuple[str, bool, tuple[str, ...], bool]:
        """The form control a component renders, whether `{@rest}` reaches it, and what labels it."""
        fields = [e for e in elements if e.kind == "html" and e.name in CONTROLS]
        visible = [e for e in fields if not (e.name == "input" and (e.value("type") or "").lower()
                                             in UNLABELLED_INPUT_TYPES)]
        if len(visible) != 1:
            return ("?" if visible else "hidden" if fields else ""), False, (), False
        field = visible[0]
        labels: set[str] = set()
        labelled = False
        for name in NAME_ATTRIBUTES:
            attribute = field.attributes.get(name)
            if attribute is None:
                continue
            simple = _SIMPLE_ASSIGN.match(attribute.code or "")
            if simple:
                labels.add(simple.group(1))
            elif name == "aria-labelledby" or attr_set(field, name):
                labelled = True
        for label in elements:
            if not _is_label(label, local):
                continue
            if not (field in list(label.walk()) or label.has("for") and field.has("id")):
                continue
            for inner in label.walk():
                if inner is field:
                    continue
                if inner.own_text:
                    labelled = True
                for code in self.own_code(inner):
                    simple = _SIMPLE_ASSIGN.match(code)
                    if simple:
                        labels.add(simple.group(1))
                    else:
                        labelled = True  # `{@label || humanize(@field)}`: something shows
        return field.name, field.spread, tuple(sorted(labels)), labelled

    # -- uses in templates

    def uses(self) -> tuple[list[ComponentUse], list[NameCheck], list[tuple[HeadingMark, ...]]]:
        file = self.file
        elements = file.elements
        index_of = {id(e): i for i, e in enumerate(e for e in elements if e.kind == "component")}
        labels_for = {e.value("for") for e in elements if e.kind == "html" and e.name == "label"}
        dynamic_for = any(e.attributes["for"].dynamic for e in elements
                          if e.kind == "html" and e.name == "label" and e.has("for"))
        uses, names = [], []
        for element in elements:
            if element.kind == "component":
                uses.append(self.use(element, index_of, labels_for, dynamic_for))
            elif element.kind == "html" and element.name in ("button", "a") and not element.spread \
                    and (element.name == "button" or element.has("href")) and not named_by_attributes(element) \
                    and not hidden(element):
                named, inside = content_name(element)
                if not named and inside:
                    names.append(NameCheck(element.name, *self.span(element),
                                           tuple(index_of[id(u)] for u in inside)))
        headings = []
        for roots in template_roots(file):
            marks = []
            for element in (e for root in roots for e in root.walk()):
                if element.kind == "html" and element.name in HEADINGS:
                    marks.append(HeadingMark(HEADINGS[element.name], -1, *self.span(element)))
                elif element.kind == "component":
                    marks.append(HeadingMark(0, index_of[id(element)], *self.span(element)))
            if sum(1 for m in marks if m.level) and len(marks) >= 2:
                headings.append(tuple(marks))
        return uses, names, headings

    def use(self, element: Element, index_of: dict[int, int], labels_for: set, dynamic_for: bool) -> ComponentUse:
        named, inside = content_name(element)
        module = self.file.outline.module_at(element.start) if self.file.tree is not None else None
        ident = element.attributes.get("id")
        labelled = any(a.kind == "html" and a.name == "label" or a.name == ".label" for a in element.ancestors())
        if ident is not None:
            labelled = labelled or (dynamic_for if ident.dynamic else ident.value in labels_for)
        return ComponentUse(
            element.name, module.name if module is not None else None, *self.span(element),
            attrs=tuple(a for a in element.attributes if not a.startswith(":")),
            values=tuple((k, v) for k in _USE_VALUES if (v := element.value(k)) is not None),
            spread=element.spread, named=named, content=tuple(index_of[id(u)] for u in inside),
            labelled=labelled, click=element.has("phx-click") and not caller_handler(element),
            interactive=interactive_inside(element), hidden=hidden(element),
        )

    def span(self, element: Element) -> tuple[int, int, int, int]:
        span = self.file.doc.span_of_bytes(*tag_span(element))
        return span.line, span.column, span.end_line, span.end_column


def enclosing_function(file: ParsedFile, offset: int) -> Clause | None:
    """The function clause whose body holds a file offset (a `~H` in it)."""
    return _innermost(file.outline.clauses, offset)


def _innermost(clauses: list[Clause], offset: int) -> Clause | None:
    found = None
    for clause in clauses:
        if clause.node.start_byte <= offset < clause.node.end_byte:
            if found is None or clause.node.start_byte >= found.node.start_byte:
                found = clause
    return found


def _renders_live(file: ParsedFile, clause: Clause) -> bool:
    return bool({"live_view", "live_component"} & set(file.kinds_of(clause.module)))


def _target_tag(target: Element | None, local: dict[str, tuple[Rendering, ...]]) -> str:
    if target is None:
        return ""
    if target.kind == "html":
        return target.name
    if target.name in _BUILTIN_TARGETS:
        return _BUILTIN_TARGETS[target.name]
    tags = {r.target for r in local.get(target.name, ())}
    return tags.pop() if len(tags) == 1 else ""


def _shows(renderings: tuple[Rendering, ...] | None) -> bool:
    """A component used inside another's markup shows something (unknown ones are assumed to)."""
    if not renderings:
        return True
    return any(r.text or r.names for r in renderings)


def _is_label(element: Element, local: dict[str, tuple[Rendering, ...]]) -> bool:
    if element.kind == "html":
        return element.name == "label"
    if element.kind == "component":
        return element.name == ".label" or any(r.target == "label" for r in local.get(element.name, ()))
    return False


# -- across the project -------------------------------------------------------------------

_LINK = ComponentFacts("Phoenix.Component", "link", 0, (), (Rendering(
    "a", True, True, False, (), ("href",), (), "", False, (), False, 0),))
_FORM = ComponentFacts("Phoenix.Component", "form", 0, (), (Rendering(
    "form", True, True, False, (), (), (), "", False, (), False, 0),))
_BUILTINS = {"link": _LINK, "form": _FORM}


class Components:
    """The project's function components, and what a use of one renders."""

    def __init__(self, project: Project):
        self.project = project
        self.defined: dict[tuple[str, str], ComponentFacts] = {}
        self.by_name: dict[str, list[ComponentFacts]] = {}
        self.uses: dict[str, tuple[ComponentUse, ...]] = {}
        owners = None
        for path, facts in project.files.items():
            markup = facts.markup
            if markup is None:
                continue
            for component in markup.components:
                self._add(component)
            if markup.uses:
                self.uses[path] = markup.uses
            if markup.rendering is not None:
                owners = owners if owners is not None else project.calls.template_owners
                owner = owners.get(path)
                if owner is not None:
                    name = path.rpartition("/")[2].split(".", 1)[0]
                    self._add(ComponentFacts(owner, name, 1, (), (markup.rendering,)))

    def _add(self, component: ComponentFacts) -> None:
        key = (component.module, component.name)
        if key not in self.defined:
            self.defined[key] = component
            self.by_name.setdefault(component.name, []).append(component)

    def owner(self, path: str, use: ComponentUse) -> str | None:
        return use.module or self.project.calls.template_owners.get(path)

    def resolve(self, path: str, use: ComponentUse) -> ComponentFacts | None:
        """The definition a use renders, or None when the project does not tell it for sure."""
        module = self.owner(path, use)
        if use.name.startswith("."):
            name = use.name[1:]
            if module is not None:
                if (module, name) in self.defined:
                    return self.defined[(module, name)]
                if self._defines(module, name):
                    return None  # the page's own function, not read as a component
                entry = self.project.modules.get(module)
                for imported in entry[1].imports if entry is not None else ():
                    if (imported, name) in self.defined:
                        return self.defined[(imported, name)]
            return self._unique(self.by_name.get(name, []), _BUILTINS.get(name))
        target_module, _, name = use.name.rpartition(".")
        if target_module == "Phoenix.Component":
            return _BUILTINS.get(name)
        if module is not None:
            target_module = self.project.calls.expand(module, target_module)
        candidates = [c for c in self.by_name.get(name, [])
                      if c.module == target_module or c.module.endswith("." + target_module)]
        return self._unique(candidates, None)

    def _defines(self, module: str, name: str) -> bool:
        entry = self.project.modules.get(module)
        return entry is not None and any(f.name == name and f.arity == 1 for f in entry[1].functions)

    @staticmethod
    def _unique(candidates: list[ComponentFacts], builtin: ComponentFacts | None) -> ComponentFacts | None:
        if not candidates:
            return builtin
        if all(c.renderings == candidates[0].renderings for c in candidates):
            return candidates[0]
        core = [c for c in candidates if c.module.endswith("CoreComponents")]
        return core[0] if len(core) == 1 else None

    # -- what a use renders

    def named(self, path: str, use: ComponentUse, depth: int = 0) -> bool:
        """Whether the element a use renders gets an accessible name; unknown components are assumed to."""
        component = self.resolve(path, use)
        if component is None or use.spread or depth > 8:
            return True
        given = set(use.attrs) - set(component.declared)
        for rendering in component.renderings:
            if rendering.text or any(a in use.attrs or a in component.given for a in rendering.names):
                return True
            if any(a in rendering.attrs for a in NAME_ATTRIBUTES):
                return True
            if rendering.rest and given & set(NAME_ATTRIBUTES):
                return True
            if rendering.inner and (use.named or self.content_named(path, use, depth)):
                return True
        return False

    def content_named(self, path: str, use: ComponentUse, depth: int = 0) -> bool:
        uses = self.uses.get(path, ())
        return any(self.named(path, uses[i], depth + 1) for i in use.content if i < len(uses))

    def uses_named(self, path: str, indices: Iterable[int]) -> bool:
        uses = self.uses.get(path, ())
        return any(self.named(path, uses[i]) for i in indices if i < len(uses))

    def heading(self, path: str, use: ComponentUse) -> int:
        component = self.resolve(path, use)
        if component is None or not component.renderings:
            return 0
        levels = {r.heading for r in component.renderings}
        return levels.pop() if len(levels) == 1 else 0

    def all_uses(self) -> Iterator[tuple[str, ComponentUse]]:
        for path, uses in self.uses.items():
            for use in uses:
                yield path, use


_LAST: list[tuple[Project, Components]] = []


def components(project: Project) -> Components:
    """The project's components, built once per project (every A11y rule's project phase asks)."""
    if _LAST and _LAST[0][0] is project:
        return _LAST[0][1]
    built = Components(project)
    _LAST[:] = [(project, built)]
    return built


def code_text(element: Element, name: str) -> str:
    """An attribute as written: its literal value or its `{...}` code."""
    attribute = element.attributes.get(name)
    if attribute is None:
        return ""
    return (attribute.code if attribute.dynamic else attribute.value) or ""
