"""PostgreSQL DDL (from `execute` and structure.sql) as migration operations."""

from __future__ import annotations

import logging

from beamsage.model.ecto.facts import Change, Column, Index, MigrationOp, Reference
from beamsage.model.ecto.sql import sql_operations, structure_operations


def one(sql: str, line: int = 3) -> MigrationOp:
    ops = sql_operations(sql, line)
    assert len(ops) == 1, ops
    return ops[0]


# -- CREATE INDEX ------------------------------------------------------------------


def test_create_index_all_clauses():
    op = one(
        "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS users_email_index "
        "ON ONLY public.users USING BTREE (email, lower(name)) WHERE deleted_at IS NULL"
    )
    assert op == MigrationOp(
        kind="create_index",
        line=3,
        table="users",
        if_exists=True,
        index=Index(
            table="users",
            columns=("email", "lower(name)"),
            name="users_email_index",
            line=3,
            unique=True,
            where="deleted_at IS NULL",
            using="btree",
            concurrently=True,
        ),
    )


def test_create_index_plain():
    index = one("create index posts_title_idx on posts (title)").index
    assert index == Index("posts", ("title",), "posts_title_idx", 3)


def test_index_operator_class_expression_and_order_kept_as_written():
    index = one("CREATE INDEX t_idx ON t USING gin (name gin_trgm_ops, (data->>'kind'), id DESC)").index
    assert index.columns == ("name gin_trgm_ops", "(data->>'kind')", "id DESC")
    assert index.using == "gin"


def test_unnamed_index_gets_postgres_default_name():
    assert one("CREATE INDEX ON users (org_id, email)").index.name == "users_org_id_email_idx"
    assert one("CREATE INDEX ON users (lower(email))").index.name == "users_lower_idx"


def test_index_in_other_schema_and_quoted_names():
    op = one('CREATE INDEX "Idx" ON "Billing"."Invoices" ("Number")')
    assert (op.table, op.prefix) == ("Invoices", "Billing")
    assert op.index == Index("Invoices", ("Number",), "Idx", 3, prefix="Billing")


def test_unquoted_names_fold_to_lower_case():
    op = one("CREATE INDEX Users_Email ON Users (Email)")
    assert (op.table, op.index.name, op.index.columns) == ("users", "users_email", ("email",))


# -- DROP INDEX / ALTER INDEX --------------------------------------------------------


def test_drop_index_each_name():
    ops = sql_operations("DROP INDEX CONCURRENTLY IF EXISTS a_idx, reports.b_idx CASCADE", 9)
    assert ops == [
        MigrationOp(kind="drop_index", line=9, if_exists=True, name="a_idx", concurrently=True),
        MigrationOp(kind="drop_index", line=9, prefix="reports", if_exists=True, name="b_idx", concurrently=True),
    ]


def test_drop_index_single():
    assert one("DROP INDEX posts_title_idx") == MigrationOp(kind="drop_index", line=3, name="posts_title_idx")


def test_alter_index_rename():
    assert one("ALTER INDEX old_idx RENAME TO new_idx") == MigrationOp(
        kind="rename_index", line=3, name="new_idx", column="old_idx"
    )


def test_alter_index_other_actions_change_nothing():
    assert sql_operations("ALTER INDEX a_idx SET TABLESPACE fast", 1) == []


# -- CREATE TABLE ------------------------------------------------------------------------


def test_create_table_columns_and_constraints():
    ops = sql_operations(
        """CREATE TABLE IF NOT EXISTS memberships (
            id bigserial PRIMARY KEY,
            email character varying(255) NOT NULL DEFAULT 'none',
            org_id bigint REFERENCES orgs(id) ON DELETE CASCADE,
            user_id bigint,
            note text NULL,
            inserted_at timestamp(0) without time zone DEFAULT now() NOT NULL,
            CONSTRAINT memberships_pair UNIQUE (org_id, user_id),
            UNIQUE (email),
            FOREIGN KEY (user_id) REFERENCES public.users
        )""",
        12,
    )
    create, pair, email = ops
    assert create == MigrationOp(
        kind="create_table",
        line=12,
        table="memberships",
        if_exists=True,
        primary_key=("id",),
        changes=(
            Change("add", Column("id", 12, type="bigserial", null=False, primary_key=True)),
            Change("add", Column("email", 12, type="varchar(255)", null=False, default="'none'")),
            Change(
                "add",
                Column("org_id", 12, type="bigint", references=Reference("orgs", "id", on_delete=":delete_all")),
            ),
            Change("add", Column("user_id", 12, type="bigint", references=Reference("users", "id"))),
            Change("add", Column("note", 12, type="text", null=True)),
            Change("add", Column("inserted_at", 12, type="timestamp(0)", null=False, default="now()")),
        ),
    )
    assert pair.kind == "create_index"
    assert pair.index == Index("memberships", ("org_id", "user_id"), "memberships_pair", 12, unique=True)
    assert email.index == Index("memberships", ("email",), "memberships_email_key", 12, unique=True)


def test_create_table_composite_primary_key_marks_its_columns():
    (op,) = sql_operations("CREATE TABLE tags_posts (tag_id int, post_id int, PRIMARY KEY (tag_id, post_id))", 1)
    assert op.primary_key == ("tag_id", "post_id")
    assert [(c.column.name, c.column.primary_key, c.column.null) for c in op.changes] == [
        ("tag_id", True, False),
        ("post_id", True, False),
    ]


def test_create_table_without_key_has_empty_primary_key():
    op = one("CREATE TABLE audit.events (payload jsonb DEFAULT '{}'::jsonb)")
    assert (op.table, op.prefix, op.primary_key) == ("events", "audit", ())
    assert op.changes[0].column.default == "'{}'::jsonb"


def test_create_table_quoted_names_keep_case():
    op = one('CREATE TABLE "Accounts" ("Name" text, id int)')
    assert op.table == "Accounts"
    assert [c.column.name for c in op.changes] == ["Name", "id"]


def test_create_temporary_table_changes_nothing():
    assert sql_operations("CREATE TEMP TABLE scratch (id int)", 1) == []


def test_create_table_as_select_is_unknown():
    assert one("CREATE TABLE archive AS SELECT * FROM posts") == MigrationOp(
        kind="unknown", line=3, tables=("archive",)
    )


# -- ALTER TABLE -------------------------------------------------------------------------


def test_alter_table_column_actions():
    op = one(
        "ALTER TABLE IF EXISTS ONLY users "
        "ADD COLUMN IF NOT EXISTS nickname text NOT NULL DEFAULT '', "
        "ADD age int, "
        "DROP COLUMN IF EXISTS legacy, "
        "DROP COLUMN old, "
        "ALTER COLUMN score TYPE numeric(10,2) USING score::numeric, "
        "ALTER COLUMN email SET NOT NULL, "
        "ALTER COLUMN bio DROP NOT NULL, "
        "ALTER COLUMN role SET DEFAULT 'member'"
    )
    assert op.kind == "alter_table"
    assert (op.table, op.if_exists) == ("users", True)
    assert op.changes == (
        Change("add_if_not_exists", Column("nickname", 3, type="text", null=False, default="''")),
        Change("add", Column("age", 3, type="int")),
        Change("remove_if_exists", Column("legacy", 3)),
        Change("remove", Column("old", 3)),
        Change("modify", Column("score", 3, type="decimal(10, 2)")),
        Change("modify", Column("email", 3, null=False)),
        Change("modify", Column("bio", 3, null=True)),
        Change("modify", Column("role", 3, default="'member'")),
    )


def test_alter_table_renames():
    ops = sql_operations("ALTER TABLE posts RENAME COLUMN body TO content; ALTER TABLE posts RENAME TO articles", 4)
    assert ops == [
        MigrationOp(kind="rename_column", line=4, table="posts", column="body", name="content"),
        MigrationOp(kind="rename_table", line=4, table="posts", name="articles"),
    ]


def test_alter_table_add_unique_and_primary_key_constraints_are_unique_indexes():
    ops = sql_operations("ALTER TABLE t ADD CONSTRAINT t_code_key UNIQUE (code), ADD PRIMARY KEY (id)", 2)
    assert [op.kind for op in ops] == ["create_index", "create_index"]
    assert ops[0].index == Index("t", ("code",), "t_code_key", 2, unique=True)
    assert ops[1].index == Index("t", ("id",), "t_pkey", 2, unique=True)


def test_alter_table_add_foreign_key_not_valid():
    op = one(
        "ALTER TABLE comments ADD CONSTRAINT comments_post_id_fkey "
        "FOREIGN KEY (post_id) REFERENCES public.posts(id) ON DELETE SET NULL NOT VALID"
    )
    reference = Reference("posts", "id", on_delete=":nilify_all", validate=False)
    assert op == MigrationOp(
        kind="alter_table",
        line=3,
        table="comments",
        changes=(Change("modify", Column("post_id", 3, references=reference)),),
    )


def test_alter_table_add_foreign_key_valid_by_default():
    op = one("ALTER TABLE comments ADD FOREIGN KEY (author_id) REFERENCES accounts.users (uid)")
    assert op.changes[0].column.references == Reference("users", "uid", prefix="accounts")


def test_alter_table_drop_constraint_and_check_constraints():
    ops = sql_operations(
        "ALTER TABLE t DROP CONSTRAINT IF EXISTS t_code_key; ALTER TABLE t ADD CONSTRAINT positive CHECK (n > 0);"
        "ALTER TABLE t ADD CONSTRAINT n_not_null CHECK (n IS NOT NULL) NOT VALID", 5
    )
    assert ops == [
        MigrationOp(kind="drop_constraint", line=5, table="t", if_exists=True, name="t_code_key"),
        MigrationOp(kind="create_constraint", line=5, table="t", name="positive", check="n > 0"),
        MigrationOp(kind="create_constraint", line=5, table="t", name="n_not_null", check="n IS NOT NULL",
                    validate=False),
    ]


def test_rename_without_column_keyword_renames_a_column():
    assert one("ALTER TABLE packages RENAME created_at TO inserted_at") == MigrationOp(
        kind="rename_column", line=3, table="packages", column="created_at", name="inserted_at")
    assert one("ALTER TABLE packages RENAME TO projects").kind == "rename_table"


def test_alter_table_keeps_action_order():
    ops = sql_operations("ALTER TABLE t ADD COLUMN code text UNIQUE, RENAME COLUMN a TO b", 1)
    assert [op.kind for op in ops] == ["alter_table", "create_index", "rename_column"]
    assert ops[1].index.name == "t_code_key"


def test_alter_table_actions_that_change_no_column():
    sql = """
        ALTER TABLE t OWNER TO app;
        ALTER TABLE t ENABLE ROW LEVEL SECURITY;
        ALTER TABLE t ALTER COLUMN n SET STATISTICS 500;
        ALTER TABLE t ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (SEQUENCE NAME t_id_seq);
    """
    assert sql_operations(sql, 1) == []


def test_validate_constraint_is_recorded():
    ops = sql_operations('ALTER TABLE public.t VALIDATE CONSTRAINT t_fkey, VALIDATE CONSTRAINT "Positive"', 4)
    assert ops == [
        MigrationOp(kind="validate_constraint", line=4, table="t", name="t_fkey"),
        MigrationOp(kind="validate_constraint", line=4, table="t", name="Positive"),
    ]


def test_alter_table_not_understood_is_unknown_for_that_table():
    assert one("ALTER TABLE t SET SCHEMA archive") == MigrationOp(kind="unknown", line=3, tables=("t",))
    assert one("ALTER TABLE t RENAME CONSTRAINT a TO b").tables == ("t",)


# -- DROP TABLE --------------------------------------------------------------------------


def test_drop_tables():
    assert sql_operations('DROP TABLE IF EXISTS a, s."B" CASCADE', 7) == [
        MigrationOp(kind="drop_table", line=7, table="a", if_exists=True),
        MigrationOp(kind="drop_table", line=7, table="B", prefix="s", if_exists=True),
    ]


# -- what changes no structure, what is not understood ---------------------------------


def test_statements_that_change_no_table():
    sql = """
        CREATE EXTENSION IF NOT EXISTS pg_trgm;
        CREATE OR REPLACE FUNCTION touch() RETURNS trigger AS $$
        BEGIN NEW.updated_at := now(); RETURN NEW; END;
        $$ LANGUAGE plpgsql;
        CREATE TRIGGER touch BEFORE UPDATE ON posts FOR EACH ROW EXECUTE FUNCTION touch();
        DROP FUNCTION IF EXISTS old_touch();
        CREATE TYPE mood AS ENUM ('sad', 'ok');
        COMMENT ON TABLE posts IS 'Posts; all of them';
        GRANT SELECT ON posts TO reader;
        SET lock_timeout = '5s';
        SELECT 1;
        INSERT INTO settings (k) VALUES ('a');
        UPDATE posts SET n = 0;
        DELETE FROM posts;
        CREATE SEQUENCE n_seq;
        ALTER SEQUENCE n_seq RESTART;
        CREATE VIEW v AS SELECT 1;
        REFRESH MATERIALIZED VIEW v;
        BEGIN;
        COMMIT;
        DO $body$ BEGIN ALTER TABLE posts ADD x int; END $body$;
    """
    assert sql_operations(sql, 1) == []


def test_parse_error_is_unknown_with_table_names():
    ops = sql_operations("ALTER TABLE users ADD COLUMN flags bit varying(8) REFERENCES flags", 8)
    assert ops == [MigrationOp(kind="unknown", line=8, tables=("users", "flags"))]


def test_parse_error_in_create_index_names_its_table():
    assert one("CREATE INDEX i ON posts USING gin (").tables == ("posts",)


def test_unrecognised_statement_and_drop_schema_are_unknown():
    ops = sql_operations("FROB TABLE x; DROP SCHEMA old CASCADE", 2)
    assert ops == [MigrationOp(kind="unknown", line=2, tables=("x",)), MigrationOp(kind="unknown", line=2)]


def test_unterminated_quote_is_unknown():
    assert sql_operations("ALTER TABLE t ADD c text DEFAULT 'oops", 4) == [MigrationOp(kind="unknown", line=4)]


def test_several_statements_in_order_with_quoted_semicolons():
    ops = sql_operations(
        """CREATE TABLE "a;b" (x text DEFAULT ';');
        -- a comment; with a semicolon
        /* another; */ CREATE INDEX ON "a;b" (x);""",
        5,
    )
    assert [(op.kind, op.table, op.line) for op in ops] == [("create_table", "a;b", 5), ("create_index", "a;b", 5)]
    assert ops[0].changes[0].column.default == "';'"


def test_serial_default_is_a_modify_in_a_migration():
    op = one("ALTER TABLE ONLY public.x ALTER COLUMN id SET DEFAULT nextval('x_id_seq'::regclass)")
    assert op.changes == (Change("modify", Column("id", 3, default="nextval('x_id_seq'::regclass)")),)


def test_sqlglot_fallback_warnings_are_not_logged(caplog):
    with caplog.at_level(logging.WARNING):
        ops = sql_operations("CREATE EXTENSION citext; ALTER TABLE t SET SCHEMA s", 1)
    assert [op.kind for op in ops] == ["unknown"]
    assert [record for record in caplog.records if record.name.startswith("sqlglot")] == []


def test_empty_sql():
    assert sql_operations("", 1) == []
    assert sql_operations("  ;; -- nothing\n", 1) == []


# -- structure.sql -------------------------------------------------------------------------

DUMP = """--
-- PostgreSQL database dump
--

\\restrict Xy12abc

SET statement_timeout = 0;
SET client_encoding = 'UTF8';
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;

CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;

CREATE TYPE public.post_state AS ENUM (
    'draft',
    'published'
);

CREATE FUNCTION public.touch() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
  NEW.updated_at := now(); -- ; in a comment
  RAISE NOTICE 'a;b';
  RETURN NEW;
END;
$$;

SET default_tablespace = '';

--
-- Name: users; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.users (
    id bigint NOT NULL,
    email character varying(255) NOT NULL,
    name text,
    deleted_at timestamp(0) without time zone,
    inserted_at timestamp(0) without time zone NOT NULL
);

CREATE SEQUENCE public.users_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.users_id_seq OWNED BY public.users.id;

CREATE TABLE public.posts (
    id bigint NOT NULL,
    user_id bigint,
    state public.post_state DEFAULT 'draft'::public.post_state NOT NULL,
    title text
);

CREATE SEQUENCE public.posts_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.posts_id_seq OWNED BY public.posts.id;

CREATE TABLE public.schema_migrations (
    version bigint NOT NULL,
    inserted_at timestamp(0) without time zone
);

ALTER TABLE ONLY public.users ALTER COLUMN id SET DEFAULT nextval('public.users_id_seq'::regclass);

ALTER TABLE ONLY public.posts ALTER COLUMN id SET DEFAULT nextval('public.posts_id_seq'::regclass);

ALTER TABLE ONLY public.posts
    ADD CONSTRAINT posts_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (id);

CREATE UNIQUE INDEX users_email_index ON public.users USING btree (email) WHERE (deleted_at IS NULL);

CREATE INDEX users_name_trgm_index ON public.users USING gin (name public.gin_trgm_ops);

CREATE INDEX posts_user_id_index ON public.posts USING btree (user_id);

CREATE TRIGGER users_touch BEFORE UPDATE ON public.users FOR EACH ROW EXECUTE FUNCTION public.touch();

ALTER TABLE ONLY public.posts
    ADD CONSTRAINT posts_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;

--
-- PostgreSQL database dump complete
--

\\unrestrict Xy12abc

SET search_path TO "$user", public;

INSERT INTO public."schema_migrations" (version) VALUES (20240101000000);
INSERT INTO public."schema_migrations" (version) VALUES (20240202000000);
INSERT INTO public."schema_migrations" (version) VALUES (20240303000000), (20240404000000);

"""


def line_of(text: str, start: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if line.startswith(start))


def test_structure_dump_ops_and_lines():
    ops, versions = structure_operations(DUMP)
    summary = [(line, op.kind, op.table, op.index.name if op.index else None) for line, op in ops]
    assert summary == [
        (line_of(DUMP, "CREATE TABLE public.users"), "create_table", "users", None),
        (line_of(DUMP, "CREATE TABLE public.posts"), "create_table", "posts", None),
        (line_of(DUMP, "CREATE TABLE public.schema_migrations"), "create_table", "schema_migrations", None),
        (line_of(DUMP, "    ADD CONSTRAINT posts_pkey") - 1, "create_index", "posts", "posts_pkey"),
        (line_of(DUMP, "    ADD CONSTRAINT users_pkey") - 1, "create_index", "users", "users_pkey"),
        (line_of(DUMP, "CREATE UNIQUE INDEX users_email"), "create_index", "users", "users_email_index"),
        (line_of(DUMP, "CREATE INDEX users_name_trgm"), "create_index", "users", "users_name_trgm_index"),
        (line_of(DUMP, "CREATE INDEX posts_user_id"), "create_index", "posts", "posts_user_id_index"),
        (line_of(DUMP, "    ADD CONSTRAINT posts_user_id_fkey") - 1, "alter_table", "posts", None),
    ]
    assert all(op.line == line for line, op in ops)
    assert versions == {20240101000000, 20240202000000, 20240303000000, 20240404000000}


def test_structure_dump_details():
    ops = {(op.kind, op.table, op.index.name if op.index else None): op for _, op in structure_operations(DUMP)[0]}
    posts = ops[("create_table", "posts", None)]
    assert posts.primary_key == ()
    assert posts.changes[2].column == Column(
        "state", posts.line, type="post_state", null=False, default="'draft'::public.post_state"
    )
    pkey = ops[("create_index", "posts", "posts_pkey")]
    assert pkey.index == Index("posts", ("id",), "posts_pkey", pkey.line, unique=True)
    email = ops[("create_index", "users", "users_email_index")].index
    assert (email.columns, email.unique, email.where, email.using) == (("email",), True, "deleted_at IS NULL", "btree")
    trgm = ops[("create_index", "users", "users_name_trgm_index")].index
    assert (trgm.columns, trgm.using) == (("name gin_trgm_ops",), "gin")
    fk = ops[("alter_table", "posts", None)]
    reference = Reference("users", "id", on_delete=":delete_all")
    assert fk.changes == (Change("modify", Column("user_id", fk.line, references=reference)),)


def test_structure_versions_older_forms():
    text = (
        "INSERT INTO schema_migrations (version) VALUES ('20170101000000'), ('20170202000000');\n"
        "INSERT INTO \"schema_migrations\" (inserted_at, version) VALUES ('2017-03-03', 20170303000000);\n"
        "INSERT INTO other (version) VALUES (1);\n"
    )
    ops, versions = structure_operations(text)
    assert ops == []
    assert versions == {20170101000000, 20170202000000, 20170303000000}


def test_structure_broken_statement_keeps_the_rest():
    text = "CREATE TABLE a (id int);\n\nCOMMENT ON TABLE a IS 'unterminated;\n\nCREATE TABLE b (id int);\n"
    ops, _ = structure_operations(text)
    assert [(line, op.kind, op.table) for line, op in ops] == [
        (1, "create_table", "a"),
        (3, "unknown", None),
        (5, "create_table", "b"),
    ]


def test_structure_function_body_with_blank_lines_survives_a_broken_file():
    text = (
        "CREATE FUNCTION f() RETURNS int AS $$\nBEGIN\n\n  RETURN 1;\n\nEND;\n$$ LANGUAGE plpgsql;\n\n"
        "SELECT 'broken;\n\n"
        "CREATE TABLE c (id int);\n"
    )
    ops, _ = structure_operations(text)
    assert [(line, op.kind) for line, op in ops] == [(9, "unknown"), (11, "create_table")]


def generated_dump(tables: int) -> str:
    """A pg_dump-shaped file, 46 lines a table."""
    parts = [DUMP.split("SET default_tablespace")[0]]
    for n in range(tables):
        t = f"t{n}"
        parts.append(
            f"""--
-- Name: {t}; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.{t} (
    id bigint NOT NULL,
    name character varying(255) NOT NULL,
    data jsonb DEFAULT '{{}}'::jsonb,
    parent_id bigint,
    deleted_at timestamp(0) without time zone,
    inserted_at timestamp(0) without time zone NOT NULL,
    updated_at timestamp(0) without time zone NOT NULL
);


--
-- Name: {t}_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.{t}_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


ALTER SEQUENCE public.{t}_id_seq OWNED BY public.{t}.id;


ALTER TABLE ONLY public.{t} ALTER COLUMN id SET DEFAULT nextval('public.{t}_id_seq'::regclass);


ALTER TABLE ONLY public.{t}
    ADD CONSTRAINT {t}_pkey PRIMARY KEY (id);


CREATE UNIQUE INDEX {t}_name_index ON public.{t} USING btree (name) WHERE (deleted_at IS NULL);


CREATE INDEX {t}_name_trgm_index ON public.{t} USING gin (name public.gin_trgm_ops);


ALTER TABLE ONLY public.{t}
    ADD CONSTRAINT {t}_parent_id_fkey FOREIGN KEY (parent_id) REFERENCES public.{t}(id) ON DELETE CASCADE;

"""
        )
    parts.append('INSERT INTO public."schema_migrations" (version) VALUES (20240101000000);\n')
    return "".join(parts)


def test_large_dump_is_read_whole():
    text = generated_dump(220)
    assert text.count("\n") > 10_000
    ops, versions = structure_operations(text)
    kinds = [op.kind for _, op in ops]
    assert kinds.count("create_table") == 220
    assert kinds.count("create_index") == 660
    assert kinds.count("alter_table") == 220
    assert "unknown" not in kinds
    assert versions == {20240101000000}
    last_line, last = ops[-1]
    assert text.splitlines()[last_line - 1] == "ALTER TABLE ONLY public.t219"
    assert last.changes[0].column.references == Reference("t219", "id", on_delete=":delete_all")
