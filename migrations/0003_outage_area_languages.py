"""Outages: the affected area in both languages, like title and body."""
from peewee import CharField


def up(migrator, db):
    migrator.migrate(
        migrator.rename_column("outage", "area", "area_da"),
        migrator.add_column("outage", "area_en", CharField(default="")),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column("outage", "area_en"),
        migrator.rename_column("outage", "area_da", "area"),
    )
