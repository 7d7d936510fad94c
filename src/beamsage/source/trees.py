"""Every tree of a source file: its own language's and the languages inside it.

An `.ex` file is Elixir, plus HEEx in each `~H` sigil, plus the Elixir inside
that HEEx; a `.heex`/`.eex` file is markup plus the Elixir inside it. This is
all the tree-sitter parsing a file needs; everything else walks these trees.
"""

from __future__ import annotations

from dataclasses import dataclass

from tree_sitter import Tree

from .document import Document, Language
from .parse import parse, query
from .templates import Template, heex_sigil_contents, parse_embedded_elixir


@dataclass
class SourceTrees:
    tree: Tree | None  # the Elixir tree of an .ex/.exs file; None for templates
    templates: list[Template]  # the file itself, or its ~H sigils
    embedded: Tree | None  # the Elixir inside the templates, in file positions


def parse_document(doc: Document) -> SourceTrees:
    tree = None
    if doc.language is Language.ELIXIR:
        tree = parse("elixir", doc.data)
        sigils = query("elixir", "(sigil) @s").captures(tree.root_node).get("s", []) if b"~H" in doc.data else []
        templates = [Template.parse_sigil(doc.data, content) for content in heex_sigil_contents(sigils)]
    else:
        templates = [Template.parse_file(doc.language.value, doc.data)]
    code = [piece for template in templates for piece in template.code]
    return SourceTrees(tree, templates, parse_embedded_elixir(doc.data, code))
