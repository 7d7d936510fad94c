"""The syntax helper layer: calls resolved, pipes normalised, clauses, templates."""

from __future__ import annotations

from beamsage.model.parsed import ParsedFile
from beamsage.source.document import Document, Language
from beamsage.source.parse import parse
from beamsage.source.syntax import Outline, is_constant


def outline(code: str) -> Outline:
    return Outline.build(parse("elixir", code.encode()))


def parsed(path: str, code: str, language: Language = Language.ELIXIR) -> ParsedFile:
    return ParsedFile(Document(path, code.encode(), language))


def calls(code: str) -> list[tuple]:
    return [(c.line, c.module, c.name, c.arity) for c in outline(code).calls]


def test_alias_forms_resolve_call_modules():
    code = """
defmodule MyApp.Accounts do
  alias MyApp.Repo
  alias MyApp.Accounts.{User, Token}
  alias MyApp.Mailer, as: M
  alias __MODULE__.Policy
  def f(u) do
    Repo.get(User, u)
    Token.build(u)
    M.deliver(u)
    Policy.check(u)
    __MODULE__.g()
    :crypto.strong_rand_bytes(16)
    Enum.map([], & &1)
  end
  def g, do: :ok
end
"""
    found = {(module, name) for _, module, name, _ in calls(code)}
    assert {
        ("MyApp.Repo", "get"),
        ("MyApp.Accounts.Token", "build"),
        ("MyApp.Mailer", "deliver"),
        ("MyApp.Accounts.Policy", "check"),
        ("MyApp.Accounts", "g"),
        (":crypto", "strong_rand_bytes"),
        ("Enum", "map"),
    } <= found


def test_nested_modules_are_named_and_aliased():
    code = """
defmodule Outer do
  defmodule Inner do
    def run, do: :ok
  end
  def call, do: Inner.run()
end
"""
    o = outline(code)
    assert [m.name for m in o.modules] == ["Outer", "Outer.Inner"]
    assert ("Outer.Inner", "run") in {(c.module, c.name) for c in o.calls}
    assert [c.qualified_name for c in o.clauses] == ["Outer.Inner.run/0", "Outer.call/0"]


def test_pipes_are_normalised_to_plain_calls():
    code = """
defmodule P do
  def f(x), do: x |> String.trim() |> String.split(",", trim: true)
end
"""
    o = outline(code)
    trim = next(c for c in o.calls if c.name == "trim")
    split = next(c for c in o.calls if c.name == "split")
    assert (trim.arity, trim.piped, trim.args[0].text) == (1, True, b"x")
    assert (split.arity, split.piped, split.args[0].text) == (3, True, b"x |> String.trim()")
    assert split.keyword("trim").text == b"true"


def test_captures_and_field_access():
    code = """
defmodule C do
  def f(list, user), do: {Enum.map(list, &String.to_atom/1), user.name, user.name()}
end
"""
    o = outline(code)
    capture = next(c for c in o.calls if c.name == "to_atom")
    assert capture.capture and capture.arity == 1 and capture.module == "String"
    # `user.name` reads a field; `user.name()` is a dynamic call.
    names = [(c.module, c.name) for c in o.calls if c.name == "name"]
    assert names == [(None, "name")]


def test_imports_with_only_resolve_local_calls():
    code = """
defmodule Q do
  import Ecto.Query, only: [from: 2]
  def f, do: from(p in "posts", select: p.id)
  def g, do: where(1, 2)
end
"""
    found = {(name, module) for _, module, name, _ in calls(code)}
    assert ("from", "Ecto.Query") in found and ("where", None) in found


def test_clauses_params_guards_defaults_and_bodies():
    code = """
defmodule D do
  def a(x, y \\\\ 2) when is_integer(x), do: x + y
  defp b(%{"k" => v} = params) do
    {v, params}
  end
  defmacro c(ast), do: ast
  @spec e(integer()) :: integer()
  def e(n), do: n
end
"""
    o = outline(code)
    a, b, c, e = o.clauses
    assert (a.name, a.arity, a.min_arity, a.public, a.guard.text) == ("a", 2, 1, True, b"is_integer(x)")
    assert (b.kind, b.public, b.body.type) == ("defp", False, "do_block")
    assert c.kind == "defmacro"
    # Typespecs are types, not calls; guards are calls.
    assert not any(call.name in ("e", "integer") for call in o.calls)
    assert any(call.name == "is_integer" for call in o.calls)


def test_compile_time_quote_and_macro_code_is_not_runtime():
    code = """
defmodule M do
  Module.register_attribute(__MODULE__, :x, [])
  def run, do: String.upcase("a")
  defmacro m(x), do: quote(do: String.downcase(unquote(x)))
  defmacro n(x), do: String.to_atom(x)
end
"""
    runtime = {c.name: c.runs_at_runtime for c in outline(code).calls}
    assert runtime["upcase"] is True
    assert runtime["register_attribute"] is False
    assert runtime["downcase"] is False
    assert runtime["to_atom"] is False


def test_uses_behaviours_and_attributes():
    code = """
defmodule ShopWeb.PageController do
  use ShopWeb, :controller
  @behaviour Plug
  @impl true
  def init(o), do: o
end
"""
    module = outline(code).modules[0]
    assert [(u.module, u.argument) for u in module.uses] == [("ShopWeb", ":controller")]
    assert module.behaviours == ["Plug"]
    assert "impl" in module.attributes


def test_is_constant():
    o = outline('def f(x), do: {"a", :b, 1, [c: 2], @attr, "x" <> "y", "#{x}", x, ~s(a), <<1, 2>>}')
    tuple_ = o.clauses[0].body
    values = [is_constant(n) for n in tuple_.named_children]
    assert values == [True, True, True, True, True, True, False, False, True, True]


def test_heex_template_code_keeps_file_positions():
    code = """<h1>{@title}</h1>
<ul>
  <li :for={item <- @items}>
    {String.to_atom(item.kind)}
  </li>
</ul>
<%= for x <- @xs do %>
  <%= raw(x) %>
<% end %>
"""
    file = parsed("lib/app_web/page_html/index.html.heex", code, Language.HEEX)
    found = {(c.line, c.module, c.name) for c in file.outline.calls}
    assert (4, "String", "to_atom") in found
    assert (7, None, "for") in found
    assert (8, None, "raw") in found
    assert all(c.in_template for c in file.outline.calls)
    assert file.syntax_issue() is None


def test_heex_sigil_code_keeps_file_positions_and_owner():
    code = '''defmodule AppWeb.Live do
  use AppWeb, :live_view

  def render(assigns) do
    ~H"""
    <div>
      <p>{format(@count)}</p>
    </div>
    """
  end

  defp format(n), do: n
end
'''
    file = parsed("lib/app_web/live.ex", code)
    call = next(c for c in file.outline.calls if c.name == "format")
    assert (call.line, call.in_template, call.owner.name) == (7, True, "render")


def test_eex_template_code():
    code = '<a href="<%= @url %>">x</a>\n<%= if @show do %>\n  <%= String.upcase(@name) %>\n<% end %>\n'
    file = parsed("lib/app_web/templates/page/show.html.eex", code, Language.EEX)
    assert (3, "String", "upcase") in {(c.line, c.module, c.name) for c in file.outline.calls}


def test_template_markup_errors_are_reported():
    file = parsed("lib/x.html.heex", "<div>\n  <p class=\"a>\n</div>\n", Language.HEEX)
    assert file.syntax_issue() is not None


def test_deep_nesting_does_not_recurse():
    code = "defmodule Deep do\n  def f, do: " + "[" * 3000 + "String.to_atom(x)" + "]" * 3000 + "\nend\n"
    file = parsed("lib/deep.ex", code)
    assert file.facts().modules[0].name == "Deep"
    assert is_constant(file.outline.clauses[0].body) is False


def test_heex_that_the_grammar_misreads_is_prepared_not_reported():
    code = """<div class="card">
  <br>
  <img src={@avatar} alt="">
  <input type="text" name="q" value={@q}>
  <script>if (a < b) { window.cfg = {x: 1}; } var u = "<%= @url %>";</script>
  <style>.card { color: red; }</style>
  <pre phx-no-curly-interpolation>{String.to_atom(docs)}</pre>
  <p>{String.to_atom(@kind)}</p>
</div>
"""
    file = parsed("lib/app_web/page_html/show.html.heex", code, Language.HEEX)
    assert file.syntax_issue() is None
    assert [(c.line, c.name) for c in file.outline.calls] == [(8, "to_atom")]
    pieces = {code.encode()[a:b].decode().strip() for t in file.templates for a, b in t.code}
    assert pieces == {"@avatar", "@q", "@url", "String.to_atom(@kind)"}


def test_one_line_sigil_with_void_tags_keeps_positions():
    file = parsed("lib/a.ex", 'defmodule A do\n  def r(assigns), do: ~H"<br><img src={@u}><p>{f(@x)}</p>"\nend\n')
    assert file.syntax_issue() is None
    assert [(c.line, c.node.start_point[1], c.name) for c in file.outline.calls if c.in_template] == [(2, 47, "f")]


def test_comments_between_arguments_are_not_arguments():
    from beamsage.model.parsed import ParsedFile
    from beamsage.source.document import Document, Language

    code = b'defmodule AWeb.Endpoint do\n  socket "/live", S,\n    # why\n    websocket: [check_origin: false]\nend\n'
    parsed = ParsedFile(Document("lib/a_web/endpoint.ex", code, Language.ELIXIR))
    socket = next(c for c in parsed.outline.calls if c.name == "socket")
    assert socket.arity == 3 and socket.keyword("websocket") is not None
