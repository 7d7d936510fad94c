"""Migration rules: what a migration does to a running production database.

Each migration is judged against the database as it was just before it ran:
the replay of every earlier migration (`model.ecto.database`). That history
is what keeps these rules quiet where cruder checkers cry wolf:

- An index, a foreign key or a constraint on a table created earlier in the
  same migration touches an empty table: nothing to lock, no finding.
- A `modify` is a type change only when the type really changes, compared
  with the replayed column (or its `from:`); changing only `null:` or
  `default:` is not, and Postgres changes some types without a rewrite.
- Removing or renaming a column is an error only while a schema still
  declares it.

A table no earlier migration creates (one another app manages) is not
judged: beamsage cannot tell whether it holds data. Migrations that
`structure.sql` records as run are not judged either, and
`migrations-start-after` in `.beamsage.toml` retires older ones. Postgres
11 or newer is assumed. Every finding points at a line of the migration.
"""

from . import columns, constraints, indexes, runs, schemas  # noqa: F401  (registers the rules)
