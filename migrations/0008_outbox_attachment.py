"""Outbox: a message may carry one file (an invoice PDF): its path under DATA_DIR, name and type."""
from peewee import CharField


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("outbox_message", "attachment", CharField(default="")),
        migrator.add_column("outbox_message", "attachment_name", CharField(default="")),
        migrator.add_column("outbox_message", "attachment_type", CharField(max_length=64, default="")),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column("outbox_message", "attachment"),
        migrator.drop_column("outbox_message", "attachment_name"),
        migrator.drop_column("outbox_message", "attachment_type"),
    )
