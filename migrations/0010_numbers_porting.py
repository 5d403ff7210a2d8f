"""Numbers and porting: port-in requests get their order, owner, signer, kind and every number
(PortingNumber); the number series a company holds (NumberRange); a port lock per subscription.
The old "confirmed" status is the new "date_confirmed"."""
from peewee import BooleanField, CharField, DateField, DateTimeField, ForeignKeyField, IntegerField, Model


def _tables(db):
    """Frozen copies of the new tables as this migration made them."""
    def table(table_name, **fields):
        meta = type("Meta", (), {"database": db, "table_name": table_name})
        return type(table_name, (Model,), {"Meta": meta, **fields})

    customer, company, account = table("customer"), table("company"), table("account")
    porting_request = table("porting_request")
    porting_number = table(
        "porting_number", porting_request=ForeignKeyField(porting_request, on_delete="CASCADE"),
        position=IntegerField(), number=CharField(max_length=32, index=True))
    porting_number._meta.indexes = [(("porting_request", "position"), True)]
    number_range = table(
        "number_range", created_at=DateTimeField(), customer=ForeignKeyField(customer),
        company=ForeignKeyField(company), account=ForeignKeyField(account, null=True),
        first=CharField(max_length=32), last=CharField(max_length=32), kind=CharField(max_length=16),
        description=CharField(default=""), porting_request=ForeignKeyField(porting_request, null=True))
    number_range._meta.indexes = [(("company", "first"), False)]
    return [porting_number, number_range]


COLUMNS = (("order_id", IntegerField(null=True)), ("kind", CharField(max_length=16, default="mobile")),
           ("owner_name", CharField(default="")), ("owner_cvr", CharField(max_length=8, default="")),
           ("signer_name", CharField(default="")), ("number_count", IntegerField(default=1)),
           ("confirmed_date", DateField(null=True)), ("rejection_reason", CharField(max_length=32, default="")),
           ("updated_at", DateTimeField(null=True)))


def up(migrator, db):
    migrator.migrate(
        *[migrator.add_column("porting_request", name, field) for name, field in COLUMNS],
        migrator.add_index("porting_request", ("order_id",), False),
        migrator.add_column("subscription", "port_locked", BooleanField(default=False)),
    )
    db.create_tables(_tables(db))
    db.execute_sql("UPDATE porting_request SET status = 'date_confirmed', confirmed_date = requested_date "
                   "WHERE status = 'confirmed'")
    # Every earlier request had one number: it becomes that request's only PortingNumber.
    db.execute_sql("INSERT INTO porting_number (porting_request_id, position, number) "
                   "SELECT id, 0, number FROM porting_request")


def down(migrator, db):
    db.execute_sql("UPDATE porting_request SET status = 'confirmed' WHERE status = 'date_confirmed'")
    db.drop_tables(list(reversed(_tables(db))))
    migrator.migrate(
        migrator.drop_index("porting_request", "porting_request_order_id"),
        *[migrator.drop_column("porting_request", name) for name, _field in COLUMNS],
        migrator.drop_column("subscription", "port_locked"),
    )
