"""Injection: untrusted data reaching functions that turn it into atoms,
terms, code, SQL or shell commands."""

from __future__ import annotations

from collections.abc import Iterable

from tree_sitter import Node

from ...model.flow import Origin
from ...model.kinds import REQUEST_HANDLERS
from ...model.parsed import ParsedFile
from ...model.taint import Sink
from ...source.syntax import Call, atom_value, is_constant, is_interpolated, operator, text
from ..base import Confidence, Finding, Severity, register
from .common import SinkRule, because, captured_subject, judge, reviewable, runtime_calls, shown, validated


@register
class UnsafeAtomConversion(SinkRule):
    """Atoms created at run time from data that may come from outside.

    ## What it finds

    `String.to_atom/1`, `List.to_atom/1`, `:erlang.binary_to_atom/1,2`,
    `:erlang.list_to_atom/1` and `Module.concat/1,2` on a value that is not a
    literal and was not first checked against a list of constants
    (`when sort in ~w(name price)`); interpolated atoms (`:"user_#{role}"`, `"#{key}": value`,
    `~w(#{x})a`); `Jason.decode/2` and `Poison.decode/2` with `keys: :atoms`;
    and captures such as `Enum.map(fields, &String.to_atom/1)`. Confidence is
    high when the value is shown to come from request parameters, a socket
    payload or an HTTP response.

    ## Why it matters

    Atoms are never garbage-collected and the atom table is fixed in size
    (1,048,576 by default). Every distinct string an attacker sends becomes a
    new atom; once the table is full the whole BEAM node crashes, taking every
    user's connection with it. This is a denial of service that needs no
    authentication when the value comes from params.

    ## Example

    ```elixir
    def index(conn, %{"sort" => sort}) do
      products = Catalog.list_products(order_by: String.to_atom(sort))
      render(conn, :index, products: products)
    end
    ```

    ## Use instead

    Map the accepted strings explicitly, or use `String.to_existing_atom/1`
    (which raises instead of creating a new atom), and decode JSON with
    `keys: :atoms!` or string keys:

    ```elixir
    @sortable %{"name" => :name, "price" => :price}

    def index(conn, params) do
      sort = Map.get(@sortable, params["sort"], :name)
      products = Catalog.list_products(order_by: sort)
      render(conn, :index, products: products)
    end
    ```
    """

    id = "Security.UnsafeAtomConversion"
    severity = Severity.WARNING
    confidence = Confidence.MEDIUM
    cwe = (400, 770)
    security_severity = 7.5
    kinds = ("atom",)

    _JSON = {"Jason": {"decode", "decode!"}, "Poison": {"decode", "decode!"}}
    # Handled here, not as sinks: captures apply to each element, `Module.concat/1,2` to each part.
    _CONVERTERS = {"String": {"to_atom"}, "List": {"to_atom"}, ":erlang": {"binary_to_atom", "list_to_atom"},
                   "Module": {"concat"}}

    def check(self, file: ParsedFile) -> Iterable[Finding]:
        if not reviewable(file):
            return
        yield from super().check(file)
        for call in runtime_calls(file, {**self._CONVERTERS, **self._JSON}):
            if call.name in self._JSON.get(call.module, ()):
                yield from self._json_atoms(file, call)
            elif call.capture or call.name == "concat":
                yield from self._conversion(file, call)
        yield from self._dynamic_atoms(file)

    def describe(self, sink: Sink, value: Node | str | None, origin: Origin | None) -> str:
        return (f"{sink.what} creates atoms from {shown(value)}, and atoms are never garbage-collected"
                f"{because(origin, value)}")

    def fix_for(self, sink: Sink) -> str:
        return "Map accepted strings to atoms explicitly, or use `String.to_existing_atom/1`."

    def _json_atoms(self, file: ParsedFile, call: Call) -> Iterable[Finding]:
        keys = call.keyword("keys")
        if call.args and keys is not None and atom_value(keys) == "atoms":
            confidence, origin = judge(file, call, call.args[0])
            yield self.finding(
                file.path,
                file.span(call.node),
                f"`{call.module}.{call.name}` with `keys: :atoms` creates an atom for every key in "
                f"{shown(call.args[0])}{because(origin, call.args[0])}",
                confidence=confidence,
                fix="Use `keys: :atoms!` (only existing atoms) or keep string keys.",
            )

    def _conversion(self, file: ParsedFile, call: Call) -> Iterable[Finding]:
        if call.capture:
            value = captured_subject(call)
            if value is not None and (is_constant(value, in_template=call.in_template)
                                      or validated(file, call, value)):
                return
            what = f"each element of {shown(value)}" if value is not None else "its argument"
        else:
            variable = [v for v in call.args if not is_constant(v, in_template=call.in_template)]
            if not variable or all(validated(file, call, v) for v in variable):
                return
            value = variable[0]
            what = shown(value)
        confidence, origin = judge(file, call, value)
        yield self.finding(
            file.path,
            file.span(call.node),
            f"`{call.module}.{call.name}/{call.arity}` creates atoms from {what}, and atoms are never "
            f"garbage-collected{because(origin, value)}",
            confidence=confidence,
            fix=self.fix_for(None),
        )

    def _dynamic_atoms(self, file: ParsedFile) -> Iterable[Finding]:
        nodes = list(file.outline.dynamic_atoms)
        nodes.extend(
            s for s in file.outline.sigils
            if is_interpolated(s) and any(c.type == "sigil_modifiers" and "a" in text(c) for c in s.children)
            and any(c.type == "sigil_name" and text(c) == "w" for c in s.children)
        )
        for node in nodes:
            clause, in_quote = file.outline.context_at(node)
            if clause is None or in_quote or clause.kind.startswith("defmacro"):
                continue
            if clause.module is not None and clause.module.name.startswith("Mix.Tasks."):
                continue
            origin = next(
                (o for c in node.children if c.type == "interpolation"
                 for inner in c.named_children if (o := file.flow(clause).origin(inner))),
                None,
            )
            if origin is not None:
                confidence = Confidence.HIGH
            elif set(file.kinds_of(clause.module)) & REQUEST_HANDLERS:
                confidence = Confidence.MEDIUM
            else:
                confidence = Confidence.LOW
            yield self.finding(
                file.path,
                file.span(node),
                f"interpolated atom {shown(node)} creates a new atom for every value{because(origin)}",
                confidence=confidence,
                fix="Map accepted strings to atoms explicitly, or use `String.to_existing_atom/1`.",
            )


@register
class UnsafeBinaryToTerm(SinkRule):
    """Deserialising Erlang terms from data that may come from outside.

    ## What it finds

    `:erlang.binary_to_term/1,2` (also as a capture) on anything that is not
    a literal. The `[:safe]` option does not make it safe: it only refuses to
    create new atoms. Confidence is high when the binary is shown to come
    from a request, a socket payload or an HTTP response.

    ## Why it matters

    The external term format can encode functions. A decoded term that holds
    a fun runs attacker-chosen code as soon as anything calls it (for example
    through `Enum` functions walking the term), and `[:safe]` does not refuse
    funs. Decoding untrusted binaries this way is remote code execution waiting
    for a caller; without `[:safe]` it is also an atom-table exhaustion.

    ## Example

    ```elixir
    def restore(conn, %{"state" => encoded}) do
      state = encoded |> Base.decode64!() |> :erlang.binary_to_term([:safe])
      json(conn, state)
    end
    ```

    ## Use instead

    Use a data format (JSON) for anything that crosses a trust boundary, or
    `Plug.Crypto.non_executable_binary_to_term/2`, which refuses funs, and
    sign the binary (`Phoenix.Token`, `Plug.Crypto.sign/3`) so only your own
    server's output is accepted:

    ```elixir
    def restore(conn, %{"state" => token}) do
      {:ok, binary} = Phoenix.Token.verify(conn, "state", token, max_age: 3600)
      state = Plug.Crypto.non_executable_binary_to_term(binary, [:safe])
      json(conn, state)
    end
    ```
    """

    id = "Security.UnsafeBinaryToTerm"
    severity = Severity.ERROR
    confidence = Confidence.MEDIUM
    cwe = (502,)
    security_severity = 9.0
    kinds = ("term",)

    def check(self, file: ParsedFile) -> Iterable[Finding]:
        if not reviewable(file):
            return
        yield from super().check(file)
        for call in runtime_calls(file, {":erlang": {"binary_to_term"}}):
            value = captured_subject(call) if call.capture else None
            if value is None or is_constant(value, in_template=call.in_template) or validated(file, call, value):
                continue
            confidence, origin = judge(file, call, value)
            sink = Sink("term", value, "`:erlang.binary_to_term/1`")
            yield self.finding(file.path, file.span(call.node), self.describe(sink, value, origin),
                               confidence=confidence, fix=self.fix_for(sink))

    def describe(self, sink: Sink, value: Node | str | None, origin: Origin | None) -> str:
        call = sink.call
        safe = call is not None and len(call.args) > 1 and "safe" in text(call.args[1])
        return (f"{sink.what} decodes {shown(value)}, which may hold executable funs"
                f"{' (`[:safe]` still allows funs)' if safe else ''}{because(origin, value)}")

    def fix_for(self, sink: Sink) -> str:
        return "Use `Plug.Crypto.non_executable_binary_to_term(binary, [:safe])` on signed data, or JSON."


@register
class CodeEvaluation(SinkRule):
    """Evaluating Elixir code or EEx templates built at run time.

    ## What it finds

    `Code.eval_string/1..3`, `Code.eval_quoted/1..3`,
    `Code.eval_quoted_with_env/3`, `Code.eval_file/1,2`,
    `Code.compile_string/1,2`, `Code.compile_quoted/1,2`, `Code.require_file/1,2`,
    `EEx.eval_string/1..3` and `EEx.eval_file/1..3` whose code (or path) is
    not a literal. Confidence is high when the code is shown to come from a
    request, a socket payload or an HTTP response.

    ## Why it matters

    These functions run arbitrary code with the full rights of the
    application: reading secrets, calling `System.cmd`, talking to the
    database. If any part of the evaluated string comes from a user, that
    user can run code on your server. Even trusted-looking inputs (a database
    column, a file path) turn a data leak into code execution.

    ## Example

    ```elixir
    def preview(conn, %{"template" => template}) do
      html = EEx.eval_string(template, assigns: [user: conn.assigns.current_user])
      html(conn, html)
    end
    ```

    ## Use instead

    Compile templates at build time (`EEx.function_from_file/5`, HEEx
    components) and pass user data as assigns, never as code. For
    user-defined templates use a sandboxed language such as Liquid
    (`solid`) or Mustache (`bbmustache`):

    ```elixir
    def preview(conn, %{"template" => template}) do
      {:ok, parsed} = Solid.parse(template)
      html(conn, Solid.render!(parsed, %{"user" => user_vars(conn)}))
    end
    ```
    """

    id = "Security.CodeEvaluation"
    severity = Severity.ERROR
    confidence = Confidence.MEDIUM
    cwe = (94, 95)
    security_severity = 9.8
    kinds = ("code",)

    def describe(self, sink: Sink, value: Node | str | None, origin: Origin | None) -> str:
        return f"{sink.what} evaluates {shown(value)} as code{because(origin, value)}"

    def fix_for(self, sink: Sink) -> str:
        return "Never evaluate code built at run time; compile templates at build time and pass data as assigns."


@register
class SQLInjection(SinkRule):
    """SQL text built from data that may come from outside.

    ## What it finds

    The SQL argument of `Repo.query/1..3`, `Repo.query!/1..3`,
    `Ecto.Adapters.SQL.query/2..4` (and `query!`, `query_many`, `stream`),
    `Postgrex.query/3..4` and `MyXQL.query/3..4` when it is not fixed by the
    code. Confidence is high when the text is shown to carry request, socket
    or HTTP data, directly or through a project function that passes its
    argument on to the query; medium for SQL assembled with interpolation or
    `<>` in a module that handles requests; low otherwise. Parameterised
    queries (`$1` placeholders with a parameter list) are never reported,
    nor is SQL built only from literals and module attributes.

    ## Why it matters

    Ecto's query DSL and `fragment/1` always send values as parameters, but
    raw SQL is sent as written. A quote in an interpolated value ends the
    string literal and the rest runs as SQL: reading other users' rows,
    changing data, or on Postgres running `COPY ... PROGRAM` to execute shell
    commands with the database's rights.

    ## Example

    ```elixir
    def search(conn, %{"q" => q}) do
      {:ok, result} = Repo.query("SELECT id, name FROM products WHERE name ILIKE '%#{q}%'")
      json(conn, result.rows)
    end
    ```

    ## Use instead

    Pass values as parameters (or use an Ecto query with `^`):

    ```elixir
    def search(conn, %{"q" => q}) do
      {:ok, result} = Repo.query("SELECT id, name FROM products WHERE name ILIKE $1", ["%#{q}%"])
      json(conn, result.rows)
    end
    ```
    """

    id = "Security.SQLInjection"
    severity = Severity.ERROR
    confidence = Confidence.HIGH
    cwe = (89,)
    security_severity = 9.8
    kinds = ("sql",)

    def unknown_confidence(self, file: ParsedFile, call: Call, sink: Sink) -> Confidence | None:
        if not _assembled(file, call, sink.value):
            return Confidence.LOW
        return super().unknown_confidence(file, call, sink)

    def describe(self, sink: Sink, value: Node | str | None, origin: Origin | None) -> str:
        return f"{sink.what} runs SQL built from {shown(value)}{because(origin, value)}"

    def fix_for(self, sink: Sink) -> str:
        return "Pass values as query parameters (`$1`, `$2` with a list) or use an Ecto query with `^`."


def _assembled(file: ParsedFile, call: Call, value: Node) -> bool:
    """SQL put together from pieces: interpolation or `<>`, directly or in the
    value a variable was bound to."""
    if value.type == "identifier" and call.owner is not None:
        return any(_assembled(file, call, v) for v in file.flow(call.owner).bindings.get(text(value), ()))
    return is_interpolated(value) or (value.type == "binary_operator" and operator(value) == "<>")


@register
class CommandInjection(SinkRule):
    """Operating-system commands built from data that may come from outside.

    ## What it finds

    The program of `System.cmd/2,3`, the command of `System.shell/1,2` and
    `:os.cmd/1,2`, and the command of `Port.open({:spawn, command}, ...)` or
    `{:spawn_executable, path}` when not fixed by the code; the script of a
    shell run with `System.cmd("sh", ["-c", script])`; and arguments of
    `System.cmd/3` shown to come from outside (argument injection: a value
    starting with `-` becomes an option of the program). Confidence is high
    when the value is shown to carry request, socket or HTTP data, directly
    or through a project function; medium for an unknown command in a module
    that handles requests; low otherwise.

    ## Why it matters

    `System.shell/1`, `:os.cmd/1` and `{:spawn, command}` hand the whole
    string to a shell, so `;`, `|` and `$(...)` in a value run further
    commands with the rights of the BEAM: reading secrets, opening a reverse
    shell. `System.cmd/3` runs no shell, but a chosen program or a chosen
    option (`--upload-pack=...` for git, `-o` for many tools) is just as
    dangerous.

    ## Example

    ```elixir
    def thumbnail(conn, %{"name" => name}) do
      {output, 0} = System.shell("convert uploads/#{name} -resize 200x200 thumbs/#{name}")
      text(conn, output)
    end
    ```

    ## Use instead

    Run a fixed program with `System.cmd/3` and an argument list, end options
    with `--`, and check values against what you expect:

    ```elixir
    def thumbnail(conn, %{"name" => name}) do
      file = Path.basename(name)
      {output, 0} = System.cmd("convert", ["--", Path.join("uploads", file), "-resize", "200x200",
                                           Path.join("thumbs", file)])
      text(conn, output)
    end
    ```
    """

    id = "Security.CommandInjection"
    severity = Severity.ERROR
    confidence = Confidence.HIGH
    cwe = (78, 88)
    security_severity = 9.8
    kinds = ("command", "argument")

    def unknown_confidence(self, file: ParsedFile, call: Call, sink: Sink) -> Confidence | None:
        if sink.kind == "argument":
            return None  # arguments of a fixed program: only report what is shown untrusted
        return super().unknown_confidence(file, call, sink)

    def describe(self, sink: Sink, value: Node | str | None, origin: Origin | None) -> str:
        if sink.kind == "argument":
            return f"{sink.what} passes {shown(value)} as arguments of the program{because(origin, value)}"
        return f"{sink.what} runs a command built from {shown(value)}{because(origin, value)}"

    def fix_for(self, sink: Sink) -> str:
        if sink.kind == "argument":
            return "Check the value against what you expect and put `--` before it to end the program's options."
        return "Run a fixed program with `System.cmd/3` and an argument list; never build a shell command string."
