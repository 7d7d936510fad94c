"""Tests.* rules beyond the fixture apps: configuration, scope, robustness, cross-file helpers, caching."""

from __future__ import annotations

import pytest

from beamsage.engine.config import Config, ConfigError, load_config
from beamsage.rules import Confidence

from conftest import review_project, run_cli, write

MIX = "defmodule Acme.MixProject do\n  use Mix.Project\n  def project, do: [app: :acme]\nend\n"
ALL = Config(min_confidence=Confidence.LOW)


def _test_file(tests: int) -> str:
    body = "".join(f'  test "case {n}" do\n    assert {n} == {n}\n  end\n\n' for n in range(tests))
    return f"defmodule AcmeTest do\n  use ExUnit.Case, async: true\n\n{body}end\n"


def _found(root, rule_prefix="Tests.", config=ALL):
    result = review_project(root, config)
    return sorted((f.location.path, f.location.line, f.rule, f.confidence.value)
                  for f in result.findings if f.rule.startswith(rule_prefix))


def test_file_too_long_threshold_comes_from_the_config(tmp_path):
    root = write(tmp_path, {"mix.exs": MIX, "test/acme_test.exs": _test_file(10)})  # 44 lines
    assert _found(root) == []
    (root / ".beamsage.toml").write_text("max-test-file-lines = 40\n")
    config = load_config(root)
    assert config.max_test_file_lines == 40
    result = review_project(root, config.override(min_confidence=Confidence.LOW))
    [finding] = [f for f in result.findings if f.rule == "Tests.FileTooLong"]
    assert (finding.location.path, finding.location.line) == ("test/acme_test.exs", 1)
    assert "44 lines long, over the 40 of `max-test-file-lines`" in finding.message


def test_file_too_long_rejects_a_bad_threshold(tmp_path):
    write(tmp_path, {"mix.exs": MIX, ".beamsage.toml": "max-test-file-lines = 0\n"})
    with pytest.raises(ConfigError, match="max-test-file-lines"):
        load_config(tmp_path)
    result = run_cli("review", str(tmp_path))
    assert result.returncode == 2 and "max-test-file-lines" in result.stderr


def test_support_files_and_library_code_are_not_judged(tmp_path):
    root = write(tmp_path, {
        "mix.exs": MIX,
        "test/support/wait.ex": "defmodule Acme.Wait do\n  def settle, do: Process.sleep(100)\nend\n",
        "lib/acme/poller.ex": "defmodule Acme.Poller do\n  def run, do: Process.sleep(1_000)\nend\n",
        "test/support/long_case.ex": _test_file(200),
    })
    assert _found(root) == []


def test_odd_test_files_never_raise(tmp_path):
    root = write(tmp_path, {
        "mix.exs": MIX,
        "test/odd_test.exs": "defmodule OddTest do\n  use ExUnit.Case, async: true\n  test\n  test 42 do\n  end\n"
                             "  test \"#{1}\", do: :ok\n  test = 1\n  describe do\n  end\n"
                             "  test \"x\", %{a: a} do\n    Process.sleep(a)\n    :timer.sleep()\n  end\nend\n",
        "test/broken_test.exs": "defmodule BrokenTest do\n  use ExUnit.Case\n  test \"x\" do\n    assert (\nend\n",
        "test/empty_test.exs": "",
        "test/no_module_test.exs": "test \"loose\" do\n  :ok\nend\n",
    })
    result = review_project(root, ALL)
    assert not [f for f in result.findings if f.rule == "Source.AnalysisError"]


def test_a_test_calling_a_support_helper_that_does_not_assert_is_reported(tmp_path):
    root = write(tmp_path, {
        "mix.exs": MIX,
        "test/support/fixtures.ex": "defmodule Acme.Fixtures do\n  def user_fixture, do: %{name: \"ada\"}\n"
                                    "  def check_user(u), do: ExUnit.Assertions.assert(u.name)\nend\n",
        "test/acme_test.exs": "defmodule AcmeTest do\n  use ExUnit.Case, async: true\n  import Acme.Fixtures\n"
                              "  test \"makes a user\" do\n    user_fixture()\n  end\n"
                              "  test \"checks a user\" do\n    user_fixture() |> check_user()\n  end\nend\n",
    })
    assert _found(root) == [("test/acme_test.exs", 4, "Tests.NoAssertion", "high")]


def test_findings_are_the_same_from_the_cache(tmp_path):
    root = write(tmp_path / "p", {
        "mix.exs": MIX,
        "test/acme_test.exs": "defmodule AcmeTest do\n  use ExUnit.Case\n"
                              "  test \"a\" do\n    Acme.run()\n  end\n"
                              "  test \"b\" do\n    send(self(), :x)\n    Process.sleep(10)\n"
                              "    assert_received :x\n  end\n"
                              "  test \"c\" do\n    assert Acme.run() == :ok\n  end\nend\n",
    })
    cold = review_project(root, ALL, cache_dir=tmp_path / "cache")
    warm = review_project(root, ALL, cache_dir=tmp_path / "cache")
    assert warm.cached and [f.fingerprint for f in warm.findings] == [f.fingerprint for f in cold.findings]
    rules = sorted(f.rule for f in warm.findings)
    assert rules == ["Tests.MissingAsync", "Tests.NoAssertion", "Tests.SleepInTest"]


def test_missing_async_stays_quiet_about_modules_that_reach_a_named_process(tmp_path):
    root = write(tmp_path, {
        "mix.exs": MIX,
        "lib/acme/counter.ex": "defmodule Acme.Counter do\n  use Agent\n"
                               "  def start_link(_), do: Agent.start_link(fn -> 0 end, name: __MODULE__)\n"
                               "  def bump, do: Agent.update(__MODULE__, &(&1 + 1))\nend\n",
        "test/counter_test.exs": "defmodule Acme.CounterTest do\n  use ExUnit.Case\n  alias Acme.Counter\n"
                                 + "".join(f"  test \"bumps {n}\" do\n    assert Counter.bump() == :ok\n  end\n"
                                           for n in range(3)) + "end\n",
    })
    assert _found(root) == []
