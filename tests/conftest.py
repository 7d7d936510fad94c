"""Shared helpers: run the real CLI in a subprocess, review projects in-process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from beamsage.engine.cache import Cache
from beamsage.engine.config import Config, load_config
from beamsage.engine.pipeline import ReviewResult, review
from beamsage.model.layout import discover

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Every test gets a private cache folder; none touches the user's."""
    monkeypatch.setenv("BEAMSAGE_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None, input: bytes | None = None):
    """Run `python -m beamsage ARGS` for real; returns the CompletedProcess (text)."""
    full_env = {**os.environ, **(env or {})}
    full_env.pop("NO_COLOR", None)
    return subprocess.run(
        [sys.executable, "-m", "beamsage", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def review_project(path: Path, config: Config | None = None, *, cache_dir: Path | None = None,
                   no_project: bool = False, **kwargs) -> ReviewResult:
    layout = discover(path, no_project=no_project)
    return review(layout, config or load_config(layout.root), cache=Cache(cache_dir), **kwargs)


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    """Create files under root; returns root."""
    for rel, content in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    return root
