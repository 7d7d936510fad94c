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


def test_eex_tags_that_complete_their_own_expression_are_not_block_openers():
    # `end`, `do` and `->` inside a tag's own `fn ... end` / `if ... do ... end`
    # must not be read as a block opened or closed across tags.
    from beamsage.source.document import Language

    code = """<%= for x <- Enum.map(@xs, fn y -> y end) do %>
  <li>{x}</li>
<% end %>
<p><%= if @x do 1 else 2 end %></p>
<p><%= Enum.map(@xs, fn y -> y end) %></p>
<td><%= case @unit do
      :ft -> 1
      :m -> 2
    end %></td>
<%= form_for @cs, "#", fn f -> %>
  <%= case f.x do %><% {:ok, y} -> %><b>{y}</b><% _ -> %><i>no</i><% end %>
<% end) %>
<img src="/y.png" />
"""
    file = ParsedFile(Document("lib/app_web/page_html/units.html.heex", code.encode(), Language.HEEX))
    assert file.syntax_issue() is None
    assert [e.name for e in file.elements] == ["li", "p", "p", "td", "b", "i", "img"]
    pieces = [code.encode()[a:b].decode().strip() for t in file.templates for a, b in t.code]
    assert pieces[0] == "for x <- Enum.map(@xs, fn y -> y end) do"  # the grammar's copy is masked, not the code
    assert {(c.line, c.name) for c in file.outline.calls} >= {(1, "map"), (5, "map"), (10, "form_for")}


def test_sigil_with_complete_eex_expressions_parses():
    file = ParsedFile(Document("lib/app_web/live/d_live.ex", b'''defmodule AppWeb.DLive do
  use Phoenix.LiveView
  def render(assigns) do
    ~H"""
    <p><%= if @x do 1 else 2 end %></p>
    <p><%= Enum.map(@xs, fn y -> y end) %></p>
    """
  end
end
''', language_for("lib/app_web/live/d_live.ex")))
    assert file.syntax_issue() is None
    assert [(e.name, e.line) for e in file.elements] == [("p", 5), ("p", 6)]
