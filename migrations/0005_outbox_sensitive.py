"""Outbox: mark messages that carry a code, so their body is wiped after delivery."""
from peewee import BooleanField


def up(migrator, db):
    migrator.migrate(migrator.add_column("outbox_message", "sensitive", BooleanField(default=False)))


def down(migrator, db):
    migrator.migrate(migrator.drop_column("outbox_message", "sensitive"))
