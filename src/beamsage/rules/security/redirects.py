"""Open redirects: `redirect(conn, external: url)` to a URL from outside."""

from __future__ import annotations

import re

from tree_sitter import Node

from ...model.flow import Origin
from ...model.parsed import ParsedFile
from ...model.taint import Sink
from ...source.syntax import Call, text
from ..base import Confidence, Severity, register
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

    def unknown_confidence(self, file: ParsedFile, call: Call, sink: Sink) -> Confidence | None:
        values = [sink.value]
        if sink.value.type == "identifier" and call.owner is not None:
            values = file.flow(call.owner).bindings.get(text(sink.value), []) or values
        if all(_OWN_URL.search(text(v)) for v in values):
            return None  # the app's own routes, or an OAuth provider's authorize URL
        return super().unknown_confidence(file, call, sink)

    def describe(self, sink: Sink, value: Node | str | None, origin: Origin | None) -> str:
        return f"`redirect/2` sends the browser to {shown(value)}{because(origin, value)}"

    def fix_for(self, sink: Sink) -> str:
        return "Redirect with `to:` to a path of this app, or check the URL against an allow-list first."
