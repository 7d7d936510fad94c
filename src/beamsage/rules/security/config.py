"""Settings that leave a production app open: literal secrets and debug switches
in `config/*.exs`, TLS that nothing enforces, session cookies without their
protections.

Config files are judged by name, as `import_config "#{config_env()}.exs"`
loads them: `dev.exs`, `test.exs` (and `ce_dev.exs`, `e2e_test.exs`,
`config/dev/`...) never run in production; `prod.exs`, `runtime.exs`,
`staging.exs` do; `config.exs` (and what it imports by name) runs there
unless a later file overrides it; any other name may be the config of an
environment of the app's own and is only trusted a little. Inside a file,
`if config_env() == :prod` (or `Mix.env()`, `unless`, `!=`, `in`, `case
config_env()`) decides which branch production takes.
"""

from __future__ import annotations

import re
from functools import lru_cache
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import msgspec
from tree_sitter import Node

from ...model.config import config_calls, holds_in_prod, is_env_call
from ...model.parsed import ParsedFile
from ...model.project import Project
from ...source.document import Document, Language, Span
from ...source.syntax import (
    MAX_DEPTH,
    Call,
    arguments,
    atom_value,
    call_target_name,
    keyword,
    keyword_pairs,
    module_reference,
    operator,
    string_value,
    text,
    walk,
)
from ..base import (
    Confidence,
    FileRule,
    Finding,
    Location,
    ProjectRule,
    Severity,
    register,
)

# -- which config runs in production -----------------------------------------------

_NOT_PRODUCTION = frozenset({"dev", "test", "local", "ci", "e2e", "bench"})
_PRODUCTION = frozenset({"prod", "production", "runtime", "releases", "staging", "stage"})

PROD = "prod"  # runs in production
SHARED = "shared"  # config.exs: runs in every environment unless a later file overrides it
SECRET = "secret"  # `prod.secret.exs`: by convention kept out of git
OTHER = "other"  # another name: the config of an environment of the app's own (`hex.exs`) or a file
# config.exs imports for all of them (`appsignal.exs`); only config.exs itself can tell which


def config_scope(path: str) -> str | None:
    """How a config file applies to production; None for dev and test files."""
    parts = path.split("/")
    top = parts.index("config") if "config" in parts[:-1] else -1
    folders, name = parts[top + 1 : -1], parts[-1]
    stem = name.split(".", 1)[0]
    words = set(re.split(r"[_-]", stem))  # `ce_dev.exs`, `e2e_test.exs`: environments of their own
    if words & _NOT_PRODUCTION or any(folder in _NOT_PRODUCTION for folder in folders):
        return None
    if ".secret." in name:
        return SECRET
    if stem in _PRODUCTION or any(folder in _PRODUCTION for folder in folders):
        return PROD
    return SHARED if stem == "config" else OTHER


EXCLUDED = "excluded"  # a branch production never takes
CHOSEN = "prod"  # a branch only production takes
CONDITIONAL = "conditional"  # under some other condition


def branch(node: Node) -> str | None:
    """Where `node` sits among `if config_env() == ...` branches (None: unconditional)."""
    verdict = None
    child, current, depth = node, node.parent, 0
    trail: list[Node] = [node]
    while current is not None and depth < MAX_DEPTH:
        if current.type == "call" and (child.type == "do_block" or _keyword_branch(trail)):
            runs = _branch_runs_in_prod(current, trail)
            if runs is False:
                return EXCLUDED
            if runs is True:
                verdict = verdict or CHOSEN
            elif runs == CONDITIONAL:
                verdict = CONDITIONAL
        trail.append(current)
        child, current, depth = current, current.parent, depth + 1
    return verdict


def _branch_runs_in_prod(call: Node, trail: list[Node]) -> bool | str | None:
    """For the do block of `call` that `trail` came through: True/False when it is
    an env branch that production takes or skips, CONDITIONAL for other conditions."""
    name = call_target_name(call)
    args = arguments(call)
    if name in ("if", "unless") and args:
        keyword_branch = _keyword_branch(trail)
        in_else = keyword_branch == "else" if keyword_branch else len(trail) >= 2 and trail[-2].type == "else_block"
        prod = holds_in_prod(args[0])
        if prod is None:
            return CONDITIONAL
        return prod if (name == "if") != in_else else not prod
    if name == "case" and args:
        clause = next((n for n in reversed(trail) if n.type == "stab_clause"), None)
        if not is_env_call(args[0]) or clause is None:
            return CONDITIONAL
        patterns = clause.child_by_field_name("left")
        atoms = [atom_value(p) for p in (patterns.named_children if patterns is not None else [])]
        if atoms and all(atoms):
            return "prod" in atoms
        return CONDITIONAL
    if name in ("cond", "with"):
        return CONDITIONAL
    return None


def _keyword_branch(trail: list[Node]) -> str | None:
    """"do" or "else" when `trail` came up through `if cond, do: x, else: y` into the call."""
    if len(trail) < 3 or trail[-1].type != "arguments" or trail[-2].type != "keywords":
        return None
    key = trail[-3].child_by_field_name("key") if trail[-3].type == "pair" else None
    name = text(key).strip().rstrip(":") if key is not None else ""
    return name if name in ("do", "else") else None


# -- literal secrets ------------------------------------------------------------------

_SECRET_NAMES = frozenset(
    {"secret_key_base", "password", "passwd", "secret", "secret_key", "private_key", "client_secret",
     "api_key", "apikey", "api_secret", "api_token", "token", "auth_token", "access_token", "refresh_token",
     "access_key_id", "secret_access_key", "encryption_key", "signing_key", "master_key", "license_key",
     "app_secret", "webhook_secret"}
)
_SECRET_SUFFIXES = ("_token", "_secret", "_password", "_api_key", "_apikey", "_private_key", "_secret_key",
                    "_signing_key", "_encryption_key")
_PEM_PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")
_URL_NAMES = re.compile(r"^(url|uri|\w+_url|\w+_uri)$")
_URL_PASSWORD = re.compile(r"^[a-z][a-z0-9+.-]*://[^/:@\s]*:([^/@\s]+)@", re.IGNORECASE)
# Values that are not secrets: dev/test values, defaults and placeholders.
_WEAK_DEFAULTS = frozenset(
    {"postgres", "password", "secret", "root", "admin", "guest", "test", "dev", "development", "foo", "bar",
     "pass", "123456", "none", "null", "nil", "default", "mysql", "sa", "true", "false", "yes", "no"}
)
_PLACEHOLDER = re.compile(
    r"change[_-]?me|replace|placeholder|your[_-]|example|dummy|fake|sample|xxx|todo|insert|<|\$\{|\{\{|\*\*\*"
    r"|(^|[^a-z])(dev|test|local|development|testing)([^a-z]|$)",
    re.IGNORECASE,
)
_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")


def secret_name(name: str) -> bool:
    name = name.lower()
    if name.endswith("_salt"):
        return False  # salts name what is derived from the secret key base; they are not secrets
    return name in _SECRET_NAMES or name.endswith(_SECRET_SUFFIXES)


def placeholder(value: str) -> bool:
    value = value.strip()
    return (
        len(value) < 4
        or (value.isdigit() and len(value) < 8)  # a port, a size, a limit
        or value.lower() in _WEAK_DEFAULTS
        or len(set(value)) == 1
        or bool(_ENV_NAME.match(value))
        or bool(_PLACEHOLDER.search(value))
    )


def literal_text(node: Node | None, depth: int = 0) -> str | None:
    """The text of a literal string (plain, charlist, `~s`/`~S` sigil, or `<>` of those)."""
    if node is None or depth > 50:
        return None
    if node.type in ("string", "charlist"):
        return string_value(node)
    if node.type == "sigil":
        name = next((c for c in node.children if c.type == "sigil_name"), None)
        if name is None or text(name) not in ("s", "S", "c", "C"):
            return None
        if any(c.type == "interpolation" for c in node.children):
            return None
        return "".join(text(c) for c in node.named_children if c.type == "quoted_content")
    if node.type == "binary_operator" and operator(node) == "<>":
        left = literal_text(node.child_by_field_name("left"), depth + 1)
        right = literal_text(node.child_by_field_name("right"), depth + 1)
        return left + right if left is not None and right is not None else None
    return None


def _env_read(node: Node) -> bool:
    """`System.get_env/fetch_env(!)` somewhere in `node`, or a `{:system, "VAR"}` tuple."""
    for item in walk(node):
        if item.type == "call":
            target = item.child_by_field_name("target")
            if target is not None and target.type == "dot" and text(target).replace(" ", "") in (
                "System.get_env", "System.fetch_env", "System.fetch_env!"
            ):
                return True
        elif item.type == "tuple" and item.named_children and atom_value(item.named_children[0]) == "system":
            return True
    return False


@dataclass(frozen=True)
class SecretValue:
    node: Node  # the literal to move out of the repository
    fallback: bool  # `System.get_env("X") || "literal"`: the literal is used when the variable is missing
    via: str | None = None  # the variable the key is set from, when it is one


def secret_value(value: Node, bindings: dict[str, list[Node]], *, depth: int = 0) -> SecretValue | None:
    literal = literal_text(value)
    if literal is not None:
        return SecretValue(value, False) if not placeholder(literal) else None
    if value.type == "binary_operator" and operator(value) in ("||", "or"):
        left, right = value.child_by_field_name("left"), value.child_by_field_name("right")
        fallback = literal_text(right)
        if left is not None and _env_read(left) and fallback is not None and not placeholder(fallback):
            return SecretValue(right, True)
        return None
    if value.type == "call" and _env_read(value):
        args = arguments(value)
        default = literal_text(args[1]) if len(args) == 2 else None
        if default is not None and not placeholder(default) and "get_env" in text(value.child_by_field_name("target")):
            return SecretValue(args[1], True)
        return None
    if value.type == "identifier" and depth == 0:
        bound = bindings.get(text(value), [])
        if len(bound) == 1:
            found = secret_value(bound[0], bindings, depth=1)
            if found is not None:
                return SecretValue(found.node, found.fallback, text(value))
    return None


def file_bindings(file: ParsedFile) -> dict[str, list[Node]]:
    """`name = value` matches anywhere in a config file (they are all script-level)."""
    bindings: dict[str, list[Node]] = {}
    for match in file.outline.values.get(False, {}).get("match", []):
        left, right = match.child_by_field_name("left"), match.child_by_field_name("right")
        if left is not None and right is not None and left.type == "identifier":
            bindings.setdefault(text(left), []).append(right)
    return bindings


def settings(node: Node) -> Iterator[tuple[str, Node]]:
    """Every `key: value` (and `"key" => value`) in a config value, at any depth,
    without looking into calls: a call's arguments are not settings."""
    stack = [(node, 0)]
    while stack:
        current, depth = stack.pop()
        if depth > MAX_DEPTH:
            continue
        if current.type == "pair":
            key, value = current.child_by_field_name("key"), current.child_by_field_name("value")
            if key is not None and value is not None:
                yield text(key).rstrip().rstrip(":").strip('"'), value
                stack.append((value, depth + 1))
            continue
        if current.type == "binary_operator" and operator(current) == "=>":
            key, value = current.child_by_field_name("left"), current.child_by_field_name("right")
            name = string_value(key) or atom_value(key)
            if name and value is not None:
                yield name, value
                stack.append((value, depth + 1))
            continue
        if current.type in ("list", "keywords", "map", "map_content", "tuple", "arguments"):
            stack.extend((child, depth + 1) for child in reversed(current.named_children))


@register
class HardcodedSecret(FileRule):
    """A secret key, password or API token written as a literal in production config.

    ## What it finds

    `secret_key_base`, `password`, `api_key`, `*_token`, `*_secret`,
    `access_key_id`/`secret_access_key`, `private_key`, PEM private keys and
    the like set to a literal string (directly or through a variable) in
    config that production loads, database URLs with a literal password, and
    env reads that fall back to a literal (`System.get_env("X") || "..."`).
    High confidence in `prod.exs`, `runtime.exs` and `:prod` branches; medium
    in `config.exs` when no production config overrides the setting, none
    when one does (a generator's dev key); low in `prod.secret.exs`, in files
    named after other environments, and in `config.exs` when production
    reads a file the project does not have. `dev.exs`, `test.exs` and their
    kin are skipped, as are
    values read from the environment, empty strings, placeholders, and salts
    (`signing_salt` names a use of the secret key base; it is not a secret).

    ## Why it matters

    A secret in the repository is readable by everyone who can read the
    code, its forks, its CI logs and every laptop that cloned it, and it
    cannot be rotated without a deploy. With `secret_key_base` anyone can sign
    session cookies and log in as any user; with an API key they act as your
    app on that service. Literals in `config.exs` reach production unless a
    later file overrides them, which is easy to get wrong.

    ## Example

    ```elixir
    # config/prod.exs
    config :my_app, MyAppWeb.Endpoint,
      secret_key_base: "kB3x9c0S2...4Lq"

    config :stripity_stripe, api_key: "sk_live_51H..."
    ```

    ## Use instead

    Read secrets at boot in `config/runtime.exs` and rotate any value that
    was ever committed:

    ```elixir
    # config/runtime.exs
    if config_env() == :prod do
      config :my_app, MyAppWeb.Endpoint,
        secret_key_base: System.fetch_env!("SECRET_KEY_BASE")

      config :stripity_stripe, api_key: System.fetch_env!("STRIPE_API_KEY")
    end
    ```
    """

    id = "Security.HardcodedSecret"
    severity = Severity.ERROR
    confidence = Confidence.HIGH
    cwe = (798,)
    security_severity = 7.5

    def check(self, file: ParsedFile) -> Iterable[Finding]:
        if "config" not in file.kinds:
            return
        scope = config_scope(file.path)
        if scope is not None and scope != SHARED:
            yield from (finding for finding, _setting, _fallback in self._scan(file, scope))

    def check_project(self, project: Project) -> Iterable[Finding]:
        """Literals in config.exs (and the files it imports for every environment):
        medium when no production config overrides them (they reach production),
        none when one does (a generator's dev key), low when production reads a
        file the project does not have (a git-ignored prod.secret.exs)."""
        root = project.layout.root
        candidates = []
        for path in _shared_config_files(project):
            file = _parse(root, path)
            if file is not None:
                candidates.extend(self._scan(file, SHARED))
        if not candidates:
            return
        overrides, unknown = _production_settings(project)
        for finding, setting, fallback in candidates:
            if fallback or unknown or finding.confidence is not Confidence.LOW:
                yield finding
            elif not _overridden(overrides, setting):
                message = finding.message + ", and no production config overrides it"
                yield msgspec.structs.replace(finding, confidence=Confidence.MEDIUM, message=message)

    def _scan(self, file: ParsedFile, scope: str) -> Iterator[tuple[Finding, tuple, bool]]:
        """Each literal secret, the setting it is under (app, key, top-level option), and
        whether it is only a fallback for an environment variable."""
        bindings: dict[str, list[Node]] | None = None
        seen: set[int] = set()
        for call, app, key, options in config_calls(file):
            where = branch(call.node)
            if where == EXCLUDED:
                continue
            confidence = _secret_confidence(scope, where)
            for top, name, value in _nested_settings(options):
                setting = (app, key, top)
                if _URL_NAMES.match(name):
                    finding = self._url_password(file, name, value, confidence, seen)
                    if finding is not None:
                        yield finding, setting, False
                    continue
                if not secret_name(name) and not _PEM_PRIVATE_KEY.search(literal_text(value) or ""):
                    continue
                if bindings is None:
                    bindings = file_bindings(file)
                found = secret_value(value, bindings)
                if found is None or found.node.id in seen or branch(found.node) == EXCLUDED:
                    continue
                seen.add(found.node.id)
                yield self._report(file, name, found, scope, confidence), setting, found.fallback

    def _report(self, file: ParsedFile, name: str, found: SecretValue, scope: str, confidence: Confidence) -> Finding:
        if found.fallback:
            confidence = Confidence.MEDIUM if confidence is Confidence.HIGH else Confidence.LOW
            message = (f"`{name}` in `{file.path}` falls back to a literal when its environment variable is "
                       "missing, so a secret sits in the repository and production quietly uses it")
        else:
            via = f" (through `{found.via}`)" if found.via else ""
            message = (f"`{name}` in `{file.path}` is set to a literal{via}, so the secret sits in the "
                       "repository and in every clone of it")
        if scope == SECRET:
            message += f"; `{Path(file.path).name}` is usually kept out of git, check that it is"
        env = name.upper()
        fix = (f"Read it at boot in config/runtime.exs with `System.fetch_env!(\"{env}\")` (no literal default) "
               "and rotate the value that was committed.")
        return self.finding(file.path, file.span(found.node), message, confidence=confidence, fix=fix)

    def _url_password(self, file: ParsedFile, name: str, value: Node, confidence: Confidence,
                      seen: set[int]) -> Finding | None:
        match = _URL_PASSWORD.match(literal_text(value) or "")
        if match is None or placeholder(match.group(1)) or value.id in seen:
            return None
        seen.add(value.id)
        message = (f"`{name}` in `{file.path}` embeds a literal password in the URL, so the database "
                   "credentials sit in the repository")
        fix = ("Read the URL at boot in config/runtime.exs with `System.fetch_env!(\"DATABASE_URL\")` "
               "and rotate the password.")
        return self.finding(file.path, file.span(value), message, confidence=confidence, fix=fix)


def _secret_confidence(scope: str, where: str | None) -> Confidence:
    if scope == PROD or where == CHOSEN:
        return Confidence.HIGH
    # config.exs: production may override it (raised by check_project when nothing does);
    # other names may be the config of a test environment; prod.secret.exs is usually not in git.
    return Confidence.LOW


def _nested_settings(options: Node) -> Iterator[tuple[str, str, Node]]:
    """(top-level option, setting name, value) for every setting under a config call's options."""
    for top, value in keyword_pairs(options):
        yield top, top, value
        for name, nested in settings(value):
            yield top, name, nested


ANY = "*"  # a config call whose options are not a literal keyword list may set anything


def _production_settings(project: Project) -> tuple[dict[tuple, set[str]], bool]:
    """What production config sets, as (app, key) -> option names; and whether it
    imports a file the project does not have (then nothing can be told)."""
    root = project.layout.root
    overrides: dict[tuple, set[str]] = {}
    unknown = False
    for path, facts in project.files.items():
        scope = config_scope(path) if "config" in facts.kinds else None
        if scope is None:
            continue
        file = _parse(root, path)
        if file is None:
            continue
        for call, app, key, options in config_calls(file):
            where = branch(call.node)
            if scope in (PROD, SECRET) or where == CHOSEN:
                if where != EXCLUDED:
                    names = {name for name, _ in keyword_pairs(options)} or {ANY}
                    overrides.setdefault((app, key), set()).update(names)
        if scope in (PROD, SECRET):
            unknown = unknown or any(not (root / target).exists() for target in _imported(file, path))
    return overrides, unknown


def _overridden(overrides: dict[tuple, set[str]], setting: tuple) -> bool:
    app, key, option = setting
    names = overrides.get((app, key), set())
    return option in names or ANY in names


def _imported(file: ParsedFile, path: str) -> list[str]:
    """Root-relative paths of the literal `import_config "file.exs"` targets of a config file."""
    folder = path.rsplit("/", 1)[0] if "/" in path else ""
    found = []
    for call in file.outline.calls:
        if call.name == "import_config" and call.args:
            target = string_value(call.args[0])
            if target:
                found.append(f"{folder}/{target}" if folder else target)
    return found


def _shared_config_files(project: Project) -> list[str]:
    """config.exs files, and what they import by name for every environment (`import_config "appsignal.exs"`)."""
    root = project.layout.root
    shared = [path for path, facts in project.files.items() if "config" in facts.kinds and config_scope(path) == SHARED]
    for path in list(shared):
        file = _parse(root, path)
        if file is not None:
            shared.extend(t for t in _imported(file, path) if t in project.files and config_scope(t) == OTHER)
    return shared


# -- debug switches -------------------------------------------------------------------

_DEBUG_OPTIONS = {
    "debug_errors": "shows anyone who triggers an error the stack trace, the request and the source around "
                    "the failing line",
    "code_reloader": "recompiles code on requests, which needs Mix and the source on the server and slows "
                     "every request",
    "show_sensitive_data_on_connection_error": "puts the database connection settings, password included, "
                                               "into connection errors and logs",
}


@register
class DebugInProduction(ProjectRule):
    """Debug switches (`debug_errors`, `code_reloader`) turned on in production config.

    ## What it finds

    `debug_errors: true` and `code_reloader: true` on an endpoint, and
    `show_sensitive_data_on_connection_error: true` on a repo, in config that
    production loads: `prod.exs`, `runtime.exs` outside dev/test branches, or
    `config.exs` (medium confidence), unless a file Mix loads later (the
    environment's file, then `runtime.exs`) turns them off again. `dev.exs`
    sets them on purpose and is not reported.

    ## Why it matters

    `debug_errors` replaces the error page with `Plug.Debugger`'s: any
    visitor who makes a request fail sees the stack trace, the params, the
    session and the code around the failing line, a map for the next
    attack. `code_reloader` recompiles the project on requests and needs the
    Mix project on the server. `show_sensitive_data_on_connection_error`
    writes the database password into errors and logs.

    ## Example

    ```elixir
    # config/prod.exs
    config :my_app, MyAppWeb.Endpoint,
      cache_static_manifest: "priv/static/cache_manifest.json",
      debug_errors: true
    ```

    ## Use instead

    Keep them in `config/dev.exs`, where `mix phx.new` puts them:

    ```elixir
    # config/dev.exs
    config :my_app, MyAppWeb.Endpoint,
      code_reloader: true,
      debug_errors: true
    ```
    """

    id = "Security.DebugInProduction"
    severity = Severity.ERROR
    confidence = Confidence.HIGH
    cwe = (489, 215)
    security_severity = 5.3

    def check(self, project: Project) -> Iterable[Finding]:
        switches: list[tuple[int, tuple, Finding | None]] = []  # (load order, setting, finding if turned on)
        for path, facts in project.files.items():
            scope = config_scope(path) if "config" in facts.kinds else None
            file = _parse(project.layout.root, path) if scope is not None else None
            if file is not None:
                switches.extend(self._switches(file, scope))
        for order, setting, finding in switches:
            if finding is not None and not any(later > order and s == setting and f is None
                                               for later, s, f in switches):
                yield finding  # no file loaded after it turns the switch off again

    def _switches(self, file: ParsedFile, scope: str) -> Iterator[tuple[int, tuple, Finding | None]]:
        order = _load_order(file.path, scope)
        for call, app, key, options in config_calls(file):
            where = branch(call.node)
            if where == EXCLUDED:
                continue
            for name, value in keyword_pairs(options):
                effect = _DEBUG_OPTIONS.get(name)
                if effect is None:
                    continue
                if text(value) != "true":
                    yield order, (app, key, name), None
                    continue
                target = f" for `{key}`" if key else ""
                message = f"`{name}: true`{target} in `{file.path}` {effect} in production"
                finding = self.finding(file.path, file.span(value.parent or value), message,
                                       confidence=_debug_confidence(scope, where),
                                       fix=f"Set `{name}` only in config/dev.exs.")
                yield order, (app, key, name), finding


def _load_order(path: str, scope: str) -> int:
    """When Mix applies a config file: config.exs, then the environment's file, then runtime.exs."""
    if path.rsplit("/", 1)[-1] in ("runtime.exs", "releases.exs"):
        return 2
    return 1 if scope in (PROD, SECRET) else 0


def _debug_confidence(scope: str, where: str | None) -> Confidence:
    if where == CONDITIONAL:
        return Confidence.MEDIUM  # behind a switch of its own (`if System.get_env("DEBUG")`)
    if scope in (PROD, SECRET) or where == CHOSEN:
        return Confidence.HIGH
    return Confidence.MEDIUM if scope == SHARED else Confidence.LOW  # config.exs; `hex.exs` may be a test env


# -- session cookies -------------------------------------------------------------------


@register
class InsecureSessionCookie(FileRule):
    """Session cookie options that turn off `http_only` or `secure`, or leave out `same_site`.

    ## What it finds

    `plug Plug.Session` options (written inline or in `@session_options`)
    that set `http_only: false` or `secure: false`, and, with low
    confidence, options that give no `same_site`. The endpoint `mix phx.new`
    generates (`same_site: "Lax"`, Plug's defaults for the rest) is not
    reported.

    ## Why it matters

    The session cookie is the user's login. Plug marks it `HttpOnly` by
    default so scripts cannot read it: `http_only: false` hands it to any
    injected script. Plug sends it `Secure` on HTTPS connections by default:
    `secure: false` lets the browser send it over plain HTTP too, where
    anyone on the network can read it. Without `SameSite`, older browsers
    send it on cross-site requests, which is what CSRF needs.

    ## Example

    ```elixir
    @session_options [
      store: :cookie,
      key: "_my_app_key",
      signing_salt: "6G2x0Rfa",
      http_only: false,
      secure: false
    ]
    ```

    ## Use instead

    Keep Plug's defaults and set `same_site`, as `mix phx.new` does:

    ```elixir
    @session_options [
      store: :cookie,
      key: "_my_app_key",
      signing_salt: "6G2x0Rfa",
      same_site: "Lax"
    ]
    ```
    """

    id = "Security.InsecureSessionCookie"
    severity = Severity.WARNING
    confidence = Confidence.HIGH
    cwe = (614, 1004, 1275)
    security_severity = 5.4

    def check(self, file: ParsedFile) -> Iterable[Finding]:
        if not file.runs_in_production:
            return  # a test endpoint's cookie protects nothing
        seen: set[int] = set()
        for call in file.outline.calls:
            if call.name != "plug" or len(call.args) < 2:
                continue
            if module_reference(call.args[0], call.module_def) != "Plug.Session":
                continue
            options = _session_options(call)
            if options is None or options.id in seen:
                continue
            seen.add(options.id)
            yield from self._judge(file, options)

    def _judge(self, file: ParsedFile, options: Node) -> Iterator[Finding]:
        pairs = dict(keyword_pairs(options))
        if not pairs:
            return
        for name, why in (("http_only", "lets any script on the page read the session cookie"),
                          ("secure", "lets browsers send the session cookie over plain HTTP")):
            value = pairs.get(name)
            if value is not None and text(value) == "false":
                message = f"`{name}: false` in the `Plug.Session` options {why}"
                fix = f"Remove `{name}: false`: Plug's default is the safe one."
                yield self.finding(file.path, file.span(value.parent or value), message, fix=fix)
        extra = literal_text(pairs.get("extra")) or ""
        if "same_site" not in pairs and "samesite" not in extra.lower():
            message = ("The `Plug.Session` options set no `same_site`, so browsers that do not default to Lax "
                       "send the session cookie on cross-site requests")
            yield self.finding(file.path, file.span(options), message, confidence=Confidence.LOW,
                               fix='Add `same_site: "Lax"` to the session options.')


def _session_options(call: Call) -> Node | None:
    """The keyword list given to `plug Plug.Session`, through `@session_options` when used."""
    options = call.args[1]
    if options.type == "unary_operator" and operator(options) == "@" and call.module_def is not None:
        operand = options.child_by_field_name("operand")
        values = call.module_def.attributes.get(text(operand), []) if operand is not None else []
        options = values[-1] if len(values) == 1 else None
    if options is not None and options.type in ("list", "keywords"):
        return options
    return None


# -- TLS -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Evidence:
    location: Location
    strength: int  # 2: the app serves `https:` itself; 1: only its public URL is https
    option: str


@register
class MissingForceSSL(ProjectRule):
    """A production endpoint served over HTTPS that never redirects HTTP or sends HSTS.

    ## What it finds

    An endpoint whose production config (`prod.exs`, `runtime.exs` outside
    dev/test branches, `config.exs`) has an `https:` listener or an
    `url: [scheme: "https"]`, while no config sets `force_ssl`, the endpoint
    does not `plug Plug.SSL`, the router sets no `strict-transport-security`
    header and `fly.toml` does not force HTTPS. Medium confidence when the app
    serves HTTPS itself; low when only its URL says https, since a proxy in
    front may redirect and set HSTS. Listeners that require client certificates
    (`fail_if_no_peer_cert: true`) serve devices, not browsers, and are not
    reported.

    ## Why it matters

    Without `force_ssl` a request to `http://` is served in plain text, and
    without HSTS the browser tries `http://` first every time a user types
    the address: someone on the same network can read or rewrite that
    request, strip the redirect to HTTPS and take the session cookie.
    `force_ssl` redirects and sends `strict-transport-security`, so browsers
    only use HTTPS afterwards.

    ## Example

    ```elixir
    # config/runtime.exs
    config :my_app, MyAppWeb.Endpoint,
      url: [host: host, port: 443, scheme: "https"],
      https: [port: 443, keyfile: "priv/ssl/key.pem", certfile: "priv/ssl/cert.pem"]
    ```

    ## Use instead

    Turn on `force_ssl` at compile time (behind a proxy, trust its
    `x-forwarded-proto`), as `mix phx.new` now generates:

    ```elixir
    # config/prod.exs
    config :my_app, MyAppWeb.Endpoint,
      force_ssl: [rewrite_on: [:x_forwarded_proto]],
      exclude: [hosts: ["localhost", "127.0.0.1"]]
    ```
    """

    id = "Security.MissingForceSSL"
    severity = Severity.WARNING
    confidence = Confidence.MEDIUM
    cwe = (319,)
    security_severity = 5.9

    def check(self, project: Project) -> Iterable[Finding]:
        root = project.layout.root
        evidence: dict[str | None, _Evidence] = {}
        protected: set[str | None] = set()
        for path, facts in project.files.items():
            if "config" in facts.kinds and config_scope(path) is not None:
                file = _parse(root, path)
                if file is not None:
                    _read_tls_config(file, evidence, protected)
        if not evidence or _forced_elsewhere(project, protected):
            return
        for key, found in sorted(evidence.items(), key=lambda item: item[1].location.path + str(item[0])):
            if key in protected or None in protected:
                continue
            confidence = Confidence.MEDIUM if found.strength == 2 else Confidence.LOW
            name = f"`{key}`" if key else "The endpoint"
            how = "serves HTTPS" if found.strength == 2 else "has an https URL"
            message = (f"{name} {how} in production but nothing redirects plain HTTP or sends HSTS: no "
                       "`force_ssl` in the config, no `Plug.SSL` in the endpoint")
            fix = "Add `force_ssl: [rewrite_on: [:x_forwarded_proto]]` to the endpoint's config in config/prod.exs."
            yield self.finding(found.location.path, _span(found.location), message, confidence=confidence, fix=fix)


def _span(location: Location) -> Span:
    return Span(location.line, location.column, location.end_line, location.end_column)


def _parse(root: Path, path: str) -> ParsedFile | None:
    """A config, endpoint or router file parsed again in the project phase (its trees are not
    cached); the config rules share one parse per file content."""
    try:
        data = (root / path).read_bytes()
    except OSError:
        return None
    return _parsed(path, data)


@lru_cache(maxsize=64)
def _parsed(path: str, data: bytes) -> ParsedFile:
    return ParsedFile(Document(path, data, Language.ELIXIR))


def _read_tls_config(file: ParsedFile, evidence: dict[str | None, _Evidence], protected: set[str | None]) -> None:
    for call, _app, key, options in config_calls(file):
        if branch(call.node) == EXCLUDED:
            continue
        for name, value in keyword_pairs(options):
            if name == "force_ssl" and text(value) not in ("nil", "false"):
                protected.add(key)
                continue
            strength = 0
            if name == "https" and text(value) not in ("nil", "false"):
                if text(keyword(value, "fail_if_no_peer_cert") or value) == "true":
                    protected.add(key)  # clients with certificates (devices), not browsers: HSTS means nothing
                    continue
                strength = 2
            elif name == "url" and literal_text(keyword(value, "scheme")) == "https":
                strength = 1
            known = evidence.get(key)
            if strength and (known is None or strength > known.strength):
                span = file.span(value.parent or value)
                evidence[key] = _Evidence(Location.of(file.path, span), strength, name)


def _forced_elsewhere(project: Project, protected: set[str | None]) -> bool:
    """`plug Plug.SSL` in an endpoint (protects that endpoint; the result says nothing of it),
    or what protects every endpoint: `Plug.SSL` or an HSTS header in a router, a `fly.toml`
    that forces HTTPS."""
    root = project.layout.root
    for path, facts in project.files.items():
        kinds = {kind for module in facts.modules for kind in module.kinds}
        if not kinds & {"endpoint", "router"}:
            continue
        file = _parse(root, path)
        if file is None:
            continue
        for call in file.outline.calls:
            if call.name == "plug" and call.args and module_reference(call.args[0], call.module_def) == "Plug.SSL":
                if "router" in file.kinds_of(call.module_def):
                    return True  # we cannot tell which endpoint serves the router: take it as protecting all
                protected.add(call.module_def.name if call.module_def else None)
        if "router" in kinds and b"strict-transport-security" in file.doc.data.lower():
            return True
    for app in project.layout.apps:
        try:
            fly = (root / app.join("fly.toml")).read_text("utf-8", "replace")
        except OSError:
            continue
        if re.search(r"^\s*force_https\s*=\s*true", fly, re.MULTILINE):
            return True
    return False
