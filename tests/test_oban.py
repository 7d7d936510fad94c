"""Oban rules where a whole project decides: queues the source cannot list, no Oban config, cron syntax."""

from __future__ import annotations

import pytest

from beamsage.engine.config import Config
from beamsage.model.oban import cron_problem
from beamsage.rules import Confidence

from conftest import review_project, write

_MIX = 'defmodule A.MixProject do\n  use Mix.Project\n  def project, do: [app: :a, version: "0.1.0"]\nend\n'
_WORKER = "defmodule A.Workers.Mail do\n  use Oban.Worker, queue: :mailer\n\n  def perform(_job), do: :ok\nend\n"


def _rules(tmp_path, files: dict[str, str]) -> list[str]:
    write(tmp_path, {"mix.exs": _MIX, "lib/a/workers/mail.ex": _WORKER, **files})
    result = review_project(tmp_path, Config(min_confidence=Confidence.LOW))
    return sorted(f.rule for f in result.findings if f.rule.startswith("Oban."))


@pytest.mark.parametrize("config", [
    # queues read from the environment at boot: not knowable
    'import Config\nconfig :a, Oban, repo: A.Repo, queues: [default: 10]\n',
    'import Config\nconfig :a, Oban, queues: System.get_env("QUEUES") |> parse()\n',
])
def test_queues_the_source_cannot_list_silence_unknown_queue(tmp_path, config):
    runtime = 'import Config\nconfig :a, Oban, queues: System.get_env("QUEUES") |> parse()\n'
    assert _rules(tmp_path, {"config/config.exs": config, "config/runtime.exs": runtime}) == []


def test_no_oban_config_is_silent(tmp_path):
    assert _rules(tmp_path, {"config/config.exs": "import Config\nconfig :a, ecto_repos: [A.Repo]\n"}) == []


def test_inline_queues_and_config_queues_both_count(tmp_path):
    app = ("defmodule A.Application do\n  use Application\n  def start(_, _) do\n"
           "    Supervisor.start_link([{Oban, repo: A.Repo, queues: [mailer: 2]}], strategy: :one_for_one)\n"
           "  end\nend\n")
    config = "import Config\nconfig :a, Oban, repo: A.Repo, queues: [default: 10]\n"
    assert _rules(tmp_path, {"config/config.exs": config}) == ["Oban.UnknownQueue"]
    assert _rules(tmp_path, {"config/config.exs": config, "lib/a/application.ex": app}) == []


@pytest.mark.parametrize("expression", [
    "* * * * *", "0 */2 * * *", "15,45 9-17 * * MON-FRI", "0 0 1 jan *", "@daily", "@reboot", "* 0/12 * * *",
])
def test_valid_cron_expressions(expression):
    assert cron_problem(expression) is None


@pytest.mark.parametrize("expression", [
    "* * * *", "60 * * * *", "0 24 * * *", "0 0 0 * *", "0 0 * 13 *", "0 0 * * FUNDAY", "@sometimes",
    "*/0 * * * *", "0 17-9 * * *", "0 0 * * * *",
])
def test_malformed_cron_expressions(expression):
    assert cron_problem(expression)


@pytest.mark.parametrize("child", [
    "{Oban, oban_config()}",
    "{Oban, Keyword.merge(Application.fetch_env!(:a, Oban), queues: [mailer: 1])}",
])
def test_oban_options_built_in_code_silence_unknown_queue(tmp_path, child):
    app = ("defmodule A.Application do\n  use Application\n  def start(_, _) do\n"
           f"    Supervisor.start_link([{child}], strategy: :one_for_one)\n  end\nend\n")
    config = "import Config\nconfig :a, Oban, repo: A.Repo, queues: [default: 10]\n"
    assert _rules(tmp_path, {"config/config.exs": config, "lib/a/application.ex": app}) == []


def test_dynamic_queues_plugin_silences_unknown_queue(tmp_path):
    config = ("import Config\nconfig :a, Oban, repo: A.Repo, engine: Oban.Pro.Engines.Smart, queues: false,\n"
              "  plugins: [{Oban.Pro.Plugins.DynamicQueues, queues: [mailer: 5]}]\n")
    assert _rules(tmp_path, {"config/config.exs": config}) == []
