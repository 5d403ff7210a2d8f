"""The overview's speed at 1,000,000 subscriptions (issue 10).

- Search: SQLite gets an FTS5 table with the trigram tokenizer over `subscription.search_key`
  (external content, so the text is stored once); PostgreSQL a pg_trgm GIN index on the same
  column. Both are kept in step by the database itself: SQLite by the triggers below, PostgreSQL
  by its index. Triggers rather than code in the services, because subscriptions are written in
  many places (orders, the wizard, changes, bulk inserts of the demo and benchmark builders): a
  forgotten writer would leave the index silently wrong, a trigger can't be forgotten and runs in
  the writer's transaction.
- Counts: the pager counts at most 10,001 rows; these two indexes hold every column the scope and
  the filters test (customer, company, account, kind, status), so the capped count reads the index
  only, never the table.
- Keyset paging: the four sort indexes end with the id, so a page after a cursor (a row comparison
  on the sort key and the id) is one index range on PostgreSQL too (SQLite's end with the rowid
  anyway); they replace the ones of 0001/0004 without it.
"""
from peewee import PostgresqlDatabase

COUNT_INDEXES = (
    ("customer_id", "kind", "status", "company_id", "account_id"),
    ("company_id", "status", "kind", "account_id", "customer_id"),
)
SORT_INDEXES = (  # (columns before, columns now)
    (("customer_id", "holder_name"), ("customer_id", "holder_name", "id")),
    (("customer_id", "kind", "holder_name"), ("customer_id", "kind", "holder_name", "id")),
    (("customer_id", "holder_email", "holder_name"), ("customer_id", "holder_email", "holder_name", "id")),
    (("customer_id", "number"), ("customer_id", "number", "id")),
)
SQLITE_FTS = (
    "CREATE VIRTUAL TABLE subscription_fts USING fts5("
    "search_key, content='subscription', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER subscription_fts_insert AFTER INSERT ON subscription BEGIN "
    "INSERT INTO subscription_fts (rowid, search_key) VALUES (new.id, new.search_key); END",
    "CREATE TRIGGER subscription_fts_delete AFTER DELETE ON subscription BEGIN "
    "INSERT INTO subscription_fts (subscription_fts, rowid, search_key) VALUES ('delete', old.id, old.search_key); END",
    "CREATE TRIGGER subscription_fts_update AFTER UPDATE OF search_key ON subscription BEGIN "
    "INSERT INTO subscription_fts (subscription_fts, rowid, search_key) VALUES ('delete', old.id, old.search_key); "
    "INSERT INTO subscription_fts (rowid, search_key) VALUES (new.id, new.search_key); END",
    "INSERT INTO subscription_fts (subscription_fts) VALUES ('rebuild')",
)


def _is_postgres(db):
    return isinstance(db, PostgresqlDatabase)


def _name(columns):
    return "subscription_" + "_".join(columns)


def up(migrator, db):
    postgres = _is_postgres(db)
    migrator.migrate(
        *[migrator.drop_index("subscription", _name(before)) for before, _now in SORT_INDEXES],
        *[migrator.add_index("subscription", now, False) for _before, now in SORT_INDEXES],
        *[migrator.add_index("subscription", columns, False) for columns in COUNT_INDEXES],
    )
    if postgres:
        db.execute_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        db.execute_sql('CREATE INDEX IF NOT EXISTS "subscription_search_key_trgm" ON "subscription" '
                       "USING gin (search_key gin_trgm_ops)")
    else:
        for statement in SQLITE_FTS:
            db.execute_sql(statement)


def down(migrator, db):
    postgres = _is_postgres(db)
    if postgres:
        db.execute_sql('DROP INDEX IF EXISTS "subscription_search_key_trgm"')
    else:
        for trigger in ("insert", "delete", "update"):
            db.execute_sql(f"DROP TRIGGER IF EXISTS subscription_fts_{trigger}")
        db.execute_sql("DROP TABLE IF EXISTS subscription_fts")
    migrator.migrate(
        *[migrator.drop_index("subscription", _name(columns)) for columns in COUNT_INDEXES],
        *[migrator.drop_index("subscription", _name(now)) for _before, now in SORT_INDEXES],
        *[migrator.add_index("subscription", before, False) for before, _now in SORT_INDEXES],
    )
