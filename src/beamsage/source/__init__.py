"""Syntax only: documents, tree-sitter parsing, the helper layer over Elixir
trees, templates and suppression comments. Knows nothing of projects or rules."""
