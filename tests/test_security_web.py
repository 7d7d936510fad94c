"""Router, endpoint and config judgements that cross files: a policy or header
set by another module, `check_origin` overridden by a later config file, and
the router model the rules (and later `beamsage map`) read."""

from __future__ import annotations

from beamsage.engine.config import Config
from beamsage.model.parsed import ParsedFile
from beamsage.model.phoenix import endpoint_of, router_of
from beamsage.rules import Confidence
from beamsage.source.document import Document, Language

from conftest import FIXTURES, review_project, write

WEB = FIXTURES / "apps" / "security_web"
_ALL = Config(min_confidence=Confidence.LOW)
_MIX = 'defmodule App.MixProject do\n  use Mix.Project\n  def project, do: [app: :app, version: "0.1.0"]\nend\n'
_ROUTER = """
defmodule AppWeb.Router do
  use AppWeb, :router

  pipeline :browser do
    plug :accepts, ["html"]
    plug :fetch_session
    plug :fetch_live_flash
    plug :protect_from_forgery
    %s
  end

  scope "/", AppWeb do
    pipe_through :browser
    get "/", PageController, :home
  end
end
"""
_HEADER_RULES = {"Security.MissingContentSecurityPolicy", "Security.MissingSecureHeaders"}


def _header_findings(tmp_path, files: dict[str, str]) -> set[tuple[str, int, str]]:
    root = write(tmp_path / "app", {"mix.exs": _MIX, **files})
    result = review_project(root, _ALL, cache_dir=tmp_path / "cache")
    return {(f.location.path, f.location.line, f.rule) for f in result.findings if f.rule in _HEADER_RULES}


def test_generated_pipeline_only_gets_the_policy_advice(tmp_path):
    router = _ROUTER % "plug :put_secure_browser_headers"
    assert _header_findings(tmp_path, {"lib/app_web/router.ex": router}) == {
        ("lib/app_web/router.ex", 5, "Security.MissingContentSecurityPolicy")
    }


def test_a_policy_set_by_the_endpoint_or_a_plug_module_is_seen(tmp_path):
    router = _ROUTER % "plug :put_secure_browser_headers"
    endpoint = """
defmodule AppWeb.Endpoint do
  use Phoenix.Endpoint, otp_app: :app
  plug :put_csp
  plug AppWeb.Router
  defp put_csp(conn, _), do: Plug.Conn.put_resp_header(conn, "Content-Security-Policy", "default-src 'self'")
end
"""
    library = ("defmodule AppWeb.Endpoint do\n  use Phoenix.Endpoint, otp_app: :app\n"
               "  plug PlugContentSecurityPolicy\nend\n")
    plug = """
defmodule AppWeb.Plugs.Headers do
  import Plug.Conn
  def init(opts), do: opts
  def call(conn, _opts), do: merge_resp_headers(conn, [{"content-security-policy", "default-src 'self'"}])
end
"""
    for other in ({"lib/app_web/endpoint.ex": endpoint}, {"lib/app_web/endpoint.ex": library},
                  {"lib/app_web/plugs/headers.ex": plug}):
        assert _header_findings(tmp_path, {"lib/app_web/router.ex": router, **other}) == set()


def test_headers_set_by_a_module_keep_the_missing_headers_rule_quiet(tmp_path):
    router = _ROUTER % ""
    plug = ('defmodule AppWeb.Plugs.Frame do\n'
            '  def call(conn, _), do: Plug.Conn.put_resp_header(conn, "x-frame-options", "DENY")\nend\n')
    assert _header_findings(tmp_path, {"lib/app_web/router.ex": router}) == {
        ("lib/app_web/router.ex", 5, "Security.MissingSecureHeaders")
    }
    assert _header_findings(tmp_path, {"lib/app_web/router.ex": router, "lib/app_web/plugs/frame.ex": plug}) == set()


def test_a_function_plug_of_the_router_counts_as_what_it_calls(tmp_path):
    helper = '  defp secure_headers(conn, _), do: put_secure_browser_headers(conn, %{"content-security-policy" => "x"})'
    router = (_ROUTER % "plug :secure_headers").replace("\nend\n", f"\n{helper}\nend\n")
    assert _header_findings(tmp_path, {"lib/app_web/router.ex": router}) == set()


def _origin_findings(tmp_path, files: dict[str, str]) -> set[tuple[str, int]]:
    root = write(tmp_path / "app", {"mix.exs": _MIX, **files})
    result = review_project(root, _ALL, cache_dir=tmp_path / "cache")
    return {(f.location.path, f.location.line) for f in result.findings if f.rule == "Security.CrossSiteWebSocket"}


def test_check_origin_is_judged_by_what_production_ends_up_with(tmp_path):
    config = "import Config\nconfig :app, AppWeb.Endpoint, check_origin: false\n"
    runtime = """import Config
case config_env() do
  :prod -> config :app, AppWeb.Endpoint, check_origin: ["https://app.example.com"]
  _ -> :ok
end
"""
    assert _origin_findings(tmp_path / "a", {"config/config.exs": config}) == {("config/config.exs", 2)}
    assert _origin_findings(tmp_path / "b", {"config/config.exs": config, "config/runtime.exs": runtime}) == set()
    unreadable = ("import Config\nif config_env() in deployed_envs() do\n"
                  "  config :app, AppWeb.Endpoint, check_origin: false\nend\n")
    assert _origin_findings(tmp_path / "c", {"config/runtime.exs": unreadable}) == set()
    staging = ("import Config\ncase config_env() do\n"
               "  :staging -> config :app, AppWeb.Endpoint, check_origin: false\nend\n")
    assert _origin_findings(tmp_path / "d", {"config/runtime.exs": staging}) == set()


def _parsed(path: str, code: str) -> ParsedFile:
    return ParsedFile(Document(path, code.encode(), Language.ELIXIR))


def test_router_model_reads_pipelines_scopes_and_routes():
    file = _parsed("lib/web_demo_web/router.ex", (WEB / "lib/web_demo_web/router.ex").read_text())
    router = router_of(file.outline, file.outline.modules[0])
    assert [p.name for p in router.pipelines["browser"].plugs][:3] == ["accepts", "fetch_session", "fetch_live_flash"]
    destroy = next(r for r in router.routes if r.action == "destroy")
    assert (destroy.verb, destroy.path, destroy.target, destroy.pipes()) == (
        "get", "/users/:id/destroy", "WebDemoWeb.Admin.UserController", ["admin_browser"])
    dev = next(r for r in router.routes if r.action == "delete_all")
    assert dev.conditional and dev.pipes() == ["browser"]
    assert [p.name for p in router.plugs_through(["embed", "csrf"])][-1] == "protect_from_forgery"


def test_endpoint_model_reads_sockets_and_plugs():
    file = _parsed("lib/web_demo_web/endpoint.ex", (WEB / "lib/web_demo_web/endpoint.ex").read_text())
    endpoint = endpoint_of(file.outline, file.outline.modules[0])
    sockets = {s.path: s for s in endpoint.sockets}
    assert sockets["/socket"].module == "WebDemoWeb.UserSocket"
    assert sockets["/phoenix/live_reload/socket"].conditional
    assert endpoint.plugs[-1].name == "WebDemoWeb.Router"


def test_broken_routers_and_sockets_do_not_raise(tmp_path):
    broken = {
        "lib/app_web/router.ex": "defmodule AppWeb.Router do\n  use AppWeb, :router\n  pipeline do\n  plug\n"
                                 "  scope do get end\n  get \"/x\"\n  pipe_through\nend\n",
        "lib/app_web/endpoint.ex": "defmodule AppWeb.Endpoint do\n  use Phoenix.Endpoint\n  socket\n"
                                   "  socket \"/s\", S, websocket: [check_origin: \nend\n",
        "lib/app_web/user_socket.ex": "defmodule AppWeb.UserSocket do\n  use Phoenix.Socket\n  def connect(), do: nil\n"
                                      "  def connect(a, b, c) when, do: {:ok\nend\n",
        "lib/app_web/room_channel.ex": "defmodule AppWeb.RoomChannel do\n  use Phoenix.Channel\n"
                                       "  def join(\"r:\" <> , p, s), do: {:ok, s}\n  def join(a, b), do: 1\nend\n",
        "config/runtime.exs": "import Config\nif config_env() ==\n  config :app, AppWeb.Endpoint, check_origin: false\n",
    }
    root = write(tmp_path / "app", {"mix.exs": _MIX, **broken})
    result = review_project(root, _ALL, cache_dir=tmp_path / "cache")
    failures = [f for f in result.findings if f.rule == "Source.AnalysisError" or " failed" in f.message]
    assert not failures
