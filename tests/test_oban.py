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
    "* * * * *", "0 */2 * * *", "15,45 9-17 * * MON-FRI", "0 0 1 JAN *", "@daily", "@reboot", "* 0/12 * * *",
    "0 9-17/2 * * 1-5", "*/60 * * * *", "0 0 1,15 JAN-JUN SUN", "0  4 * * *",
])
def test_valid_cron_expressions(expression):
    assert cron_problem(expression) is None


@pytest.mark.parametrize("expression", [
    "* * * *", "60 * * * *", "0 24 * * *", "0 0 0 * *", "0 0 * 13 *", "0 0 * * FUNDAY", "@sometimes",
    "*/0 * * * *", "0 17-9 * * *", "0 0 * * * *",
    # Oban reads weekdays 0-6, names in upper case only, nicknames in lower case only, steps 1-99
    "0 0 * * 7", "0 0 1 jan *", "0 0 * * mon", "@Daily", "*/100 * * * *", "0 0 L * *", "0 0 ? * *",
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


def test_options_read_from_config_in_code_still_judged(tmp_path):
    # The pattern Oban's docs show: config read in a function, queues turned off in an IEx session.
    app = ("defmodule A.Application do\n  use Application\n  def start(_, _) do\n"
           "    Supervisor.start_link([{Oban, oban_config()}], strategy: :one_for_one)\n  end\n\n"
           "  defp oban_config do\n    opts = Application.get_env(:a, Oban)\n\n"
           "    if Code.ensure_loaded?(IEx) and IEx.started?() do\n"
           "      opts |> Keyword.put(:crontab, false) |> Keyword.put(:queues, false)\n"
           "    else\n      opts\n    end\n  end\nend\n")
    config = "import Config\nconfig :a, Oban, repo: A.Repo, queues: [default: 10]\n"
    assert _rules(tmp_path, {"config/config.exs": config, "lib/a/application.ex": app}) == ["Oban.UnknownQueue"]


@pytest.mark.parametrize("config", [
    # only test settings: which queues run elsewhere is not said here
    "import Config\nconfig :a, Oban, testing: :manual\n",
    "import Config\nconfig :a, Oban, repo: A.Repo, queues: false, plugins: false\n",
    # queues from a helper the config file calls
    "import Config\nconfig :a, Oban, repo: A.Repo, queues: A.Config.queues()\n",
])
def test_configs_that_start_no_known_queue_are_silent(tmp_path, config):
    assert _rules(tmp_path, {"config/config.exs": config}) == []


def test_queues_followed_through_variables_branches_and_merges(tmp_path):
    runtime = ("import Config\nbase = [default: 10]\nextra = [mailer: 1]\n"
               "queues = if System.get_env(\"MAIL\"), do: base ++ extra, else: base\n"
               "config :a, Oban, queues: Keyword.merge(queues, reports: 2)\n")
    assert _rules(tmp_path, {"config/runtime.exs": runtime}) == []
    assert _rules(tmp_path, {"config/runtime.exs": runtime.replace("mailer: 1", "mailers: 1")}) \
        == ["Oban.UnknownQueue"]
