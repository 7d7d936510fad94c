"""Security.XSS judges `raw(@x)` in a template by what handlers give `x`,
from per-file facts: cached runs agree, and a changed controller changes the
verdict on a template that was not touched."""

from __future__ import annotations

import shutil

from conftest import FIXTURES, review_project, write

from beamsage.engine.config import Config
from beamsage.rules import Confidence

_ALL = Config(min_confidence=Confidence.LOW)
_APP = FIXTURES / "apps" / "security_xss"


def _xss(result) -> list[tuple]:
    return sorted((f.location.path, f.location.line, f.rule, f.confidence.value, f.message)
                  for f in result.findings if f.rule.startswith("Security.XSS"))


def test_cached_review_gives_the_same_findings(tmp_path):
    cache = tmp_path / "cache"
    cold = review_project(_APP, _ALL, cache_dir=cache)
    warm = review_project(_APP, _ALL, cache_dir=cache)
    assert warm.cached > 0
    assert _xss(cold) == _xss(warm)


def test_template_verdict_follows_the_controller(tmp_path):
    project = tmp_path / "app"
    shutil.copytree(_APP, project)
    cache = tmp_path / "cache"
    template = ("lib/app_web/controllers/profile_html/show.html.heex", 2)
    before = {(path, line): confidence for path, line, _, confidence, _ in _xss(review_project(project, _ALL,
                                                                                                 cache_dir=cache))}
    assert before[template] == "high"

    controller = project / "lib/app_web/controllers/profile_controller.ex"
    source = controller.read_text("utf-8").replace("bio: bio,", "bio: HtmlSanitizeEx.basic_html(bio),")
    write(project, {"lib/app_web/controllers/profile_controller.ex": source})
    after = review_project(project, _ALL, cache_dir=cache)
    found = {(path, line) for path, line, *_ in _xss(after)}
    # `preview` gives `bio` a literal, `show` now a sanitised value: nothing left to report.
    assert template not in found
    assert after.cached > 0
