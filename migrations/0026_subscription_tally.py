"""How many subscriptions each company has per kind and status, kept by the database (issue 10).

The overview counts its rows for the pager, up to 10,001. Without a search or an account filter
that count is the same question every time ("how many subscriptions has this scope, of this kind,
in this status"), and it read 10,001 index entries on every request: under 1 ms on SQLite, 2-3 ms
of the PostgreSQL backend's CPU, most of what a fragment cost it. `subscription_tally` keeps the
answer per (customer, company, kind, status): at most 20 rows a company, so the count is a sum of
a few dozen rows at any size (services/subscriptions.py `list_subscriptions`).

Kept by triggers, as 0020 and 0021 keep theirs: subscriptions are written in many places, and a
forgotten writer would leave the counts silently wrong. SQLite's are row triggers (one writer at a
time). PostgreSQL's are statement triggers with transition tables: one grouped upsert per statement
instead of one per row (a bulk action on 5,000 subscriptions changes two counts once, and the
builder's COPY of 1,000,000 rows adds them in one pass), and its rows are locked in key order, so two
bulk actions on the same company wait for each other instead of deadlocking. A row whose count
drops to zero stays: the table holds at most every combination a company has had.
"""
from peewee import PostgresqlDatabase

KEY = ("customer_id", "company_id", "kind", "status")
_KEY = ", ".join(KEY)


def _sqlite_statements():
    def add(row):
        return (f"INSERT INTO subscription_tally ({_KEY}, subscriptions) "
                f"VALUES ({row}.customer_id, {row}.company_id, {row}.kind, {row}.status, 1) "
                f"ON CONFLICT ({_KEY}) DO UPDATE SET subscriptions = subscriptions + 1;")

    def remove(row):
        return ("UPDATE subscription_tally SET subscriptions = subscriptions - 1 WHERE "
                + " AND ".join(f"{column} = {row}.{column}" for column in KEY) + ";")

    changed = " OR ".join(f"old.{column} IS NOT new.{column}" for column in KEY)
    return (
        f"CREATE TRIGGER subscription_tally_insert AFTER INSERT ON subscription BEGIN {add('new')} END",
        f"CREATE TRIGGER subscription_tally_delete AFTER DELETE ON subscription BEGIN {remove('old')} END",
        f"CREATE TRIGGER subscription_tally_update AFTER UPDATE OF {_KEY} ON subscription WHEN {changed} "
        f"BEGIN {remove('old')} {add('new')} END",
    )


def _pg_function(name, parts):
    """A statement trigger's function: the rows of the transition tables `parts` ((table, +1/-1)),
    grouped by key; unchanged keys of an update cancel out."""
    rows = " UNION ALL ".join(f"SELECT {_KEY}, {sign} AS n FROM {table}" for table, sign in parts)
    return f"""CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO subscription_tally AS t ({_KEY}, subscriptions)
    SELECT {_KEY}, SUM(n) FROM ({rows}) AS changes
    GROUP BY {_KEY} HAVING SUM(n) <> 0 ORDER BY {_KEY}
    ON CONFLICT ({_KEY}) DO UPDATE SET subscriptions = t.subscriptions + EXCLUDED.subscriptions;
  RETURN NULL;
END $$"""


# PostgreSQL allows transition tables only on a trigger of one event, without a column list
PG_TRIGGERS = (  # (event, REFERENCING, transition tables with their sign)
    ("INSERT", "NEW TABLE AS added", (("added", 1),)),
    ("DELETE", "OLD TABLE AS removed", (("removed", -1),)),
    ("UPDATE", "OLD TABLE AS removed NEW TABLE AS added", (("added", 1), ("removed", -1))),
)


def _pg_statements():
    for event, referencing, parts in PG_TRIGGERS:
        name = f"subscription_tally_{event.lower()}"
        yield _pg_function(name, parts)
        yield (f"CREATE TRIGGER {name} AFTER {event} ON subscription REFERENCING {referencing} "
               f"FOR EACH STATEMENT EXECUTE PROCEDURE {name}()")


FILL = (f"INSERT INTO subscription_tally ({_KEY}, subscriptions) "
        f"SELECT {_KEY}, COUNT(*) FROM subscription GROUP BY {_KEY}")


def up(migrator, db):
    postgres = isinstance(db, PostgresqlDatabase)
    serial = "SERIAL PRIMARY KEY" if postgres else "INTEGER PRIMARY KEY"
    db.execute_sql(
        f"CREATE TABLE subscription_tally (id {serial}, "
        "customer_id INTEGER NOT NULL REFERENCES customer (id), "
        "company_id INTEGER NOT NULL REFERENCES company (id), "
        "kind VARCHAR(16) NOT NULL, status VARCHAR(16) NOT NULL, subscriptions INTEGER NOT NULL DEFAULT 0)")
    db.execute_sql(f"CREATE UNIQUE INDEX subscription_tally_key ON subscription_tally ({_KEY})")
    db.execute_sql(FILL)
    for statement in (_pg_statements() if postgres else _sqlite_statements()):
        db.execute_sql(statement)


def down(migrator, db):
    for event, _referencing, _parts in PG_TRIGGERS:
        name = f"subscription_tally_{event.lower()}"
        if isinstance(db, PostgresqlDatabase):
            db.execute_sql(f"DROP TRIGGER IF EXISTS {name} ON subscription")
            db.execute_sql(f"DROP FUNCTION IF EXISTS {name}()")
        else:
            db.execute_sql(f"DROP TRIGGER IF EXISTS {name}")
    db.execute_sql("DROP TABLE IF EXISTS subscription_tally")
