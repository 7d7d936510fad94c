"""The LiveView facts a file keeps (see `model.liveview.build`): plain, cacheable data."""

from __future__ import annotations

import msgspec


class Effect(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """A function that itself subscribes, tracks presence, starts a timer or calls an HTTP client,
    outside any `connected?` guard."""

    module: str
    function: str
    arity: int
    kind: str  # subscribe, presence, timer, http
    call: str  # "Phoenix.PubSub.subscribe/2"
    line: int
    column: int
    end_line: int
    end_column: int


class LiveRoute(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """`live "/posts/:id/edit", PostLive.Index, :edit` with its scopes' paths and helper prefix."""

    path: str  # the full path: "/posts/:id/edit"
    module: str  # "BlogWeb.PostLive.Index"
    action: str | None
    helper: str  # "post_index" (`Routes.post_index_path`), "live" without an action
    line: int


class Patch(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """A patch to a path: `push_patch(socket, to: ~p"/posts")`, `<.link patch={...}>`, `JS.patch(...)`."""

    module: str | None  # the module whose code holds it; None in a template file
    how: str  # "push_patch/2", "<.link patch>", "JS.patch", "live_patch"
    target: str  # "/posts/*/edit" (`*`: an interpolated segment), or "helper:post_index:edit"
    line: int
    column: int
    end_line: int
    end_column: int


class EventClause(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """A `handle_event/3` clause and the event it matches ("" for a variable: any event)."""

    module: str
    event: str
    line: int
    end_line: int


class ChangeForm(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """A form whose `phx-change` event fires on every keystroke of its undebounced text inputs."""

    module: str | None  # the module whose `~H` holds it; None in a template file
    form: str  # `<form id="search">`, as shown in messages
    event: str
    target: str  # "" (the LiveView) or "myself" (`phx-target={@myself}`)
    inputs: tuple[str, ...]  # the inputs without `phx-debounce`/`phx-throttle`, by field or name
    line: int
    column: int
    end_line: int
    end_column: int


class CollectionAssign(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """`assign(socket, :posts, Blog.list_posts())`, where `@posts` is assigned again by an event or message."""

    module: str
    key: str
    function: str  # the function holding the assign, to find its call in the call graph
    arity: int
    source: str  # "Repo.all/1" or "Blog.list_posts/0", as written
    direct: bool  # `Repo.all` itself, not a function that may reach it
    call_line: int  # where the list-returning call is
    call_column: int
    again: str  # the function assigning it again: "handle_info/2"
    again_line: int
    grows: bool  # appended to (`[post | socket.assigns.posts]`, `++`), not only reloaded
    line: int
    column: int
    end_line: int
    end_column: int


class LiveViewFacts(msgspec.Struct, frozen=True, gc=False):
    effects: tuple[Effect, ...] = ()
    deferred: tuple[tuple[int, int], ...] = ()  # (line, column) of calls that run only when connected
    routes: tuple[LiveRoute, ...] = ()
    patches: tuple[Patch, ...] = ()
    events: tuple[EventClause, ...] = ()
    forms: tuple[ChangeForm, ...] = ()
    collections: tuple[CollectionAssign, ...] = ()
    param_hooks: tuple[str, ...] = ()  # modules that `attach_hook(..., :handle_params, ...)`
