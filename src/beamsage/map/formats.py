"""Renderings of the map (`model.architecture.build_map`): JSON, Markdown, Mermaid and Graphviz DOT.

All show the same content; JSON is the contract (its `schema` field names
the version), Markdown is the overview a new team member reads, with the
Mermaid diagrams inline, and `mermaid`/`dot` print the diagrams alone. The
HTML page, which also needs the review's findings, is in `html.py`.
"""

from __future__ import annotations

from typing import Any, Callable

import msgspec

from .diagrams import all_mermaid, render_dot
from .overview import Bullets, Diagram, Note, Section, Table, overview

Map = dict[str, Any]


def render_json(doc: Map) -> str:
    return msgspec.json.format(msgspec.json.encode(doc), indent=2).decode() + "\n"  # 10x json.dumps on big maps


def render_mermaid(doc: Map) -> str:
    return "\n".join(all_mermaid(doc))


def render_markdown(doc: Map) -> str:
    lines = [f"# {doc['project']['name']}: architecture", ""]
    for section in overview(doc):
        lines += _markdown_section(section)
    return "\n".join(lines).rstrip() + "\n"


def _markdown_section(section: Section) -> list[str]:
    lines = [f"## {section.title}", ""]
    for block in section.blocks:
        if isinstance(block, Bullets):
            lines += [f"- {item}" for item in block.items]
        elif isinstance(block, Note):
            lines.append(block.text)
        elif isinstance(block, Diagram):
            lines += ["```mermaid", block.mermaid.rstrip(), "```"]
        elif isinstance(block, Table):
            lines += _markdown_table(block)
        lines.append("")
    return lines if section.blocks else [*lines, "None found.", ""]


def _markdown_table(table: Table) -> list[str]:
    lines = ["| " + " | ".join(table.header) + " |", "|" + " --- |" * len(table.header)]
    return lines + ["| " + " | ".join(_cell(cell) for cell in row) + " |" for row in table.rows]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>")


FORMATS: dict[str, Callable[[Map], str]] = {"json": render_json, "markdown": render_markdown,
                                            "mermaid": render_mermaid, "dot": render_dot}
