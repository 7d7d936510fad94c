"""Cross-site scripting: content written into pages without escaping, and
response content types chosen at run time."""

from __future__ import annotations

from typing import Iterable

from ...model.facts import GivenAssign, HtmlSinkFacts
from ...model.flow import Origin
from ...model.kinds import REQUEST_HANDLERS
from ...model.parsed import ParsedFile
from ...model.phoenix_views import (
    Html,
    HtmlSink,
    assigns_by_page,
    checked,
    content_type_value,
    html_sinks,
    routed_to_project,
    short,
    sink_page,
)
from ...model.project import Project
from ...source.syntax import is_constant
from ..base import Confidence, FileRule, Finding, Location, Related, Severity, register
from .common import because, reviewable, runtime_calls

_ESCAPE_FIX = "Output it escaped (`{@x}`, `<%= x %>`, a template), or clean it first with `HtmlSanitizeEx`."
_MARKDOWN_FIX = "Sanitise the rendered Markdown (`HtmlSanitizeEx.markdown_html/1`), or use MDEx, which drops raw HTML."
_JSON_FIX = "Encode with `Jason.encode!(data, escape: :html_safe)` so `</script>` cannot close the script tag."


@register
class XSS(FileRule):
    """Content written into an HTML page without escaping.

    ## What it finds

    `raw/1` (`Phoenix.HTML.raw/1`) and `{:safe, content}` tuples in
    templates (`.heex`, `.eex`, `~H`), components, views and controllers,
    `html/2`, and `send_resp/3` after `put_resp_content_type("text/html")`,
    when the content is neither fixed by the code nor made by an escaper or
    sanitiser (`Phoenix.HTML.html_escape/1`, `Phoenix.HTML.Safe.to_iodata/1`,
    `HtmlSanitizeEx`, `Jason.encode!(x, escape: :html_safe)`, MDEx without
    `unsafe:`), directly or through a variable. Earmark output counts as
    unsafe: Markdown passes raw HTML through. In a template, `raw(@bio)` is
    traced to what the controller's `render` or the LiveView's `assign`
    gives `bio`: high confidence when that is request data, no finding when
    every value given is sanitised or fixed, medium otherwise (as for other
    content of unknown origin in request handlers; low elsewhere). Flash
    messages written raw are low: the app's own `put_flash` calls set them.

    ## Why it matters

    Phoenix escapes everything a template outputs; these calls switch that
    off. If the content holds text a user wrote, their `<script>` (or an
    `onerror=` attribute, or a `javascript:` link) runs in every visitor's
    browser with the visitor's session: it can read the page, act as the
    user through LiveView events and forms, and steal what they type. One
    stored comment can reach every admin who opens it.

    ## Example

    ```elixir
    def show(conn, %{"id" => id, "highlight" => term}) do
      post = Blog.get_post!(id)
      render(conn, :show, post: post, notice: "Results for <b>#{term}</b>")
    end

    # post_html/show.html.heex
    # <p class="notice">{raw(@notice)}</p>
    ```

    ## Use instead

    Let the template escape the data and keep the markup in the template;
    when users may write HTML or Markdown, sanitise it before marking it safe:

    ```elixir
    def show(conn, %{"id" => id, "highlight" => term}) do
      post = Blog.get_post!(id)
      render(conn, :show, post: post, term: term, body: HtmlSanitizeEx.basic_html(post.body))
    end

    # post_html/show.html.heex
    # <p class="notice">Results for <b>{@term}</b></p>
    # <div>{raw(@body)}</div>
    ```
    """

    id = "Security.XSS"
    severity = Severity.ERROR
    confidence = Confidence.MEDIUM
    cwe = (79,)
    security_severity = 6.1

    def check(self, file: ParsedFile) -> Iterable[Finding]:
        if not reviewable(file):
            return
        for sink in html_sinks(file):
            if routed_to_project(sink):
                continue  # judged with what the handlers give the page (`check_project`)
            confidence, origin = self._judge(file, sink)
            yield self.finding(file.path, file.span(sink.node), _message(sink.label, short(sink.value), origin),
                               confidence=confidence, fix=_fix(short(sink.value, 200)))

    @staticmethod
    def _judge(file: ParsedFile, sink: HtmlSink) -> tuple[Confidence, Origin | None]:
        if sink.request is not None:
            return Confidence.HIGH, Origin(f"the request (`{sink.request}`)")
        if not sink.in_template:
            origin = Html(file, sink.clause, sink.module, False).origin(sink.value)
            if origin is not None:
                return Confidence.HIGH, origin
        if "flash" in short(sink.value):
            return Confidence.LOW, None  # flash messages are written by the app's own `put_flash` calls
        if sink.in_template or set(file.kinds_of(sink.module)) & REQUEST_HANDLERS:
            return Confidence.MEDIUM, None
        return Confidence.LOW, None

    def check_project(self, project: Project) -> Iterable[Finding]:
        given = assigns_by_page(project)
        for path, facts in project.files.items():
            if facts.html is None:
                continue
            for sink in facts.html.sinks:
                page = sink_page(project, path, sink)
                finding = self._page_finding(path, sink, given.get(page, {}) if page is not None else {})
                if finding is not None:
                    yield finding

    def _page_finding(self, path: str, sink: HtmlSinkFacts, given: dict[str, list[tuple[str, GivenAssign]]]) \
            -> Finding | None:
        location = Location(path, sink.line, sink.column, sink.end_line, sink.end_column)
        untrusted = [(p, g) for name in sink.reads for p, g in given.get(name, ()) if g.verdict == "untrusted"]
        if untrusted:
            _, first = min(untrusted, key=lambda item: (item[0], item[1].line, item[1].column))
            others = len(untrusted) - 1
            more = f" (and {others} more)" if others else ""
            message = (f"{sink.sink} writes `{sink.code}` into the page without escaping, and "
                       f"`{first.module}.{first.function}` "
                       f"sets `@{first.assign}` to `{first.code}`{more}, which {first.source}")
            related = tuple(Related(Location(p, g.line, g.column, g.line, g.column),
                                    f"`@{g.assign}` is set from untrusted data here") for p, g in untrusted)
            return Finding(self.id, self.severity, Confidence.HIGH, message, location, related, _fix(sink.code))
        if sink.only_assigns and all(given.get(name) and all(g.verdict == "safe" for _, g in given[name])
                                     for name in sink.direct):
            return None  # every value the handlers give is sanitised or fixed by the code
        return Finding(self.id, self.severity, Confidence.MEDIUM, _message(sink.sink, sink.code, None), location,
                       (), _fix(sink.code))


def _message(label: str, code: str, origin: Origin | None) -> str:
    note = ""
    if "Earmark" in code:
        note = " (Earmark keeps the raw HTML in Markdown)"
    elif "encode" in code and ("Jason" in code or "Poison" in code):
        note = " (JSON is not escaped for `<script>` unless `escape: :html_safe`)"
    writes = f"{label} sends `{code}` as HTML" if label.startswith(("`html", "`send_resp")) else \
        f"{label} writes `{code}` into the page"
    if origin is None:
        return f"{writes} without escaping{note}, so any script it holds runs in the user's browser"
    return f"{writes} without escaping{note}{because(origin)}"


def _fix(code: str) -> str:
    if "Earmark" in code:
        return _MARKDOWN_FIX
    if "encode" in code and ("Jason" in code or "Poison" in code):
        return _JSON_FIX
    return _ESCAPE_FIX


@register
class XSSContentType(FileRule):
    """A response content type chosen at run time.

    ## What it finds

    `put_resp_content_type(conn, type)` and
    `put_resp_header(conn, "content-type", type)` where `type` is not a
    literal, not fixed by the code and not checked against a list of allowed
    types. High confidence when the type is shown to come from the request
    (also through `MIME.from_path/1` of a requested file name); low otherwise
    (for example the content type stored with an upload).

    ## Why it matters

    The content type decides how the browser reads the body. If a user can
    choose it (a `?format=` parameter, the type an uploader claimed, the
    extension of an uploaded file name), they can make a file or a text
    response be read as `text/html` or `image/svg+xml`, and any script in it
    runs on your domain with your users' sessions.

    ## Example

    ```elixir
    def download(conn, %{"id" => id, "type" => type}) do
      attachment = Files.get_attachment!(id)
      conn
      |> put_resp_content_type(type)
      |> send_resp(200, attachment.data)
    end
    ```

    ## Use instead

    Map the accepted formats to fixed types, and serve uploaded files as
    attachments so the browser downloads them instead of rendering them:

    ```elixir
    @types %{"csv" => "text/csv", "pdf" => "application/pdf"}

    def download(conn, %{"id" => id, "type" => type}) do
      attachment = Files.get_attachment!(id)
      send_download(conn, {:binary, attachment.data},
        filename: attachment.filename, content_type: Map.get(@types, type, "application/octet-stream"))
    end
    ```
    """

    id = "Security.XSSContentType"
    severity = Severity.WARNING
    confidence = Confidence.LOW
    cwe = (79,)
    security_severity = 6.1

    _WATCHED = {None: {"put_resp_content_type", "put_resp_header"},
                "Plug.Conn": {"put_resp_content_type", "put_resp_header"}}

    def check(self, file: ParsedFile) -> Iterable[Finding]:
        if not reviewable(file) or file.tree is None:
            return
        for call in runtime_calls(file, self._WATCHED):
            value = content_type_value(call)
            if value is None or call.owner is None or call.in_template or is_constant(value):
                continue
            flow = file.flow(call.owner)
            if flow.constant(value) or checked(flow, value):
                continue
            origin = Html(file, call.owner, call.module_def, False).origin(value)
            yield self.finding(
                file.path,
                file.span(call.node),
                f"`{call.name}/{call.arity}` sets the response content type from `{short(value)}`, "
                f"so the body may be read as HTML{because(origin, value)}",
                confidence=Confidence.HIGH if origin is not None else Confidence.LOW,
                fix="Pick the type from a fixed map of allowed formats, or send files with `send_download/3`.",
            )
