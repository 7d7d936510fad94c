"""The LiveView model: what runs on both renders, live routes and patch targets, forms and lists kept in
assigns. The rules themselves are checked by the fixture apps `fixtures/apps/liveview*`."""

from __future__ import annotations

import time

import msgspec

from beamsage.engine.config import Config
from beamsage.model.facts import FileFacts
from beamsage.model.liveview.build import LiveRoute, path_pattern, route_matches, text_input
from beamsage.model.parsed import ParsedFile
from beamsage.rules import Confidence
from beamsage.source.document import Document, language_for

from conftest import review_project, write


def parsed(path: str, source: str) -> ParsedFile:
    return ParsedFile(Document(path, source.encode(), language_for(path)))


def live(path: str, source: str):
    return parsed(path, source).facts().liveview


def test_patch_targets_become_path_patterns():
    assert path_pattern('~p"/posts/#{post}/edit"') == "/posts/*/edit"
    assert path_pattern('~p"/posts?#{[page: @page + 1]}"') == "/posts"
    assert path_pattern('"/posts/new?return_to=show#top"') == "/posts/new"
    assert path_pattern('~p"/posts/#{%{id: 1}.id}"') == "/posts/*"
    assert path_pattern('~p"/items/page-#{n}"') == "/items/*"
    assert path_pattern("Routes.post_index_path(@socket, :edit, post)") == "helper:post_index:edit"
    assert path_pattern("Routes.live_path(socket, PostLive)") == "module:live:PostLive"
    for unknown in ("socket.assigns.patch", "@patch", '"https://example.com/x"', "return_path(@note)", '"/a/#{b'):
        assert path_pattern(unknown) is None, unknown


def test_interpolated_segments_match_any_route_segment():
    show = LiveRoute("/posts/:id", "App.PostLive.Show", "show", "post_show", 1)
    new = LiveRoute("/posts/new", "App.PostLive.Index", "new", "post_index", 2)
    glob = LiveRoute("/files/*path", "App.FileLive", "index", "file", 3)
    assert route_matches("/posts/*", show) and route_matches("/posts/*", new)
    assert route_matches("/posts/new", show) and route_matches("/posts/new", new)
    assert route_matches("/posts/12", show) and not route_matches("/posts/12", new)
    assert not route_matches("/posts/*/edit", show) and not route_matches("/posts", show)
    assert route_matches("/files/a/b/c", glob)
    assert route_matches("helper:post_show:show", show) and not route_matches("helper:post_show:edit", show)


def test_live_routes_have_full_paths_and_phoenix_helper_names():
    facts = live("lib/app_web/router.ex", """defmodule AppWeb.Router do
  use Phoenix.Router
  import Phoenix.LiveView.Router

  scope "/", AppWeb do
    live "/", HomeLive
    live "/posts/:id/edit", PostLive.Index, :edit
    live "/thermostat", ThermostatLive, :index, as: :heat

    scope "/admin", Admin, as: :admin do
      live_session :admin do
        live "/users", UserLive.Index, :index
      end
    end
  end
end
""")
    found = {(r.path, r.module, r.action, r.helper) for r in facts.routes}
    assert found == {
        ("/", "AppWeb.HomeLive", None, "live"),
        ("/posts/:id/edit", "AppWeb.PostLive.Index", "edit", "post_index"),
        ("/thermostat", "AppWeb.ThermostatLive", "index", "heat"),
        ("/admin/users", "AppWeb.Admin.UserLive.Index", "index", "admin_user_index"),
    }


MOUNT = '''defmodule AppWeb.FeedLive do
  use AppWeb, :live_view

  def mount(_params, _session, socket) do
    Phoenix.PubSub.subscribe(App.PubSub, "a")
    if connected?(socket), do: Phoenix.PubSub.subscribe(App.PubSub, "b")
    unless connected?(socket) == false do
      :timer.send_interval(1000, self(), :tick)
    end
    live? = connected?(socket)
    cond do
      live? -> AppWeb.Endpoint.subscribe("c")
      true -> :ok
    end
    with true <- connected?(socket), do: Process.send_after(self(), :tick, 10)
    Process.send_after(self(), :tick, 10)
    {:ok, assign_async(socket, :feed, fn -> {:ok, %{feed: Req.get!("https://x").body}} end)}
  end
end
'''


def test_only_unguarded_side_effects_are_recorded():
    facts = live("lib/app_web/live/feed_live.ex", MOUNT)
    assert [(e.function, e.kind, e.call, e.line) for e in facts.effects] == [
        ("mount", "subscribe", "Phoenix.PubSub.subscribe/2", 5),
        ("mount", "timer", "Process.send_after/3", 16),
    ]
    deferred_lines = {line for line, _ in facts.deferred}
    assert {6, 8, 12, 15, 17} <= deferred_lines and 5 not in deferred_lines and 16 not in deferred_lines


def test_text_inputs_are_the_fields_typed_into():
    source = """
<input name="q" />
<input type="search" name="q" />
<input type="checkbox" name="c" />
<input type={@type} name="d" />
<textarea name="t"></textarea>
<select name="s"><option>x</option></select>
<.input field={@form[:title]} />
<.input field={@form[:kind]} type="select" options={[]} />
<.input field={@form[:body]} type="textarea" />
<input name="r" {@rest} />
"""
    elements = [e for e in parsed("lib/app_web/page.html.heex", source).elements if e.name != "option"]
    assert [text_input(e) for e in elements] == [True, True, False, False, True, False, True, False, True, False]


def test_forms_record_their_undebounced_inputs_and_target():
    facts = live("lib/app_web/live/search_live.html.heex", """
<form id="s" phx-change="search"><input name="q" /><input name="r" phx-debounce="300" /></form>
<.form for={@f} phx-change="validate" phx-target={@myself}><.input field={@f[:name]} /></.form>
<form phx-change="other" phx-target="#elsewhere"><input name="q" /></form>
<form phx-change={JS.push("x")}><input name="q" /></form>
""")
    assert [(f.form, f.event, f.target, f.inputs) for f in facts.forms] == [
        ('<form id="s">', "search", "", ("q",)),
        ("<.form>", "validate", "myself", ("name",)),
    ]


def test_lists_assigned_again_by_messages_are_candidates():
    facts = live("lib/app_web/live/chat_live.ex", """defmodule AppWeb.ChatLive do
  use AppWeb, :live_view

  def mount(_params, _session, socket) do
    messages = Chat.list_messages()
    {:ok, socket |> assign(:messages, messages) |> assign(:title, "Chat") |> assign(rooms: Chat.list_rooms())}
  end

  def handle_info({:new, message}, socket) do
    {:noreply, update(socket, :messages, &[message | &1]) |> assign(:title, "New")}
  end
end
""")
    assert [(c.key, c.source, c.direct, c.again, c.grows) for c in facts.collections] == [
        ("messages", "Chat.list_messages/0", False, "handle_info/2", True),
    ]


def test_facts_round_trip_through_the_cache_encoding():
    facts = parsed("lib/app_web/live/feed_live.ex", MOUNT).facts()
    again = msgspec.msgpack.decode(msgspec.msgpack.encode(facts), type=FileFacts)
    assert again.liveview == facts.liveview and facts.liveview is not None


def test_files_without_liveview_code_carry_no_facts():
    assert live("lib/app/math.ex", "defmodule App.Math do\n  def add(a, b), do: a + b\nend\n") is None
    assert live("test/app_web/live/feed_live_test.exs", MOUNT) is None


def test_a_large_liveview_is_read_quickly():
    clauses = "\n".join(
        f'  def handle_event("e{i}", %{{"v" => v}}, socket) do\n'
        f"    if connected?(socket), do: Phoenix.PubSub.subscribe(App.PubSub, v)\n"
        f"    {{:noreply, assign(socket, :items{i % 7}, Items.list_items(v))}}\n  end\n"
        for i in range(600)
    )
    source = f"defmodule AppWeb.BigLive do\n  use AppWeb, :live_view\n{clauses}\nend\n"
    start = time.perf_counter()
    live("lib/app_web/live/big_live.ex", source)
    assert time.perf_counter() - start < 5


def test_a_subscription_reached_through_a_context_is_found_across_files(tmp_path):
    root = write(tmp_path / "app", {
        "mix.exs": "defmodule App.MixProject do\n  use Mix.Project\n  def project, do: [app: :app]\nend\n",
        "lib/app/feed.ex": """defmodule App.Feed do
  def subscribe, do: Phoenix.PubSub.subscribe(App.PubSub, "feed")
  def watch(id), do: subscribe_to(id)
  defp subscribe_to(id), do: Phoenix.PubSub.subscribe(App.PubSub, "feed:#{id}")
end
""",
        "lib/app_web/live/feed_live.ex": """defmodule AppWeb.FeedLive do
  use Phoenix.LiveView
  alias App.Feed

  def mount(%{"id" => id}, _session, socket) do
    Feed.subscribe()
    if connected?(socket), do: Feed.watch(id)
    {:ok, socket}
  end

  def handle_params(_params, _uri, socket) do
    Feed.watch(1)
    {:noreply, socket}
  end
end
""",
    })
    findings = review_project(root, Config(min_confidence=Confidence.LOW)).findings
    found = [(f.location.path, f.location.line, f.confidence.value) for f in findings
             if f.rule == "LiveView.SubscribeWithoutConnected"]
    assert found == [("lib/app_web/live/feed_live.ex", 6, "high")]
