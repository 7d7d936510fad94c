"""Test-suite hygiene: rules over the ExUnit files under `test/`.

Shared judgement for every rule here (the model is `model/testsuite.py`):

- Only test files are judged (`test/**`, not `test/support/`), and only their
  test modules (`use ExUnit.Case` or a case template).
- ExUnit's idioms are checks: `assert_receive`, `assert_raise`, `refute`,
  `assert %{...} = result`, a match on a pattern, a Mox `expect`, a helper of
  the file (or of `test/support`) that asserts.
- A test marked `@tag :skip` and a `test "name"` without a body (ExUnit's
  "not implemented") are left alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from tree_sitter import Node

from ..model.parsed import ParsedFile
from ..model.project import Project
from ..model.testsuite import (
    GlobalUse,
    TestCase,
    TestModule,
    TestSuite,
    call_name,
    discarded_check,
    global_uses,
    loose_statements,
    statements,
    test_suite,
)
from ..source.document import Span
from ..source.syntax import MAX_DEPTH, Call, arguments, call_target_name, operator, text
from .base import Confidence, FileRule, Finding, Location, ProjectRule, Related, Severity, register

DEFAULT_MAX_LINES = 400


def _short(node: Node, limit: int = 60) -> str:
    code = " ".join(text(node).split())
    return code if len(code) <= limit else code[: limit - 3] + "..."


def _suite(file: ParsedFile) -> TestSuite | None:
    if "test" not in file.kinds or file.tree is None:
        return None
    suite = test_suite(file)
    return suite if suite.modules else None


@register
class FileTooLong(ProjectRule):
    """A test file longer than the project allows (400 lines unless configured).

    ## What it finds

    A test file under `test/` with more lines than `max-test-file-lines` in
    `.beamsage.toml` (400 by default). Support files (`test/support/`) are not
    counted.

    ## Why it matters

    A test module that keeps growing usually tests several things at once: a
    context's every function, or a LiveView's every event. Failures are hard
    to place, `describe` blocks drift apart from the code they test, `setup`
    grows to serve all of them, and the file stops being read before it is
    changed. ExUnit runs modules, not files, concurrently: one big
    `async: true` module is also one long serial run.

    ## Example

    ```elixir
    # test/my_app/accounts_test.exs, 900 lines
    defmodule MyApp.AccountsTest do
      use MyApp.DataCase, async: true
      describe "users" do ... end
      describe "sessions" do ... end
      describe "tokens" do ... end
    end
    ```

    ## Use instead

    ```elixir
    # test/my_app/accounts/user_test.exs, test/my_app/accounts/session_test.exs, ...
    defmodule MyApp.Accounts.SessionTest do
      use MyApp.DataCase, async: true
      describe "create_session/1" do ... end
    end
    ```

    Shared setup moves to a helper in `test/support`. Raise
    `max-test-file-lines` in `.beamsage.toml` if the project prefers longer
    files.
    """

    id = "Tests.FileTooLong"
    severity = Severity.INFO
    confidence = Confidence.HIGH

    def check(self, project: Project) -> Iterable[Finding]:
        limit = project.settings.get("max-test-file-lines", DEFAULT_MAX_LINES)
        if not isinstance(limit, int):
            limit = DEFAULT_MAX_LINES
        for path, facts in project.files.items():
            tests = facts.tests
            if tests is None or "test" not in facts.kinds or tests.lines <= limit:
                continue
            line = facts.modules[0].line if facts.modules else 1
            message = (f"`{path}` is {tests.lines} lines long, over the {limit} of `max-test-file-lines`: "
                       f"a test file this size usually tests several things at once")
            fix = ("Split it by the function or feature under test (one module per `describe` that grew), "
                   "moving shared setup into a helper under `test/support`.")
            yield self.finding(path, Span(line, 1, line, 1), message, fix=fix)


@register
class SplitAssertions(FileRule):
    """Several tests with the same setup, each asserting one field of the same result.

    ## What it finds

    Three or more tests in one `describe` (or one module) that do the same
    thing (identical setup code, or the same value from `setup`) and each end
    with one assertion on a different field of the same variable:
    `assert quote.subtotal == ...`, `assert quote.tax == ...`.

    ## Why it matters

    Each test repeats the setup, so the suite does the same work (often
    database inserts) several times to check one result; and when the result
    is wrong, three failures report one bug, each showing one field. One
    assertion with a pattern shows every field that differs at once, in one
    test that says what the result should be.

    ## Example

    ```elixir
    test "subtotal", %{cart: cart} do
      quote = Pricing.quote(cart)
      assert quote.subtotal == 2_000
    end

    test "tax", %{cart: cart} do
      quote = Pricing.quote(cart)
      assert quote.tax == 400
    end

    test "total", %{cart: cart} do
      quote = Pricing.quote(cart)
      assert quote.total == 2_400
    end
    ```

    ## Use instead

    ```elixir
    test "prices the cart", %{cart: cart} do
      assert %{subtotal: 2_000, tax: 400, total: 2_400} = Pricing.quote(cart)
    end
    ```
    """

    id = "Tests.SplitAssertions"
    severity = Severity.INFO
    confidence = Confidence.MEDIUM
    MIN_TESTS = 3

    def check(self, file: ParsedFile) -> Iterable[Finding]:
        suite = _suite(file)
        if suite is None:
            return
        groups: dict[tuple, list[tuple[TestCase, str]]] = {}
        for module, test in suite.tests():
            shape = self._shape(test, suite)
            if shape is not None:
                key, field = shape
                groups.setdefault((id(module), test.describe.id if test.describe else None, *key), []).append(
                    (test, field))
        for key, members in groups.items():
            fields = list(dict.fromkeys(field for _, field in members))
            if len(members) < self.MIN_TESTS or len(fields) != len(members):
                continue
            yield self._finding(file, key[-1], members, fields)

    @staticmethod
    def _shape(test: TestCase, suite: TestSuite) -> tuple[tuple, str] | None:
        """`((context, setup statements, variable), field)` when the test ends with one field assertion."""
        body = statements(test.body)
        if not body or test.skipped:
            return None
        *setup, last = body
        target = _field_assertion(last)
        if target is None or any(suite.checks(statement) for statement in setup):
            return None
        variable, field = target
        context = " ".join(text(test.context).split()) if test.context is not None else ""
        if not setup and not re.search(rf"\b{re.escape(variable)}\b", context):
            return None  # the value comes from nowhere this test shows
        return (context, tuple(" ".join(text(s).split()) for s in setup), variable), field

    def _finding(self, file: ParsedFile, variable: str, members: list[tuple[TestCase, str]],
                 fields: list[str]) -> Finding:
        first = members[0][0]
        where = f'describe "{_describe_name(first.describe)}"' if first.describe is not None else "the module"
        listed = ", ".join(f"`{f}`" for f in fields)
        message = (f"{len(members)} tests in {where} set up the same `{variable}` and each assert one field of it "
                   f"({listed}): one test with one pattern says it once")
        pattern = ", ".join(f"{f.split('.')[0]}: ..." for f in fields if "[" not in f)
        fix = (f"Merge them into one test that asserts the whole result, e.g. "
               f"`assert %{{{pattern}}} = {variable}`, so a failure shows every field that differs.")
        related = [Related(Location.of(file.path, _head(file, test)), f'test "{test.name}" asserts `{field}`')
                   for test, field in members[1:]]
        return self.finding(file.path, _head(file, first), message, related=related, fix=fix)


def _describe_name(node: Node) -> str:
    args = arguments(node)
    return text(args[0]).strip('"') if args else "?"


def _head(file: ParsedFile, test: TestCase) -> Span:
    return file.doc.span_of_bytes(test.node.start_byte, test.head.end_byte)


_FIELD_OPERATORS = frozenset({"==", "===", "=~", "!=", "!=="})


def _field_assertion(node: Node) -> tuple[str, str] | None:
    """`(variable, field)` of `assert v.f == x`, `assert v.f`, `refute v.f`, `assert x == v[:f]`."""
    if node.type != "call":
        return None
    receiver, name = call_name(node)
    args = arguments(node)
    if receiver is not None or name not in ("assert", "refute") or len(args) != 1:
        return None
    arg = args[0]
    if arg.type == "binary_operator" and operator(arg) in _FIELD_OPERATORS:
        left, right = arg.child_by_field_name("left"), arg.child_by_field_name("right")
        found = [_field_of(side) for side in (left, right) if side is not None]
        found = [f for f in found if f is not None]
        return found[0] if len(found) == 1 else None
    return _field_of(arg)


def _field_of(node: Node) -> tuple[str, str] | None:
    """`("quote", "tax")` for `quote.tax`, `("quote", "lines.count")`..., `("quote", "[:tax]")` for `quote[:tax]`."""
    path: list[str] = []
    depth = 0
    while depth < MAX_DEPTH:
        depth += 1
        if node.type == "call" and not any(c.type == "arguments" for c in node.children):
            target = node.child(0)
            right = target.child_by_field_name("right") if target is not None and target.type == "dot" else None
            left = target.child_by_field_name("left") if target is not None and target.type == "dot" else None
            if right is None or left is None or right.type != "identifier":
                return None
            path.append(text(right))
            node = left
        elif node.type == "access_call" and node.named_child_count == 2:
            path.append(f"[{text(node.named_children[1])}]")
            node = node.named_children[0]
        elif node.type == "identifier" and path:
            return text(node), ".".join(reversed(path)).replace(".[", "[")
        else:
            return None
    return None


# The clock read after a sleep: the sleep was there to make a new timestamp differ from an old one.
_TIMESTAMP = re.compile(r"\b\w+_at\b|\b(?:Naive)?DateTime\.(?:compare|diff|utc_now|now)\b|\btimestamps?\b"
                        r"|\b(?:monotonic|system|os)_time\b")
# Calls that run their function argument in the calling process: a sleep there is the test's own.
_SAME_PROCESS = frozenset({"Enum", "Stream", "ExUnit.CaptureLog", "ExUnit.CaptureIO"})
_SAME_PROCESS_LOCAL = frozenset({"capture_log", "capture_io", "with_log", "with_io", "assert_raise", "catch_error",
                                 "catch_exit", "catch_throw", "then", "tap"})


@register
class SleepInTest(FileRule):
    """`Process.sleep`/`:timer.sleep` in a test, waiting a fixed time for something to happen.

    ## What it finds

    `Process.sleep/1` and `:timer.sleep/1` in a test file:

    - in a test (or `setup`) that then asserts: it waits for work in another
      process (high confidence);
    - used to move the clock past a timestamp (`updated_at`, `DateTime`...) or
      in a helper the tests call (medium);
    - in a polling loop: it slows each run (low).

    Left alone: `Process.sleep(:infinity)` (a process that only waits to be
    killed), and a sleep in code the test does not run itself: an `fn`
    handed to a mock or stub (`with_mock`, Mox `expect`/`stub`), to `spawn`
    or a `Task`, or a function of a fake module in the test file. Such a
    sleep is the latency or the hang the test provokes (a timeout test
    needs it), not the test waiting.

    ## Why it matters

    A fixed sleep is both too long and too short: every run pays the full
    delay, and on a loaded CI machine the work is not done yet, so the test
    fails at random. Elixir gives a better tool for every case: the process
    under test can tell the test it is done (`assert_receive` waits only as
    long as needed, up to a timeout), `:sys.get_state/1` waits until a
    GenServer has handled what was sent before it, and time can be passed in
    rather than waited for.

    ## Example

    ```elixir
    test "refreshes the cache on update" do
      {:ok, _} = Catalog.update_product(product, %{stock: 2})
      Process.sleep(100)
      assert StockCache.stock(product.id) == 2
    end
    ```

    ## Use instead

    ```elixir
    test "refreshes the cache on update" do
      Phoenix.PubSub.subscribe(Shop.PubSub, "stock")
      {:ok, _} = Catalog.update_product(product, %{stock: 2})
      assert_receive {:stock_changed, _}, 1_000
      # or, for a GenServer: :sys.get_state(StockCache) returns once earlier messages are handled
      assert StockCache.stock(product.id) == 2
    end
    ```
    """

    id = "Tests.SleepInTest"
    severity = Severity.WARNING
    confidence = Confidence.HIGH

    def check(self, file: ParsedFile) -> Iterable[Finding]:
        suite = _suite(file)
        if suite is None:
            return
        for call in file.outline.calls:
            if not (call.is_("Process", "sleep") or call.is_(":timer", "sleep")) or call.in_quote or not call.args:
                continue
            if text(call.args[0]) == ":infinity":
                continue
            finding = self._judge(file, suite, call)
            if finding is not None:
                yield finding

    def _judge(self, file: ParsedFile, suite: TestSuite, call: Call) -> Finding | None:
        code = _short(call.node)
        delay = text(call.args[0])
        span = file.span(call.node)
        if _in_other_process(call.node):
            return None  # a fake's latency or hang, which the test provokes; not the test waiting
        if call.owner is not None:
            return self._in_function(file, suite, call, code, delay, span)
        found = suite.test_at(call.node)
        body, label = (found[1].body, f'test "{found[1].name}"') if found else (_setup_of(call.node), "`setup`")
        if body is None:
            return None
        after = file.doc.data[call.node.end_byte:body.end_byte].decode("utf-8", "replace")
        if _TIMESTAMP.search(after) or _tiny(delay):
            message = (f"`{code}` in {label} waits for the clock to move past a timestamp: every run pays for it, "
                       f"and a coarse clock can still tie")
            fix = ("Pass the time in instead of waiting for it: set `inserted_at`/`updated_at` in the fixture, "
                   "or give the code a clock or a `now` argument the test controls.")
            return self.finding(file.path, span, message, confidence=Confidence.MEDIUM, fix=fix)
        if found and suite.checks(body, after=call.node.end_byte):
            message = (f"`{code}` in {label} waits a fixed {delay} ms for work in another process before "
                       f"asserting: slow when the work is quick, failing at random when CI is slower")
            return self.finding(file.path, span, message, fix=_WAIT_FIX)
        message = f"`{code}` in {label} waits a fixed {delay} ms: every run pays for it"
        return self.finding(file.path, span, message, confidence=Confidence.MEDIUM, fix=_WAIT_FIX)

    def _in_function(self, file: ParsedFile, suite: TestSuite, call: Call, code: str, delay: str,
                     span: Span) -> Finding | None:
        owner = call.owner
        if suite.module_of(owner.module) is None:
            return None  # a function of a fake module (a GenServer, a Plug): its latency is the point
        recursive = any(c.owner is not None and c.owner.module is owner.module and c.owner.name == owner.name
                        and c.module is None and c.name == owner.name for c in file.outline.calls)
        if recursive:
            message = f"`{code}` in a polling loop slows every run by {delay} ms"
            return self.finding(file.path, span, message, confidence=Confidence.LOW, fix=_POLL_FIX)
        message = (f"`{code}` in helper `{owner.name}/{owner.arity}` makes every test that calls it wait a fixed "
                   f"{delay} ms")
        return self.finding(file.path, span, message, confidence=Confidence.MEDIUM, fix=_WAIT_FIX)


_WAIT_FIX = ("Wait for a message instead: have the process notify the test (or subscribe to the PubSub topic it "
             "broadcasts on) and `assert_receive pattern, 1_000`; for a GenServer, `:sys.get_state(pid)` returns "
             "once it has handled what was sent before.")
_POLL_FIX = "Poll with a short interval and a bounded number of tries, or wait for a message instead of polling."


def _tiny(delay: str) -> bool:
    return delay.replace("_", "").isdigit() and int(delay.replace("_", "")) <= 2


def _in_other_process(node: Node) -> bool:
    """Whether a node sits in an `fn` handed to something other than `Enum`/`Stream`/`capture_log`: a process,
    a mock, a stub, code the test does not run itself."""
    parent, depth = node.parent, 0
    while parent is not None and depth < MAX_DEPTH:
        if parent.type == "anonymous_function":
            holder = parent.parent.parent if parent.parent is not None and parent.parent.type == "arguments" else None
            receiver, name = call_name(holder) if holder is not None and holder.type == "call" else (None, None)
            same = text(receiver) in _SAME_PROCESS if receiver is not None else name in _SAME_PROCESS_LOCAL
            if not same and not _called_by_test(parent):
                return True
        if parent.type == "call" and call_target_name(parent) in ("test", "setup", "setup_all", "describe"):
            return False
        parent, depth = parent.parent, depth + 1
    return False


def _called_by_test(fn: Node) -> bool:
    """`wait = fn -> ... end` that the code around it then calls (`wait.()`): the test runs it itself."""
    bound = fn.parent
    if bound is None or bound.type != "binary_operator" or operator(bound) != "=" or \
            bound.child_by_field_name("right") != fn:
        return False
    variable = bound.child_by_field_name("left")
    block = bound.parent
    if variable is None or variable.type != "identifier" or block is None or block.text is None:
        return False
    after = block.text[bound.end_byte - block.start_byte:]
    return re.search(rb"\b" + re.escape(variable.text or b"") + rb"\.\(", after) is not None


def _setup_of(node: Node) -> Node | None:
    parent, depth = node.parent, 0
    while parent is not None and depth < MAX_DEPTH:
        if parent.type == "call" and call_target_name(parent) in ("setup", "setup_all"):
            return parent
        parent, depth = parent.parent, depth + 1
    return None


@register
class AsyncWithGlobalState(FileRule):
    """An `async: true` test module that changes state every other test shares.

    ## What it finds

    A test module declared `async: true` whose tests, setup or helpers change
    global state: `Application.put_env`/`delete_env`, `System.put_env`,
    `:persistent_term`, Mox or Mimic global mode (`setup :set_mox_global`), the
    Ecto sandbox in shared mode, `:meck`/Mock, the Logger configuration, or a
    process or ETS table registered under a fixed name (medium confidence: it
    only clashes with another module using the same name).

    `async: false` modules, and modules in an ExUnit `group:` (Elixir 1.18,
    whose modules never run together), are fine.

    ## Why it matters

    `async: true` runs the module at the same time as every other async
    module. The application environment, OS environment and global mocks are
    one per node: while this module has changed them, tests elsewhere read
    the changed value, or their own change is undone under them. The
    failures appear at random, in other files, and vanish when run alone.

    ## Example

    ```elixir
    defmodule MyApp.MailerTest do
      use MyApp.DataCase, async: true

      test "uses the sandbox adapter" do
        Application.put_env(:my_app, MyApp.Mailer, adapter: Swoosh.Adapters.Test)
        ...
      end
    end
    ```

    ## Use instead

    ```elixir
    defmodule MyApp.MailerTest do
      use MyApp.DataCase, async: false

      setup do
        previous = Application.get_env(:my_app, MyApp.Mailer)
        Application.put_env(:my_app, MyApp.Mailer, adapter: Swoosh.Adapters.Test)
        on_exit(fn -> Application.put_env(:my_app, MyApp.Mailer, previous) end)
      end
    end
    ```

    Better still, pass the setting to the code under test (an option, a
    process-scoped Mox stub) so the module can stay async.
    """

    id = "Tests.AsyncWithGlobalState"
    severity = Severity.WARNING
    confidence = Confidence.HIGH

    def check(self, file: ParsedFile) -> Iterable[Finding]:
        suite = _suite(file)
        if suite is None:
            return
        for module in suite.modules:
            if module.async_value != "true" or module.grouped:
                continue
            seen: set[str] = set()
            if _isolates_env(module):
                seen.add(_APP_ENV)
            for use in global_uses(file, module.module):
                if use.what not in seen:  # the first change of each kind: restoring it in `on_exit` is the same
                    seen.add(use.what)
                    yield self._finding(file, module, use)

    def _finding(self, file: ParsedFile, module: TestModule, use: GlobalUse) -> Finding:
        written = arguments(module.use.node)
        case = text(written[0]) if written else module.use.module  # as the module writes it, alias and all
        message = (f"`{_short(use.node)}` {use.what} while `{module.module.name}` runs `async: true`: "
                   f"tests in other modules run at the same time and see it")
        fix = (f"Use `use {case}, async: false` for this module (restoring the old value in `on_exit`), or pass "
               f"the setting to the code under test so the module can stay async.")
        return self.finding(file.path, file.span(use.node), message, confidence=Confidence(use.confidence), fix=fix)


_APP_ENV = "changes the application environment"


def _isolates_env(module: TestModule) -> bool:
    """`use Repatch.ExUnit, isolate_env: :local`: the application environment is the test process's own."""
    return any(use.module == "Repatch.ExUnit" and "isolate_env" in (use.argument or "") for use in module.module.uses)


@register
class MissingAsync(ProjectRule):
    """A plain ExUnit module that touches no shared state but runs serially (advice).

    ## What it finds

    A module with `use ExUnit.Case` and no `async:` option, with at least
    three tests, whose code touches nothing other modules share: no database,
    application or OS environment, files, logs, global mocks, started or
    named processes, and no module of the project that runs as a process.
    Case templates (`DataCase`, `ConnCase`) and an explicit `async: false`
    are left alone: those are deliberate.

    ## Why it matters

    ExUnit runs `async: true` modules concurrently, one per scheduler, and
    every other module afterwards, one at a time. Pure tests (parsers,
    formatters, changesets without a Repo) are the cheapest to run in
    parallel; left serial they add their whole run time to every `mix test`.

    ## Example

    ```elixir
    defmodule MyApp.MoneyTest do
      use ExUnit.Case

      test "formats cents" do
        assert Money.format(1_450) == "14.50"
      end
    end
    ```

    ## Use instead

    ```elixir
    defmodule MyApp.MoneyTest do
      use ExUnit.Case, async: true

      test "formats cents" do
        assert Money.format(1_450) == "14.50"
      end
    end
    ```
    """

    id = "Tests.MissingAsync"
    severity = Severity.INFO
    confidence = Confidence.MEDIUM
    MIN_TESTS = 3
    _SHARED_KINDS = frozenset({"genserver", "agent", "gen_statem", "supervisor", "application", "repo", "genstage",
                               "endpoint", "oban_worker", "presence"})

    def check(self, project: Project) -> Iterable[Finding]:
        for path, facts in project.files.items():
            if facts.tests is None:
                continue
            for module in facts.tests.serial:
                if module.tests < self.MIN_TESTS or any(self._shared(project, name) for name in module.calls):
                    continue
                message = (f"`{module.module}` touches no state other tests share, yet without `async: true` "
                           f"its {module.tests} tests run alone, after every async module")
                fix = "Use `use ExUnit.Case, async: true` so it runs concurrently with the other async modules."
                span = Span(module.line, module.column, module.end_line, module.end_column)
                yield self.finding(path, span, message, fix=fix)

    def _shared(self, project: Project, name: str) -> bool:
        found = project.modules.get(name)
        if found is None:
            return False
        facts, module = found
        if set(module.kinds) & self._SHARED_KINDS:
            return True
        otp = facts.otp
        return otp is not None and any(p.module == name and p.name_kind is not None for p in otp.processes)


@register
class NoAssertion(FileRule):
    """A test that checks nothing, or computes a check and throws it away.

    ## What it finds

    - A test with no assertion of any kind: no `assert`/`refute` (nor
      `assert_receive`, `assert_raise`...), no match on a pattern
      (`{:ok, _} = ...`), no Mox `expect`, no response check
      (`html_response(conn, 200)`), and no call to a helper that asserts (in
      the same file, or a public helper in `test/support`).
    - A comparison or predicate whose result nobody uses:
      `html_response(conn, 200) =~ "Orders"` or `has_element?(view, "#x")` on
      a line of its own, with the `assert` forgotten.

    A test whose last step is a `!` function (it checks that nothing raises)
    and browser-style tests (Wallaby, PhoenixTest: each step raises when its
    element is missing) are reported at low confidence.

    ## Why it matters

    Such a test passes whatever the code does: it runs the code (which may
    raise) and reports green. The forgotten `assert` is the common case: the
    line reads like a check, and the test never fails, so nobody notices.

    ## Example

    ```elixir
    test "lists orders", %{conn: conn} do
      conn = get(conn, ~p"/orders")
      html_response(conn, 200) =~ "Listing Orders"
    end
    ```

    ## Use instead

    ```elixir
    test "lists orders", %{conn: conn} do
      conn = get(conn, ~p"/orders")
      assert html_response(conn, 200) =~ "Listing Orders"
    end
    ```
    """

    id = "Tests.NoAssertion"
    severity = Severity.WARNING
    confidence = Confidence.HIGH

    def check(self, file: ParsedFile) -> Iterable[Finding]:
        suite = _suite(file)
        if suite is None:
            return
        for _, test in suite.tests():
            if test.skipped:
                continue
            for statement in loose_statements(test.body):
                kind = discarded_check(statement)
                if kind is None:
                    continue
                code = _short(statement)
                what = "compares" if kind == "comparison" else "asks"
                message = (f'`{code}` in test "{test.name}" {what} and throws the answer away: '
                           f"without `assert` the test passes either way")
                yield self.finding(file.path, file.span(statement), message, fix=f"Assert it: `assert {code}`.")

    def check_project(self, project: Project) -> Iterable[Finding]:
        helpers = _checking_helpers(project)
        defined: set[str] | None = None
        for path, facts in project.files.items():
            if facts.tests is None or not facts.tests.silent:
                continue
            for test in facts.tests.silent:
                if any(call in helpers for call in test.calls):
                    continue
                if defined is None:
                    defined = _defined_functions(project)
                confidence = Confidence.HIGH
                if test.style:
                    confidence = Confidence.LOW
                elif test.unknown and any(c not in defined for c in test.calls if "." not in c.split("/")[0]):
                    confidence = Confidence.MEDIUM  # an imported helper beamsage cannot see may assert
                message = f'test "{test.test}" in `{test.module}` asserts nothing: it passes whatever the code does'
                if test.style == "raises":
                    message += " (its only check is that the last call does not raise)"
                elif test.style == "feature":
                    message += " (its browser steps only check that the elements exist)"
                fix = ("Assert the outcome: the returned value (`assert {:ok, %{...}} = ...`), the response "
                       "(`assert html_response(conn, 200) =~ ...`), the message sent (`assert_receive ...`), or "
                       "the new state read back.")
                span = Span(test.line, test.column, test.end_line, test.end_column)
                yield self.finding(path, span, message, confidence=confidence, fix=fix)


def _checking_helpers(project: Project) -> set[str]:
    """Keys (`name/arity`, `Mod.name/arity`) of the public test helpers that check, through other files too."""
    helpers = [h for facts in project.files.values() if facts.tests for h in facts.tests.helpers]
    found: set[str] = set()

    def keys(h) -> Iterator[str]:
        for arity in range(h.min_arity, h.arity + 1):
            yield f"{h.name}/{arity}"
            yield f"{h.module}.{h.name}/{arity}"

    pending = []
    for helper in helpers:
        if helper.checks:
            found.update(keys(helper))
        elif helper.calls:
            pending.append(helper)
    changed = True
    while changed and pending:
        changed = False
        for helper in list(pending):
            if any(call in found for call in helper.calls):
                found.update(keys(helper))
                pending.remove(helper)
                changed = True
    return found


def _defined_functions(project: Project) -> set[str]:
    """`name/arity` of every function the project defines (an unqualified call may be imported from any)."""
    found = set()
    for facts in project.files.values():
        for module in facts.modules:
            for function in module.functions:
                for arity in range(function.min_arity, function.arity + 1):
                    found.add(f"{function.name}/{arity}")
    return found
