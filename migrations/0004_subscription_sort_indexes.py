"""Indexes for sorting the subscription overview by number and by e-mail (measured with
scripts/benchmark.py: a temporary B-tree sort of 100,000 rows per page without them)."""


def up(migrator, db):
    migrator.migrate(
        migrator.add_index("subscription", ("customer_id", "number"), False),
        migrator.add_index("subscription", ("customer_id", "holder_email", "holder_name"), False),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_index("subscription", "subscription_customer_id_number"),
        migrator.drop_index("subscription", "subscription_customer_id_holder_email_holder_name"),
    )
