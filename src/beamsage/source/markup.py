"""The HTML elements of a template: tags, function components and slots.

Rules about markup (accessibility, `phx-*` bindings) ask the same questions:
which elements are there, with which attributes, inside which parent, with
what text. `Element` answers them in file positions, for `.heex` files,
`~H` sigils and `.eex` files alike.

An EEx file's markup is plain text to the EEx grammar, so it is read with
the HEEx grammar after its `<% %>` tags are blanked (same length, so lines
and columns stay the file's); an attribute whose value held a tag counts as
dynamic.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from bisect import bisect_left
from dataclasses import dataclass, field
from functools import cached_property

from tree_sitter import Node

from .parse import parse
from .syntax import text
from .templates import Template, prepare_markup

_EEX_TAG = re.compile(rb"<%.*?%>", re.DOTALL)
_ELEMENT_NODES = {
    "tag": "html",
    "component": "component",
    "slot": "slot",
}
_OPENINGS = ("start_tag", "self_closing_tag", "start_component", "self_closing_component", "start_slot",
             "self_closing_slot")
_NAMES = ("tag_name", "component_name", "slot_name")
_VALUES = ("quoted_attribute_value", "attribute_value", "expression")
_DYNAMIC_CONTENT = ("expression", "directive")


@dataclass
class Attribute:
    name: str
    value: str | None  # the literal value; None when bare (`disabled`) or dynamic
    dynamic: bool  # `{...}`, or an EEx tag inside the quoted value
    line: int  # 1-based
    code: str | None = None  # the Elixir of a `{...}` value


@dataclass(eq=False)
class Element:
    """One element: `div`, a function component (`.input`, `Core.button`) or a slot (`:actions`)."""

    name: str  # "div" (lowercased), ".input", "MyAppWeb.CoreComponents.button", ":actions"
    kind: str  # "html", "component" or "slot"
    attributes: dict[str, Attribute]
    line: int  # 1-based, of the `<`
    column: int  # 1-based
    start: int  # file byte offsets of the whole element
    end: int
    body_start: int = 0  # file byte offset just after the opening tag
    spread: bool = False  # `{@rest}`-style attributes: anything may be set
    parent: Element | None = None
    children: list[Element] = field(default_factory=list)
    own_text: str = ""  # the element's direct text, whitespace collapsed
    dynamic_content: bool = False  # an expression or EEx tag directly in the body

    def attribute(self, name: str) -> Attribute | None:
        return self.attributes.get(name)

    def has(self, *names: str) -> bool:
        """Whether any of the attributes is set (a spread may set any of them)."""
        return any(name in self.attributes for name in names)

    def value(self, name: str) -> str | None:
        attribute = self.attributes.get(name)
        return attribute.value if attribute is not None else None

    def walk(self) -> Iterator[Element]:
        """This element and every element inside it, in document order."""
        stack = [self]
        while stack:  # a stack, not nested generators: templates nest deep
            element = stack.pop()
            yield element
            stack.extend(reversed(element.children))

    def ancestors(self) -> Iterator[Element]:
        parent = self.parent
        while parent is not None:
            yield parent
            parent = parent.parent

    @property
    def text(self) -> str:
        """All text inside the element, as a reader would see it (whitespace collapsed)."""
        parts = [self.own_text, *(child.text for child in self.children)]
        return " ".join(part for part in parts if part)

    @property
    def renders_content(self) -> bool:
        """Whether the element shows anything inside it: text, an expression, or child elements."""
        return bool(self.own_text or self.dynamic_content or self.children)


def template_elements(template: Template, data: bytes) -> list[Element]:
    """The top-level elements of one template (`walk()` each for all of them)."""
    if template.language == "heex":
        return _Reader(template, data, []).elements(template.tree.root_node.children, None)
    markup = _EEX_TAG.sub(lambda tag: b" " * len(tag.group()), data)
    fixed, inserted = prepare_markup(markup, 0, len(markup))
    shadow = Template(parse("heex", fixed), "heex", [], [], inserted)
    shadow.code = [(tag.start(), tag.end()) for tag in _EEX_TAG.finditer(data)]
    return _Reader(shadow, data, shadow.code).elements(shadow.tree.root_node.children, None)


@dataclass
class _Reader:
    template: Template
    data: bytes
    eex_tags: list[tuple[int, int]]  # blanked EEx tags: dynamic content the markup tree does not show

    def elements(self, children: list[Node], parent: Element | None) -> list[Element]:
        found = []
        for child in children:
            kind = _ELEMENT_NODES.get(child.type)
            if kind is None:
                if child.type in ("fragment", "ERROR"):
                    found += self.elements(child.children, parent)
                continue
            element = self.element(child, kind, parent)
            if element is not None:
                found.append(element)
        return found

    def element(self, node: Node, kind: str, parent: Element | None) -> Element | None:
        children = node.children  # tree-sitter builds this list on each access: read it once
        opening = next((c for c in children if c.type in _OPENINGS), None)
        parts = opening.children if opening is not None else []
        name_node = next((c for c in parts if c.type in _NAMES), None)
        if name_node is None:
            return None
        name = text(name_node)
        start, end = self.template.original(node.start_byte), self.template.original(node.end_byte)
        element = Element(
            name=name.lower() if kind == "html" else (":" + name.lstrip(":") if kind == "slot" else name),
            kind=kind,
            attributes={},
            line=node.start_point[0] + 1,
            column=start - self.data.rfind(b"\n", 0, start),
            start=start,
            end=end,
            body_start=self.template.original(opening.end_byte),
            parent=parent,
        )
        for part in parts:
            if part.type in ("attribute", "special_attribute"):
                attribute = self.attribute(part)
                if attribute is not None:
                    element.attributes.setdefault(attribute.name, attribute)
            elif part.type == "expression":
                element.spread = True
        texts = []
        for child in children:
            if child.type == "text":
                texts.append(" ".join(text(child).split()))
            elif child.type in _DYNAMIC_CONTENT:
                element.dynamic_content = True
        element.own_text = " ".join(part for part in texts if part)
        element.children = self.elements(children, element)
        if self.eex_tags and not element.dynamic_content:
            element.dynamic_content = self._holds_eex_tag(element, element.body_start)
        return element

    def _holds_code(self, start: int, end: int) -> bool:
        """Whether a piece of Elixir overlaps the bytes [start, end): among the pieces starting before `end`,
        the furthest end reaches past `start`."""
        starts, furthest = self._code_index
        index = bisect_left(starts, end) - 1
        return index >= 0 and furthest[index] > start

    @cached_property
    def _code_index(self) -> tuple[list[int], list[int]]:
        """The pieces' starts (sorted) and, for each, the furthest end of the pieces up to it."""
        starts, furthest, reach = [], [], -1
        for code_start, code_end in self.template.code:
            reach = max(reach, code_end)
            starts.append(code_start)
            furthest.append(reach)
        return starts, furthest

    def _holds_eex_tag(self, element: Element, body_start: int) -> bool:
        """Whether an EEx tag sits in the element's body outside its child elements."""
        inside = [(s, e) for s, e in self.eex_tags if body_start <= s and e <= element.end]
        return any(not any(c.start <= s < c.end for c in element.children) for s, _ in inside)

    def attribute(self, node: Node) -> Attribute | None:
        name_node = next((c for c in node.children if c.type in ("attribute_name", "special_attribute_name")), None)
        if name_node is None:
            return None
        value_node = next((c for c in node.children if c.type in _VALUES), None)
        name, line = text(name_node), node.start_point[0] + 1
        if value_node is None:
            return Attribute(name, None, False, line)
        if value_node.type == "expression":
            return Attribute(name, None, True, line, text(value_node)[1:-1].strip())
        start, end = self.template.original(value_node.start_byte), self.template.original(value_node.end_byte)
        if self._holds_code(start, end):
            return Attribute(name, None, True, line)
        raw = text(value_node)
        return Attribute(name, raw[1:-1] if value_node.type == "quoted_attribute_value" else raw, False, line)
