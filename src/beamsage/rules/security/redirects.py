"""Open redirects: `redirect(conn, external: url)` to a URL from outside."""

from __future__ import annotations

import re
from collections.abc import Iterable

from tree_sitter import Node

from ...model.flow import Flow, Origin
from ...model.parsed import ParsedFile
from ...model.taint import Sink
from ...source.syntax import Call, operator, text
from ..base import Confidence, Finding, Severity, register
from .common import SinkRule, because, shown


# URLs of the app itself (`Routes.page_url(...)`, `url(~p"/")`, `Endpoint.url() <> path`) or of an
# OAuth provider's authorize endpoint.
_OWN_URL = re.compile(r"^(?:\w+\.)*(?:Routes|Router\.Helpers)\.|^~p|^url\(|^(?:\w+\.)*Endpoint\.(?:url|static_url)\(|authorize_url!?\(")


@register
class OpenRedirect(SinkRule):
    """Redirects to an external URL that may come from outside.

    ## What it finds

    `redirect(conn, external: url)` (and `Phoenix.LiveView.redirect/2` with
    `external:`) where the URL is shown to carry request or socket data,
    directly or through a project function, and was not first checked
    against a list of allowed values. URLs of unknown origin are reported
    with low confidence, and only in modules that handle requests; the app's
    own URLs (`Routes.*_url`, `url(~p"...")`, `Endpoint.url()` followed by a
    path the code builds) and an OAuth provider's `authorize_url` are not
    reported.

    ## Why it matters

    A link on your own domain that forwards to any site is a phishing tool:
    `https://shop.example/login?return_to=https://shop-example.evil/login`
    looks trustworthy, and after signing in the user lands on a copy of your
    site that asks for their password again or for a payment. Redirects
    within the app (`to:`) cannot leave your domain.

    ## Example

    ```elixir
    def create(conn, %{"user" => user_params, "return_to" => return_to}) do
      user = Accounts.authenticate!(user_params)
      conn |> put_session(:user_id, user.id) |> redirect(external: return_to)
    end
    ```

    ## Use instead

    Redirect within the app with `to:` (which accepts only paths), or check
    the target against an allow-list:

    ```elixir
    def create(conn, %{"user" => user_params, "return_to" => return_to}) do
      user = Accounts.authenticate!(user_params)
      path = if String.starts_with?(return_to, "/") and not String.starts_with?(return_to, "//"),
               do: return_to, else: ~p"/"
      conn |> put_session(:user_id, user.id) |> redirect(to: path)
    end
    ```
    """

    id = "Security.OpenRedirect"
    severity = Severity.WARNING
    confidence = Confidence.HIGH
    cwe = (601,)
    security_severity = 6.1
    kinds = ("redirect",)
    unknown_only_in_requests = True  # most redirect URLs are the application's own

    def judge_sink(self, file: ParsedFile, call: Call, sink: Sink) -> Iterable[Finding]:
        flow = file.flow(call.owner) if call.owner is not None else None
        if flow is not None and all(_same_origin(flow, v) for v in flow.values(sink.value)):
            return
        parts = _concatenated(sink.value)
        if flow is not None and len(parts) > 1 and _OWN_URL.search(text(parts[0])) and flow.origin(parts[1]) is None:
            return  # only what follows the app's host directly can move the browser to another one
        yield from super().judge_sink(file, call, sink)

    def unknown_confidence(self, file: ParsedFile, call: Call, sink: Sink) -> Confidence | None:
        values = file.flow(call.owner).values(sink.value) if call.owner is not None else [sink.value]
        if all(_OWN_URL.search(text(v)) for v in values):
            return None  # the app's own routes, or an OAuth provider's authorize URL
        return super().unknown_confidence(file, call, sink)

    def describe(self, sink: Sink, value: Node | str | None, origin: Origin | None) -> str:
        return f"`redirect/2` sends the browser to {shown(value)}{because(origin, value)}"

    def fix_for(self, sink: Sink) -> str:
        return "Redirect with `to:` to a path of this app, or check the URL against an allow-list first."


def _same_origin(flow: Flow, url: Node) -> bool:
    """A URL that cannot leave the app: a `~p` path, or the app's own URL
    followed by a path (`Endpoint.url() <> ~p"/x"`, `... <> "/x"`). What
    follows the host directly could be `@evil.example`."""
    parts = _concatenated(url)
    if len(parts) == 1:
        return _path(url)
    return bool(_OWN_URL.search(text(parts[0]))) and all(_path(v) for v in flow.values(parts[1]))


def _concatenated(node: Node) -> list[Node]:
    if node.type == "binary_operator" and operator(node) == "<>":
        return _concatenated(node.child_by_field_name("left")) + _concatenated(node.child_by_field_name("right"))
    return [node]


def _path(node: Node) -> bool:
    """An absolute path of this app: `~p"/..."` or a string starting with one `/`."""
    node = _concatenated(node)[0]
    code = text(node)
    return code.startswith('~p"/') or (code.startswith('"/') and not code.startswith('"//'))
