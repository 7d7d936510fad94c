"""Ecto: schemas, migrations replayed into a database, queries, and who performs them."""
