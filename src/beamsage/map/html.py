"""The map as one self-contained HTML page: the overview, its diagrams drawn, the review's findings linked.

The page needs no network to view: Mermaid (MIT, vendored gzipped in
`vendor/`) is inlined and draws the diagrams in the browser. Every table row
that comes from a source file links to that file's findings, and each file's
findings link back to the rows it appears in.
"""

from __future__ import annotations

import gzip
import html
import re
from functools import cache
from importlib import resources
from typing import Any

from .overview import Bullets, Diagram, Note, Section, Table, overview

Map = dict[str, Any]
_SEVERITIES = ("error", "warning", "info")


def render_html(doc: Map, findings: list[Map]) -> str:
    """`findings` are the review's findings as its JSON format writes them (rule, severity, path, line...)."""
    by_file: dict[str, list[Map]] = {}
    for finding in findings:
        by_file.setdefault(finding["path"], []).append(finding)
    sections = overview(doc)
    rows = _rows_by_home(sections)
    name = html.escape(doc["project"]["name"])
    body = [f"<h1>{name}: architecture</h1>", _summary(findings, len(by_file)), _nav(sections)]
    body += [_section(section, by_file) for section in sections]
    body.append(_findings(by_file, rows))
    return _PAGE.format(title=f"{name}: architecture", style=_STYLE, body="\n".join(body), mermaid=_mermaid_js())


def _summary(findings: list[Map], files: int) -> str:
    if not findings:
        return '<p class="summary">No review findings.</p>'
    counts = [f'<span class="sev {s}">{n} {s}</span>' for s in _SEVERITIES
              if (n := sum(1 for f in findings if f["severity"] == s))]
    return (f'<p class="summary"><a href="#findings">{len(findings)} review finding(s)</a> in {files} file(s): '
            + " ".join(counts) + "</p>")


def _nav(sections: list[Section]) -> str:
    links = [f'<a href="#{_slug(s.title)}">{html.escape(s.title)}</a>' for s in sections]
    return "<nav>" + " · ".join([*links, '<a href="#findings">Findings</a>']) + "</nav>"


def _section(section: Section, by_file: dict[str, list[Map]]) -> str:
    parts = [f'<section id="{_slug(section.title)}"><h2>{html.escape(section.title)}</h2>']
    for index, block in enumerate(section.blocks):
        if isinstance(block, Bullets):
            parts.append("<ul>" + "".join(f"<li>{_inline(item)}</li>" for item in block.items) + "</ul>")
        elif isinstance(block, Note):
            parts.append(f"<p>{_inline(block.text)}</p>")
        elif isinstance(block, Diagram):
            parts.append(f'<pre class="mermaid">{html.escape(block.mermaid)}</pre>')
        elif isinstance(block, Table):
            parts.append(_table(block, f"{_slug(section.title)}-{index}", by_file))
    if not section.blocks:
        parts.append("<p>None found.</p>")
    return "\n".join([*parts, "</section>"])


def _table(table: Table, prefix: str, by_file: dict[str, list[Map]]) -> str:
    linked = bool(by_file) and any(table.homes)
    header = "".join(f"<th>{html.escape(h)}</th>" for h in [*table.header, *(["Findings"] if linked else [])])
    rows = []
    for number, (cells, home) in enumerate(zip(table.rows, table.homes), 1):
        tds = "".join(f"<td>{_inline(cell)}</td>" for cell in cells)
        if linked:
            count = len(by_file.get(home or "", ()))
            tds += f'<td><a href="#{_file_id(home)}">{count}</a></td>' if count else "<td></td>"
        rows.append(f'<tr id="{prefix}-{number}">{tds}</tr>')
    return f"<table><thead><tr>{header}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _rows_by_home(sections: list[Section]) -> dict[str, list[tuple[str, str]]]:
    """Per source file, the map rows it appears in: (row id, label), for the findings' back-links."""
    found: dict[str, list[tuple[str, str]]] = {}
    for section in sections:
        for index, block in enumerate(section.blocks):
            if not isinstance(block, Table):
                continue
            for number, (cells, home) in enumerate(zip(block.rows, block.homes), 1):
                if home:
                    label = f"{section.title}: {cells[0].strip('`')}"
                    found.setdefault(home, []).append((f"{_slug(section.title)}-{index}-{number}", label))
    return found


def _findings(by_file: dict[str, list[Map]], rows: dict[str, list[tuple[str, str]]]) -> str:
    parts = ['<section id="findings"><h2>Findings</h2>']
    if not by_file:
        parts.append("<p>The review found nothing to report.</p>")
    for path in sorted(by_file):
        back = ", ".join(f'<a href="#{row}">{html.escape(label)}</a>' for row, label in rows.get(path, ()))
        parts.append(f'<h3 id="{_file_id(path)}">{html.escape(path)}</h3>')
        if back:
            parts.append(f'<p class="back">In the map: {back}</p>')
        items = [f'<li><span class="sev {f["severity"]}">{f["severity"]}</span> <code>{html.escape(f["rule"])}</code>'
                 f' line {f["line"]}: {_inline(f["message"])}'
                 + (f'<br><span class="fix">Fix: {_inline(f["fix"])}</span>' if f.get("fix") else "") + "</li>"
                 for f in sorted(by_file[path], key=lambda f: f["line"])]
        parts.append("<ul>" + "".join(items) + "</ul>")
    return "\n".join([*parts, "</section>"])


_CODE = re.compile(r"`([^`]+)`")


def _inline(text: str) -> str:
    """Backticks become <code>, newlines <br>; everything else is escaped."""
    return _CODE.sub(r"<code>\1</code>", html.escape(text)).replace("\n", "<br>")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _file_id(path: str | None) -> str:
    return "file-" + _slug(path or "")


@cache
def _mermaid_js() -> str:
    """The vendored Mermaid, made safe to inline: no `</script` or `<!--` can end or confuse the script element."""
    packed = resources.files(__package__).joinpath("vendor/mermaid.min.js.gz").read_bytes()
    source = gzip.decompress(packed).decode("utf-8")
    # `\x3C` is `<` inside the string and regex literals where these sequences occur.
    return source.replace("</script", "\\x3C/script").replace("<!--", "\\x3C!--").replace("<script", "\\x3Cscript")


_STYLE = """
body { font: 15px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 1200px; padding: 0 1rem; color: #1f2328; }
nav { position: sticky; top: 0; background: #fff; padding: .5rem 0; border-bottom: 1px solid #d0d7de; }
table { border-collapse: collapse; margin: .5rem 0 1rem; width: 100%; }
th, td { border: 1px solid #d0d7de; padding: .25rem .5rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
tr:target, h3:target { background: #fff8c5; }
code { background: #f6f8fa; padding: 0 .2rem; border-radius: 3px; }
pre.mermaid { background: #fafbfc; border: 1px solid #d0d7de; padding: 1rem; overflow-x: auto; }
.sev { border-radius: 3px; padding: 0 .3rem; color: #fff; font-size: 85%; }
.fix { color: #57606a; }
.sev.error { background: #cf222e; } .sev.warning { background: #9a6700; } .sev.info { background: #0969da; }
"""

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="beamsage map">
<title>{title}</title>
<style>{style}</style>
</head>
<body data-diagrams="pending">
{body}
<script>{mermaid}</script>
<script>
mermaid.initialize({{startOnLoad: false, securityLevel: "strict", maxTextSize: 10000000, maxEdges: 100000}});
mermaid.run({{querySelector: "pre.mermaid"}})
  .then(() => document.body.setAttribute("data-diagrams", "rendered"))
  .catch((error) => document.body.setAttribute("data-diagrams", "failed: " + error));
</script>
</body>
</html>
"""
