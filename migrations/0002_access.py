"""Access: application kinds (recovery), who processed them, why a user is disabled."""
from peewee import CharField, DateTimeField, ForeignKeyField, Model, TextField


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    migrator.migrate(
        migrator.add_column("application", "kind", CharField(max_length=16, default="access")),
        migrator.add_column("application", "reason", TextField(default="")),
        migrator.add_column("application", "processed_by_id",
                            ForeignKeyField(User, null=True, field=User.id)),
        migrator.add_column("user", "disabled_reason", CharField(default="")),
        migrator.add_column("user", "password_changed_at", DateTimeField(null=True)),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column("application", "kind"),
        migrator.drop_column("application", "reason"),
        migrator.drop_column("application", "processed_by_id"),
        migrator.drop_column("user", "disabled_reason"),
        migrator.drop_column("user", "password_changed_at"),
    )
