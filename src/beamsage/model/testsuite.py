"""The test suite as a reviewer reads it: ExUnit modules, their tests, and what each test checks.

A test module is a module of a file under `test/` (not `test/support/`) that
`use`s `ExUnit.Case` or a case template (`MyApp.DataCase`, `MyAppWeb.ConnCase`,
anything named `*Case`), or that `use`s some other module and writes tests
(`test` is ExUnit's macro, so what it `use`s is a case template however it is
named: `use MyAppWeb.ConnCase.Browser, async: true`). Its tests are the
`test`/`feature`/`property` calls with a body; `test "name"` without one is
ExUnit's "not implemented" marker and is left alone.

What counts as checking something, the way ExUnit users write it:

- every `assert*`/`refute*` macro or helper (`assert_receive`, `assert_raise`,
  `refute_received`, Oban's `assert_enqueued`, Swoosh's `assert_email_sent`...),
  `flunk`, `catch_error`/`catch_exit`/`catch_throw`, `raise`;
- a match on a pattern (`{:ok, user} = ...`, `%{id: id} = ...`): it raises
  `MatchError` when the result differs;
- expectations checked when the test ends (Mox/Hammox/Mimic `expect`, Bypass
  `expect`/`expect_once`);
- Phoenix.ConnTest/LiveViewTest helpers that raise unless the response is what
  they name (`html_response(conn, 200)`, `json_response`, `redirected_to`,
  `follow_redirect`...);
- a call to a helper of the same file that checks (transitively), or, across
  files, to a public helper of `test/support` (or another test file) that does:
  the project phase resolves those through `TestFacts.helpers`.

The facts recorded here (`TestFacts`) are what the `Tests.*` project checks
need across files: each test file's length, its tests that check nothing by
themselves (with the helpers they call), its public helpers, and its modules
that run serially though they touch no shared state.
"""

from __future__ import annotations

import re
import weakref
from bisect import bisect_right
from dataclasses import dataclass
from typing import TYPE_CHECKING

import msgspec
from tree_sitter import Node

from ..source.syntax import (
    Call,
    ModuleDef,
    Use,
    arguments,
    atom_value,
    call_target_name,
    do_block,
    keyword,
    module_reference,
    operator,
    string_value,
    text,
    walk,
)

if TYPE_CHECKING:
    from .parsed import ParsedFile

TEST_MACROS = frozenset({"test", "feature", "property"})
SETUP_MACROS = frozenset({"setup", "setup_all"})
# Checks not named `assert*`/`refute*`: ExUnit's own, and expectations verified when the test ends.
CHECKS = frozenset({"flunk", "catch_error", "catch_exit", "catch_throw", "raise", "reraise", "expect", "expect_once",
                    "verify!", "verify_on_exit!", "forall", "forall_targeted"})
# Phoenix.ConnTest / LiveViewTest helpers that raise unless the response is what they name.
RESPONSE_CHECKS = frozenset({"html_response", "json_response", "text_response", "response", "redirected_to",
                             "redirected_params", "follow_redirect"})
# Imported test helpers of Phoenix, LiveView, ExMachina and Oban known to check nothing: a test that calls
# only these (and no helper of its own) surely asserts nothing.
PASSIVE_HELPERS = frozenset({
    "get", "post", "put", "patch", "delete", "head", "options", "dispatch", "build_conn", "init_test_session",
    "put_req_header", "put_req_cookie", "recycle", "fetch_flash", "live", "live_isolated", "render", "render_click",
    "render_submit", "render_change", "render_keydown", "render_keyup", "render_blur", "render_focus",
    "render_hook", "render_patch", "render_async", "render_component", "element", "form", "insert", "insert!",
    "insert_list", "build", "build_list", "params_for", "string_params_for", "perform_job", "to_string",
})
# Steps of browser-style tests (Wallaby, PhoenixTest) raise when the element they look for is missing.
_FEATURE_LIBRARIES = ("Wallaby", "PhoenixTest")
_FEATURE_STEPS = frozenset({"visit", "click_link", "click_button", "fill_in", "fill_form", "submit"})
# Calls to these modules never reach a test helper of the project.
_LIBRARY = frozenset({"Enum", "Map", "MapSet", "List", "Keyword", "String", "Integer", "Float", "Kernel", "Process",
                      "Task", "Agent", "GenServer", "Application", "System", "File", "Path", "IO", "Jason", "DateTime",
                      "NaiveDateTime", "Date", "Time", "ExUnit", "Mox", "Oban", "Floki", "Regex", "Tuple", "Access",
                      "Base", "URI", "Stream", "Range", "Logger", "Decimal", "Code", "Module", "Registry"})
_LIBRARY_NAMESPACES = ("Ecto.", "Phoenix.", "Plug.", "ExUnit.", "Oban.", "Mox.", ":")


def is_library(module: str) -> bool:
    return module in _LIBRARY or module.startswith(_LIBRARY_NAMESPACES)


def call_name(node: Node) -> tuple[Node | None, str | None]:
    """`(receiver node, name)` of a call node: `(None, "foo")` for `foo(x)`, `(Mod, "f")` for `Mod.f(x)`."""
    target = node.child(0)
    if target is None:
        return None, None
    if target.type == "identifier":
        return None, text(target)
    if target.type == "dot":
        right = target.child_by_field_name("right")
        if right is not None and right.type == "identifier":
            return target.child_by_field_name("left"), text(right)
    return None, None


def has_arguments(node: Node) -> bool:
    return any(child.type in ("arguments", "do_block") for child in node.children)


def is_check(node: Node, helpers: frozenset[str] | set[str] = frozenset()) -> bool:
    """Whether a node is itself a check: an assertion call or a match on a pattern."""
    if node.type == "call":
        receiver, name = call_name(node)
        if not name:
            return False
        # `assert*`, `refute*`, and library checks such as Mneme's `auto_assert`
        return ("assert" in name or "refute" in name or name in CHECKS or name in RESPONSE_CHECKS
                or (receiver is None and name in helpers)) and has_arguments(node)
    if node.type == "binary_operator" and operator(node) == "=":
        left = node.child_by_field_name("left")
        return left is not None and left.type != "identifier"
    return False


def checks(node: Node | None, helpers: frozenset[str] | set[str] = frozenset(), after: int = -1) -> bool:
    """Whether any code under `node` (starting after byte `after`) checks something."""
    if node is None:
        return False
    return any(n.start_byte > after and is_check(n, helpers) for n in walk(node))


def statements(body: Node | None) -> list[Node]:
    """The expressions of a `do` block, or of a `do:` value (a `(a; b)` block counts as several)."""
    if body is None:
        return []
    if body.type in ("do_block", "block"):
        return [c for c in body.named_children if c.type != "comment" and not c.type.endswith("_block")]
    return [body]


def describe_of(node: Node, module: Node) -> Node | None:
    """The `describe` call around a node, inside its module."""
    parent = node.parent
    while parent is not None and parent.id != module.id:
        if parent.type == "call" and call_target_name(parent) == "describe":
            return parent
        parent = parent.parent
    return None


@dataclass(eq=False)
class TestCase:
    node: Node  # the `test` call
    name: str
    head: Node  # the name argument: a finding spans `test "name"`
    body: Node
    context: Node | None  # `%{conn: conn}`
    describe: Node | None
    skipped: bool


@dataclass(eq=False)
class TestModule:
    module: ModuleDef
    use: Use  # `use ExUnit.Case, async: true` (or a case template)
    tests: list[TestCase]

    @property
    def options(self) -> Node | None:
        args = arguments(self.use.node)
        return args[1] if len(args) > 1 else None

    @property
    def async_value(self) -> str | None:
        """`"true"`, `"false"`, another expression as written, or None when not given."""
        value = keyword(self.options, "async")
        return text(value) if value is not None else None

    @property
    def grouped(self) -> bool:
        """`use ExUnit.Case, async: true, group: :x` (Elixir 1.18): modules of one group never run together."""
        return keyword(self.options, "group") is not None

    @property
    def plain(self) -> bool:
        return self.use.module == "ExUnit.Case"


class TestSuite:
    """The test modules of one file, their tests, and the file's helpers that check."""

    def __init__(self, file: ParsedFile):
        self.file = file
        self.modules: list[TestModule] = []
        self._tests: list[tuple[TestModule, TestCase]] | None = None
        self._starts: list[int] = []
        self._calls: dict[int, list[Call]] | None = None
        self._by_module: dict[int, TestModule] = {}
        if "test" in file.kinds:
            self._find_tests()
        self._helper_bodies: dict[str, tuple[bool, set[str]]] = {}
        self.helpers: frozenset[str] = self._checking_helpers()

    def module_of(self, module: ModuleDef | None) -> TestModule | None:
        return self._by_module.get(id(module))

    def calls_in(self, module: ModuleDef) -> list[Call]:
        """The calls a module's own code makes (not `quote`d code), grouped once per file."""
        if self._calls is None:
            self._calls = {}
            for call in self.file.outline.calls:
                if not call.in_quote and call.name is not None:
                    self._calls.setdefault(id(call.module_def), []).append(call)
        return self._calls.get(id(module), [])

    def tests(self) -> list[tuple[TestModule, TestCase]]:
        if self._tests is None:
            self._tests = sorted(((module, test) for module in self.modules for test in module.tests),
                                 key=lambda pair: pair[1].body.start_byte)
            self._starts = [test.body.start_byte for _, test in self._tests]
        return self._tests

    def test_at(self, node: Node) -> tuple[TestModule, TestCase] | None:
        """The test whose body holds a node (tests do not nest: one search in their sorted bodies)."""
        tests = self.tests()
        index = bisect_right(self._starts, node.start_byte) - 1
        if index >= 0 and node.start_byte < tests[index][1].body.end_byte:
            return tests[index]
        return None

    def checks(self, node: Node | None, after: int = -1) -> bool:
        return checks(node, self.helpers, after)

    # -- discovery -------------------------------------------------------------

    def _find_tests(self) -> None:
        by_module: dict[int, TestModule] = {}
        unnamed: set[int] = set()  # modules whose case template is not named like one: kept if they have tests
        for module in self.file.outline.modules:
            use = next((u for u in module.uses if _is_case(u.module)), None)
            if use is None and module.uses:
                use = _template_use(module.uses)
                unnamed.add(id(module))
            if use is not None:
                by_module[id(module)] = TestModule(module, use, [])
        if not by_module:
            return
        for call in self.file.outline.calls:
            if call.module is not None or call.name not in TEST_MACROS or call.owner is not None or call.in_quote:
                continue
            found = by_module.get(id(call.module_def))
            test = _test_case(call, found.module if found else None) if found else None
            if test is not None:
                found.tests.append(test)
        by_module = {key: found for key, found in by_module.items() if key not in unnamed or found.tests}
        self.modules = list(by_module.values())
        self._by_module = by_module

    def _checking_helpers(self) -> frozenset[str]:
        """Names of the file's functions that check, directly or through other functions of the file."""
        if not self.file.kinds & {"test", "test_support"}:
            return frozenset()
        bodies = self._helper_bodies
        for clause in self.file.outline.clauses:
            if clause.body is None:
                continue
            direct, local = bodies.get(clause.name, (False, set()))
            for node in walk(clause.body):
                if node.type != "call":
                    continue
                if not direct and is_check(node):
                    direct = True
                receiver, name = call_name(node)
                if receiver is None and name:
                    local.add(name)
            bodies[clause.name] = (direct, local)
        found = {name for name, (direct, _) in bodies.items() if direct}
        changed = True
        while changed:
            changed = False
            for name, (_, local) in bodies.items():
                if name not in found and local & found:
                    found.add(name)
                    changed = True
        return frozenset(found)


def _is_case(module: str) -> bool:
    return module == "ExUnit.Case" or module.endswith("Case") or module.startswith("Wallaby.Feature")


def _template_use(uses: list[Use]) -> Use:
    """The `use` that brings ExUnit into a module writing tests, when no `use` is named like a case: the one
    given `async:` (only `ExUnit.Case` takes it), else the first."""
    return next((u for u in uses if u.argument and re.search(r"\basync:", u.argument)), uses[0])


def _test_case(call: Call, module: ModuleDef | None) -> TestCase | None:
    args = call.args
    if not args or args[0].type not in ("string", "charlist"):
        return None
    body = do_block(call.node)
    if body is None and args[-1].type == "keywords":
        body = keyword(args[-1], "do")
    if body is None:
        return None  # `test "name"`: ExUnit's "not implemented" marker
    name = string_value(args[0])
    if name is None:
        name = text(args[0]).strip('"')
    context = args[1] if len(args) > 1 and args[1].type != "keywords" else None
    describe = describe_of(call.node, module.node) if module is not None else None
    skipped = _skipped(call.node, describe, module)
    return TestCase(call.node, name, args[0], body, context, describe, skipped)


_SKIP = re.compile(r"(?:^|[\s\[,(]):?skip\b")


def _skipped(node: Node, describe: Node | None, module: ModuleDef | None) -> bool:
    """`@tag :skip` right before the test, `@describetag :skip` in its describe, `@moduletag :skip`."""
    sibling = node.prev_named_sibling
    while sibling is not None and sibling.type in ("unary_operator", "comment"):
        if sibling.type == "unary_operator":
            operand = sibling.child_by_field_name("operand")
            if operand is None or call_target_name(operand) != "tag":
                break
            if _SKIP.search(text(operand)[3:]):
                return True
        sibling = sibling.prev_named_sibling
    if describe is not None:
        for statement in statements(do_block(describe)):
            operand = statement.child_by_field_name("operand") if statement.type == "unary_operator" else None
            if operand is not None and call_target_name(operand) == "describetag" and _SKIP.search(text(operand)[11:]):
                return True
    if module is not None:
        return any(_SKIP.search(text(tag)) for tag in module.attributes.get("moduletag", ()))
    return False


_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def test_suite(file: ParsedFile) -> TestSuite:
    """The file's test suite, built once per parsed file (rules and facts share it)."""
    suite = _CACHE.get(file)
    if suite is None:
        suite = _CACHE[file] = TestSuite(file)
    return suite


# -- shared state -------------------------------------------------------------------------

# Calls that change state every test of the run shares: `(module, name) -> (what it changes, confidence)`.
GLOBAL_CALLS: dict[tuple[str, str], tuple[str, str]] = {
    **{("Application", n): ("changes the application environment", "high")
       for n in ("put_env", "put_all_env", "delete_env")},
    ("Application", "stop"): ("stops the application", "high"),
    **{("System", n): ("changes the OS environment", "high") for n in ("put_env", "delete_env")},
    **{(":persistent_term", n): ("writes `:persistent_term`", "high") for n in ("put", "erase")},
    **{("Logger", n): ("changes the Logger configuration", "medium")
       for n in ("configure", "put_module_level", "put_application_level", "add_backend", "remove_backend")},
    **{(":logger", n): ("changes the Logger configuration", "medium")
       for n in ("set_primary_config", "update_primary_config", "set_module_level", "set_application_level",
                 "add_handler", "remove_handler")},
    ("Mox", "set_mox_global"): ("puts Mox in global mode", "high"),
    ("Hammox", "set_mox_global"): ("puts Mox in global mode", "high"),
    ("Mimic", "set_mimic_global"): ("puts Mimic in global mode", "high"),
    ("Req.Test", "set_req_test_to_shared"): ("shares Req.Test stubs with every process", "high"),
    ("Tesla.Mock", "mock_global"): ("installs a Tesla mock for every process", "high"),
    (":meck", "new"): ("replaces a module's code for every process (`:meck`)", "high"),
    ("Process", "register"): ("registers a fixed process name", "medium"),
    (":global", "register_name"): ("registers a cluster-wide name", "medium"),
}
# Unqualified (imported) forms, and `setup :name` references, of the same.
GLOBAL_LOCALS: dict[str, tuple[str, str]] = {
    "set_mox_global": ("puts Mox in global mode", "high"),
    "set_mimic_global": ("puts Mimic in global mode", "high"),
    "set_req_test_to_shared": ("shares Req.Test stubs with every process", "high"),
    "mock_global": ("installs a Tesla mock for every process", "high"),
    **{n: ("replaces a module's code for every process (Mock)", "high")
       for n in ("with_mock", "with_mocks", "test_with_mock", "setup_with_mocks")},
}
_STARTERS = {"start_supervised", "start_supervised!", "start_link_supervised!"}
_START_MODULES = frozenset({"GenServer", "Agent", "Supervisor", "Registry", "DynamicSupervisor", "Task.Supervisor"})
_SANDBOX = frozenset({"Ecto.Adapters.SQL.Sandbox"})


@dataclass(frozen=True)
class GlobalUse:
    node: Node
    what: str  # "changes the application environment"
    confidence: str


def global_uses(file: ParsedFile, module: ModuleDef) -> list[GlobalUse]:
    """Calls in a module (its tests, setups and helpers) that change state shared by every test of the run."""
    found = []
    for call in test_suite(file).calls_in(module):
        use = _global_use(call)
        if use is not None:
            found.append(use)
    return found


def _global_use(call: Call) -> GlobalUse | None:
    name = call.name
    if call.module is not None:
        known = GLOBAL_CALLS.get((call.module, name))
        if known is not None:
            return GlobalUse(call.node, *known)
        if call.module in _SANDBOX and name == "mode" and len(call.args) > 1 and _shared_mode(call.args[1]):
            return GlobalUse(call.node, "puts the Ecto sandbox in shared mode", "high")
        if call.module == ":ets" and name == "new" and len(call.args) > 1 and "named_table" in text(call.args[1]):
            return GlobalUse(call.node, "creates a named ETS table", "medium")
        if call.module in _START_MODULES and name in ("start", "start_link") and _literal_name(call.node):
            return GlobalUse(call.node, "registers a fixed process name", "medium")
        return None
    if name in GLOBAL_LOCALS:
        return GlobalUse(call.node, *GLOBAL_LOCALS[name])
    if name in SETUP_MACROS and call.args:
        for value in _setup_names(call.args[0]):
            if value in GLOBAL_LOCALS:
                return GlobalUse(call.node, *GLOBAL_LOCALS[value])
    if name in _STARTERS and _literal_name(call.node):
        return GlobalUse(call.node, "registers a fixed process name", "medium")
    return None


def _setup_names(node: Node) -> list[str]:
    """`setup :set_mox_global` and `setup [:verify_on_exit!, :set_mox_global]`."""
    if node.type == "atom":
        return [atom_value(node) or ""]
    if node.type == "list":
        return [atom_value(item) or "" for item in node.named_children if item.type == "atom"]
    return []


def _shared_mode(node: Node) -> bool:
    """`{:shared, self()}` or `:auto`: every process shares one connection, or none is checked out."""
    if node.type == "atom":
        return atom_value(node) == "auto"
    return node.type == "tuple" and bool(node.named_children) and atom_value(node.named_children[0]) == "shared"


def _literal_name(node: Node) -> bool:
    """A `name:` option with a fixed atom or module (`name: MyApp.Cache`, `name: :cache`)."""
    for child in walk(node):
        if child.type in ("keywords", "list"):
            value = keyword(child, "name")
            # `name: __MODULE__` names the test module itself: no other module registers it.
            if value is not None and value.type in ("atom", "alias"):
                return True
    return False


# What keeps a module from running concurrently with others, beyond `global_uses`.
_SHARED_MODULES = frozenset({"Application", "System", "File", "Logger", ":logger", ":persistent_term", ":ets",
                             "Ecto.Adapters.SQL.Sandbox", "Phoenix.PubSub", ":meck", "Mock", "Mimic", "Port",
                             "Code", ":code", "Registry", "GenServer", "Agent", "Supervisor", "DynamicSupervisor",
                             ":global", "Node", ":os", "Tesla.Mock", "Req.Test"})
_READS = {"Application": frozenset({"get_env", "fetch_env", "fetch_env!", "get_all_env", "spec", "app_dir"}),
          "System": frozenset({"get_env", "fetch_env", "fetch_env!", "unique_integer", "monotonic_time",
                               "system_time", "os_time", "otp_release", "version", "schedulers_online"}),
          "File": frozenset({"read", "read!", "exists?", "dir?", "regular?", "stat", "stat!", "ls", "ls!",
                             "cwd", "cwd!", "stream!"}),
          "Code": frozenset({"ensure_loaded", "ensure_loaded?", "ensure_compiled", "string_to_quoted",
                             "string_to_quoted!", "format_string!", "eval_string", "fetch_docs"})}
_SHARED_LOCALS = frozenset({"capture_log", "capture_io", "with_log", "start_supervised", "start_supervised!",
                            "start_link_supervised!", "stop_supervised", "stop_supervised!"})


def touches_shared_state(file: ParsedFile, module: ModuleDef) -> bool:
    """Whether a module's code may touch anything other test modules share: a conservative reading for advice."""
    for call in test_suite(file).calls_in(module):
        if _global_use(call) is not None:
            return True
        if call.module is None:
            if call.name in _SHARED_LOCALS:
                return True
            continue
        if call.module.endswith("Repo") or call.module.endswith(".Endpoint"):
            return True
        if call.module in _SHARED_MODULES and call.name not in _READS.get(call.module, ()):
            return True
    return False


def project_calls(file: ParsedFile, module: ModuleDef) -> tuple[str, ...]:
    """Modules a test module calls (and doctests) that may be the project's own."""
    found: set[str] = set()
    for call in test_suite(file).calls_in(module):
        if call.module is None and call.name == "doctest" and call.args:
            target = module_reference(call.args[0], module)
            if target:
                found.add(target)
        elif call.module and not is_library(call.module):
            found.add(call.module)
    return tuple(sorted(found))


# -- facts --------------------------------------------------------------------------------


class SilentTest(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """A test that checks nothing by itself; `calls` may still reach a checking helper in another file."""

    module: str
    test: str
    line: int
    column: int
    end_line: int
    end_column: int
    calls: tuple[str, ...] = ()  # "name/arity" local calls the file does not define, "Mod.name/arity" remote calls
    unknown: bool = False  # calls an imported function that is not a known passive test helper
    style: str = ""  # "raises": its last step is a `!` call; "feature": browser steps that raise


class HelperFacts(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """A public function of a test or test-support file, and whether it checks something."""

    module: str
    name: str
    arity: int
    min_arity: int
    checks: bool
    calls: tuple[str, ...] = ()  # as in `SilentTest.calls`, for checks made in other files


class SerialModule(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """A plain `use ExUnit.Case` module without `async:` whose own code touches no shared state."""

    module: str
    line: int
    column: int
    end_line: int
    end_column: int
    tests: int
    calls: tuple[str, ...] = ()  # modules it calls or doctests, to check across files


class TestFacts(msgspec.Struct, frozen=True, gc=False):
    lines: int = 0  # as an editor counts them
    silent: tuple[SilentTest, ...] = ()
    helpers: tuple[HelperFacts, ...] = ()
    serial: tuple[SerialModule, ...] = ()


def test_facts(file: ParsedFile) -> TestFacts | None:
    kinds = file.kinds
    if file.tree is None or not kinds & {"test", "test_support"}:
        return None
    suite = test_suite(file)
    data = file.doc.data
    lines = file.doc.line_count - (1 if data.endswith(b"\n") else 0)
    return TestFacts(
        lines=lines,
        silent=tuple(_silent_tests(suite)),
        helpers=tuple(_helpers(suite)),
        serial=tuple(_serial_modules(suite)),
    )


def _silent_tests(suite: TestSuite):
    file = suite.file
    defined = {name for name, _ in _defined(file)}
    for module, test in suite.tests():
        if test.skipped or suite.checks(test.body) or _discards_check(test):
            continue
        calls, unknown, feature = _calls_of(test.body, module.module, defined)
        feature = feature or any(name.startswith(_FEATURE_LIBRARIES) for name, _ in module.module.imports) \
            or any(use.module.startswith(_FEATURE_LIBRARIES) for use in module.module.uses)
        last = statements(test.body)[-1:] if test.body is not None else []
        style = "feature" if feature else "raises" if last and _raises(last[0]) else ""
        span = file.doc.span_of_bytes(test.node.start_byte, test.head.end_byte)
        yield SilentTest(module.module.name, test.name, span.line, span.column, span.end_line, span.end_column,
                         tuple(sorted(calls)), unknown, style)


def _discards_check(test: TestCase) -> bool:
    """A test whose only check is thrown away is reported for that (`Tests.NoAssertion` in the file phase)."""
    return any(discarded_check(s) is not None for s in loose_statements(test.body))


def _defined(file: ParsedFile) -> set[tuple[str, int]]:
    return {(c.name, arity) for c in file.outline.clauses for arity in range(c.min_arity, c.arity + 1)}


def _calls_of(body: Node, module: ModuleDef, defined: set[str]) -> tuple[set[str], bool, bool]:
    """Calls that may reach a helper elsewhere; whether one is an unknown import; whether it drives a browser."""
    calls: set[str] = set()
    unknown = feature = False
    for node in walk(body):
        if node.type != "call" or not has_arguments(node):
            continue
        receiver, name = call_name(node)
        if not name:
            continue
        arity = _arity(node)
        if receiver is None:
            if name in _FEATURE_STEPS:
                feature = True
            if name in defined or name in PASSIVE_HELPERS or name in _KERNEL_LIKE or name in TEST_MACROS:
                continue
            calls.add(f"{name}/{arity}")
            unknown = True
        else:
            target = module_reference(receiver, module)
            if target and not is_library(target):
                calls.add(f"{target}.{name}/{arity}")
    return calls, unknown, feature


_KERNEL_LIKE = frozenset({"if", "unless", "case", "cond", "with", "for", "try", "receive", "fn", "send", "self",
                          "spawn", "spawn_link", "is_nil", "elem", "hd", "tl", "length", "map_size", "inspect",
                          "apply", "then", "tap", "struct", "put_in", "get_in", "update_in", "dbg", "sigil_p",
                          "sigil_w", "sigil_s", "sigil_r", "sigil_H", "sigil_N", "sigil_D", "sigil_U", "make_ref",
                          "on_exit", "describe", "setup", "start_supervised", "start_supervised!", "is_map",
                          "is_list", "is_binary", "is_atom", "is_integer", "is_pid", "byte_size", "div", "rem",
                          "max", "min", "round", "abs", "not", "match?", "binding", "exit", "throw"})


def _arity(node: Node) -> int:
    args = arguments(node)
    arity = len(args)
    parent = node.parent
    if parent is not None and parent.type == "binary_operator" and operator(parent) == "|>":
        right = parent.child_by_field_name("right")
        if right is not None and right.id == node.id:
            arity += 1
    if do_block(node) is not None and not (args and args[-1].type == "keywords"):
        arity += 1
    return arity


def _raises(node: Node) -> bool:
    """`Seeds.run!()` or `x |> Mod.f!()` as a test's last step: it checks that nothing raises."""
    if node.type == "binary_operator" and operator(node) == "|>":
        node = node.child_by_field_name("right") or node
    if node.type == "binary_operator" and operator(node) == "=":
        node = node.child_by_field_name("right") or node
    if node.type != "call":
        return False
    _, name = call_name(node)
    return bool(name) and name.endswith("!")


def _helpers(suite: TestSuite):
    file = suite.file
    defined = {name for name, _ in _defined(file)}
    grouped: dict[tuple[str, str, int], list] = {}
    for clause in file.outline.clauses:
        if clause.module is None or clause.body is None or clause.kind not in ("def", "defmacro"):
            continue
        grouped.setdefault((clause.module.name, clause.name, clause.arity), []).append(clause)
    for (module, name, arity), clauses in grouped.items():
        checks_ = name in suite.helpers
        calls: set[str] = set()
        if not checks_:
            for clause in clauses:
                calls |= _calls_of(clause.body, clause.module, defined)[0]
        yield HelperFacts(module, name, arity, min(c.min_arity for c in clauses), checks_, tuple(sorted(calls)))


def _serial_modules(suite: TestSuite):
    file = suite.file
    for module in suite.modules:
        if not module.plain or module.async_value is not None or len(module.tests) == 0:
            continue
        if touches_shared_state(file, module.module):
            continue
        span = file.span(module.use.node)
        yield SerialModule(module.module.name, span.line, span.column, span.end_line, span.end_column,
                           len(module.tests), project_calls(file, module.module))


# -- discarded checks ---------------------------------------------------------------------

COMPARISONS = frozenset({"==", "!=", "===", "!==", "=~", "<", ">", "<=", ">=", "in", "not in"})
_EACH = frozenset({"each", "map"})


def loose_statements(body: Node | None):
    """Statements whose value nobody uses: a test body's, and those of `for`/`Enum.each` bodies among them."""
    stack = list(reversed(statements(body)))
    while stack:
        statement = stack.pop()
        yield statement
        if statement.type != "call":
            continue
        receiver, name = call_name(statement)
        if receiver is None and name == "for":
            stack.extend(reversed(statements(do_block(statement))))
        elif receiver is not None and text(receiver) == "Enum" and name in _EACH:
            for arg in arguments(statement):
                if arg.type == "anonymous_function":
                    for clause in arg.named_children:
                        body = clause.child_by_field_name("body") if clause.type == "stab_clause" else None
                        if body is not None:
                            stack.extend(reversed(list(body.named_children)))


def discarded_check(statement: Node) -> str | None:
    """The kind of a statement that computes a check and throws it away: "comparison" or "predicate"."""
    if statement.type == "binary_operator" and operator(statement) in COMPARISONS:
        return "comparison"
    node = statement
    if node.type == "binary_operator" and operator(node) == "|>":
        node = node.child_by_field_name("right") or node
    if node.type == "call" and has_arguments(node):
        _, name = call_name(node)
        if name and name.endswith("?") and name not in _SIDE_EFFECT_PREDICATES:
            return "predicate"
    return None


# Called for what they do: `Code.ensure_loaded?(Mod)` loads the module before `function_exported?/3`.
_SIDE_EFFECT_PREDICATES = frozenset({"ensure_loaded?", "ensure_compiled?"})
