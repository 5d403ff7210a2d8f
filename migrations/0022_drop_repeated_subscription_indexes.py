"""Three subscription indexes repeated the start of longer ones (issue 10).

`subscription_customer_id`, `_company_id` and `_account_id` were the foreign keys' own indexes;
every query they served is served as well by an index that begins with the same column (0020's
count and sort indexes, `account_id_status`, `company_id_holder_name`), and each costs every
insert and update of a subscription: about 2.3 s of the 1,000,000-subscription build. The model
declares those foreign keys with index=False.
"""

INDEXES = ("customer_id", "company_id", "account_id")


def up(migrator, db):
    migrator.migrate(*[migrator.drop_index("subscription", f"subscription_{column}") for column in INDEXES])


def down(migrator, db):
    migrator.migrate(*[migrator.add_index("subscription", (column,), False) for column in INDEXES])
