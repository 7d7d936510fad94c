"""Output formats for a review: each module has `render(report, color) -> str`."""

from __future__ import annotations

from typing import Callable

from ..report import Report
from . import github, json, markdown, sarif, text

FORMATS: dict[str, Callable[[Report, bool], str]] = {
    "text": text.render,
    "json": json.render,
    "sarif": sarif.render,
    "github": github.render,
    "markdown": markdown.render,
}
