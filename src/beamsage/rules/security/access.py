"""Access control: what users may set and which records they may reach."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace

from tree_sitter import Node

from ...model.ecto.queries import is_repo_call
from ...model.flow import Origin
from ...model.kinds import REQUEST_HANDLERS
from ...model.parsed import ParsedFile
from ...model.project import Project
from ...model.taint import Sink, TaintPath
from ...source.syntax import Call, Clause, ModuleDef, keyword_pairs, text
from ..base import Confidence, FileRule, Finding, Severity, register
from .common import SinkRule, because, reviewable

# Fields that decide what a user may do or own; `privileged-fields` in `.beamsage.toml` adds more.
PRIVILEGED_FIELDS = frozenset(
    {"role", "roles", "admin", "is_admin", "superuser", "is_superuser", "staff", "is_staff", "permissions",
     "confirmed_at", "verified", "verified_at", "email_verified", "balance", "credits", "user_id", "owner_id",
     "account_id", "organization_id", "org_id", "tenant_id", "team_id", "hashed_password", "password_hash"}
)


@register
class MassAssignment(SinkRule):
    """A changeset that lets request params set privilege fields such as `role` or `user_id`.

    ## What it finds

    `cast/3` whose permitted fields include a privilege field (`:role`,
    `:admin`, `:is_admin`, `:confirmed_at`, `:balance`, `:user_id`,
    `:organization_id`... and the `privileged-fields` of `.beamsage.toml`)
    when the attributes it casts are shown to come straight from controller
    or LiveView params, through any chain of project functions (a context's
    `create_user/1` calling `User.changeset/2`). Params handed on by modules
    under an `Admin` namespace are not reported: setting roles is their job.

    ## Why it matters

    `cast/3` copies every permitted key the client sends. A registration form
    that shows only email and password still accepts `user[role]=admin` or
    `post[user_id]=42` when the changeset permits those fields: users promote
    themselves or create records in someone else's name. Ecto cannot know
    which fields the form meant to show.

    ## Example

    ```elixir
    def changeset(user, attrs) do
      user
      |> cast(attrs, [:email, :name, :role])
      |> validate_required([:email, :name])
    end
    ```

    ## Use instead

    Keep privilege fields out of changesets fed by user forms, and set them
    explicitly in a separate changeset that only trusted code calls:

    ```elixir
    def changeset(user, attrs) do
      user
      |> cast(attrs, [:email, :name])
      |> validate_required([:email, :name])
    end

    def role_changeset(user, role) when role in [:member, :admin] do
      change(user, role: role)
    end
    ```
    """

    id = "Security.MassAssignment"
    severity = Severity.WARNING
    confidence = Confidence.HIGH
    cwe = (915,)
    security_severity = 7.1
    kinds = ("cast",)

    def check(self, file: ParsedFile) -> Iterable[Finding]:
        return ()  # a changeset and the params it is fed live in different functions: see check_project

    def check_project(self, project: Project) -> Iterable[Finding]:
        privileged = PRIVILEGED_FIELDS | set(project.settings.get("privileged-fields", ()))
        by_sink: dict[tuple, list[TaintPath]] = {}
        for path in project.taint.paths("cast"):
            fields = tuple(f for f in path.reach.detail if f in privileged)
            if fields and not _admin(path.caller):
                path = replace(path, reach=replace(path.reach, detail=fields))
                by_sink.setdefault(path.reach.at, []).append(path)
        for paths in by_sink.values():
            yield self._path_finding(paths)

    def describe(self, sink: Sink, value: Node | str | None, origin: Origin | None) -> str:
        fields = ", ".join(f"`:{f}`" for f in sink.detail)
        return f"{sink.what} lets the request set {fields}{because(origin, value)}"

    def fix_for(self, sink: Sink) -> str:
        return "Remove privilege fields from this `cast/3`; set them with `change/2` in code that checks rights."


def _admin(module: str) -> bool:
    return any(part.startswith("Admin") for part in module.split("."))


_LOOKUP = re.compile(r"(?:get|fetch)(?:_\w+?)??(?:_by_(?P<by>\w+?))?!?")
_ID = re.compile(r"id|uuid|\w+_id")
_SECRET = re.compile(r"token|state|code|secret|hash|email|password|key|nonce|otp", re.IGNORECASE)
_SCOPE = re.compile(rb"current_user|current_scope|current_account|current_member|current_organization")
_SCOPED = re.compile(
    r"current_user|current_scope|current_account|current_member|current_organization|\bscope\b|assigns\.user"
    r"|authorize|permit|can\?|policy|Policy|Bodyguard|owner"
)


@register
class UnscopedResourceLookup(FileRule):
    """A record loaded by an id from the request without scoping it to the signed-in user.

    ## What it finds

    In controllers and LiveViews of modules that work with a signed-in user
    (they read `current_user` or `current_scope` elsewhere), a function that
    loads a record by an id from the request (`Repo.get/2`, `Repo.get!/2`,
    `Repo.get_by/2` on `id:` or `*_id:`, or a context's `get_post!/1`,
    `fetch_order/1`, `get_post_by_id/1` with the id as its only argument) and
    never mentions the user, the scope or an authorization check. Lookups by
    a secret (a token, an OAuth state, an email at sign-in) are not reported:
    knowing the secret is the access check. Confidence is medium: some
    records are public.

    ## Why it matters

    This is an insecure direct object reference (IDOR): when `show/2` loads
    `Orders.get_order!(id)` for any id, a signed-in user reads every other
    customer's orders by counting up the id in the URL. Authentication says
    who the user is; only scoping the query says what they may see.

    ## Example

    ```elixir
    def show(conn, %{"id" => id}) do
      order = Orders.get_order!(id)
      render(conn, :show, order: order)
    end
    ```

    ## Use instead

    Load through the user (or Phoenix 1.8's scope), so another user's id
    finds nothing:

    ```elixir
    def show(conn, %{"id" => id}) do
      order = Orders.get_order!(conn.assigns.current_scope, id)
      render(conn, :show, order: order)
    end
    ```
    """

    id = "Security.UnscopedResourceLookup"
    severity = Severity.WARNING
    confidence = Confidence.MEDIUM
    cwe = (639,)
    security_severity = 6.5

    def check(self, file: ParsedFile) -> Iterable[Finding]:
        if not reviewable(file) or not file.kinds & REQUEST_HANDLERS:
            return
        users = {id(m) for m in file.outline.modules if _works_with_users(m)}
        for call in file.outline.calls:
            clause = call.owner
            if clause is None or id(clause.module) not in users or not call.runs_at_runtime:
                continue
            key = _looked_up_id(call)
            if key is None or _scoped(clause):
                continue
            origin = file.flow(clause).origin(key)
            if origin is None:
                continue
            yield self.finding(
                file.path, file.span(call.node),
                f"`{_name(call)}` loads a record by `{text(key)}`, which {origin.describe(text(key))}, without "
                "scoping it to the signed-in user: anyone signed in can reach other users' records by changing "
                "the id",
                fix="Load the record through the current user or scope (`get_post!(scope, id)`), or check "
                    "ownership before using it.",
            )


def _works_with_users(module: ModuleDef) -> bool:
    return bool(_SCOPE.search(module.node.text))


def _scoped(clause: Clause) -> bool:
    return bool(_SCOPED.search(text(clause.node)))


def _looked_up_id(call: Call) -> Node | None:
    """The id argument of a lookup by id: `Repo.get!(Post, id)`,
    `Repo.get_by(Post, id: id)`, `Blog.get_post!(id)`. Lookups by a secret
    (a token, a state, an email at sign-in) are how access is granted, not
    records to scope."""
    name = call.name or ""
    if is_repo_call(call):
        if name in ("get", "get!") and len(call.args) >= 2:
            return call.args[1]
        if name in ("get_by", "get_by!") and len(call.args) >= 2:
            return next((v for k, v in keyword_pairs(call.args[1]) if _ID.fullmatch(k)), None)
        return None
    match = _LOOKUP.fullmatch(name) if name.rstrip("!") not in ("get", "fetch") else None
    if call.module and match and len(call.args) == 1 and not call.piped and not _SECRET.search(text(call.args[0])):
        return call.args[0] if match.group("by") is None or _ID.fullmatch(match.group("by")) else None
    return None


def _name(call: Call) -> str:
    return f"{call.module}.{call.name}/{call.arity}"
