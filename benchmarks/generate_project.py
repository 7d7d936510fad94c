#!/usr/bin/env python3
"""Generate a large, realistic, synthetic Phoenix (Mix) project for benchmarking.

The generated app is called ``:bench`` (``Bench`` / ``BenchWeb``). Besides the
usual skeleton (``mix.exs``, ``config/*.exs``, application, repo, endpoint,
router, ...) it contains many generated *domains* (``accounts``, ``billing``,
``catalog``, ... ``accounts2``, ``billing2``, ...), each with:

* a context module with 9-15 public functions (Ecto queries in keyword and
  pipe form, ``with`` chains, ``case``, ``Enum``, ``for`` comprehensions),
* 1-3 Ecto schemas with changesets and one migration per schema,
* a controller, an HTML module and two ``.html.heex`` templates,
* a LiveView with an inline ``~H`` template,
* a test module,
* every 10th domain also a GenServer and an Oban worker.

A few realistic anti-patterns are sprinkled in at a low rate
(``String.to_atom/1`` on request params, ``:erlang.binary_to_term/1`` on a
variable, SQL built by string interpolation, ``raw/1`` in a template,
leftover ``IO.inspect/2``) so that an analyser has something to report.

Generation is deterministic for a given ``seed`` and uses only the standard
library.

Usage::

    python benchmarks/generate_project.py DEST [--modules N] [--seed S]
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import pathlib
import random
import re
import sys
import textwrap
import time
from string import Template

__all__ = ["generate"]

# ---------------------------------------------------------------------------
# Vocabulary
# ---------------------------------------------------------------------------

# Domain name -> entity names (singular, snake_case).  The first entity chosen
# for a domain becomes its "main" schema; the others belong to it.  Names are
# picked so that they neither shadow Elixir stdlib modules (Agent, Calendar,
# Macro, ...) nor clash with the field vocabulary below.
DOMAINS: dict[str, list[str]] = {
    "accounts": ["user", "credential", "session", "api_token", "team", "membership"],
    "billing": ["invoice", "line_item", "payment_method", "credit_note", "tax_rate"],
    "catalog": ["product", "category", "variant", "collection", "price_list"],
    "shipping": ["shipment", "parcel", "carrier", "delivery_zone", "tracking_event"],
    "inventory": ["stock_item", "warehouse_bin", "reservation", "adjustment", "supplier"],
    "orders": ["order", "order_line", "cart", "discount", "refund"],
    "payments": ["payment", "payout", "charge", "dispute", "ledger_entry"],
    "notifications": ["notification", "template", "subscription", "device", "digest"],
    "analytics": ["dashboard", "metric", "report", "segment", "funnel"],
    "support": ["ticket", "reply", "staff_member", "canned_response", "sla_policy"],
    "marketing": ["campaign", "audience", "coupon", "landing_page", "referral"],
    "scheduling": ["appointment", "schedule", "availability_slot", "booking", "resource"],
    "content": ["article", "page", "comment", "tag", "revision"],
    "media": ["asset", "album", "thumbnail", "upload", "transcoding_job"],
    "pricing": ["price_rule", "tier", "price_quote", "surcharge"],
    "subscriptions": ["plan", "add_on", "usage_record", "renewal"],
    "fulfillment": ["pick_list", "packing_slip", "wave", "return_request"],
    "procurement": ["purchase_order", "requisition", "vendor", "contract", "approval"],
    "compliance": ["policy", "control", "evidence_item", "finding", "exception_request"],
    "messaging": ["conversation", "message", "participant", "attachment", "thread"],
    "loyalty": ["member", "reward", "points_transaction", "tier_level", "redemption"],
    "reviews": ["review", "rating_summary", "moderation_flag", "response"],
    "people": ["employee", "department", "job_opening", "time_off_request", "payslip"],
    "projects": ["project", "milestone", "task_item", "time_entry", "board"],
}

# Domains whose main schema is a natural "owner" for other domains' records.
OWNER_DOMAINS = ("accounts", "people", "projects")

# (values, verb) for Ecto.Enum status fields.  The last value is the
# terminal state used by the generated "<verb>_<entity>/1" `with` chain.
STATUS_SETS = [
    (["draft", "active", "archived"], "archive"),
    (["open", "closed"], "close"),
    (["new", "in_review", "approved", "rejected"], "reject"),
    (["pending", "processing", "completed", "cancelled"], "cancel"),
]

LABEL_FIELDS = ["name", "title", "label"]
UNIQUE_FIELDS = ["slug", "code", "external_id", "email"]

# Optional fields: name -> spec.  "kind" drives validations/tests.
OPTIONAL_FIELDS: dict[str, dict] = {
    "description": dict(kind="text", schema=":string", mig=":text",
                        sample='"some description"', upd='"updated description"',
                        valid="validate_length(:description, max: 2_000)"),
    "notes": dict(kind="text", schema=":string", mig=":text",
                  sample='"some notes"', upd='"updated notes"',
                  valid="validate_length(:notes, max: 5_000)"),
    "amount": dict(kind="decimal", schema=":decimal", mig=":decimal, precision: 12, scale: 2",
                   sample='"120.50"', upd='"456.70"',
                   valid="validate_number(:amount, greater_than_or_equal_to: 0)"),
    "quantity": dict(kind="int", schema=":integer", mig=":integer, default: 1, null: false",
                     sample="42", upd="43", default="1",
                     valid="validate_number(:quantity, greater_than: 0)"),
    "priority": dict(kind="int", schema=":integer", mig=":integer",
                     sample="3", upd="5",
                     valid="validate_number(:priority, greater_than_or_equal_to: 1, less_than_or_equal_to: 5)"),
    "position": dict(kind="int", schema=":integer", mig=":integer, default: 0, null: false",
                     sample="7", upd="8", default="0", valid=None),
    "active": dict(kind="bool", schema=":boolean", mig=":boolean, default: true, null: false",
                   sample="true", upd="false", default="true", valid=None),
    "published_at": dict(kind="datetime", schema=":utc_datetime", mig=":utc_datetime",
                         sample="~U[2024-05-01 12:00:00Z]", upd="~U[2024-06-02 08:30:00Z]", valid=None),
    "expires_at": dict(kind="datetime", schema=":naive_datetime", mig=":naive_datetime",
                       sample="~N[2025-01-01 00:00:00]", upd="~N[2025-03-01 00:00:00]", valid=None),
    "metadata": dict(kind="map", schema=":map", mig=":map, default: %{}",
                     sample="%{}", upd='%{"source" => "import"}', default="%{}", valid=None),
    "keywords": dict(kind="array", schema="{:array, :string}", mig="{:array, :string}, default: []",
                     sample='["alpha", "beta"]', upd='["gamma"]', default="[]", valid=None),
    "currency": dict(kind="string", schema=":string", mig=":string, size: 3",
                     sample='"EUR"', upd='"USD"',
                     valid="validate_length(:currency, is: 3)"),
    "rating": dict(kind="float", schema=":float", mig=":float",
                   sample="4.5", upd="3.5",
                   valid="validate_number(:rating, greater_than_or_equal_to: 0.0, less_than_or_equal_to: 5.0)"),
    "color": dict(kind="string", schema=":string", mig=":string",
                  sample='"#ff8800"', upd='"#0088ff"',
                  valid="validate_format(:color, ~r/^#[0-9a-fA-F]{6}$/)"),
    "url": dict(kind="string", schema=":string", mig=":string",
                sample='"https://example.com"', upd='"https://example.org/updated"',
                valid='validate_format(:url, ~r/^https?:\\/\\//, message: "must start with http:// or https://")'),
    "locale": dict(kind="string", schema=":string", mig=':string, default: "en"',
                   sample='"en"', upd='"de"', default='"en"',
                   valid="validate_inclusion(:locale, ~w(en de fr es it))"),
}

UNIQUE_SPECS: dict[str, dict] = {
    "slug": dict(sample='"slug-#{System.unique_integer([:positive])}"',
                 valid="validate_format(:slug, ~r/^[a-z0-9-]+$/)"),
    "code": dict(sample='"CODE-#{System.unique_integer([:positive])}"',
                 valid="validate_length(:code, max: 40)"),
    "external_id": dict(sample='"ext-#{System.unique_integer([:positive])}"',
                        valid=None),
    "email": dict(sample='"user#{System.unique_integer([:positive])}@example.com"',
                  valid='validate_format(:email, ~r/^[^\\s]+@[^\\s]+$/, message: "must have the @ sign and no spaces")'),
}

NUMERIC_KINDS = {"decimal", "int", "float"}

# Rates of the sprinkled anti-patterns.
RATE_STRING_TO_ATOM = 0.02  # controllers
RATE_BINARY_TO_TERM_CONTEXT = 0.06  # contexts (~1% of all modules overall)
RATE_BINARY_TO_TERM_WORKER = 0.15  # Oban workers
RATE_SQL_INTERPOLATION = 0.02  # contexts
RATE_RAW_HTML = 0.03  # show templates
RATE_IO_INSPECT = 0.03  # LiveViews

FIXED_MODULES = 12  # defmodules in the skeleton (see _skeleton_files)


# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------


def _t(tpl: str, **kw: object) -> str:
    """Dedent ``tpl`` and substitute ``$name`` placeholders (``$$`` = ``$``)."""
    return Template(textwrap.dedent(tpl).lstrip("\n")).substitute(kw)


def _indent(text: str, n: int) -> str:
    return textwrap.indent(text, " " * n)


def camelize(snake: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in snake.split("_"))


def humanize(snake: str) -> str:
    return snake.replace("_", " ")


def pluralize(snake: str) -> str:
    head, _, last = snake.rpartition("_")
    if last.endswith("y") and last[-2:-1] not in "aeiou":
        last = last[:-1] + "ies"
    elif last.endswith(("s", "x", "ch", "sh")):
        last = last + "es"
    else:
        last = last + "s"
    return f"{head}_{last}" if head else last


def _module_block(header: str, blocks: list[str]) -> str:
    """Assemble a module from a header (incl. ``defmodule ... do``) and blocks."""
    body = "\n\n".join(_indent(b.rstrip("\n"), 2) for b in blocks if b.strip())
    return header.rstrip("\n") + "\n\n" + body + "\nend\n"


# ---------------------------------------------------------------------------
# Plan (data model of the generated project)
# ---------------------------------------------------------------------------


class Field:
    __slots__ = ("name", "kind", "schema", "mig", "sample", "upd", "valid", "required")

    def __init__(self, name, kind, schema, mig, sample, upd, valid, required):
        self.name = name
        self.kind = kind
        self.schema = schema
        self.mig = mig
        self.sample = sample
        self.upd = upd
        self.valid = valid
        self.required = required


class Schema:
    def __init__(self, domain: "Domain", entity: str):
        self.domain = domain
        self.s = entity  # singular snake
        self.p = pluralize(entity)  # plural snake
        self.S = camelize(entity)  # module short name
        self.module = f"Bench.{domain.D}.{self.S}"
        self.table = f"{domain.d}_{self.p}"
        self.b = entity[0]  # query binding
        self.H = humanize(entity).capitalize()
        self.hs = humanize(entity)
        self.hp = humanize(self.p)
        self.route = f"/{domain.d}/{self.p.replace('_', '-')}"
        self.fields: list[Field] = []
        self.label = "name"
        self.unique = "slug"
        self.status: tuple[list[str], str] | None = None
        self.parent: Schema | None = None  # belongs_to within the domain
        self.ref: Schema | None = None  # optional belongs_to to another domain
        self.children: list[Schema] = []
        self.utc_timestamps = True
        self.composite_unique = False  # unique on [parent_id, unique] instead of [unique]
        self.mig_ts = ""

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def field(self, name: str) -> Field | None:
        for f in self.fields:
            if f.name == name:
                return f
        return None

    def numeric_field(self) -> Field | None:
        for f in self.fields:
            if f.kind in NUMERIC_KINDS and f.name != "position":
                return f
        return None


class Domain:
    def __init__(self, index: int, slug: str, base: str):
        self.index = index
        self.base = base
        self.d = slug
        self.D = camelize(slug)
        self.schemas: list[Schema] = []
        self.worker = False
        self.extras: list[str] = []  # extra context functions generated
        self.sort_to_atom = False
        self.binary_to_term = False
        self.worker_binary_to_term = False
        self.sql_interp = False
        self.raw_html = False
        self.io_inspect = False

    @property
    def main(self) -> Schema:
        return self.schemas[0]

    def module_count(self) -> int:
        # context + schemas + migrations + controller + html + live + test
        return 1 + 2 * len(self.schemas) + 4 + (2 if self.worker else 0)


def _plan_fields(rng: random.Random, sch: Schema, is_main: bool) -> None:
    sch.label = rng.choice(LABEL_FIELDS)
    sch.unique = rng.choice(UNIQUE_FIELDS)
    fields = [
        Field(sch.label, "string", ":string", ":string, null: false",
              f'"some {sch.label}"', f'"updated {sch.label}"',
              f"validate_length(:{sch.label}, min: 2, max: {rng.choice([80, 120, 160, 255])})",
              True),
    ]
    uspec = UNIQUE_SPECS[sch.unique]
    fields.append(Field(sch.unique, "unique", ":string", ":string, null: false" if rng.random() < 0.7 else ":string",
                        uspec["sample"], uspec["sample"], uspec["valid"], True))
    if is_main or rng.random() < 0.4:
        values, verb = rng.choice(STATUS_SETS)
        sch.status = (values, verb)
        fields.append(Field("status", "enum", "Ecto.Enum, values: @statuses, default: :" + values[0],
                            f':string, default: "{values[0]}", null: false',
                            ":" + values[0], ":" + values[1], None, False))
    pool = list(OPTIONAL_FIELDS)
    rng.shuffle(pool)
    for name in pool[: rng.randint(2, 7)]:
        spec = OPTIONAL_FIELDS[name]
        required = spec["kind"] in ("decimal", "string") and rng.random() < 0.3
        fields.append(Field(name, spec["kind"], spec["schema"], spec["mig"], spec["sample"],
                            spec["upd"], spec["valid"], required))
    sch.fields = fields
    sch.utc_timestamps = rng.random() < 0.6


def _plan_domain(rng: random.Random, index: int, slug: str, base: str,
                 previous: list[Domain]) -> Domain:
    dom = Domain(index, slug, base)
    n_schemas = rng.choices([1, 2, 3], weights=[3, 4, 3])[0]
    vocab = DOMAINS[base]
    entities = [vocab[0]] + rng.sample(vocab[1:], n_schemas - 1)
    for i, entity in enumerate(entities):
        sch = Schema(dom, entity)
        _plan_fields(rng, sch, i == 0)
        dom.schemas.append(sch)
    main = dom.main
    for child in dom.schemas[1:]:
        child.parent = main
        child.composite_unique = rng.random() < 0.5
        main.children.append(child)
    # Main schema optionally belongs_to the main schema of an earlier domain,
    # usually an "owner" such as an accounts user or a people employee.
    if previous and rng.random() < 0.75:
        owners = [d for d in previous if d.base in OWNER_DOMAINS]
        target = rng.choice(owners if owners and rng.random() < 0.8 else previous).main
        taken = set(main.field_names) | {c.p for c in main.children} | {main.s}
        if target.s not in taken:
            main.ref = target
    dom.worker = index % 10 == 3
    return dom


# ---------------------------------------------------------------------------
# Context module
# ---------------------------------------------------------------------------


def _doc(rng: random.Random, text: str, example: str | None = None, p: float = 0.7) -> str:
    if rng.random() >= p:
        return ""
    if example and rng.random() < 0.5:
        return _t('''
            @doc """
            $text

            ## Examples

                $example

            """
            ''', text=text, example=example)
    return f'@doc "{text}"\n'


def _ctx_list(rng: random.Random, sch: Schema, private: list[str]) -> str:
    S, p, b = sch.S, sch.p, sch.b
    doc = _doc(rng, f"Returns the list of {sch.hp}.", f"iex> list_{p}()\n    [%{S}{{}}, ...]")
    preload = ""
    if sch.children:
        preload = ",\n    preload: [" + ", ".join(":" + c.p for c in sch.children) + "]"
    if rng.random() < 0.5:
        order = rng.choice([f"[desc: {b}.inserted_at]", f"[asc: {b}.{sch.label}]", f"[desc: {b}.id]"])
        return doc + _t(r'''
            @spec list_${p}(keyword()) :: [${S}.t()]
            def list_${p}(opts \\ []) do
              limit = Keyword.get(opts, :limit, @default_limit)

              from(${b} in ${S},
                order_by: ${order},
                limit: ^limit${preload}
              )
              |> Repo.all()
            end
            ''', p=p, S=S, b=b, order=order, preload=preload)
    clauses = [
        _t(r'''
            {"q", term}, query when is_binary(term) and term != "" ->
              where(query, [${b}], ilike(${b}.${label}, ^"%#{term}%"))
            ''', b=b, label=sch.label),
    ]
    if sch.status:
        clauses.append(_t(r'''
            {"status", status}, query when status not in [nil, ""] ->
              where(query, [${b}], ${b}.status == ^status)
            ''', b=b))
    if sch.field("active"):
        clauses.append(_t(r'''
            {"active", active}, query when is_boolean(active) ->
              where(query, [${b}], ${b}.active == ^active)
            ''', b=b))
    if sch.ref:
        clauses.append(_t(r'''
            {"${r}_id", ${r}_id}, query when not is_nil(${r}_id) ->
              where(query, [${b}], ${b}.${r}_id == ^${r}_id)
            ''', b=b, r=sch.ref.s))
    if rng.random() < 0.5:
        clauses.append(_t(r'''
            {"inserted_after", %DateTime{} = since}, query ->
              where(query, [${b}], ${b}.inserted_at >= ^since)
            ''', b=b))
    private.append(_t(r'''
        defp apply_filters(query, filters) do
          Enum.reduce(filters, query, fn
        $clauses

            _other, query ->
              query
          end)
        end
        ''', clauses=_indent("\n".join(clauses).rstrip("\n"), 4)))
    pipe_preload = ""
    if sch.children:
        pipe_preload = "\n|> preload(" + repr_list(":" + c.p for c in sch.children) + ")"
    return doc + _t(r'''
        @spec list_${p}(map()) :: [${S}.t()]
        def list_${p}(filters \\ %{}) do
          ${S}
          |> apply_filters(filters)
          |> order_by([${b}], asc: ${b}.${label})${pipe_preload}
          |> Repo.all()
        end
        ''', p=p, S=S, b=b, label=sch.label, pipe_preload=pipe_preload.replace("\n", "\n  "))


def repr_list(items) -> str:
    return "[" + ", ".join(items) + "]"


def _ctx_get(rng: random.Random, sch: Schema) -> str:
    S, s = sch.S, sch.s
    doc = _doc(rng, f"Gets a single {sch.hs}. Raises `Ecto.NoResultsError` if it does not exist.",
               f"iex> get_{s}!(123)\n    %{S}{{}}")
    if sch.children:
        return doc + _t(r'''
            @spec get_${s}!(term()) :: ${S}.t()
            def get_${s}!(id) do
              ${S}
              |> Repo.get!(id)
              |> Repo.preload(${pre})
            end
            ''', s=s, S=S, pre=repr_list(":" + c.p for c in sch.children))
    return doc + _t(r'''
        @spec get_${s}!(term()) :: ${S}.t()
        def get_${s}!(id), do: Repo.get!(${S}, id)
        ''', s=s, S=S)


def _ctx_fetch(rng: random.Random, sch: Schema) -> str:
    S, s = sch.S, sch.s
    return _doc(rng, f"Fetches a {sch.hs} by id.") + _t(r'''
        @spec fetch_${s}(term()) :: {:ok, ${S}.t()} | {:error, :not_found}
        def fetch_${s}(id) do
          case Repo.get(${S}, id) do
            nil -> {:error, :not_found}
            %${S}{} = ${s} -> {:ok, ${s}}
          end
        end
        ''', s=s, S=S)


def _ctx_crud(rng: random.Random, sch: Schema) -> list[str]:
    S, s = sch.S, sch.s
    out = []
    out.append(_doc(rng, f"Creates a {sch.hs}.", f"iex> create_{s}(%{{field: value}})\n    {{:ok, %{S}{{}}}}")
               + _t(r'''
        @spec create_${s}(map()) :: {:ok, ${S}.t()} | {:error, Ecto.Changeset.t()}
        def create_${s}(attrs \\ %{}) do
          %${S}{}
          |> ${S}.changeset(attrs)
          |> Repo.insert()
          |> broadcast(:${s}_created)
        end
        ''', s=s, S=S))
    out.append(_doc(rng, f"Updates a {sch.hs}.") + _t(r'''
        @spec update_${s}(${S}.t(), map()) :: {:ok, ${S}.t()} | {:error, Ecto.Changeset.t()}
        def update_${s}(%${S}{} = ${s}, attrs) do
          ${s}
          |> ${S}.changeset(attrs)
          |> Repo.update()
          |> broadcast(:${s}_updated)
        end
        ''', s=s, S=S))
    out.append(_doc(rng, f"Deletes a {sch.hs}.") + _t(r'''
        @spec delete_${s}(${S}.t()) :: {:ok, ${S}.t()} | {:error, Ecto.Changeset.t()}
        def delete_${s}(%${S}{} = ${s}) do
          ${s}
          |> Repo.delete()
          |> broadcast(:${s}_deleted)
        end
        ''', s=s, S=S))
    out.append(_doc(rng, f"Returns an `%Ecto.Changeset{{}}` for tracking {sch.hs} changes.") + _t(r'''
        @spec change_${s}(${S}.t(), map()) :: Ecto.Changeset.t()
        def change_${s}(%${S}{} = ${s}, attrs \\ %{}) do
          ${S}.changeset(${s}, attrs)
        end
        ''', s=s, S=S))
    return out


def _ctx_child(rng: random.Random, ch: Schema) -> list[str]:
    P = ch.parent
    assert P is not None
    C, c, cp, cb = ch.S, ch.s, ch.p, ch.b
    ps, PS = P.s, P.S
    pb = "p" if cb != "p" else "q"
    out = []
    if rng.random() < 0.5:
        body = _t(r'''
            def list_${cp}_for_${ps}(${ps}_id) do
              Repo.all(
                from ${cb} in ${C},
                  where: ${cb}.${ps}_id == ^${ps}_id,
                  order_by: [asc: ${cb}.inserted_at]
              )
            end
            ''', cp=cp, ps=ps, cb=cb, C=C)
    else:
        body = _t(r'''
            def list_${cp}_for_${ps}(${ps}_id) do
              query =
                from ${cb} in ${C},
                  join: ${pb} in assoc(${cb}, :${ps}),
                  where: ${pb}.id == ^${ps}_id,
                  order_by: [desc: ${cb}.inserted_at],
                  preload: [${ps}: ${pb}]

              Repo.all(query)
            end
            ''', cp=cp, ps=ps, cb=cb, pb=pb, C=C)
    out.append(_doc(rng, f"Lists the {ch.hp} of a {P.hs}.") + _t(r'''
        @spec list_${cp}_for_${ps}(${PS}.t() | integer()) :: [${C}.t()]
        def list_${cp}_for_${ps}(%${PS}{id: ${ps}_id}), do: list_${cp}_for_${ps}(${ps}_id)

        ''', cp=cp, ps=ps, PS=PS, C=C) + body)
    out.append(_t(r'''
        @spec get_${c}!(term()) :: ${C}.t()
        def get_${c}!(id), do: Repo.get!(${C}, id)
        ''', c=c, C=C))
    out.append(_doc(rng, f"Creates a {ch.hs} belonging to the given {P.hs}.") + _t(r'''
        @spec create_${c}(${PS}.t(), map()) :: {:ok, ${C}.t()} | {:error, Ecto.Changeset.t()}
        def create_${c}(%${PS}{} = ${ps}, attrs \\ %{}) do
          ${ps}
          |> Ecto.build_assoc(:${cp})
          |> ${C}.changeset(attrs)
          |> Repo.insert()
        end
        ''', c=c, C=C, ps=ps, PS=PS, cp=cp))
    if rng.random() < 0.5:
        out.append(_t(r'''
            def update_${c}(%${C}{} = ${c}, attrs) do
              ${c}
              |> ${C}.changeset(attrs)
              |> Repo.update()
            end
            ''', c=c, C=C))
    if rng.random() < 0.5:
        out.append(_t(r'''
            def delete_${c}(%${C}{} = ${c}), do: Repo.delete(${c})
            ''', c=c, C=C))
    return out


def _ctx_with_chain(rng: random.Random, sch: Schema, private: list[str], dom: Domain) -> str:
    S, s = sch.S, sch.s
    if sch.status and rng.random() < 0.7:
        values, verb = sch.status
        last = values[-1]
        dom.extras.append(f"{verb}:{last}")
        private.append(_t(r'''
            defp ensure_not_${last}(%${S}{status: :${last}}), do: {:error, :already_${last}}
            defp ensure_not_${last}(%${S}{}), do: :ok
            ''', S=S, last=last))
        return _doc(rng, f"Marks a {sch.hs} as {humanize(last)}.") + _t(r'''
            @spec ${verb}_${s}(term()) :: {:ok, ${S}.t()} | {:error, term()}
            def ${verb}_${s}(id) do
              with {:ok, ${s}} <- fetch_${s}(id),
                   :ok <- ensure_not_${last}(${s}),
                   {:ok, ${s}} <- update_${s}(${s}, %{status: :${last}}) do
                {:ok, ${s}}
              else
                {:error, %Ecto.Changeset{} = changeset} -> {:error, changeset}
                {:error, reason} when reason in [:not_found, :already_${last}] -> {:error, reason}
              end
            end
            ''', verb=verb, s=s, S=S, last=last)
    dom.extras.append("duplicate")
    copy = [f.name for f in sch.fields if f.name not in (sch.unique, "status")]
    private.append(_t(r'''
        defp copy_attrs(%${S}{} = original) do
          original
          |> Map.take(${copy})
          |> Map.put(:${u}, "copy-" <> original.${u})
        end
        ''', S=S, u=sch.unique, copy=repr_list(":" + n for n in copy)))
    return _doc(rng, f"Creates a copy of an existing {sch.hs}.") + _t(r'''
        @spec duplicate_${s}(term()) :: {:ok, ${S}.t()} | {:error, :not_found | Ecto.Changeset.t()}
        def duplicate_${s}(id) do
          with %${S}{} = original <- Repo.get(${S}, id),
               attrs = copy_attrs(original),
               {:ok, %${S}{} = copy} <- create_${s}(attrs) do
            {:ok, copy}
          else
            nil -> {:error, :not_found}
            {:error, %Ecto.Changeset{} = changeset} -> {:error, changeset}
          end
        end
        ''', s=s, S=S)


def _ctx_for(rng: random.Random, sch: Schema, dom: Domain) -> str:
    S, s, p, label = sch.S, sch.s, sch.p, sch.label
    if rng.random() < 0.5:
        dom.extras.append("options")
        return _doc(rng, f"Options for a {sch.hs} select input.") + _t(r'''
            @spec ${s}_options() :: [{String.t(), integer()}]
            def ${s}_options do
              for ${s} <- list_${p}(), ${s}.${label} != nil do
                {${s}.${label}, ${s}.id}
              end
            end
            ''', s=s, p=p, label=label)
    dom.extras.append("index")
    return _doc(rng, f"Builds a lookup of {sch.hp} keyed by id, skipping blank ones.") + _t(r'''
        @spec index_${p}([${S}.t()]) :: %{optional(integer()) => String.t()}
        def index_${p}(${p}) when is_list(${p}) do
          for %${S}{id: id, ${label}: ${label}} <- ${p}, ${label} not in [nil, ""], into: %{} do
            {id, String.trim(${label})}
          end
        end
        ''', S=S, p=p, label=label)


def _ctx_extras(rng: random.Random, sch: Schema, dom: Domain, private: list[str]) -> dict:
    """Optional context functions, keyed by name -> callable producing the block."""
    S, s, p, b, label = sch.S, sch.s, sch.p, sch.b, sch.label
    extras = {}

    def search():
        return _doc(rng, f"Searches {sch.hp} by {label}.") + _t(r'''
            @spec search_${p}(String.t(), pos_integer()) :: [${S}.t()]
            def search_${p}(term, limit \\ 20) when is_binary(term) do
              pattern = "%" <> String.replace(term, ~w(% _), "") <> "%"

              ${S}
              |> where([${b}], ilike(${b}.${label}, ^pattern))
              |> order_by([${b}], asc: ${b}.${label})
              |> limit(^limit)
              |> Repo.all()
            end
            ''', p=p, S=S, b=b, label=label)
    extras["search"] = search

    def export():
        cols = [f.name for f in sch.fields if f.kind in ("string", "unique", "enum", "int", "bool")][:4]
        row = ", ".join(f"{s}.{c}" for c in ["id"] + cols)
        private.append(_t(r'''
            defp to_row(%${S}{} = ${s}) do
              [${row}]
            end
            ''', S=S, s=s, row=row))
        return _doc(rng, f"Exports all {sch.hp} as CSV or JSON.") + _t(r'''
            @spec export_${p}(:csv | :json) :: {:ok, iodata()} | {:error, :unsupported_format}
            def export_${p}(format \\ :csv) do
              rows =
                ${S}
                |> order_by([${b}], asc: ${b}.id)
                |> Repo.all()
                |> Enum.map(&to_row/1)

              case format do
                :csv -> {:ok, Enum.map_join(rows, "\n", fn row -> Enum.join(row, ",") end)}
                :json -> {:ok, Jason.encode_to_iodata!(rows)}
                _other -> {:error, :unsupported_format}
              end
            end
            ''', p=p, S=S, b=b)
    extras["export"] = export

    num = sch.numeric_field()
    if num is not None:
        def totals():
            if num.kind == "decimal":
                init, step = "Decimal.new(0)", f"Decimal.add(acc, {num.name} || Decimal.new(0))"
            elif num.kind == "float":
                init, step = "0.0", f"acc + ({num.name} || 0.0)"
            else:
                init, step = "0", f"acc + ({num.name} || 0)"
            return _doc(rng, f"Sums the {humanize(num.name)} of the given {sch.hp}.") + _t(r'''
                def total_${n}(${p}) when is_list(${p}) do
                  Enum.reduce(${p}, ${init}, fn %${S}{${n}: ${n}}, acc ->
                    ${step}
                  end)
                end
                ''', n=num.name, p=p, S=S, init=init, step=step)
        extras["totals"] = totals

    def import_rows():
        return _doc(rng, f"Imports many {sch.hp} in a single transaction.") + _t(r'''
            @spec import_${p}([map()]) :: {:ok, [${S}.t()]} | {:error, Ecto.Changeset.t()}
            def import_${p}(rows) when is_list(rows) do
              rows
              |> Enum.with_index()
              |> Enum.reduce(Ecto.Multi.new(), fn {attrs, index}, multi ->
                Ecto.Multi.insert(multi, {:${s}, index}, ${S}.changeset(%${S}{}, attrs))
              end)
              |> Repo.transaction()
              |> case do
                {:ok, results} -> {:ok, Map.values(results)}
                {:error, _step, changeset, _changes} -> {:error, changeset}
              end
            end
            ''', p=p, s=s, S=S)
    extras["import"] = import_rows

    def recent():
        return _doc(rng, f"Lists {sch.hp} created in the last `days` days.") + _t(r'''
            def list_recent_${p}(days \\ 7) when is_integer(days) do
              since = DateTime.add(DateTime.utc_now(), -days * 86_400, :second)

              Repo.all(
                from ${b} in ${S},
                  where: ${b}.inserted_at >= ^since,
                  order_by: [desc: ${b}.inserted_at],
                  select: ${b}
              )
            end
            ''', p=p, b=b, S=S)
    extras["recent"] = recent

    if sch.status:
        def count_by_status():
            return _doc(rng, f"Counts {sch.hp} per status.") + _t(r'''
                @spec count_${p}_by_status() :: %{atom() => non_neg_integer()}
                def count_${p}_by_status do
                  from(${b} in ${S}, group_by: ${b}.status, select: {${b}.status, count(${b}.id)})
                  |> Repo.all()
                  |> Map.new()
                end
                ''', p=p, b=b, S=S)
        extras["count_by_status"] = count_by_status

    def paginate():
        return _doc(rng, f"Returns one page of {sch.hp}.") + _t(r'''
            def paginate_${p}(page \\ 1, per_page \\ 25) when page > 0 and per_page > 0 do
              offset = (page - 1) * per_page

              entries =
                ${S}
                |> order_by([${b}], desc: ${b}.id)
                |> limit(^per_page)
                |> offset(^offset)
                |> Repo.all()

              %{entries: entries, page: page, per_page: per_page, total: Repo.aggregate(${S}, :count)}
            end
            ''', p=p, b=b, S=S)
    extras["paginate"] = paginate

    def get_by_unique():
        u = sch.unique
        return _doc(rng, f"Gets a {sch.hs} by {humanize(u)}.") + _t(r'''
            @spec get_${s}_by_${u}(String.t()) :: ${S}.t() | nil
            def get_${s}_by_${u}(${u}) when is_binary(${u}) do
              Repo.get_by(${S}, ${u}: ${u})
            end
            ''', s=s, u=u, S=S)
    extras["get_by_unique"] = get_by_unique

    if sch.ref:
        r = sch.ref

        def for_ref():
            return _doc(rng, f"Lists the {sch.hp} of a {r.hs}.") + _t(r'''
                def list_${p}_for_${rs}(${rs}_id) do
                  ${S}
                  |> where([${b}], ${b}.${rs}_id == ^${rs}_id)
                  |> preload(:${rs})
                  |> Repo.all()
                end
                ''', p=p, rs=r.s, S=S, b=b)
        extras["for_ref"] = for_ref

    return extras


def render_context(rng: random.Random, dom: Domain) -> str:
    main = dom.main
    private: list[str] = []
    aliases = ", ".join(sch.S for sch in dom.schemas)
    alias_line = (f"alias Bench.{dom.D}.{{{aliases}}}" if len(dom.schemas) > 1
                  else f"alias Bench.{dom.D}.{main.S}")
    listing = ", ".join(sch.hp for sch in dom.schemas)
    header = _t(r'''
        defmodule Bench.${D} do
          @moduledoc """
          The ${D} context.

          Manages ${listing}.
          """

          import Ecto.Query, warn: false
          require Logger

          alias Bench.Repo
          ${alias_line}

          @topic "${d}"
          @default_limit ${limit}
        ''', D=dom.D, d=dom.d, listing=listing, alias_line=alias_line,
        limit=rng.choice([25, 50, 100, 200]))

    blocks = [_ctx_list(rng, main, private), _ctx_get(rng, main), _ctx_fetch(rng, main)]
    blocks += _ctx_crud(rng, main)
    blocks.append(_ctx_with_chain(rng, main, private, dom))
    blocks.append(_ctx_for(rng, main, dom))
    for child in dom.schemas[1:]:
        blocks += _ctx_child(rng, child)

    target = rng.randint(9, 15)
    # count distinct public function names (multi-clause functions count once)
    public = len({m.group(1) for b in blocks for m in re.finditer(r"^def (\w+[!?]?)", b, re.M)})
    extras = _ctx_extras(rng, main, dom, private)
    names = list(extras)
    rng.shuffle(names)
    for name in names:
        if public >= target:
            break
        blocks.append(extras[name]())
        dom.extras.append(name)
        public += 1

    if dom.sql_interp:
        blocks.append(_t(r'''
            @doc false
            def search_${p}_raw(term) do
              sql = "SELECT id, ${label} FROM ${table} WHERE ${label} ILIKE '%#{term}%' ORDER BY id LIMIT 50"
              %{rows: rows} = Ecto.Adapters.SQL.query!(Repo, sql, [])

              Enum.map(rows, fn [id, ${label}] -> %{id: id, ${label}: ${label}} end)
            end
            ''', p=main.p, label=main.label, table=main.table))
    if dom.binary_to_term:
        blocks.append(_t(r'''
            @doc "Serialises a ${hs} so it can be cached outside the database."
            def snapshot_${s}(%${S}{} = ${s}) do
              ${s}
              |> :erlang.term_to_binary()
              |> Base.encode64()
            end

            @doc "Restores a ${hs} from a snapshot produced by `snapshot_${s}/1`."
            def restore_${s}_snapshot(encoded) when is_binary(encoded) do
              snapshot = Base.decode64!(encoded)
              :erlang.binary_to_term(snapshot)
            end
            ''', hs=main.hs, s=main.s, S=main.S))

    blocks.append(_t(r'''
        defp broadcast({:ok, record} = result, event) do
          Logger.debug("${d}: broadcasting #{event}")
          Phoenix.PubSub.broadcast(Bench.PubSub, @topic, {event, record})
          result
        end

        defp broadcast({:error, _reason} = error, _event), do: error
        ''', d=dom.d))
    blocks += private
    return _module_block(header, blocks)


# ---------------------------------------------------------------------------
# Schemas and migrations
# ---------------------------------------------------------------------------


def render_schema(rng: random.Random, sch: Schema) -> str:
    dom = sch.domain
    lines = []
    for f in sch.fields:
        if f.name == "status":
            lines.append(f"field :status, {f.schema}")
        else:
            default = OPTIONAL_FIELDS.get(f.name, {}).get("default")
            extra = f", default: {default}" if default and rng.random() < 0.6 else ""
            lines.append(f"field :{f.name}, {f.schema}{extra}")
    if rng.random() < 0.3:
        lines.append("field :virtual_note, :string, virtual: true")
    lines.append("")
    fks = []
    if sch.parent:
        lines.append(f"belongs_to :{sch.parent.s}, {sch.parent.module}")
        fks.append(sch.parent.s + "_id")
    if sch.ref:
        lines.append(f"belongs_to :{sch.ref.s}, {sch.ref.module}")
        fks.append(sch.ref.s + "_id")
    for ch in sch.children:
        opt = rng.choice(["", ", on_delete: :delete_all", ", preload_order: [asc: :inserted_at]"])
        lines.append(f"has_many :{ch.p}, {ch.module}{opt}")
    if lines[-1] != "":
        lines.append("")
    lines.append("timestamps(type: :utc_datetime)" if sch.utc_timestamps else "timestamps()")
    fields_block = _indent("\n".join(lines), 2)

    required = [f.name for f in sch.fields if f.required]
    if sch.parent:
        required.append(sch.parent.s + "_id")
    optional = [f.name for f in sch.fields if not f.required]
    if sch.ref:
        optional.append(sch.ref.s + "_id")

    def attr_list(names):
        if not names:
            return "[]"
        if rng.random() < 0.5:
            return "~w(" + " ".join(names) + ")a"
        return repr_list(":" + n for n in names)

    attrs = ""
    if sch.status:
        attrs += "@statuses " + repr_list(":" + v for v in sch.status[0]) + "\n"
    attrs += f"@required_fields {attr_list(required)}\n@optional_fields {attr_list(optional)}\n"

    pipes = [
        "cast(attrs, @required_fields ++ @optional_fields)",
        "validate_required(@required_fields)",
    ]
    for f in sch.fields:
        if f.valid and (f.required or rng.random() < 0.8):
            pipes.append(f.valid)
    if sch.parent and sch.composite_unique:
        pipes.append(f"unique_constraint([:{sch.parent.s}_id, :{sch.unique}])")
    else:
        pipes.append(f"unique_constraint(:{sch.unique})")
    for fk in fks:
        pipes.append(f"foreign_key_constraint(:{fk})")
    if sch.field("amount") and rng.random() < 0.5:
        pipes.append('check_constraint(:amount, name: :amount_must_be_positive, message: "must be positive")')
    pipe_text = "\n".join("|> " + p for p in pipes)

    blocks = [
        _t(r'''
            @type t :: %__MODULE__{}

            ${attrs}

            schema "${table}" do
            ${fields}
            end
            ''', attrs=attrs.rstrip("\n"), table=sch.table, fields=fields_block),
        _t(r'''
            @doc false
            @spec changeset(t(), map()) :: Ecto.Changeset.t()
            def changeset(${s}, attrs) do
              ${s}
            ${pipes}
            end
            ''', s=sch.s, pipes=_indent(pipe_text, 2)),
    ]
    if sch.status and rng.random() < 0.5:
        blocks.append(_t(r'''
            @doc "Changeset used when only the status of a ${hs} changes."
            def status_changeset(${s}, status) when status in @statuses do
              change(${s}, status: status)
            end

            def statuses, do: @statuses
            ''', hs=sch.hs, s=sch.s))
    if rng.random() < 0.3:
        blocks.append(_t(r'''
            @doc "Human readable label."
            def display_name(%__MODULE__{${label}: ${label}, ${u}: ${u}}) do
              "#{${label}} (#{${u}})"
            end
            ''', label=sch.label, u=sch.unique))
    header = _t(r'''
        defmodule ${module} do
          @moduledoc """
          Schema for ${hp} in the ${D} context.
          """

          use Ecto.Schema
          import Ecto.Changeset
        ''', module=sch.module, hp=sch.hp, D=dom.D)
    return _module_block(header, blocks)


def render_migration(rng: random.Random, sch: Schema) -> str:
    lines = []
    for f in sch.fields:
        lines.append(f"add :{f.name}, {f.mig}")
    if sch.parent:
        lines.append(f"add :{sch.parent.s}_id, references(:{sch.parent.table}, on_delete: :delete_all), null: false")
    if sch.ref:
        od = rng.choice([":nilify_all", ":nothing", ":delete_all"])
        lines.append(f"add :{sch.ref.s}_id, references(:{sch.ref.table}, on_delete: {od})")
    lines.append("")
    lines.append("timestamps(type: :utc_datetime)" if sch.utc_timestamps else "timestamps()")
    idx = []
    if sch.parent and sch.composite_unique:
        idx.append(f"create unique_index(:{sch.table}, [:{sch.parent.s}_id, :{sch.unique}])")
    else:
        idx.append(f"create unique_index(:{sch.table}, [:{sch.unique}])")
    if sch.parent:
        idx.append(f"create index(:{sch.table}, [:{sch.parent.s}_id])")
    if sch.ref:
        idx.append(f"create index(:{sch.table}, [:{sch.ref.s}_id])")
    if sch.status and rng.random() < 0.6:
        idx.append(f"create index(:{sch.table}, [:status])")
    if rng.random() < 0.3:
        idx.append(f"create index(:{sch.table}, [:inserted_at])")
    if sch.field("amount") and rng.random() < 0.5:
        idx.append(f'create constraint(:{sch.table}, :amount_must_be_positive, check: "amount >= 0")')
    table_opts = ""
    if rng.random() < 0.15:
        table_opts = f', comment: "{sch.hp.capitalize()} of the {sch.domain.D} context"'
    return _t(r'''
        defmodule Bench.Repo.Migrations.Create${T} do
          use Ecto.Migration

          def change do
            create table(:${table}${opts}) do
        ${cols}
            end

        ${idx}
          end
        end
        ''', T=camelize(sch.table), table=sch.table, opts=table_opts,
        cols=_indent("\n".join(lines), 6).replace("      \n", "\n"),
        idx=_indent("\n".join(idx), 4))


def render_later_migration(rng: random.Random, sch: Schema) -> tuple[str, str]:
    """A change to a table that already holds data: mostly done the safe way
    (a nullable column and a concurrent index), sometimes not."""
    T, table = camelize(sch.table), sch.table
    if rng.random() < 0.8:
        return f"add_archived_at_to_{table}", _t(r'''
            defmodule Bench.Repo.Migrations.AddArchivedAtTo${T} do
              use Ecto.Migration
              @disable_ddl_transaction true
              @disable_migration_lock true

              def change do
                alter table(:${table}) do
                  add :archived_at, :utc_datetime
                end

                create index(:${table}, [:archived_at], concurrently: true)
              end
            end
            ''', T=T, table=table)
    return f"index_{table}_updated_at", _t(r'''
        defmodule Bench.Repo.Migrations.Index${T}UpdatedAt do
          use Ecto.Migration

          def change do
            create index(:${table}, [:updated_at])
          end
        end
        ''', T=T, table=table)


# ---------------------------------------------------------------------------
# Web layer
# ---------------------------------------------------------------------------


def render_controller(rng: random.Random, dom: Domain) -> str:
    m = dom.main
    D, S, s, p, route, H = dom.D, m.S, m.s, m.p, m.route, m.H
    use_plug = rng.random() < 0.4
    blocks = []
    if dom.sort_to_atom:
        index = _t(r'''
            def index(conn, params) do
              sort = String.to_atom(params["sort"] || "inserted_at")
              ${p} = ${D}.list_${p}() |> Enum.sort_by(&Map.get(&1, sort))

              render(conn, :index, ${p}: ${p}, changeset: ${D}.change_${s}(%${S}{}))
            end
            ''', p=p, D=D, s=s, S=S)
    elif rng.random() < 0.4:
        index = _t(r'''
            def index(conn, %{"sort" => sort} = params) when sort in @sortable_fields do
              ${p} =
                ${D}.list_${p}()
                |> Enum.sort_by(&Map.fetch!(&1, String.to_existing_atom(sort)))

              render(conn, :index, ${p}: ${p}, changeset: ${D}.change_${s}(%${S}{}), params: params)
            end

            def index(conn, _params) do
              render(conn, :index, ${p}: ${D}.list_${p}(), changeset: ${D}.change_${s}(%${S}{}))
            end
            ''', p=p, D=D, s=s, S=S)
    else:
        index = _t(r'''
            def index(conn, _params) do
              ${p} = ${D}.list_${p}()
              changeset = ${D}.change_${s}(%${S}{})

              render(conn, :index, ${p}: ${p}, changeset: changeset)
            end
            ''', p=p, D=D, s=s, S=S)
    blocks.append(index)

    if use_plug:
        blocks.append(_t(r'''
            def show(conn, %{"id" => _id}) do
              ${s} = conn.assigns.${s}
              render(conn, :show, ${s}: ${s}, changeset: ${D}.change_${s}(${s}))
            end
            ''', s=s, D=D))
    else:
        blocks.append(_t(r'''
            def show(conn, %{"id" => id}) do
              ${s} = ${D}.get_${s}!(id)
              render(conn, :show, ${s}: ${s}, changeset: ${D}.change_${s}(${s}))
            end
            ''', s=s, D=D))
    blocks.append(_t(r'''
        def create(conn, %{"${s}" => ${s}_params}) do
          case ${D}.create_${s}(${s}_params) do
            {:ok, ${s}} ->
              conn
              |> put_flash(:info, "${H} created successfully.")
              |> redirect(to: ~p"${route}/#{${s}}")

            {:error, %Ecto.Changeset{} = changeset} ->
              conn
              |> put_status(:unprocessable_entity)
              |> render(:index, ${p}: ${D}.list_${p}(), changeset: changeset)
          end
        end
        ''', s=s, D=D, H=H, route=route, p=p))
    load = f"conn.assigns.{s}" if use_plug else f"{D}.get_{s}!(id)"
    idpat = '"id" => _id' if use_plug else '"id" => id'
    if rng.random() < 0.5:
        blocks.append(_t(r'''
            def update(conn, %{${idpat}, "${s}" => ${s}_params}) do
              ${s} = ${load}

              case ${D}.update_${s}(${s}, ${s}_params) do
                {:ok, ${s}} ->
                  conn
                  |> put_flash(:info, "${H} updated successfully.")
                  |> redirect(to: ~p"${route}/#{${s}}")

                {:error, %Ecto.Changeset{} = changeset} ->
                  conn
                  |> put_status(:unprocessable_entity)
                  |> render(:show, ${s}: ${s}, changeset: changeset)
              end
            end
            ''', idpat=idpat, s=s, load=load, D=D, H=H, route=route))
    else:
        blocks.append(_t(r'''
            def update(conn, %{${idpat}, "${s}" => ${s}_params}) do
              ${s} = ${load}

              with {:ok, %${S}{} = ${s}} <- ${D}.update_${s}(${s}, ${s}_params) do
                conn
                |> put_flash(:info, "${H} updated successfully.")
                |> redirect(to: ~p"${route}/#{${s}}")
              else
                {:error, %Ecto.Changeset{} = changeset} ->
                  conn
                  |> put_status(:unprocessable_entity)
                  |> render(:show, ${s}: ${s}, changeset: changeset)
              end
            end
            ''', idpat=idpat, s=s, S=S, load=load, D=D, H=H, route=route))
    blocks.append(_t(r'''
        def delete(conn, %{${idpat}}) do
          ${s} = ${load}
          {:ok, _${s}} = ${D}.delete_${s}(${s})

          conn
          |> put_flash(:info, "${H} deleted successfully.")
          |> redirect(to: ~p"${route}")
        end
        ''', idpat=idpat, s=s, load=load, D=D, H=H, route=route))
    if use_plug:
        blocks.append(_t(r'''
            defp load_${s}(%Plug.Conn{params: %{"id" => id}} = conn, _opts) do
              case ${D}.fetch_${s}(id) do
                {:ok, ${s}} ->
                  assign(conn, :${s}, ${s})

                {:error, :not_found} ->
                  conn
                  |> put_flash(:error, "${H} not found.")
                  |> redirect(to: ~p"${route}")
                  |> halt()
              end
            end
            ''', s=s, D=D, H=H, route=route))

    attrs = ""
    if "@sortable_fields" in index:
        attrs += f"\n  @sortable_fields ~w({m.label} inserted_at updated_at)\n"
    if use_plug:
        attrs += f"\n  plug :load_{s} when action in [:show, :update, :delete]\n"
    header = _t(r'''
        defmodule BenchWeb.${D}Controller do
          use BenchWeb, :controller

          alias Bench.${D}
          alias Bench.${D}.${S}
        ${attrs}''', D=D, S=S, attrs=attrs.rstrip("\n"))
    return _module_block(header, blocks)


def render_html_module(rng: random.Random, dom: Domain) -> str:
    m = dom.main
    blocks = [f'embed_templates "{dom.d}_html/*"']
    if m.status:
        blocks.append(_t(r'''
            @doc "Renders a coloured badge for a ${hs} status."
            attr :status, :atom, required: true
            attr :class, :string, default: nil

            def status_badge(assigns) do
              ~H"""
              <span class={["badge", "badge-#{@status}", @class]}><%= @status %></span>
              """
            end
            ''', hs=m.hs))
    if rng.random() < 0.5:
        blocks.append(_t(r'''
            @doc "Formats a timestamp for display."
            def format_timestamp(nil), do: "-"
            def format_timestamp(%DateTime{} = dt), do: Calendar.strftime(dt, "%Y-%m-%d %H:%M")
            def format_timestamp(%NaiveDateTime{} = dt), do: Calendar.strftime(dt, "%Y-%m-%d %H:%M")
            '''))
    header = _t(r'''
        defmodule BenchWeb.${D}HTML do
          @moduledoc """
          This module contains pages rendered by ${D}Controller.

          See the `${d}_html` directory for all templates available.
          """
          use BenchWeb, :html
        ''', D=dom.D, d=dom.d)
    return _module_block(header, blocks)


def _input(rng: random.Random, f: Field, form: str, indent: int) -> str:
    if f.kind == "bool":
        inp = (f'<input type="hidden" name={{{form}[:{f.name}].name}} value="false" />\n'
               f'<input type="checkbox" id={{{form}[:{f.name}].id}} name={{{form}[:{f.name}].name}} '
               f'value="true" checked={{{form}[:{f.name}].value}} />')
    elif f.kind == "text":
        inp = (f'<textarea id={{{form}[:{f.name}].id}} name={{{form}[:{f.name}].name}} rows="4">'
               f'<%= {form}[:{f.name}].value %></textarea>')
    elif f.kind == "enum":
        inp = (f'<select id={{{form}[:{f.name}].id}} name={{{form}[:{f.name}].name}}>\n'
               f'  <%= Phoenix.HTML.Form.options_for_select(@statuses, {form}[:{f.name}].value) %>\n'
               f'</select>')
    else:
        typ = {"int": "number", "decimal": "number", "float": "number", "datetime": "datetime-local"}.get(f.kind, "text")
        step = ' step="any"' if f.kind in ("decimal", "float") else ""
        inp = (f'<input type="{typ}"{step} id={{{form}[:{f.name}].id}} name={{{form}[:{f.name}].name}} '
               f'value={{{form}[:{f.name}].value}} />')
    label = humanize(f.name).capitalize()
    errors = ""
    if rng.random() < 0.3:
        errors = (f'  <p :for={{{{msg, _opts}} <- {form}[:{f.name}].errors}} class="error">'
                  f'<%= msg %></p>\n')
    text = (f'<div class="field">\n'
            f'  <label for={{{form}[:{f.name}].id}}>{label}</label>\n'
            + _indent(inp, 2) + "\n"
            + errors
            + "</div>")
    return _indent(text, indent)


def _form_fields(rng: random.Random, sch: Schema, max_n: int) -> list[Field]:
    fields = [f for f in sch.fields if f.kind not in ("map", "array", "enum")]
    head = fields[:2]
    rest = fields[2:]
    rng.shuffle(rest)
    return head + rest[: max(0, rng.randint(0, max_n - 2))]


def render_index_heex(rng: random.Random, dom: Domain) -> str:
    m = dom.main
    s, p, route = m.s, m.p, m.route
    cols = [f for f in m.fields if f.kind in ("string", "unique", "enum", "int", "decimal", "bool", "datetime")]
    cols = cols[: rng.randint(2, max(2, min(6, len(cols))))]
    heads = "\n".join(f"      <th>{humanize(c.name).capitalize()}</th>" for c in cols)
    cells = []
    for c in cols:
        if c.name == "status" and m.status:
            cells.append(f"      <td><.status_badge status={{{s}.status}} /></td>")
        elif c.name == m.label:
            cells.append(f'      <td><.link navigate={{~p"{route}/#{{{s}}}"}}><%= {s}.{c.name} %></.link></td>')
        else:
            cells.append(f"      <td><%= {s}.{c.name} %></td>")
    form_fields = "\n".join(_input(rng, f, "f", 2) for f in _form_fields(rng, m, 4))
    empty = ""
    if rng.random() < 0.6:
        empty = f'\n<p :if={{@{p} == []}} class="empty">No {m.hp} yet.</p>\n'
    return _t(r'''
        <h1 class="text-lg font-semibold">Listing ${HP}</h1>
        ${empty}
        <table id="${p}" class="table">
          <thead>
            <tr>
        ${heads}
              <th><span class="sr-only">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            <tr :for={${s} <- @${p}} id={"${s}-#{${s}.id}"}>
        ${cells}
              <td class="actions">
                <.link navigate={~p"${route}/#{${s}}"}>Show</.link>
                <.link href={~p"${route}/#{${s}}"} method="delete" data-confirm="Are you sure?">
                  Delete
                </.link>
              </td>
            </tr>
          </tbody>
        </table>

        <h2>New ${hs}</h2>
        <.form :let={f} for={@changeset} action={~p"${route}"}>
        ${form_fields}
          <button type="submit" phx-disable-with="Saving...">Save ${hs}</button>
        </.form>
        ''', HP=m.hp.capitalize(), p=p, s=s, route=route, heads=heads, cells="\n".join(cells),
        hs=m.hs, form_fields=form_fields, empty=empty)


def render_show_heex(rng: random.Random, dom: Domain) -> str:
    m = dom.main
    s, route = m.s, m.route
    rows = []
    for f in m.fields:
        if f.kind in ("map", "array"):
            continue
        label = humanize(f.name).capitalize()
        if f.kind == "text" and dom.raw_html is True:
            value = f"<%= raw(@{s}.{f.name}) %>"
            dom.raw_html = "done"
        elif f.name == "status" and m.status:
            value = f"<.status_badge status={{@{s}.status}} />"
        else:
            value = f"<%= @{s}.{f.name} %>"
        rows.append(f"  <dt>{label}</dt>\n  <dd>{value}</dd>")
    children = ""
    for ch in m.children:
        children += "\n" + _t(r'''

            <h2>${HP}</h2>
            <ul id="${s}-${cp}">
              <li :for={${c} <- @${s}.${cp}} id={"${c}-#{${c}.id}"}>
                <%= ${c}.${label} %>
              </li>
            </ul>
            ''', HP=ch.hp.capitalize(), s=s, cp=ch.p, c=ch.s, label=ch.label)
    form_fields = "\n".join(_input(rng, f, "f", 2) for f in _form_fields(rng, m, 3))
    return _t(r'''
        <h1 class="text-lg font-semibold"><%= @${s}.${label} %></h1>
        <p class="subtitle">${H} #<%= @${s}.id %></p>

        <dl class="details">
        ${rows}
        </dl>
        ${children}
        <h2>Edit ${hs}</h2>
        <.form :let={f} for={@changeset} action={~p"${route}/#{@${s}}"} method="put">
        ${form_fields}
          <button type="submit">Save</button>
        </.form>

        <.link href={~p"${route}/#{@${s}}"} method="delete" data-confirm="Are you sure?">Delete</.link>
        <.link navigate={~p"${route}"}>Back to ${hp}</.link>
        ''', s=s, label=m.label, H=m.H, rows="\n".join(rows), children=children,
        hs=m.hs, hp=m.hp, route=route, form_fields=form_fields)


def render_live(rng: random.Random, dom: Domain) -> str:
    m = dom.main
    D, S, s, p, d, H = dom.D, m.S, m.s, m.p, dom.d, m.H
    live_route = f"/{d}/live"
    has_filter = rng.random() < 0.5
    blocks = []
    subscribe = rng.choice([
        _t(r'''
            if connected?(socket) do
              Phoenix.PubSub.subscribe(Bench.PubSub, "${d}")
            end
            ''', d=d),
        f'if connected?(socket), do: Phoenix.PubSub.subscribe(Bench.PubSub, "{d}")\n',
    ])
    pipes = [f'assign(:page_title, "{m.hp.capitalize()}")']
    if has_filter:
        pipes.append('assign(:filter, "")')
    pipes.append(f"assign_form({D}.change_{s}(%{S}{{}}))")
    pipes.append(f"stream(:{p}, {D}.list_{p}())")
    blocks.append(_t(r'''
        @impl true
        def mount(_params, _session, socket) do
        ${subscribe}

          {:ok,
           socket
        ${pipes}}
        end
        ''', subscribe=_indent(subscribe.rstrip("\n"), 2),
        pipes="\n".join("   |> " + x for x in pipes)))
    blocks.append(_t(r'''
        @impl true
        def handle_params(params, _url, socket) do
          {:noreply, apply_action(socket, socket.assigns.live_action, params)}
        end
        '''))
    blocks.append(_t(r'''
        defp apply_action(socket, :edit, %{"id" => id}) do
          ${s} = ${D}.get_${s}!(id)

          socket
          |> assign(:page_title, "Edit ${H}")
          |> assign(:${s}, ${s})
          |> assign_form(${D}.change_${s}(${s}))
        end

        defp apply_action(socket, :index, _params) do
          socket
          |> assign(:page_title, "Listing ${HP}")
          |> assign(:${s}, %${S}{})
        end
        ''', s=s, D=D, H=H, HP=m.hp.capitalize(), S=S))
    inspect = ""
    if dom.io_inspect:
        inspect = f'  IO.inspect(params, label: "{s} params")\n'
    events = [
        _t(r'''
            @impl true
            def handle_event("validate", %{"${s}" => params}, socket) do
            ${inspect}  changeset =
                socket.assigns.${s}
                |> ${D}.change_${s}(params)
                |> Map.put(:action, :validate)

              {:noreply, assign_form(socket, changeset)}
            end
            ''', s=s, D=D, inspect=inspect),
        _t(r'''
            def handle_event("save", %{"${s}" => params}, socket) do
              save_${s}(socket, socket.assigns.live_action, params)
            end
            ''', s=s),
        _t(r'''
            def handle_event("delete", %{"id" => id}, socket) do
              ${s} = ${D}.get_${s}!(id)
              {:ok, _} = ${D}.delete_${s}(${s})

              {:noreply, stream_delete(socket, :${p}, ${s})}
            end
            ''', s=s, D=D, p=p),
    ]
    if has_filter:
        events.append(_t(r'''
            def handle_event("filter", %{"q" => q}, socket) do
              ${p} =
                ${D}.list_${p}()
                |> Enum.filter(fn ${s} -> String.contains?(String.downcase(${s}.${label} || ""), String.downcase(q)) end)

              {:noreply,
               socket
               |> assign(:filter, q)
               |> stream(:${p}, ${p}, reset: true)}
            end
            ''', p=p, D=D, s=s, label=m.label))
    blocks.append("\n".join(events))
    infos = [
        f"@impl true\ndef handle_info({{:{s}_created, {s}}}, socket) do\n"
        f"  {{:noreply, stream_insert(socket, :{p}, {s}, at: 0)}}\nend\n",
        f"def handle_info({{:{s}_updated, {s}}}, socket) do\n"
        f"  {{:noreply, stream_insert(socket, :{p}, {s})}}\nend\n",
        f"def handle_info({{:{s}_deleted, {s}}}, socket) do\n"
        f"  {{:noreply, stream_delete(socket, :{p}, {s})}}\nend\n",
        "def handle_info(_message, socket), do: {:noreply, socket}\n",
    ]
    blocks.append("\n".join(infos))
    blocks.append(_t(r'''
        defp save_${s}(socket, :edit, params) do
          case ${D}.update_${s}(socket.assigns.${s}, params) do
            {:ok, _${s}} ->
              {:noreply,
               socket
               |> put_flash(:info, "${H} updated successfully")
               |> push_patch(to: ~p"${live_route}")}

            {:error, %Ecto.Changeset{} = changeset} ->
              {:noreply, assign_form(socket, changeset)}
          end
        end

        defp save_${s}(socket, :index, params) do
          case ${D}.create_${s}(params) do
            {:ok, _${s}} ->
              {:noreply,
               socket
               |> put_flash(:info, "${H} created successfully")
               |> assign_form(${D}.change_${s}(%${S}{}))}

            {:error, %Ecto.Changeset{} = changeset} ->
              {:noreply, assign_form(socket, changeset)}
          end
        end

        defp assign_form(socket, %Ecto.Changeset{} = changeset) do
          assign(socket, :form, to_form(changeset))
        end
        ''', s=s, D=D, H=H, S=S, live_route=live_route))

    form_fields = "\n".join(_input(rng, f, "@form", 6) for f in _form_fields(rng, m, 4))
    filter_form = ""
    if has_filter:
        filter_form = _t(r'''
              <form id="${p}-filter" phx-change="filter" phx-debounce="300">
                <input type="search" name="q" value={@filter} placeholder="Filter ${hp}..." />
              </form>
            ''', p=p, hp=m.hp)
    extra_cell = ""
    if m.status:
        extra_cell = f"\n        <span class=\"status\"><%= {s}.status %></span>"
    render = _t(r'''
        @impl true
        def render(assigns) do
          ~H"""
          <div id="${p}-page">
            <h1><%= @page_title %></h1>
        ${filter_form}
            <.form for={@form} id="${s}-form" phx-change="validate" phx-submit="save">
        ${form_fields}
              <button type="submit" phx-disable-with="Saving...">Save</button>
            </.form>

            <ul id="${p}" phx-update="stream">
              <li :for={{dom_id, ${s}} <- @streams.${p}} id={dom_id}>
                <.link patch={~p"${live_route}/#{${s}}/edit"}><%= ${s}.${label} %></.link>${extra_cell}
                <button phx-click="delete" phx-value-id={${s}.id} data-confirm="Are you sure?">
                  Delete
                </button>
              </li>
            </ul>
          </div>
          """
        end
        ''', p=p, s=s, filter_form=_indent(filter_form.rstrip("\n"), 4) if filter_form else "",
        form_fields=form_fields, live_route=live_route, label=m.label, extra_cell=extra_cell)
    blocks.append(render)
    header = _t(r'''
        defmodule BenchWeb.${D}Live.Index do
          use BenchWeb, :live_view

          alias Bench.${D}
          alias Bench.${D}.${S}
        ''', D=D, S=S)
    text = _module_block(header, blocks)
    return re.sub(r"\n{3,}", "\n\n", text)


# ---------------------------------------------------------------------------
# GenServer, Oban worker, tests
# ---------------------------------------------------------------------------


def render_cache(rng: random.Random, dom: Domain) -> str:
    m = dom.main
    interval = rng.choice([15, 30, 60, 300])
    return _t(r'''
        defmodule Bench.${D}.Cache do
          @moduledoc """
          Keeps recently used ${hp} in process state and refreshes them
          every ${interval} seconds.
          """
          use GenServer
          require Logger

          alias Bench.${D}

          @refresh_interval :timer.seconds(${interval})

          def start_link(opts \\ []) do
            GenServer.start_link(__MODULE__, opts, name: Keyword.get(opts, :name, __MODULE__))
          end

          @spec get(term()) :: {:ok, term()} | :miss
          def get(id), do: GenServer.call(__MODULE__, {:get, id})

          def put(%{id: _} = ${s}), do: GenServer.cast(__MODULE__, {:put, ${s}})

          def stats, do: GenServer.call(__MODULE__, :stats)

          @impl true
          def init(opts) do
            Process.send_after(self(), :refresh, @refresh_interval)
            {:ok, %{entries: %{}, hits: 0, misses: 0, opts: opts}}
          end

          @impl true
          def handle_call({:get, id}, _from, %{entries: entries} = state) do
            case Map.fetch(entries, id) do
              {:ok, value} -> {:reply, {:ok, value}, %{state | hits: state.hits + 1}}
              :error -> {:reply, :miss, %{state | misses: state.misses + 1}}
            end
          end

          def handle_call(:stats, _from, state) do
            {:reply, %{size: map_size(state.entries), hits: state.hits, misses: state.misses}, state}
          end

          @impl true
          def handle_cast({:put, %{id: id} = ${s}}, state) do
            {:noreply, put_in(state, [:entries, id], ${s})}
          end

          @impl true
          def handle_info(:refresh, state) do
            entries =
              ${D}.list_${p}()
              |> Map.new(fn ${s} -> {${s}.id, ${s}} end)

            Logger.debug("refreshed #{map_size(entries)} ${hp}")
            Process.send_after(self(), :refresh, @refresh_interval)
            {:noreply, %{state | entries: entries}}
          end

          def handle_info(msg, state) do
            Logger.warning("#{inspect(__MODULE__)} received unexpected message: #{inspect(msg)}")
            {:noreply, state}
          end
        end
        ''', D=dom.D, hp=m.hp, interval=interval, s=m.s, p=m.p)


def render_worker(rng: random.Random, dom: Domain) -> str:
    m = dom.main
    D, s, hs = dom.D, m.s, m.hs
    clauses = []
    if m.status and any(e.startswith(m.status[1] + ":") for e in dom.extras):
        verb = m.status[1]
        clauses.append(_t(r'''
            def perform(%Oban.Job{args: %{"id" => id, "action" => "${verb}"}}) do
              case ${D}.${verb}_${s}(id) do
                {:ok, _${s}} -> :ok
                {:error, :not_found} -> {:cancel, :not_found}
                {:error, reason} -> {:error, reason}
              end
            end
            ''', verb=verb, D=D, s=s))
    clauses.append(_t(r'''
        def perform(%Oban.Job{args: %{"id" => id}, attempt: attempt}) do
          with {:ok, ${s}} <- ${D}.fetch_${s}(id),
               {:ok, _${s}} <- ${D}.update_${s}(${s}, %{}) do
            Logger.info("synced ${hs} #{id} (attempt #{attempt})")
            :ok
          else
            {:error, :not_found} -> {:cancel, :not_found}
            {:error, %Ecto.Changeset{} = changeset} -> {:error, changeset.errors}
          end
        end
        ''', D=D, s=s, hs=hs))
    if dom.worker_binary_to_term:
        clauses.append(_t(r'''
            def perform(%Oban.Job{args: %{"snapshot" => snapshot}}) do
              decoded = Base.decode64!(snapshot)
              ${s} = :erlang.binary_to_term(decoded)
              Logger.info("restoring ${hs} #{${s}.id} from snapshot")
              :ok
            end
            ''', s=s, hs=hs))
    clauses.append(_t(r'''
        def perform(%Oban.Job{args: args}) do
          Logger.warning("unexpected args: #{inspect(args)}")
          {:discard, :invalid_args}
        end
        '''))
    header = _t(r'''
        defmodule Bench.Workers.${D}SyncWorker do
          @moduledoc """
          Background synchronisation of ${hp}.
          """
          use Oban.Worker,
            queue: :${queue},
            max_attempts: ${attempts},
            unique: [period: ${period}]

          require Logger

          alias Bench.${D}
        ''', D=D, hp=m.hp, queue=rng.choice(["default", "sync", "events"]),
        attempts=rng.choice([3, 5, 10, 20]), period=rng.choice([30, 60, 300]))
    blocks = [
        _t(r'''
            @doc "Enqueues a sync for the given ${hs} id."
            def enqueue(id, opts \\ []) do
              %{"id" => id}
              |> new(opts)
              |> Oban.insert()
            end
            ''', hs=hs),
        "@impl Oban.Worker\n" + "\n".join(clauses),
    ]
    return _module_block(header, blocks)


def _attrs_map(fields: list[Field], which: str, multiline: bool) -> str:
    pairs = [f"{f.name}: {getattr(f, which)}" for f in fields]
    if not multiline or len(pairs) <= 2:
        return "%{" + ", ".join(pairs) + "}"
    return "%{\n" + ",\n".join("  " + x for x in pairs) + "\n}"


def render_test(rng: random.Random, dom: Domain) -> str:
    m = dom.main
    D, S, s, p = dom.D, m.S, m.s, m.p
    aliases = ", ".join(x.S for x in dom.schemas)
    alias_line = (f"alias Bench.{D}.{{{aliases}}}" if len(dom.schemas) > 1 else f"alias Bench.{D}.{S}")
    blocks = []
    # fixtures
    for sch in dom.schemas:
        req = [f for f in sch.fields if f.required]
        fixture_map = _attrs_map(req, "sample", True)
        if sch.parent is None:
            fixture_attrs = _indent(fixture_map, 6).lstrip()
            blocks.append(_t(r'''
                defp ${s}_fixture(attrs \\ %{}) do
                  {:ok, ${s}} =
                    attrs
                    |> Enum.into(${fa})
                    |> ${D}.create_${s}()

                  ${s}
                end
                ''', s=sch.s, D=D, fa=fixture_attrs))
        else:
            P = sch.parent
            fixture_attrs = _indent(fixture_map, 2).lstrip()
            blocks.append(_t(r'''
                defp ${c}_fixture(%${PS}{} = ${ps}, attrs \\ %{}) do
                  attrs = Enum.into(attrs, ${fa})
                  {:ok, ${c}} = ${D}.create_${c}(${ps}, attrs)
                  ${c}
                end
                ''', c=sch.s, PS=P.S, ps=P.s, D=D, fa=fixture_attrs))

    req = [f for f in m.fields if f.required]
    opt = [f for f in m.fields if not f.required and f.kind in ("string", "text", "int", "bool")]
    valid = req + opt[: rng.randint(0, 2)]
    invalid = ", ".join(f"{f.name}: nil" for f in req)
    updatable = [f for f in valid if f.kind != "unique"]
    tests = []
    tests.append(_t(r'''
        test "list_${p}/0 returns all ${hp}" do
          ${s} = ${s}_fixture()
          assert Enum.map(${D}.list_${p}(), & &1.id) == [${s}.id]
        end
        ''', p=p, hp=m.hp, s=s, D=D))
    tests.append(_t(r'''
        test "get_${s}!/1 returns the ${hs} with given id" do
          ${s} = ${s}_fixture()
          assert ${D}.get_${s}!(${s}.id).id == ${s}.id
        end
        ''', s=s, hs=m.hs, D=D))
    if rng.random() < 0.6:
        tests.append(_t(r'''
            test "fetch_${s}/1 returns :not_found for unknown ids" do
              assert {:error, :not_found} = ${D}.fetch_${s}(-1)
            end
            ''', s=s, D=D))
    checks = "\n".join(f"  assert {s}.{f.name} == {f.sample}" for f in valid
                       if f.kind in ("string", "text", "int", "bool"))
    tests.append(_t(r'''
        test "create_${s}/1 with valid data creates a ${hs}" do
          valid_attrs = ${va}

          assert {:ok, %${S}{} = ${s}} = ${D}.create_${s}(valid_attrs)
        ${checks}
        end
        ''', s=s, hs=m.hs, S=S, D=D, va=_indent(_attrs_map(valid, "sample", True), 2).lstrip(),
        checks=checks))
    tests.append(_t(r'''
        test "create_${s}/1 with invalid data returns error changeset" do
          assert {:error, %Ecto.Changeset{} = changeset} = ${D}.create_${s}(@invalid_attrs)
          assert %{${label}: ["can't be blank"]} = errors_on(changeset)
        end
        ''', s=s, D=D, label=m.label))
    if updatable:
        upd_checks = "\n".join(f"  assert {s}.{f.name} == {f.upd}" for f in updatable
                               if f.kind in ("string", "text", "int", "bool"))
        tests.append(_t(r'''
            test "update_${s}/2 with valid data updates the ${hs}" do
              ${s} = ${s}_fixture()
              update_attrs = ${ua}

              assert {:ok, %${S}{} = ${s}} = ${D}.update_${s}(${s}, update_attrs)
            ${checks}
            end
            ''', s=s, hs=m.hs, S=S, D=D, ua=_attrs_map(updatable, "upd", False), checks=upd_checks))
    tests.append(_t(r'''
        test "delete_${s}/1 deletes the ${hs}" do
          ${s} = ${s}_fixture()
          assert {:ok, %${S}{}} = ${D}.delete_${s}(${s})
          assert_raise Ecto.NoResultsError, fn -> ${D}.get_${s}!(${s}.id) end
        end
        ''', s=s, hs=m.hs, S=S, D=D))
    if rng.random() < 0.7:
        tests.append(_t(r'''
            test "change_${s}/1 returns a ${hs} changeset" do
              ${s} = ${s}_fixture()
              assert %Ecto.Changeset{} = ${D}.change_${s}(${s})
            end
            ''', s=s, hs=m.hs, D=D))
    for extra in dom.extras:
        if ":" in extra:
            verb, last = extra.split(":")
            tests.append(_t(r'''
                test "${verb}_${s}/1 moves the ${hs} to ${last}" do
                  ${s} = ${s}_fixture()
                  assert {:ok, %${S}{status: :${last}}} = ${D}.${verb}_${s}(${s}.id)
                  assert {:error, :already_${last}} = ${D}.${verb}_${s}(${s}.id)
                  assert {:error, :not_found} = ${D}.${verb}_${s}(-1)
                end
                ''', verb=verb, s=s, hs=m.hs, S=S, D=D, last=last))
        elif extra == "duplicate":
            tests.append(_t(r'''
                test "duplicate_${s}/1 copies the ${hs}" do
                  ${s} = ${s}_fixture()
                  assert {:ok, %${S}{} = copy} = ${D}.duplicate_${s}(${s}.id)
                  refute copy.id == ${s}.id
                  assert copy.${label} == ${s}.${label}
                end
                ''', s=s, hs=m.hs, S=S, D=D, label=m.label))
        elif extra == "search":
            tests.append(_t(r'''
                test "search_${p}/2 finds ${hp} by ${label}" do
                  ${s} = ${s}_fixture()
                  assert [%${S}{id: id}] = ${D}.search_${p}(String.slice(${s}.${label}, 0, 4))
                  assert id == ${s}.id
                end
                ''', p=p, hp=m.hp, label=m.label, s=s, S=S, D=D))
        elif extra == "count_by_status":
            tests.append(_t(r'''
                test "count_${p}_by_status/0 groups by status" do
                  _ = ${s}_fixture()
                  assert %{${first}: 1} = ${D}.count_${p}_by_status()
                end
                ''', p=p, s=s, D=D, first=m.status[0][0] if m.status else "draft"))
    main_describe = _t(r'''
        describe "${p}" do
          @invalid_attrs %{${invalid}}

        ${tests}
        end
        ''', p=p, invalid=invalid, tests=_indent("\n".join(tests).rstrip("\n"), 2))
    describes = [main_describe]
    for ch in dom.schemas[1:]:
        P = ch.parent
        describes.append(_t(r'''
            describe "${cp}" do
              setup do
                %{${ps}: ${ps}_fixture()}
              end

              test "create_${c}/2 attaches the ${chs} to its ${phs}", %{${ps}: ${ps}} do
                assert {:ok, %${C}{} = ${c}} = ${D}.create_${c}(${ps}, ${va})
                assert ${c}.${ps}_id == ${ps}.id
              end

              test "list_${cp}_for_${ps}/1 only returns the ${phs}'s ${chp}", %{${ps}: ${ps}} do
                ${c} = ${c}_fixture(${ps})
                other = ${ps}_fixture()
                _ = ${c}_fixture(other)

                assert Enum.map(${D}.list_${cp}_for_${ps}(${ps}), & &1.id) == [${c}.id]
              end

              test "get_${c}!/1 raises for unknown ids" do
                assert_raise Ecto.NoResultsError, fn -> ${D}.get_${c}!(-1) end
              end
            end
            ''', cp=ch.p, c=ch.s, C=ch.S, ps=P.s, phs=P.hs, chs=ch.hs, chp=ch.hp, D=D,
            va=_attrs_map([f for f in ch.fields if f.required], "sample", False)))
    header = _t(r'''
        defmodule Bench.${D}Test do
          use Bench.DataCase, async: true

          alias Bench.${D}
          ${alias_line}
        ''', D=D, alias_line=alias_line)
    return _module_block(header, describes + blocks)


# ---------------------------------------------------------------------------
# Skeleton
# ---------------------------------------------------------------------------


def _secret(rng: random.Random, n: int) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    return "".join(rng.choice(alphabet) for _ in range(n))


def _skeleton_files(rng: random.Random) -> dict[str, str]:
    files: dict[str, str] = {}
    files["mix.exs"] = _t(r'''
        defmodule Bench.MixProject do
          use Mix.Project

          def project do
            [
              app: :bench,
              version: "0.1.0",
              elixir: "~> 1.15",
              elixirc_paths: elixirc_paths(Mix.env()),
              start_permanent: Mix.env() == :prod,
              aliases: aliases(),
              deps: deps()
            ]
          end

          # Configuration for the OTP application.
          #
          # Type `mix help compile.app` for more information.
          def application do
            [
              mod: {Bench.Application, []},
              extra_applications: [:logger, :runtime_tools]
            ]
          end

          # Specifies which paths to compile per environment.
          defp elixirc_paths(:test), do: ["lib", "test/support"]
          defp elixirc_paths(_), do: ["lib"]

          # Specifies your project dependencies.
          #
          # Type `mix help deps` for examples and options.
          defp deps do
            [
              {:phoenix, "~> 1.7.14"},
              {:phoenix_ecto, "~> 4.5"},
              {:ecto_sql, "~> 3.11"},
              {:postgrex, ">= 0.0.0"},
              {:phoenix_html, "~> 4.1"},
              {:phoenix_live_reload, "~> 1.2", only: :dev},
              {:phoenix_live_view, "~> 0.20.17"},
              {:phoenix_live_dashboard, "~> 0.8.3"},
              {:floki, ">= 0.30.0", only: :test},
              {:oban, "~> 2.17"},
              {:telemetry_metrics, "~> 1.0"},
              {:telemetry_poller, "~> 1.0"},
              {:gettext, "~> 0.20"},
              {:jason, "~> 1.2"},
              {:decimal, "~> 2.1"},
              {:dns_cluster, "~> 0.1.1"},
              {:bandit, "~> 1.5"},
              {:credo, "~> 1.7", only: [:dev, :test], runtime: false},
              {:dialyxir, "~> 1.4", only: [:dev], runtime: false}
            ]
          end

          # Aliases are shortcuts or tasks specific to the current project.
          defp aliases do
            [
              setup: ["deps.get", "ecto.setup"],
              "ecto.setup": ["ecto.create", "ecto.migrate", "run priv/repo/seeds.exs"],
              "ecto.reset": ["ecto.drop", "ecto.setup"],
              test: ["ecto.create --quiet", "ecto.migrate --quiet", "test"]
            ]
          end
        end
        ''')
    files[".formatter.exs"] = _t(r'''
        [
          import_deps: [:ecto, :ecto_sql, :phoenix, :oban],
          subdirectories: ["priv/*/migrations"],
          plugins: [Phoenix.LiveView.HTMLFormatter],
          inputs: ["*.{heex,ex,exs}", "{config,lib,test}/**/*.{heex,ex,exs}", "priv/*/seeds.exs"]
        ]
        ''')
    files[".gitignore"] = "/_build/\n/cover/\n/deps/\n/doc/\nerl_crash.dump\n*.ez\n/priv/static/assets/\n"
    files["README.md"] = ("# Bench\n\nSynthetic Phoenix application generated for benchmarking "
                          "static analysis.\n\n  * Run `mix setup` to install and set up dependencies\n"
                          "  * Start the endpoint with `mix phx.server`\n")
    files["config/config.exs"] = _t(r'''
        # This file is responsible for configuring your application
        # and its dependencies with the aid of the Config module.
        import Config

        config :bench,
          ecto_repos: [Bench.Repo],
          generators: [timestamp_type: :utc_datetime]

        # Configures the endpoint
        config :bench, BenchWeb.Endpoint,
          url: [host: "localhost"],
          adapter: Bandit.PhoenixAdapter,
          render_errors: [
            formats: [html: BenchWeb.ErrorHTML],
            layout: false
          ],
          pubsub_server: Bench.PubSub,
          live_view: [signing_salt: "${salt}"]

        config :bench, Oban,
          engine: Oban.Engines.Basic,
          repo: Bench.Repo,
          queues: [default: 10, sync: 5, events: 20],
          plugins: [{Oban.Plugins.Pruner, max_age: 60 * 60 * 24 * 7}]

        # Configures Elixir's Logger
        config :logger, :console,
          format: "$$time $$metadata[$$level] $$message\n",
          metadata: [:request_id]

        # Use Jason for JSON parsing in Phoenix
        config :phoenix, :json_library, Jason

        # Import environment specific config. This must remain at the bottom
        # of this file so it overrides the configuration defined above.
        import_config "#{config_env()}.exs"
        ''', salt=_secret(rng, 8))
    files["config/dev.exs"] = _t(r'''
        import Config

        # Configure your database
        config :bench, Bench.Repo,
          username: "postgres",
          password: "postgres",
          hostname: "localhost",
          database: "bench_dev",
          stacktrace: true,
          show_sensitive_data_on_connection_error: true,
          pool_size: 10

        config :bench, BenchWeb.Endpoint,
          http: [ip: {127, 0, 0, 1}, port: 4000],
          check_origin: false,
          code_reloader: true,
          debug_errors: true,
          secret_key_base: "${secret}",
          watchers: []

        config :bench, BenchWeb.Endpoint,
          live_reload: [
            patterns: [
              ~r"priv/static/(?!uploads/).*(js|css|png|jpeg|jpg|gif|svg)$$",
              ~r"lib/bench_web/(controllers|live|components)/.*(ex|heex)$$"
            ]
          ]

        # Enable dev routes for dashboard and mailbox
        config :bench, dev_routes: true

        # Do not include metadata nor timestamps in development logs
        config :logger, :console, format: "[$$level] $$message\n"

        config :phoenix, :stacktrace_depth, 20
        config :phoenix, :plug_init_mode, :runtime

        config :phoenix_live_view, :debug_heex_annotations, true
        ''', secret=_secret(rng, 64))
    files["config/test.exs"] = _t(r'''
        import Config

        # The MIX_TEST_PARTITION environment variable can be used
        # to provide built-in test partitioning in CI environment.
        config :bench, Bench.Repo,
          username: "postgres",
          password: "postgres",
          hostname: "localhost",
          database: "bench_test#{System.get_env("MIX_TEST_PARTITION")}",
          pool: Ecto.Adapters.SQL.Sandbox,
          pool_size: System.schedulers_online() * 2

        config :bench, BenchWeb.Endpoint,
          http: [ip: {127, 0, 0, 1}, port: 4002],
          secret_key_base: "${secret}",
          server: false

        config :bench, Oban, testing: :manual

        config :logger, level: :warning
        config :phoenix, :plug_init_mode, :runtime
        ''', secret=_secret(rng, 64))
    files["config/prod.exs"] = _t(r'''
        import Config

        config :bench, BenchWeb.Endpoint, cache_static_manifest: "priv/static/cache_manifest.json"

        # Do not print debug messages in production
        config :logger, level: :info

        # Runtime production configuration, including reading
        # of environment variables, is done on config/runtime.exs.
        ''')
    files["config/runtime.exs"] = _t(r'''
        import Config

        # config/runtime.exs is executed for all environments, including
        # during releases. It is executed after compilation and before the
        # system starts, so it is typically used to load production configuration
        # and secrets from environment variables or elsewhere.
        if System.get_env("PHX_SERVER") do
          config :bench, BenchWeb.Endpoint, server: true
        end

        if config_env() == :prod do
          database_url =
            System.get_env("DATABASE_URL") ||
              raise """
              environment variable DATABASE_URL is missing.
              For example: ecto://USER:PASS@HOST/DATABASE
              """

          maybe_ipv6 = if System.get_env("ECTO_IPV6") in ~w(true 1), do: [:inet6], else: []

          config :bench, Bench.Repo,
            # ssl: true,
            url: database_url,
            pool_size: String.to_integer(System.get_env("POOL_SIZE") || "10"),
            socket_options: maybe_ipv6

          secret_key_base =
            System.get_env("SECRET_KEY_BASE") ||
              raise """
              environment variable SECRET_KEY_BASE is missing.
              You can generate one by calling: mix phx.gen.secret
              """

          host = System.get_env("PHX_HOST") || "example.com"
          port = String.to_integer(System.get_env("PORT") || "4000")

          config :bench, :dns_cluster_query, System.get_env("DNS_CLUSTER_QUERY")

          config :bench, BenchWeb.Endpoint,
            url: [host: host, port: 443, scheme: "https"],
            http: [
              ip: {0, 0, 0, 0, 0, 0, 0, 0},
              port: port
            ],
            secret_key_base: secret_key_base
        end
        ''')
    files["lib/bench/repo.ex"] = _t(r'''
        defmodule Bench.Repo do
          use Ecto.Repo,
            otp_app: :bench,
            adapter: Ecto.Adapters.Postgres
        end
        ''')
    files["lib/bench/release.ex"] = _t(r'''
        defmodule Bench.Release do
          @moduledoc """
          Used for executing DB release tasks when run in production without Mix
          installed.
          """
          @app :bench

          def migrate do
            load_app()

            for repo <- repos() do
              {:ok, _, _} = Ecto.Migrator.with_repo(repo, &Ecto.Migrator.run(&1, :up, all: true))
            end
          end

          def rollback(repo, version) do
            load_app()
            {:ok, _, _} = Ecto.Migrator.with_repo(repo, &Ecto.Migrator.run(&1, :down, to: version))
          end

          defp repos do
            Application.fetch_env!(@app, :ecto_repos)
          end

          defp load_app do
            Application.load(@app)
          end
        end
        ''')
    files["lib/bench_web.ex"] = _t(r'''
        defmodule BenchWeb do
          @moduledoc """
          The entrypoint for defining your web interface, such
          as controllers, components, channels, and so on.

          This can be used in your application as:

              use BenchWeb, :controller
              use BenchWeb, :html

          The definitions below will be executed for every controller,
          component, etc, so keep them short and clean, focused
          on imports, uses and aliases.
          """

          def static_paths, do: ~w(assets fonts images favicon.ico robots.txt)

          def router do
            quote do
              use Phoenix.Router, helpers: false

              # Import common connection and controller functions to use in pipelines
              import Plug.Conn
              import Phoenix.Controller
              import Phoenix.LiveView.Router
            end
          end

          def channel do
            quote do
              use Phoenix.Channel
            end
          end

          def controller do
            quote do
              use Phoenix.Controller,
                formats: [:html, :json],
                layouts: [html: BenchWeb.Layouts]

              import Plug.Conn

              unquote(verified_routes())
            end
          end

          def live_view do
            quote do
              use Phoenix.LiveView,
                layout: {BenchWeb.Layouts, :app}

              unquote(html_helpers())
            end
          end

          def live_component do
            quote do
              use Phoenix.LiveComponent

              unquote(html_helpers())
            end
          end

          def html do
            quote do
              use Phoenix.Component

              # Import convenience functions from controllers
              import Phoenix.Controller,
                only: [get_csrf_token: 0, view_module: 1, view_template: 1]

              # Include general helpers for rendering HTML
              unquote(html_helpers())
            end
          end

          defp html_helpers do
            quote do
              # HTML escaping functionality
              import Phoenix.HTML

              # Shortcut for generating JS commands
              alias Phoenix.LiveView.JS

              # Routes generation with the ~p sigil
              unquote(verified_routes())
            end
          end

          def verified_routes do
            quote do
              use Phoenix.VerifiedRoutes,
                endpoint: BenchWeb.Endpoint,
                router: BenchWeb.Router,
                statics: BenchWeb.static_paths()
            end
          end

          @doc """
          When used, dispatch to the appropriate controller/live_view/etc.
          """
          defmacro __using__(which) when is_atom(which) do
            apply(__MODULE__, which, [])
          end
        end
        ''')
    files["lib/bench_web/endpoint.ex"] = _t(r'''
        defmodule BenchWeb.Endpoint do
          use Phoenix.Endpoint, otp_app: :bench

          # The session will be stored in the cookie and signed,
          # this means its contents can be read but not tampered with.
          @session_options [
            store: :cookie,
            key: "_bench_key",
            signing_salt: "${salt}",
            same_site: "Lax"
          ]

          socket "/live", Phoenix.LiveView.Socket,
            websocket: [connect_info: [session: @session_options]],
            longpoll: [connect_info: [session: @session_options]]

          # Serve at "/" the static files from "priv/static" directory.
          plug Plug.Static,
            at: "/",
            from: :bench,
            gzip: false,
            only: BenchWeb.static_paths()

          # Code reloading can be explicitly enabled under the
          # :code_reloader configuration of your endpoint.
          if code_reloading? do
            socket "/phoenix/live_reload/socket", Phoenix.LiveReloader.Socket
            plug Phoenix.LiveReloader
            plug Phoenix.CodeReloader
            plug Phoenix.Ecto.CheckRepoStatus, otp_app: :bench
          end

          plug Phoenix.LiveDashboard.RequestLogger,
            param_key: "request_logger",
            cookie_key: "request_logger"

          plug Plug.RequestId
          plug Plug.Telemetry, event_prefix: [:phoenix, :endpoint]

          plug Plug.Parsers,
            parsers: [:urlencoded, :multipart, :json],
            pass: ["*/*"],
            json_decoder: Phoenix.json_library()

          plug Plug.MethodOverride
          plug Plug.Head
          plug Plug.Session, @session_options
          plug BenchWeb.Router
        end
        ''', salt=_secret(rng, 8))
    files["lib/bench_web/components/layouts.ex"] = _t(r'''
        defmodule BenchWeb.Layouts do
          @moduledoc """
          This module holds different layouts used by your application.
          """
          use BenchWeb, :html

          embed_templates "layouts/*"
        end
        ''')
    files["lib/bench_web/components/layouts/root.html.heex"] = _t(r'''
        <!DOCTYPE html>
        <html lang="en">
          <head>
            <meta charset="utf-8" />
            <meta name="viewport" content="width=device-width, initial-scale=1" />
            <meta name="csrf-token" content={get_csrf_token()} />
            <.live_title suffix=" · Bench">
              <%= assigns[:page_title] || "Bench" %>
            </.live_title>
            <link phx-track-static rel="stylesheet" href={~p"/assets/app.css"} />
            <script defer phx-track-static type="text/javascript" src={~p"/assets/app.js"}>
            </script>
          </head>
          <body class="bg-white antialiased">
            <%= @inner_content %>
          </body>
        </html>
        ''')
    files["lib/bench_web/components/layouts/app.html.heex"] = _t(r'''
        <header class="px-4 sm:px-6 lg:px-8">
          <nav class="flex items-center justify-between border-b py-3">
            <.link navigate={~p"/"} class="font-semibold">Bench</.link>
          </nav>
        </header>
        <main class="px-4 py-20 sm:px-6 lg:px-8">
          <div class="mx-auto max-w-2xl">
            <p :if={msg = Phoenix.Flash.get(@flash, :info)} class="alert alert-info" role="alert">
              <%= msg %>
            </p>
            <p :if={msg = Phoenix.Flash.get(@flash, :error)} class="alert alert-danger" role="alert">
              <%= msg %>
            </p>
            <%= @inner_content %>
          </div>
        </main>
        ''')
    files["lib/bench_web/controllers/error_html.ex"] = _t(r'''
        defmodule BenchWeb.ErrorHTML do
          @moduledoc """
          This module is invoked by your endpoint in case of errors on HTML requests.
          """
          use BenchWeb, :html

          # By default, Phoenix returns the status message from
          # the template name. For example, "404.html" becomes
          # "Not Found".
          def render(template, _assigns) do
            Phoenix.Controller.status_message_from_template(template)
          end
        end
        ''')
    files["lib/bench_web/controllers/page_controller.ex"] = _t(r'''
        defmodule BenchWeb.PageController do
          use BenchWeb, :controller

          def home(conn, _params) do
            conn
            |> put_resp_content_type("text/plain")
            |> send_resp(200, "ok")
          end
        end
        ''')
    files["test/test_helper.exs"] = (
        "ExUnit.start()\nEcto.Adapters.SQL.Sandbox.mode(Bench.Repo, :manual)\n")
    files["test/support/data_case.ex"] = _t(r'''
        defmodule Bench.DataCase do
          @moduledoc """
          This module defines the setup for tests requiring
          access to the application's data layer.
          """

          use ExUnit.CaseTemplate

          using do
            quote do
              alias Bench.Repo

              import Ecto
              import Ecto.Changeset
              import Ecto.Query
              import Bench.DataCase
            end
          end

          setup tags do
            Bench.DataCase.setup_sandbox(tags)
            :ok
          end

          @doc """
          Sets up the sandbox based on the test tags.
          """
          def setup_sandbox(tags) do
            pid = Ecto.Adapters.SQL.Sandbox.start_owner!(Bench.Repo, shared: not tags[:async])
            on_exit(fn -> Ecto.Adapters.SQL.Sandbox.stop_owner(pid) end)
          end

          @doc """
          A helper that transforms changeset errors into a map of messages.

              assert {:error, changeset} = Accounts.create_user(%{password: "short"})
              assert "password is too short" in errors_on(changeset).password
              assert %{password: ["password is too short"]} = errors_on(changeset)

          """
          def errors_on(changeset) do
            Ecto.Changeset.traverse_errors(changeset, fn {message, opts} ->
              Regex.replace(~r"%{(\w+)}", message, fn _, key ->
                opts |> Keyword.get(String.to_existing_atom(key), key) |> to_string()
              end)
            end)
          end
        end
        ''')
    files["test/support/conn_case.ex"] = _t(r'''
        defmodule BenchWeb.ConnCase do
          @moduledoc """
          This module defines the test case to be used by
          tests that require setting up a connection.
          """

          use ExUnit.CaseTemplate

          using do
            quote do
              # The default endpoint for testing
              @endpoint BenchWeb.Endpoint

              use BenchWeb, :verified_routes

              # Import conveniences for testing with connections
              import Plug.Conn
              import Phoenix.ConnTest
              import BenchWeb.ConnCase
            end
          end

          setup tags do
            Bench.DataCase.setup_sandbox(tags)
            {:ok, conn: Phoenix.ConnTest.build_conn()}
          end
        end
        ''')
    files["priv/repo/seeds.exs"] = _t(r'''
        # Script for populating the database. You can run it as:
        #
        #     mix run priv/repo/seeds.exs
        #
        # Inside the script, you can read and write to any of your
        # repositories directly:
        #
        #     Bench.Repo.insert!(%Bench.SomeSchema{})
        #
        # We recommend using the bang functions (`insert!`, `update!`
        # and so on) as they will fail if something goes wrong.
        ''')
    return files


def render_application(domains: list[Domain]) -> str:
    caches = "".join(f"      Bench.{d.D}.Cache,\n" for d in domains if d.worker)
    return _t(r'''
        defmodule Bench.Application do
          # See https://hexdocs.pm/elixir/Application.html
          # for more information on OTP Applications
          @moduledoc false

          use Application

          @impl true
          def start(_type, _args) do
            children = [
              Bench.Repo,
              {DNSCluster, query: Application.get_env(:bench, :dns_cluster_query) || :ignore},
              {Phoenix.PubSub, name: Bench.PubSub},
              {Oban, Application.fetch_env!(:bench, Oban)},
        ${caches}      # Start to serve requests, typically the last entry
              BenchWeb.Endpoint
            ]

            # See https://hexdocs.pm/elixir/Supervisor.html
            # for other strategies and supported options
            opts = [strategy: :one_for_one, name: Bench.Supervisor]
            Supervisor.start_link(children, opts)
          end

          # Tell Phoenix to update the endpoint configuration
          # whenever the application is updated.
          @impl true
          def config_change(changed, _new, removed) do
            BenchWeb.Endpoint.config_change(changed, removed)
            :ok
          end
        end
        ''', caches=caches)


def render_router(domains: list[Domain]) -> str:
    routes = []
    for d in domains:
        m = d.main
        routes.append(
            f'    resources "{m.route}", {d.D}Controller, only: [:index, :show, :create, :update, :delete]\n'
            f'    live "/{d.d}/live", {d.D}Live.Index, :index\n'
            f'    live "/{d.d}/live/:id/edit", {d.D}Live.Index, :edit\n')
    return _t(r'''
        defmodule BenchWeb.Router do
          use BenchWeb, :router

          pipeline :browser do
            plug :accepts, ["html"]
            plug :fetch_session
            plug :fetch_live_flash
            plug :put_root_layout, html: {BenchWeb.Layouts, :root}
            plug :protect_from_forgery
            plug :put_secure_browser_headers
          end

          pipeline :api do
            plug :accepts, ["json"]
          end

          scope "/", BenchWeb do
            pipe_through :browser

            get "/", PageController, :home

        ${routes}  end

          # Enable LiveDashboard in development
          if Application.compile_env(:bench, :dev_routes) do
            import Phoenix.LiveDashboard.Router

            scope "/dev" do
              pipe_through :browser

              live_dashboard "/dashboard"
            end
          end
        end
        ''', routes="\n".join(routes))


# ---------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------


def _domain_names(rng: random.Random):
    bases = list(DOMAINS)
    cycle = 0
    while True:
        order = bases[:]
        rng.shuffle(order)
        for base in order:
            yield base, (base if cycle == 0 else f"{base}{cycle + 1}")
        cycle += 1


def generate(dest: pathlib.Path, modules: int = 2000, seed: int = 1) -> dict:
    """Write a synthetic Phoenix project to ``dest``.

    ``dest`` must not exist or be an empty directory.  Domains are added until
    the number of ``.ex``/``.exs`` files containing a ``defmodule`` reaches
    ``modules`` (it may overshoot by the size of one domain).  Returns
    ``{"files": n, "lines": n, "bytes": n}`` for everything written.
    """
    dest = pathlib.Path(dest)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise FileExistsError(f"{dest} exists and is not an empty directory")
    rng = random.Random(seed)

    files = _skeleton_files(rng)
    count = FIXED_MODULES
    domains: list[Domain] = []
    names = _domain_names(rng)
    # Guarantee that each anti-pattern shows up at least once in a big enough
    # project, independent of the dice.
    est = max(1, (modules - FIXED_MODULES) // 12)
    forced = {k: rng.randrange(est) for k in ("atom", "b2t", "sql", "raw", "inspect")}
    while count < modules or not domains:
        base, slug = next(names)
        i = len(domains)
        dom = _plan_domain(rng, i, slug, base, domains)
        dom.sort_to_atom = rng.random() < RATE_STRING_TO_ATOM or i == forced["atom"]
        dom.binary_to_term = rng.random() < RATE_BINARY_TO_TERM_CONTEXT or i == forced["b2t"]
        dom.worker_binary_to_term = dom.worker and rng.random() < RATE_BINARY_TO_TERM_WORKER
        dom.sql_interp = rng.random() < RATE_SQL_INTERPOLATION or i == forced["sql"]
        dom.raw_html = (rng.random() < RATE_RAW_HTML or i == forced["raw"]) and any(
            f.kind == "text" for f in dom.main.fields)
        dom.io_inspect = rng.random() < RATE_IO_INSPECT or i == forced["inspect"]
        domains.append(dom)
        count += dom.module_count()

    # Migration timestamps: strictly increasing, in plan order (so that
    # referenced tables are always created first).
    ts = _dt.datetime(2023, 1, 9, 9, 30, 0)
    for dom in domains:
        for sch in dom.schemas:
            ts += _dt.timedelta(seconds=rng.randint(1, 2 * 86_400))
            sch.mig_ts = ts.strftime("%Y%m%d%H%M%S")

    for dom in domains:
        d = dom.d
        files[f"lib/bench/{d}.ex"] = render_context(rng, dom)
        for sch in dom.schemas:
            files[f"lib/bench/{d}/{sch.s}.ex"] = render_schema(rng, sch)
            files[f"priv/repo/migrations/{sch.mig_ts}_create_{sch.table}.exs"] = render_migration(rng, sch)
        files[f"lib/bench_web/controllers/{d}_controller.ex"] = render_controller(rng, dom)
        files[f"lib/bench_web/controllers/{d}_html.ex"] = render_html_module(rng, dom)
        files[f"lib/bench_web/controllers/{d}_html/index.html.heex"] = render_index_heex(rng, dom)
        files[f"lib/bench_web/controllers/{d}_html/show.html.heex"] = render_show_heex(rng, dom)
        files[f"lib/bench_web/live/{d}_live/index.ex"] = render_live(rng, dom)
        if dom.worker:
            files[f"lib/bench/{d}/cache.ex"] = render_cache(rng, dom)
            files[f"lib/bench/workers/{d}_sync_worker.ex"] = render_worker(rng, dom)
        files[f"test/bench/{d}_test.exs"] = render_test(rng, dom)

    # Later migrations on tables in use, with their own random stream so the
    # rest of the project stays as it was: what the Migration rules judge.
    later = random.Random(seed * 7919 + 1)
    for dom in domains:
        for sch in dom.schemas:
            if later.random() < 0.25:
                ts += _dt.timedelta(seconds=later.randint(1, 86_400))
                name, body = render_later_migration(later, sch)
                files[f"priv/repo/migrations/{ts.strftime('%Y%m%d%H%M%S')}_{name}.exs"] = body

    files["lib/bench/application.ex"] = render_application(domains)
    files["lib/bench_web/router.ex"] = render_router(domains)

    n_files = n_lines = n_bytes = 0
    made_dirs: set[pathlib.Path] = set()
    for rel, text in sorted(files.items()):
        path = dest / rel
        parent = path.parent
        if parent not in made_dirs:
            parent.mkdir(parents=True, exist_ok=True)
            made_dirs.add(parent)
        data = text.encode("utf-8")
        path.write_bytes(data)
        n_files += 1
        n_lines += text.count("\n")
        n_bytes += len(data)
    return {"files": n_files, "lines": n_lines, "bytes": n_bytes}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Generate a large synthetic Phoenix project for benchmarking beamsage.")
    parser.add_argument("dest", type=pathlib.Path, help="output directory (must not exist or be empty)")
    parser.add_argument("--modules", type=int, default=2000,
                        help="approximate number of modules to generate (default: 2000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default: 1)")
    args = parser.parse_args(argv)
    if args.modules < 1:
        parser.error("--modules must be positive")
    started = time.perf_counter()
    try:
        stats = generate(args.dest, modules=args.modules, seed=args.seed)
    except FileExistsError as exc:
        parser.exit(2, f"error: {exc}\n")
    elapsed = time.perf_counter() - started
    print(json.dumps(stats))
    print(f"generated in {elapsed:.2f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
