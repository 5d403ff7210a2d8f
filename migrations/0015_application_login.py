"""An access application knows the pending login its letter activates: several may wait for one
company, and the first whose letter code is used wins (services/applications.py)."""
from peewee import ForeignKeyField, Model


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    # the foreign key's index comes with the column
    migrator.migrate(migrator.add_column("application", "login_id", ForeignKeyField(User, null=True, field=User.id)))


def down(migrator, db):
    migrator.migrate(migrator.drop_index("application", "application_login_id"),
                     migrator.drop_column("application", "login_id"))
