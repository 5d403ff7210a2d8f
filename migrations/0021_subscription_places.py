"""The postal codes of the installation addresses, kept per account (issue 10: the front page).

The front page and /outages flag the outages that touch the customer's own addresses. That used to
read every installation address of the customer on every request (100,000 rows at 100k
subscriptions). `subscription_place` keeps, per (customer, company, account, postal code), how many
running installed subscriptions (landline, internet, circuit; not cancelled or transferred) have
an installation address there. An outage's postal code ranges are then a few index seeks
(services/outages.py, `touching`).

The rows are kept by triggers, as 0020 keeps its search index: subscriptions are written in many
places (the wizard, orders and their provisioning, account changes, bulk actions, the demo and
benchmark builders' bulk inserts), and a forgotten writer would leave the flags silently wrong;
a trigger can't be forgotten and runs in the writer's transaction.

The postal code of an installation address is the four digits that begin its last comma-separated
part ("Vesterbrogade 1, 1620 København V" -> 1620; an address without a comma is one part), the
shape the wizard writes; services/outages.py `installation_postal_code` is the same rule in Python.

The accounts' and companies' own postal codes are columns already (read through their company
indexes: as many rows as the scope has accounts, never subscriptions).
"""
from peewee import PostgresqlDatabase

KINDS = "('landline', 'internet', 'circuit')"  # services.outages.INSTALLED_KINDS
ENDED = "('cancelled', 'transferred')"  # models.subscriptions.ENDED
KEY = ("account_id", "postal_code", "company_id", "customer_id")
TRIGGER_COLUMNS = "address, kind, status, account_id, company_id, customer_id"


def _sqlite_code(row):
    """SQLite: the postal code of row.address, or NULL. rtrim(x, x-without-commas) leaves x up to
    its last comma, so the substr after it is the last part."""
    tail = f"ltrim(substr({row}.address, length(rtrim({row}.address, replace({row}.address, ',', ''))) + 1))"
    return (f"(CASE WHEN {tail} GLOB '[0-9][0-9][0-9][0-9]' OR {tail} GLOB '[0-9][0-9][0-9][0-9][^0-9]*' "
            f"THEN substr({tail}, 1, 4) END)")


def _counts(row, code):
    return f"{row}.address != '' AND {row}.kind IN {KINDS} AND {row}.status NOT IN {ENDED} AND {code} IS NOT NULL"


def _match(row, code):
    return (f"account_id = {row}.account_id AND postal_code = {code} AND company_id = {row}.company_id "
            f"AND customer_id = {row}.customer_id")


def _sqlite_statements():
    new, old = _sqlite_code("new"), _sqlite_code("old")
    add = (f"INSERT INTO subscription_place (customer_id, company_id, account_id, postal_code, subscriptions) "
           f"VALUES (new.customer_id, new.company_id, new.account_id, {new}, 1) "
           f"ON CONFLICT ({', '.join(KEY)}) DO UPDATE SET subscriptions = subscriptions + 1;")
    remove = (f"UPDATE subscription_place SET subscriptions = subscriptions - 1 WHERE {_match('old', old)}; "
              f"DELETE FROM subscription_place WHERE {_match('old', old)} AND subscriptions <= 0;")
    return (
        f"CREATE TRIGGER subscription_place_insert AFTER INSERT ON subscription WHEN {_counts('new', new)} "
        f"BEGIN {add} END",
        f"CREATE TRIGGER subscription_place_delete AFTER DELETE ON subscription WHEN {_counts('old', old)} "
        f"BEGIN {remove} END",
        # an update is the old row leaving and the new one arriving: two triggers, each with its condition
        f"CREATE TRIGGER subscription_place_update_old AFTER UPDATE OF {TRIGGER_COLUMNS} ON subscription "
        f"WHEN {_counts('old', old)} BEGIN {remove} END",
        f"CREATE TRIGGER subscription_place_update_new AFTER UPDATE OF {TRIGGER_COLUMNS} ON subscription "
        f"WHEN {_counts('new', new)} BEGIN {add} END",
    )


_PG_CODE = ("CREATE OR REPLACE FUNCTION subscription_place_code(address text) RETURNS text "
            "LANGUAGE sql IMMUTABLE AS $$ "
            "SELECT substring(ltrim(regexp_replace(address, '^.*,', '')) from '^([0-9]{4})(?:[^0-9]|$)') $$")
_PG_KEEP = f"""CREATE OR REPLACE FUNCTION subscription_place_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    IF {_counts('OLD', 'subscription_place_code(OLD.address)')} THEN
      UPDATE subscription_place SET subscriptions = subscriptions - 1
        WHERE {_match('OLD', 'subscription_place_code(OLD.address)')};
      DELETE FROM subscription_place
        WHERE {_match('OLD', 'subscription_place_code(OLD.address)')} AND subscriptions <= 0;
    END IF;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    IF {_counts('NEW', 'subscription_place_code(NEW.address)')} THEN
      INSERT INTO subscription_place (customer_id, company_id, account_id, postal_code, subscriptions)
        VALUES (NEW.customer_id, NEW.company_id, NEW.account_id, subscription_place_code(NEW.address), 1)
        ON CONFLICT ({', '.join(KEY)}) DO UPDATE SET subscriptions = subscription_place.subscriptions + 1;
    END IF;
  END IF;
  RETURN NULL;
END $$"""
_PG_TRIGGER = (f"CREATE TRIGGER subscription_place_keep AFTER INSERT OR DELETE OR UPDATE OF {TRIGGER_COLUMNS} "
               "ON subscription FOR EACH ROW EXECUTE PROCEDURE subscription_place_keep()")


def _fill_sql(code):
    """Existing databases: the rows the triggers would have made."""
    return (f"INSERT INTO subscription_place (customer_id, company_id, account_id, postal_code, subscriptions) "
            f"SELECT customer_id, company_id, account_id, code, COUNT(*) FROM "
            f"(SELECT customer_id, company_id, account_id, {code} AS code FROM subscription s "
            f"WHERE s.address != '' AND s.kind IN {KINDS} AND s.status NOT IN {ENDED}) AS places "
            f"WHERE code IS NOT NULL GROUP BY customer_id, company_id, account_id, code")


def up(migrator, db):
    postgres = isinstance(db, PostgresqlDatabase)
    serial = "SERIAL PRIMARY KEY" if postgres else "INTEGER PRIMARY KEY"
    db.execute_sql(
        f"CREATE TABLE subscription_place (id {serial}, "
        "customer_id INTEGER NOT NULL REFERENCES customer (id), "
        "company_id INTEGER NOT NULL REFERENCES company (id), "
        "account_id INTEGER NOT NULL REFERENCES account (id), "
        "postal_code VARCHAR(4) NOT NULL, subscriptions INTEGER NOT NULL DEFAULT 0)")
    # the limited user's question: (account, postal code range); the whole company's: (company, range)
    db.execute_sql(f"CREATE UNIQUE INDEX subscription_place_key ON subscription_place ({', '.join(KEY)})")
    db.execute_sql("CREATE INDEX subscription_place_company ON subscription_place (company_id, postal_code, customer_id)")
    if postgres:
        db.execute_sql(_PG_CODE)
        db.execute_sql(_fill_sql("subscription_place_code(s.address)"))
        db.execute_sql(_PG_KEEP)
        db.execute_sql(_PG_TRIGGER)
    else:
        db.execute_sql(_fill_sql(_sqlite_code("s")))
        for statement in _sqlite_statements():
            db.execute_sql(statement)


def down(migrator, db):
    if isinstance(db, PostgresqlDatabase):
        db.execute_sql("DROP TRIGGER IF EXISTS subscription_place_keep ON subscription")
        db.execute_sql("DROP FUNCTION IF EXISTS subscription_place_keep()")
        db.execute_sql("DROP FUNCTION IF EXISTS subscription_place_code(text)")
    else:
        for name in ("insert", "delete", "update_old", "update_new"):
            db.execute_sql(f"DROP TRIGGER IF EXISTS subscription_place_{name}")
    db.execute_sql("DROP TABLE IF EXISTS subscription_place")
