"""Indexes for the bank search and the near-duplicate check (itembank.textsearch), PostgreSQL only.

- ``item_search_text_tsv``: GIN on ``to_tsvector('simple'::regconfig, search_text)``, the exact
  expression ``itembank.textsearch.search_items`` matches (any other spelling of it, e.g. with
  ``COALESCE``, would not use the index);
- ``item_search_text_trgm``: GIN ``gin_trgm_ops`` on ``search_text`` for pg_trgm's ``%``.

On SQLite both operations do nothing: the search there is ``LIKE`` over the table.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEXES = {
    "item_search_text_tsv": "USING gin (to_tsvector('simple'::regconfig, search_text))",
    "item_search_text_trgm": "USING gin (search_text gin_trgm_ops)",
}


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, definition in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON itembank_item {definition}")


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("itembank", "0005_drop_single_choice_columns")]

    operations = [
        TrigramExtension(),
        migrations.RunPython(create_indexes, drop_indexes),
    ]
