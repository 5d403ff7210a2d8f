"""The order sweep's index (issue 11): open orders by status and last sign of life.

`services/orders.py` `sweep` looks every 5 minutes for orders "received" or "in_progress" that
have been quiet too long. Without an index on (status, updated_at) that read the whole order
table, nearly all of it finished orders: about 0.5 s at 400,000 orders, growing with the history.
With it, each status is one index range, oldest first.
"""


def up(migrator, db):
    migrator.migrate(migrator.add_index("order", ("status", "updated_at"), False))


def down(migrator, db):
    migrator.migrate(migrator.drop_index("order", "order_status_updated_at"))
