"""The accounts list counts each account's running subscriptions from the index alone."""


def up(migrator, db):
    migrator.migrate(migrator.add_index("subscription", ("account_id", "status"), False))


def down(migrator, db):
    migrator.migrate(migrator.drop_index("subscription", "subscription_account_id_status"))
