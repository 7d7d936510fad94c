"""The A11y rules and the component model they judge function components with.

Fixture apps: `a11y` (annotated positive and must-not-flag cases for every
rule), `a11y_phx_new` (what `mix phx.new` 1.7 and `phx.gen.live` generate) and
`a11y_phx_new18` (the Phoenix 1.8 generator's output).
"""

from __future__ import annotations

from beamsage.engine.config import Config
from beamsage.model.components import markup_facts
from beamsage.model.parsed import ParsedFile
from beamsage.rules import Confidence
from beamsage.source.document import Document, language_for

from conftest import FIXTURES, review_project, write

_ALL = Config(min_confidence=Confidence.LOW)


def _a11y(root, config=_ALL, **kwargs):
    result = review_project(root, config, **kwargs)
    return {(f.location.path, f.location.line, f.rule, f.confidence.value) for f in result.findings
            if f.rule.startswith("A11y.")}


def _markup(path: str, source: str):
    return markup_facts(ParsedFile(Document(path, source.encode(), language_for(path))))


def _components(path: str, source: str):
    return {c.name: c for c in _markup(path, source).components}


def test_phx_new_17_app_only_gets_the_logo_advice():
    """Generated 1.7 code: labelled `.input`s, `.table` row clicks (the caller's `row_click`), flashes with
    `role="alert"`, the modal's named close button. Only the layout's logo `<img>` lacks `alt` (low: an asset)."""
    root = FIXTURES / "apps" / "a11y_phx_new"
    assert _a11y(root) == {("lib/blog_web/components/layouts/app.html.heex", 5, "A11y.ImageWithoutAlt", "low")}
    assert _a11y(root, Config()) == set()


def test_phx_new_18_app_shows_the_generators_unnamed_icon_buttons():
    """Phoenix 1.8's generator ships icon-only buttons with no accessible name: the theme toggle's three
    buttons and gen.live's back button on show pages. They fail WCAG 4.1.2 and are reported; everything else
    it generates (inputs in `<label>`, `<.button navigate>` with text, hidden inputs) is not."""
    root = FIXTURES / "apps" / "a11y_phx_new18"
    assert _a11y(root) == {
        ("lib/notes_web/components/layouts.ex", 19, "A11y.ImageWithoutAlt", "low"),
        ("lib/notes_web/components/layouts.ex", 84, "A11y.EmptyButtonOrLink", "medium"),
        ("lib/notes_web/components/layouts.ex", 92, "A11y.EmptyButtonOrLink", "medium"),
        ("lib/notes_web/components/layouts.ex", 100, "A11y.EmptyButtonOrLink", "medium"),
        ("lib/notes_web/live/note_live/show.ex", 12, "A11y.EmptyButtonOrLink", "medium"),
    }


def test_generated_input_is_read_from_core_components():
    source = (FIXTURES / "apps" / "a11y_phx_new" / "lib/blog_web/components/core_components.ex").read_text()
    found = _components("lib/blog_web/components/core_components.ex", source)
    input_ = found["input"]
    # checkbox (a wrapping <label> showing {@label}), select/textarea/default (`<.label for={@id}>{@label}`)
    assert [r.control for r in input_.renderings] == ["input", "select", "textarea", "input"]
    assert all(r.labels == ("label",) and r.control_rest and not r.labelled for r in input_.renderings)
    assert "label" in input_.declared and "rest" in input_.declared
    button = found["button"].renderings[0]
    assert (button.target, button.rest, button.inner, button.text) == ("button", True, True, False)
    icon = found["icon"].renderings[0]
    assert (icon.target, icon.text, icon.inner, icon.names) == ("span", False, False, ())
    assert found["header"].renderings[0].heading == 1
    flash = found["flash"].renderings[0]
    assert flash.target == "div" and flash.value("role") == "alert" and flash.text


def test_phx_new_18_button_renders_a_link_or_a_button():
    source = (FIXTURES / "apps" / "a11y_phx_new18" / "lib/notes_web/components/core_components.ex").read_text()
    found = _components("lib/notes_web/components/core_components.ex", source)
    assert [(r.target, r.rest, r.inner) for r in found["button"].renderings] == [("a", True, True),
                                                                                ("button", True, True)]
    # the hidden-input clause renders no field to label
    assert [r.control for r in found["input"].renderings] == ["hidden", "input", "select", "textarea", "input"]


_CORE = '''defmodule App.CoreComponents do
  use Phoenix.Component

  attr :label, :string, default: nil
  attr :rest, :global

  def input(assigns) do
    ~H"""
    <label>{@label}<input type="text" {@rest} /></label>
    """
  end

  def icon(assigns) do
    ~H"""
    <span class={@name} />
    """
  end
end
'''
_PAGE = '''<.input name="q" />
<button type="button"><.icon name="hero-x-mark" /></button>
'''


def test_uses_are_judged_by_the_definition_they_resolve_to(tmp_path):
    root = write(tmp_path, {"mix.exs": "defmodule App.MixProject do\nend\n",
                            "lib/app_web/components/core_components.ex": _CORE,
                            "lib/app_web/controllers/page_html/home.html.heex": _PAGE})
    assert _a11y(root) == {("lib/app_web/controllers/page_html/home.html.heex", 1, "A11y.UnlabelledFormControl",
                            "medium"),
                           ("lib/app_web/controllers/page_html/home.html.heex", 2, "A11y.EmptyButtonOrLink",
                            "medium")}


def test_a_changed_component_changes_findings_in_cached_templates(tmp_path):
    """Component judgements are made in the project phase: an unchanged (cached) template is judged again
    when core_components.ex changes."""
    cache = tmp_path / "cache"
    root = write(tmp_path / "app", {"mix.exs": "defmodule App.MixProject do\nend\n",
                                    "lib/app_web/components/core_components.ex": _CORE,
                                    "lib/app_web/controllers/page_html/home.html.heex": _PAGE})
    assert len(_a11y(root, cache_dir=cache)) == 2
    named = _CORE.replace('<span class={@name} />', '<span class={@name} aria-hidden="true" />\n    {@name}')
    write(root, {"lib/app_web/components/core_components.ex": named})
    assert {rule for _, _, rule, _ in _a11y(root, cache_dir=cache)} == {"A11y.UnlabelledFormControl"}


def test_disagreeing_definitions_and_unknown_components_stay_silent(tmp_path):
    other = _CORE.replace("App.CoreComponents", "App.Admin.Widgets").replace(
        '<label>{@label}<input type="text" {@rest} /></label>', '<input type="text" aria-label="Search" {@rest} />')
    root = write(tmp_path, {"mix.exs": "defmodule App.MixProject do\nend\n",
                            "lib/app_web/components/core_components.ex": _CORE.replace("CoreComponents", "Forms"),
                            "lib/app_web/components/widgets.ex": other,
                            "lib/app_web/controllers/page_html/home.html.heex":
                                '<.input name="q" />\n<.mystery_input name="x" />\n<button><.glyph /></button>\n'})
    assert _a11y(root) == set()


def test_a_pages_own_component_wins_over_core_components(tmp_path):
    page = '''defmodule AppWeb.PageLive do
  use Phoenix.LiveView

  def render(assigns) do
    ~H"""
    <.input name="q" />
    """
  end

  defp input(assigns) do
    ~H"""
    <input type="search" name="q" aria-label="Search" />
    """
  end
end
'''
    root = write(tmp_path, {"mix.exs": "defmodule App.MixProject do\nend\n",
                            "lib/app_web/components/core_components.ex": _CORE,
                            "lib/app_web/live/page_live.ex": page})
    assert _a11y(root) == set()


def test_remote_components_resolve_through_aliases(tmp_path):
    page = '''defmodule AppWeb.PageLive do
  use Phoenix.LiveView
  alias App.CoreComponents, as: UI

  def render(assigns) do
    ~H"""
    <UI.input name="q" />
    <App.CoreComponents.input name="q" label="Search" />
    """
  end
end
'''
    root = write(tmp_path, {"mix.exs": "defmodule App.MixProject do\nend\n",
                            "lib/app_web/components/core_components.ex": _CORE,
                            "lib/app_web/live/page_live.ex": page})
    assert _a11y(root) == {("lib/app_web/live/page_live.ex", 7, "A11y.UnlabelledFormControl", "medium")}


def test_embedded_template_components_are_read_from_their_files(tmp_path):
    root = write(tmp_path, {"mix.exs": "defmodule App.MixProject do\nend\n",
                            "lib/app_web/components/ui.ex": "defmodule AppWeb.UI do\n  use Phoenix.Component\n"
                                                            "  embed_templates \"ui/*\"\nend\n",
                            "lib/app_web/components/ui/badge_icon.html.heex": '<span class={@name} {@rest} />\n',
                            "lib/app_web/components/ui/page.html.heex":
                                '<button type="button"><.badge_icon name="hero-bell" /></button>\n'})
    assert _a11y(root) == {("lib/app_web/components/ui/page.html.heex", 1, "A11y.EmptyButtonOrLink", "medium")}


def test_bad_markup_never_raises():
    for source in ('<div phx-click="x"', "<.input", "<button><.icon</button>", "<img alt=>", "<h2><h4></h2>",
                   "<%= if @x do %><a></a><% end", "<html><.flash {@rest} /></html"):
        for path in ("lib/app_web/page.html.heex", "lib/app_web/page.html.eex"):
            ParsedFile(Document(path, source.encode(), language_for(path))).facts()

