"""The quality checklist: @doc/@spec/@moduledoc/@impl shares, per context/web/other; reported, never findings."""

from __future__ import annotations

import json
from importlib import resources

import jsonschema

from beamsage.model.metrics import quality_metrics
from beamsage.model.parsed import ParsedFile
from beamsage.source.document import Document, Language

from conftest import review_project, run_cli, write

MIX = "defmodule Acme.MixProject do\n  use Mix.Project\n  def project, do: [app: :acme]\nend\n"


def _quality(path: str, source: str):
    facts = ParsedFile(Document(path, source.encode(), Language.ELIXIR)).facts()
    return {m.module: m for m in facts.quality.modules} if facts.quality else {}


def test_counts_doc_spec_moduledoc_and_impl_per_module():
    modules = _quality("lib/acme/accounts.ex", '''
defmodule Acme.Accounts do
  @moduledoc "Users."
  alias Acme.Repo

  @doc "All users."
  @spec list_users() :: [map()]
  def list_users, do: Repo.all(User)

  @doc false
  def internal(x), do: x

  @spec get(integer, keyword) :: map() when x: term
  def get(id, opts \\\\ []), do: Repo.get(User, id, opts)

  def undocumented(a), do: a
  def undocumented(a, b), do: {a, b}

  defdelegate count, to: Acme.Stats
  defmacro __using__(_), do: nil
  defp helper, do: :ok

  defmodule Nested do
    def f, do: 1
  end
end

defimpl String.Chars, for: Acme.Accounts do
  def to_string(_), do: "accounts"
end
''')
    accounts = modules["Acme.Accounts"]
    # list_users/0, internal/1, get/2, undocumented/1, undocumented/2, count/0 (not __using__, not defp)
    assert (accounts.functions, accounts.documented, accounts.specced) == (6, 2, 2)
    assert accounts.moduledoc and accounts.repo and accounts.group == "context?"
    nested = modules["Acme.Accounts.Nested"]
    assert (nested.functions, nested.documented, nested.moduledoc, nested.group) == (1, 0, False, "other")
    assert "String.Chars.Acme.Accounts" not in modules  # protocol implementations are not counted


def test_callbacks_count_impl_and_hidden_modules_count_as_documented():
    modules = _quality("lib/acme/cache.ex", '''
defmodule Acme.Cache do
  @moduledoc false
  use GenServer

  def start_link(opts), do: GenServer.start_link(__MODULE__, opts, name: __MODULE__)

  @impl true
  def init(state), do: {:ok, state}

  def handle_call(:get, _from, state), do: {:reply, state, state}
  def handle_call(:size, _from, state), do: {:reply, map_size(state), state}

  @impl GenServer
  def handle_info(_msg, state), do: {:noreply, state}
end
''')
    cache = modules["Acme.Cache"]
    assert (cache.callbacks, cache.with_impl) == (3, 2)  # init/1, handle_call/3, handle_info/2
    assert (cache.functions, cache.documented) == (1, 1)  # start_link/1, hidden with its module
    assert cache.moduledoc


def test_tests_config_and_templates_are_not_counted():
    assert _quality("test/acme_test.exs", "defmodule AcmeTest do\n  def f, do: 1\nend\n") == {}
    assert _quality("config/config.exs", "import Config\nconfig :acme, a: 1\n") == {}
    assert _quality("mix.exs", MIX) == {}


def _project(tmp_path):
    return write(tmp_path, {
        "mix.exs": MIX,
        "lib/acme/accounts.ex": 'defmodule Acme.Accounts do\n  @moduledoc "Users."\n'
                                '  @doc "All."\n  def list, do: Acme.Repo.all(Acme.Accounts.User)\nend\n',
        "lib/acme/accounts/user.ex": "defmodule Acme.Accounts.User do\n  use Ecto.Schema\n"
                                     '  schema "users" do\n    field :name, :string\n  end\n'
                                     "  def label(u), do: u.name\nend\n",
        "lib/acme/catalog.ex": "defmodule Acme.Catalog do\n  def products, do: []\nend\n",
        "lib/acme/catalog/product.ex": "defmodule Acme.Catalog.Product do\n  defstruct [:name]\nend\n",
        "lib/acme/money.ex": "defmodule Acme.Money do\n  @spec format(integer) :: String.t()\n"
                             "  def format(cents), do: to_string(cents)\nend\n",
        "lib/acme_web/controllers/page_controller.ex": "defmodule AcmeWeb.PageController do\n"
                                                        "  use AcmeWeb, :controller\n"
                                                        "  def home(conn, _), do: text(conn, \"hi\")\nend\n",
        "lib/acme_web/live/page_live.ex": "defmodule AcmeWeb.PageLive do\n  use AcmeWeb, :live_view\n"
                                          "  def mount(_, _, socket), do: {:ok, socket}\n"
                                          "  @impl true\n  def render(assigns), do: ~H\"<p>hi</p>\"\nend\n",
        "test/acme_test.exs": "defmodule AcmeTest do\n  use ExUnit.Case\n  test \"x\" do\n    assert 1\n  end\nend\n",
    })


def test_groups_contexts_web_and_other(tmp_path):
    result = review_project(_project(tmp_path))
    metrics = quality_metrics(result.project)
    context, web, other = (metrics.groups[g] for g in ("context", "web", "other"))
    # Accounts calls a Repo; Catalog has a folder of its own: both contexts. Money is a plain helper.
    assert (context.modules, context.functions, context.documented, context.with_moduledoc) == (2, 2, 1, 1)
    assert (web.modules, web.functions, web.callbacks, web.with_impl) == (2, 1, 2, 1)
    assert (other.modules, other.functions, other.specced) == (3, 2, 1)
    assert metrics.total.modules == 7
    assert metrics.json()["web"]["share"] == {"doc": 0.0, "spec": 0.0, "moduledoc": 0.0, "impl": 0.5}
    assert metrics.json()["context"]["share"]["impl"] is None


def test_metrics_are_summed_from_cached_facts(tmp_path):
    project = _project(tmp_path / "p")
    cold = review_project(project, cache_dir=tmp_path / "cache")
    warm = review_project(project, cache_dir=tmp_path / "cache")
    assert warm.cached == cold.project.files.__len__()
    assert quality_metrics(warm.project).json() == quality_metrics(cold.project).json()


def test_text_and_json_show_the_checklist_without_changing_the_exit_code(tmp_path):
    project = _project(tmp_path)
    text = run_cli("review", str(project))
    assert text.returncode == 0  # 0% @spec in web is a number, not a failure
    lines = text.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("Quality checklist"))
    assert lines[header].split() == ["Quality", "checklist", "@doc", "@spec", "@moduledoc", "@impl"]
    assert [line.split()[0] for line in lines[header + 1: header + 5]] == ["context", "web", "other", "all"]
    assert "1/2 50%" in lines[header + 1]
    doc = json.loads(run_cli("review", str(project), "-f", "json").stdout)
    schema = json.loads(resources.files("beamsage.review").joinpath("schema/review-v1.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(doc)
    quality = doc["metrics"]["quality"]
    assert quality["all"]["modules"] == 7 and quality["context"]["with_doc"] == 1
    assert doc["summary"]["failed"] is False


def test_metrics_follow_the_reviewed_path(tmp_path):
    project = _project(tmp_path)
    doc = json.loads(run_cli("review", str(project / "lib" / "acme_web"), "-f", "json").stdout)
    quality = doc["metrics"]["quality"]
    assert quality["all"]["modules"] == 2 and quality["context"]["modules"] == 0
