"""PostgreSQL: finer statistics for the columns that scope subscriptions (issue 10).

With the default sample (statistics target 100) the planner guesses that every account holds the
average number of subscriptions. At 1,000,000 subscriptions in 510 accounts it took the 95 of a small
account for 1,960 and, for the last page sorted by number, walked the number index backwards past
588,000 rows of other accounts (0.55 s) instead of reading the 95 and sorting them (0.1 ms). A target
of 1,000 keeps up to 1,000 accounts (and companies) with their own counts. SQLite plans without
statistics; nothing to do there.
"""
from peewee import PostgresqlDatabase

COLUMNS = ("account_id", "company_id")


def up(migrator, db):
    if isinstance(db, PostgresqlDatabase):
        for column in COLUMNS:
            db.execute_sql(f'ALTER TABLE "subscription" ALTER COLUMN "{column}" SET STATISTICS 1000')
        db.execute_sql('ANALYZE "subscription"')


def down(migrator, db):
    if isinstance(db, PostgresqlDatabase):
        for column in COLUMNS:
            db.execute_sql(f'ALTER TABLE "subscription" ALTER COLUMN "{column}" SET STATISTICS -1')
