"""The markup model: elements, attributes and text of HEEx, `~H` and EEx templates."""

from beamsage.model.parsed import ParsedFile
from beamsage.source.document import Document, language_for


def elements(path: str, source: str):
    return ParsedFile(Document(path, source.encode(), language_for(path))).elements


def test_heex_elements_attributes_and_text():
    found = elements("lib/app_web/page.html.heex", """
<.table id="t" rows={@rows}>
  <:col :let={r} label="Name">{r.name}</:col>
</.table>
<img src="/logo.png"><br>
<div phx-click="go" {@rest}><span class="hero-x" /> Hello <b>you</b></div>
""")
    by_name = {e.name: e for e in found}
    assert [e.name for e in found] == [".table", ":col", "img", "br", "div", "span", "b"]
    assert by_name[":col"].parent is by_name[".table"] and by_name[":col"].kind == "slot"
    assert by_name[".table"].value("id") == "t" and by_name[".table"].attribute("rows").dynamic
    assert by_name["img"].value("src") == "/logo.png" and not by_name["img"].renders_content
    assert (by_name["br"].line, by_name["br"].column) == (5, 22)  # the slash added to <img> does not shift it
    assert by_name["div"].spread and by_name["div"].text == "Hello you"
    assert by_name[":col"].renders_content and not by_name["span"].renders_content


def test_sigil_elements_are_in_file_positions():
    found = elements("lib/app_web/live/page_live.ex", '''defmodule AppWeb.PageLive do
  use AppWeb, :live_view

  def render(assigns) do
    ~H"""
    <button phx-click="save">Save</button>
    """
  end
end
''')
    assert [(e.name, e.line, e.column, e.text) for e in found] == [("button", 6, 5, "Save")]


def test_eex_markup_is_read_around_its_tags():
    found = elements("lib/app_web/templates/page/index.html.eex", """<div>
<img src="<%= @url %>"><a href="#"><%= @label %></a>
<%= if @x do %><h3>Title</h3><% end %>
</div>
""")
    by_name = {e.name: e for e in found}
    assert by_name["img"].attribute("src").dynamic and by_name["img"].value("src") is None
    assert by_name["a"].renders_content and by_name["a"].text == ""
    assert by_name["h3"].parent is by_name["div"] and by_name["h3"].line == 3
