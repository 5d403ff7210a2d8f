"""The accounts list counts each account's running subscriptions from the index alone; the
credit note's author is indexed like every foreign key."""


def up(migrator, db):
    migrator.migrate(
        migrator.add_index("subscription", ("account_id", "status"), False),
        migrator.add_index("credit_note", ("created_by_id",), False),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_index("subscription", "subscription_account_id_status"),
        migrator.drop_index("credit_note", "credit_note_created_by_id"),
    )
