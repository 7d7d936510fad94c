"""Finding the project from any path and listing the files a review reads."""

from __future__ import annotations

import pytest

from beamsage.model.layout import ExcludeMatcher, ProjectError, discover, source_files
from beamsage.model.mixfile import read_mix_project

from conftest import write

MIX = """defmodule {mod}.MixProject do
  use Mix.Project

  def project do
    [
      app: :{app},
      version: "0.1.0",{extra}
      elixirc_paths: elixirc_paths(Mix.env()),
      deps: deps()
    ]
  end

  defp elixirc_paths(:test), do: ["lib", "test/support"]
  defp elixirc_paths(:dev), do: ["lib", "dev/tools"]
  defp elixirc_paths(_), do: ["lib"]

  defp deps do
    [{{:phoenix, "~> 1.7"}}, {{:ecto_sql, "~> 3.10"}}, {{:credo, "~> 1.7", only: [:dev, :test]}}]
  end
end
"""


def mix(app: str, extra: str = "") -> str:
    return MIX.format(mod=app.title(), app=app, extra=extra)


def single_app(root):
    return write(root, {
        "mix.exs": mix("shop"),
        "lib/shop.ex": "defmodule Shop do\nend\n",
        "lib/shop_web/page_html/index.html.heex": "<p>hi</p>\n",
        "lib/shop_web/old.html.eex": "<p><%= 1 %></p>\n",
        "lib/shop_web/live.html.leex": "<p><%= 1 %></p>\n",
        "test/shop_test.exs": "defmodule ShopTest do\nend\n",
        "test/support/data_case.ex": "defmodule Shop.DataCase do\nend\n",
        "config/config.exs": "import Config\n",
        "priv/repo/migrations/20240101000000_create_x.exs": "defmodule M do\nend\n",
        "priv/other_repo/migrations/20240101000000_create_y.exs": "defmodule N do\nend\n",
        "priv/repo/seeds.exs": "IO.puts(:seed)\n",
        "dev/tools/tool.ex": "defmodule Tool do\nend\n",
        "deps/phoenix/lib/phoenix.ex": "defmodule Phoenix do\nend\n",
        "_build/dev/lib/x.ex": "defmodule X do\nend\n",
        "assets/node_modules/pkg/x.ex": "defmodule Y do\nend\n",
        "lib/node_modules/z.ex": "defmodule Z do\nend\n",
        "cover/x.ex": "defmodule C do\nend\n",
        ".elixir_ls/x.ex": "defmodule E do\nend\n",
        "lib/notes.txt": "not source\n",
    })


def test_mix_project_reading():
    from pathlib import Path
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        root = write(Path(tmp), {"mix.exs": mix("shop", '\n      apps_path: "apps",')})
        project = read_mix_project(root / "mix.exs")
    assert project.app == "shop"
    assert project.apps_path == "apps"
    assert project.elixirc_paths == ("lib", "test/support", "dev/tools")
    assert project.deps == ("phoenix", "ecto_sql", "credo")


def test_single_app_files(tmp_path):
    root = single_app(tmp_path)
    layout = discover(root)
    assert (layout.kind, layout.root, layout.focus) == ("single", root, "")
    assert source_files(layout) == [
        "config/config.exs",
        "dev/tools/tool.ex",
        "lib/shop.ex",
        "lib/shop_web/live.html.leex",
        "lib/shop_web/old.html.eex",
        "lib/shop_web/page_html/index.html.heex",
        "mix.exs",
        "priv/other_repo/migrations/20240101000000_create_y.exs",
        "priv/repo/migrations/20240101000000_create_x.exs",
        "test/shop_test.exs",
        "test/support/data_case.ex",
    ]


def test_path_inside_project_finds_root_and_sets_focus(tmp_path):
    root = single_app(tmp_path)
    layout = discover(root / "lib" / "shop.ex")
    assert layout.root == root and layout.focus == "lib/shop.ex"
    assert layout.in_focus("lib/shop.ex") and not layout.in_focus("lib/shop_web/old.html.eex")
    assert discover(root / "lib").focus == "lib"


def test_excludes(tmp_path):
    root = single_app(tmp_path)
    files = source_files(discover(root), ["lib/shop_web/**", "*.leex", "test"])
    assert "lib/shop_web/old.html.eex" not in files
    assert not any(f.startswith("test/") for f in files)
    assert "lib/shop.ex" in files
    matcher = ExcludeMatcher(["lib/*.ex", "**/generated/**", "legacy"])
    assert matcher.excluded("lib/a.ex") and not matcher.excluded("lib/sub/a.ex")
    assert matcher.excluded("lib/x/generated/y.ex")
    assert matcher.excluded("apps/a/lib/legacy/old.ex") and not matcher.excluded("apps/a/legacy_names.ex")


def umbrella(root):
    return write(root, {
        "mix.exs": mix("shop_umbrella", '\n      apps_path: "apps",'),
        "config/config.exs": "import Config\n",
        "apps/shop/mix.exs": mix("shop"),
        "apps/shop/lib/shop.ex": "defmodule Shop do\nend\n",
        "apps/shop_web/mix.exs": mix("shop_web"),
        "apps/shop_web/lib/shop_web.ex": "defmodule ShopWeb do\nend\n",
        "apps/shop_web/test/shop_web_test.exs": "defmodule ShopWebTest do\nend\n",
    })


def test_umbrella_from_root_and_from_inside_an_app(tmp_path):
    root = umbrella(tmp_path)
    for start in (root, root / "apps" / "shop_web" / "lib"):
        layout = discover(start)
        assert layout.kind == "umbrella" and layout.root == root
        assert [a.path for a in layout.apps] == ["", "apps/shop", "apps/shop_web"]
    assert discover(root / "apps" / "shop_web" / "lib").focus == "apps/shop_web/lib"
    assert source_files(discover(root)) == [
        "apps/shop/lib/shop.ex",
        "apps/shop/mix.exs",
        "apps/shop_web/lib/shop_web.ex",
        "apps/shop_web/mix.exs",
        "apps/shop_web/test/shop_web_test.exs",
        "config/config.exs",
        "mix.exs",
    ]


def test_folder_of_several_projects(tmp_path):
    write(tmp_path, {
        "backend/mix.exs": mix("backend"),
        "backend/lib/backend.ex": "defmodule Backend do\nend\n",
        "tools/admin/mix.exs": mix("admin"),
        "tools/admin/lib/admin.ex": "defmodule Admin do\nend\n",
        "README.md": "hi\n",
    })
    layout = discover(tmp_path)
    assert layout.kind == "multi"
    assert [a.path for a in layout.apps] == ["backend", "tools/admin"]
    assert "tools/admin/lib/admin.ex" in source_files(layout)


def test_no_project_is_an_error_unless_asked(tmp_path):
    write(tmp_path, {"scripts/a.exs": "IO.puts(1)\n"})
    with pytest.raises(ProjectError, match="no mix.exs found"):
        discover(tmp_path)
    layout = discover(tmp_path, no_project=True)
    assert layout.kind == "loose" and source_files(layout) == ["scripts/a.exs"]
    write(tmp_path, {"scripts/b.exs": "IO.puts(2)\n"})
    single = discover(tmp_path / "scripts" / "b.exs", no_project=True)
    assert source_files(single) == ["b.exs"] and single.focus == "b.exs"


def test_missing_path_is_an_error(tmp_path):
    with pytest.raises(ProjectError, match="does not exist"):
        discover(tmp_path / "nope")
