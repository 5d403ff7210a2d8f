"""The main number's call flow as versions (who changed what, restorable); they replace the
call_flow_step rows, which stay until a later migration drops them."""
from peewee import DateTimeField, ForeignKeyField, IntegerField, Model, TextField


def _tables(db):
    """Frozen copies of the new tables as this migration made them."""
    def table(name, **fields):
        meta = type("Meta", (), {"database": db, "table_name": name})
        return type(name, (Model,), {"Meta": meta, **fields})

    phone_system, user, order = table("phone_system"), table("user"), table("order")
    version = table("call_flow_version", created_at=DateTimeField(),
                    phone_system=ForeignKeyField(phone_system, on_delete="CASCADE"),
                    number=IntegerField(), document=TextField(), changes=TextField(default="[]"),
                    created_by=ForeignKeyField(user, null=True), order=ForeignKeyField(order, null=True),
                    restored_from=IntegerField(null=True), activated_at=DateTimeField(null=True))
    version._meta.indexes = [(("phone_system", "number"), True)]
    return [version]


def up(migrator, db):
    db.create_tables(_tables(db))


def down(migrator, db):
    db.drop_tables(list(reversed(_tables(db))))
