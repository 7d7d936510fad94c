"""Facts about one file: plain, immutable, cacheable data.

These are what survives a file's parse: the engine caches them by content
hash, cross-file rules and the faces (`map`, `mcp`) read them. They are
msgspec structs so the cache round-trips them fast and validates what it
reads back.
"""

from __future__ import annotations

import msgspec

from ..source.directives import Directive
from ..source.document import Span
from .config import ConfigEntry
from .components import MarkupFacts
from .errorstyle import ErrorStyle
from .ecto.facts import FunctionLoads, MigrationFacts, QueryFacts, SchemaFacts
from .liveview.facts import LiveViewFacts
from .metrics import QualityFacts
from .oban import ObanFacts
from .supervision import DynamicFacts, SupervisionFacts
from .telemetry import TelemetryUse
from .testsuite import TestFacts


class FunctionFacts(msgspec.Struct, frozen=True, gc=False, array_like=True):
    name: str
    arity: int
    min_arity: int
    kind: str  # def, defp, defmacro, defmacrop, defguard, defguardp, defdelegate
    line: int
    clauses: int


class UseFacts(msgspec.Struct, frozen=True, gc=False):
    module: str
    argument: str | None = None  # `:controller` in `use MyAppWeb, :controller`


class ModuleFacts(msgspec.Struct, frozen=True, gc=False):
    name: str
    line: int
    end_line: int
    kinds: tuple[str, ...]  # schema, migration, controller, live_view, genserver, ...
    uses: tuple[UseFacts, ...] = ()
    behaviours: tuple[str, ...] = ()
    imports: tuple[str, ...] = ()
    aliases: tuple[tuple[str, str], ...] = ()  # (short name, full name)
    attributes: tuple[str, ...] = ()
    functions: tuple[FunctionFacts, ...] = ()


class LoopFacts(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """Code that runs once per element: an `Enum`/`Stream` callback, a `for`
    body, a HEEx `:for`, a function recursing over a list."""

    kind: str  # "Enum.map", "for", ":for", "Task.async_stream", "recursion"
    line: int
    column: int
    over: str  # the collection, as written (shortened)


class CallSite(msgspec.Struct, frozen=True, gc=False, array_like=True):
    module: str | None  # resolved as far as the file tells; None for local calls
    name: str
    arity: int
    line: int
    column: int
    end_line: int
    end_column: int
    loop: int = -1  # index of the innermost loop in the file's `loops`, -1 when none


class FunctionCalls(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """The calls one function makes (all its clauses), for the project's call
    graph. A template file's code is the function `<template>` of no module."""

    module: str | None
    name: str
    arity: int
    line: int
    calls: tuple[CallSite, ...] = ()


class SinkParam(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """Parameter `param` of a function reaches a sink of `kind` at `line`."""

    module: str
    name: str
    arity: int
    param: int
    kind: str
    sink: str  # "`Repo.query!/1`"
    value: str  # the argument's code
    line: int
    column: int
    end_line: int
    end_column: int
    detail: tuple[str, ...] = ()  # for `cast`: the fields it permits


class ArgFlow(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """A call passes, as argument `index` of a project function, an untrusted
    value (`source` describes it) or the caller's own parameter `param`."""

    module: str
    name: str
    arity: int
    index: int
    caller_module: str
    caller_name: str
    caller_arity: int
    line: int
    column: int
    source: str | None = None  # "comes from the request params of ..."
    param: int | None = None
    cleaned: tuple[str, ...] = ()  # sink kinds a sanitiser made the value safe for


class HtmlSinkFacts(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """A template writes content carrying assigns without escaping (`raw(@bio)`)."""

    module: str | None  # the module of the function holding the `~H`; None for a template file
    page: str  # that function's name; "" for a template file
    sink: str  # "`raw/1`"
    code: str  # the content as written, shortened
    direct: tuple[str, ...]  # assigns written whole (`@bio`)
    reads: tuple[str, ...]  # every assign the content carries (`@user.bio` carries `user`)
    only_assigns: bool  # nothing but `direct` assigns and safe parts make up the content
    line: int
    column: int
    end_line: int
    end_column: int


class GivenAssign(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """A controller renders `template` (a LiveView, `template` None: assigns)
    with `assign` set to a value judged untrusted, safe or unknown."""

    module: str
    function: str  # "show/2"
    template: str | None
    assign: str
    verdict: str  # untrusted, safe, unknown
    code: str  # the value as written, shortened
    source: str | None  # untrusted: "comes from the request params of ..."
    line: int
    column: int


class HtmlFacts(msgspec.Struct, frozen=True, gc=False):
    """What a file's pages write unescaped, and what its handlers give pages (`model.phoenix_views`)."""

    sinks: tuple[HtmlSinkFacts, ...] = ()
    given: tuple[GivenAssign, ...] = ()


class PipelineFacts(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """A router pipeline for HTML pages with a session, and the security headers
    its plugs are known to send (`model.phoenix.router`)."""

    module: str
    name: str
    line: int
    column: int
    end_line: int
    end_column: int
    headers: tuple[str, ...] = ()  # lowercase: "x-frame-options", "content-security-policy"...
    unknown: bool = False  # a plug may send headers the source does not show


class OriginSetting(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """`config :app, Endpoint, check_origin: value` in a config file."""

    app: str
    endpoint: str
    value: str  # as written
    prod: str  # applies in production: "yes", "no", "maybe"
    line: int
    column: int
    end_line: int
    end_column: int


class WebFacts(msgspec.Struct, frozen=True, gc=False):
    """What a file tells about browser protections (`model.phoenix.router.web_facts`)."""

    pipelines: tuple[PipelineFacts, ...] = ()
    headers: tuple[str, ...] = ()  # security headers the file's code names (lowercase)
    origins: tuple[OriginSetting, ...] = ()


class ProcessFacts(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """A module that runs as an OTP process (`model.otp`): its behaviour kinds and registered name."""

    module: str
    kinds: tuple[str, ...]
    name_kind: str | None = None  # atom, module, via, global, dynamic; None when unnamed
    name: str = ""  # the `name:` value as written
    # When every `handle_info/2` clause matches a specific message: their tags (`tick` for `:tick` and
    # `{:tick, _}`, `{}` for `{ref, result}`) and where the first clause is. Empty otherwise.
    info_tags: tuple[str, ...] = ()
    info_line: int = 0
    info_column: int = 0
    subscriptions: tuple[str, ...] = ()  # PubSub topics subscribed to, as literal strings
    detached: tuple[tuple[int, int], ...] = ()  # line ranges of functions handed to a Task or `spawn`
    warms_table: bool = False  # `init/1` creates a named ETS table that other processes read directly


class BroadcastFacts(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """`Phoenix.PubSub.broadcast(pubsub, "topic", message)` with a literal topic and a message whose tag is known."""

    topic: str
    tag: str
    message: str  # as written, shortened
    line: int
    column: int


class ReachedCall(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """A call whose harm depends on whether requests reach its function: a wait with `:infinity`, an unsupervised
    `Task.start`. Recorded for functions outside request handlers (those are judged in their own file)."""

    module: str
    function: str
    arity: int
    call: str  # "GenServer.call/3"
    line: int
    column: int
    end_line: int
    end_column: int


class MessageSite(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """`GenServer.call(Shop.Cache, ...)`, `GenServer.cast`, `send(Shop.Cache, ...)` to a process named by a module."""

    target: str  # the module (or atom name) as resolved
    via: str  # "GenServer.call", "GenServer.cast", "send", "Agent.get"...
    caller: str  # Module.function/arity
    line: int


class OtpFacts(msgspec.Struct, frozen=True, gc=False):
    processes: tuple[ProcessFacts, ...] = ()
    broadcasts: tuple[BroadcastFacts, ...] = ()
    waits: tuple[ReachedCall, ...] = ()  # `:infinity` waits
    spawns: tuple[ReachedCall, ...] = ()  # `Task.start`, bare `spawn`
    messages: tuple[MessageSite, ...] = ()  # calls, casts and sends to a named process


class SourceIssue(msgspec.Struct, frozen=True, gc=False):
    """Why a file could not be (fully) reviewed."""

    kind: str  # parse_error, binary, encoding, empty, too_large, unreadable, internal_error
    message: str
    span: Span


class FileFacts(msgspec.Struct, frozen=True, gc=False):
    path: str  # relative to the project root, POSIX separators
    language: str  # elixir, heex, eex
    kinds: tuple[str, ...] = ()  # path kinds (lib, test, config, migration, template, mix) and module kinds
    lines: int = 0
    modules: tuple[ModuleFacts, ...] = ()
    directives: tuple[Directive, ...] = ()
    issues: tuple[SourceIssue, ...] = ()
    functions: tuple[FunctionCalls, ...] = ()
    loops: tuple[LoopFacts, ...] = ()  # the loops `CallSite.loop` points into
    queries: tuple[QueryFacts, ...] = ()
    schemas: tuple[SchemaFacts, ...] = ()
    migrations: tuple[MigrationFacts, ...] = ()
    loads: tuple[FunctionLoads, ...] = ()
    config: tuple[ConfigEntry, ...] = ()  # config files: what each `config` call sets
    sink_params: tuple[SinkParam, ...] = ()  # parameters that reach a dangerous call (`model.taint`)
    arg_flows: tuple[ArgFlow, ...] = ()  # untrusted values and parameters passed to project functions
    html: HtmlFacts | None = None  # template HTML sinks and the assigns handlers give pages
    web: WebFacts | None = None  # browser pipelines, security headers, check_origin settings
    otp: OtpFacts | None = None  # OTP processes and PubSub broadcasts the file defines (`model.otp`)
    oban: ObanFacts | None = None  # Oban queues, cron entries and workers (`model.oban`)
    supervision: tuple[SupervisionFacts, ...] = ()  # application and supervisor children in start order (`model.supervision`)
    subscribers: tuple[str, ...] = ()  # modules whose `init/1` subscribes to PubSub (`model.supervision`)
    dynamic: DynamicFacts | None = None  # DynamicSupervisors and their `start_child` sites (`model.supervision`)
    markup: MarkupFacts | None = None  # function components, component uses, headings (`model.components`)
    tests: TestFacts | None = None  # test files: length, tests that check nothing, helpers (`model.testsuite`)
    quality: QualityFacts | None = None  # @doc/@spec/@moduledoc/@impl counts per module (`model.metrics`)
    liveview: LiveViewFacts | None = None  # mount effects, live routes, patches, events, forms (`model.liveview`)
    errors: ErrorStyle | None = None  # error-handling style counts: tagged tuples, `with`, raise (`model.errorstyle`)
    telemetry: tuple[TelemetryUse, ...] = ()  # `:telemetry` events emitted, handled, measured (`model.telemetry`)
