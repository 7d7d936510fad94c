"""Ecto schemas as facts: table, primary key, fields, associations, and what
the module's changesets cast, require and constrain.

Module attributes Ecto reads are honoured where the module sets them:
`@primary_key`, `@foreign_key_type`, `@schema_prefix`, `@timestamps_opts`.
Set by another module's `__using__` they are not seen: rules that depend on
them check the module's `use`s first."""

from __future__ import annotations

from tree_sitter import Node

from ...source.syntax import (
    Call,
    ModuleDef,
    Outline,
    arguments,
    atom_value,
    do_block,
    keyword,
    module_reference,
    string_value,
    text,
)
from .facts import AssocFacts, ConstraintFacts, FieldFacts, SchemaFacts
from .literals import attribute, call_name, name_of, names, statements

_ASSOCIATIONS = frozenset({"belongs_to", "has_many", "has_one", "many_to_many", "embeds_one", "embeds_many"})
_CONSTRAINTS = {
    "unique_constraint": "unique",
    "foreign_key_constraint": "foreign_key",
    "assoc_constraint": "assoc",
    "no_assoc_constraint": "no_assoc",
    "check_constraint": "check",
    "exclusion_constraint": "exclusion",
}


def schema_facts(outline: Outline, module: ModuleDef, span) -> SchemaFacts | None:
    """The schema `module` defines, or None. `span(node)` gives a node's Span."""
    definition = _schema_call(module)
    if definition is None:
        return None
    name, node = definition
    args = arguments(node)
    table = string_value(args[0]) if name == "schema" and args else None
    if name == "schema" and table is None:
        return None  # `schema @source do`: not knowable from the source
    body = do_block(node)
    fields, assocs, (timestamps, timestamps_line), unknown = _body(statements(body), module)
    cast, required, constraints = _changesets(outline, module, span)
    optional, cast_sets, dynamic = _optional(outline, module)
    return SchemaFacts(
        module=module.name,
        line=node.start_point[0] + 1,
        table=table,
        prefix=name_of(_attribute(module, "schema_prefix")),
        primary_key=_primary_key(module) if table is not None else (),
        fields=tuple(fields),
        assocs=tuple(assocs),
        timestamps=timestamps,
        cast=cast,
        required=required,
        constraints=constraints,
        foreign_key_type=text(_attribute(module, "foreign_key_type")) or None,
        optional=optional,
        cast_sets=cast_sets,
        unknown=unknown + (("cast",) if dynamic else ()),
        timestamps_line=timestamps_line,
    )


def _schema_call(module: ModuleDef) -> tuple[str, Node] | None:
    body = do_block(module.node)
    for statement in statements(body):
        name = call_name(statement)
        if name in ("schema", "embedded_schema"):
            return name, statement
    return None


def _attribute(module: ModuleDef, name: str) -> Node | None:
    values = module.attributes.get(name, [])
    return values[-1] if values else None


def _primary_key(module: ModuleDef) -> tuple[str, ...]:
    value = _attribute(module, "primary_key")
    if value is None:
        return ("id",)
    if value.type == "boolean" and text(value) == "false":
        return ()
    if value.type == "tuple" and value.named_children:
        key = atom_value(value.named_children[0])
        return (key,) if key else ("id",)
    return ("id",)


def _body(nodes: list[Node], module: ModuleDef
          ) -> tuple[list[FieldFacts], list[AssocFacts], tuple[tuple[str, ...], int], tuple[str, ...]]:
    fields: list[FieldFacts] = []
    assocs: list[AssocFacts] = []
    timestamps: tuple[str, ...] = ()
    timestamps_line = 0
    unknown: tuple[str, ...] = ()
    extra_primary = []
    for node in nodes:
        name = call_name(node)
        args = arguments(node) if name else []
        line = node.start_point[0] + 1
        if name == "field" and args and atom_value(args[0]):
            opts = args[-1] if len(args) > 1 and args[-1].type == "keywords" else None
            type_node = args[1] if len(args) > 1 and args[1].type != "keywords" else None
            fields.append(
                FieldFacts(
                    name=atom_value(args[0]),
                    type=_type_text(type_node, module),
                    line=line,
                    column=name_of(keyword(opts, "source")),
                    default=text(keyword(opts, "default")) if keyword(opts, "default") is not None else None,
                    virtual=text(keyword(opts, "virtual")) == "true",
                    autogenerate=text(keyword(opts, "autogenerate")) == "true",
                    read_after_writes=text(keyword(opts, "read_after_writes")) == "true",
                )
            )
            if text(keyword(opts, "primary_key")) == "true":
                extra_primary.append(atom_value(args[0]))
        elif name in _ASSOCIATIONS and args and atom_value(args[0]):
            assocs.append(_association(name, args, line, module))
        elif name == "timestamps":
            opts = attribute(module, args[0]) or args[0] if args else None
            defaults = _attribute(module, "timestamps_opts")
            if not _literal_options(opts) or not _literal_options(defaults):
                unknown = ("timestamps",)  # `timestamps(@opts)`: the names are not known

            def option(key: str, opts=opts, defaults=defaults) -> Node | None:
                value = keyword(opts, key)
                return value if value is not None else keyword(defaults, key)

            timestamps = tuple(name_of(option(key)) or key for key in ("inserted_at", "updated_at")
                               if text(option(key)) != "false")
            timestamps_line = line
    return fields, assocs, (timestamps, timestamps_line), unknown


def _literal_options(node: Node | None) -> bool:
    """No options, or a keyword list written out."""
    return node is None or node.type == "keywords" or (
        node.type == "list" and all(child.type == "keywords" for child in node.named_children))


def _type_text(node: Node | None, module: ModuleDef) -> str:
    if node is None:
        return ":string"
    return module_reference(node, module) if node.type == "alias" else text(node)


def _association(kind: str, args: list[Node], line: int, module: ModuleDef) -> AssocFacts:
    name = atom_value(args[0])
    related = module_reference(args[1], module) if len(args) > 1 and args[1].type == "alias" else None
    opts = args[-1] if args[-1].type == "keywords" else None
    join_through = keyword(opts, "join_through")
    through = names(keyword(opts, "through"), module) or ()
    return AssocFacts(
        kind=kind,
        name=name,
        line=line,
        related=related,
        foreign_key=name_of(keyword(opts, "foreign_key")),
        references=name_of(keyword(opts, "references")),
        define_field=text(keyword(opts, "define_field")) != "false",
        type=text(keyword(opts, "type")) if keyword(opts, "type") is not None else None,
        through=through,
        join_through=(string_value(join_through) or module_reference(join_through, module) or text(join_through))
        if join_through is not None
        else None,
        source=name_of(keyword(opts, "source")),
    )


def _optional(outline: Outline, module: ModuleDef) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...], bool]:
    """Fields some public function of the module casts without requiring them
    (`validate_required` in it, or in a local function it calls), what each
    public function casts, and whether a cast or `validate_required` of the
    module has a field list not written out."""
    clauses = outline.clauses_of(module)
    casts: dict[int, set[str]] = {}
    requires: dict[int, set[str]] = {}
    callees: dict[int, set[int]] = {}
    dynamic = False
    for call in outline.calls:
        owner = call.owner
        if call.module_def is not module or owner is None:
            continue
        if call.name in ("cast", "validate_required") and call.module in (None, "Ecto.Changeset"):
            position = 2 if call.name == "cast" else 1
            if len(call.args) <= position:
                continue
            found = names(call.args[position], module)
            dynamic = dynamic or found is None
            (casts if call.name == "cast" else requires).setdefault(id(owner), set()).update(found or ())
        elif call.module in (None, module.name) and call.name:
            for clause in clauses:
                if clause.name == call.name and clause.min_arity <= call.arity <= clause.arity:
                    callees.setdefault(id(owner), set()).add(id(clause))
    optional: set[str] = set()
    cast_sets: list[tuple[str, ...]] = []
    for clause in clauses:
        if not clause.public:
            continue
        seen, todo = set(), [id(clause)]
        while todo:
            key = todo.pop()
            if key not in seen:
                seen.add(key)
                todo.extend(callees.get(key, ()))
        cast = set().union(*(casts.get(key, set()) for key in seen))
        required = set().union(*(requires.get(key, set()) for key in seen))
        optional |= cast - required
        if cast and tuple(sorted(cast)) not in cast_sets:
            cast_sets.append(tuple(sorted(cast)))
    return tuple(sorted(optional)), tuple(cast_sets), dynamic


def _changesets(outline: Outline, module: ModuleDef, span) -> tuple[tuple, tuple, tuple]:
    cast: list[str] = []
    required: list[str] = []
    constraints: list[ConstraintFacts] = []
    for call in outline.calls:
        if call.module_def is not module or call.owner is None or call.module not in (None, "Ecto.Changeset"):
            continue
        if call.name == "cast" and len(call.args) >= 3:
            cast.extend(names(call.args[2], module) or ())
        elif call.name == "validate_required" and len(call.args) >= 2:
            required.extend(names(call.args[1], module) or ())
        elif call.name in _CONSTRAINTS and len(call.args) >= 2:
            constraint = _constraint(call, module, span)
            if constraint is not None:
                constraints.append(constraint)
    return tuple(dict.fromkeys(cast)), tuple(dict.fromkeys(required)), tuple(constraints)


def _constraint(call: Call, module: ModuleDef, span) -> ConstraintFacts | None:
    fields = names(call.args[1], module)
    if not fields:
        return None
    opts = call.args[2] if len(call.args) > 2 and call.args[2].type == "keywords" else None
    match = keyword(opts, "match")
    if match is not None and text(match) != ":exact":
        return None  # `match: :suffix`/`:prefix` (partitioned tables): names are not compared exactly
    name_node = keyword(opts, "name")
    name = name_of(name_node) or name_of(attribute(module, name_node)) if name_node is not None else None
    if name_node is not None and name is None:
        return None  # a computed constraint name: nothing can be said about it
    where = span(call.node)
    return ConstraintFacts(
        kind=_CONSTRAINTS[call.name],
        fields=fields,
        line=where.line,
        column=where.column,
        end_line=where.end_line,
        end_column=where.end_column,
        name=name,
    )
