"""The order pipeline: idempotency keys, steps, batches and transfer acceptance; blocks and
installation addresses on subscriptions; bulk requests with their items."""
from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, Model, TextField


def _tables(db):
    """Frozen copies of the new tables as this migration made them."""
    def table(name, **fields):
        meta = type("Meta", (), {"database": db, "table_name": name})
        return type(name, (Model,), {"Meta": meta, **fields})

    order = table("order")
    subscription = table("subscription")
    company = table("company")
    customer = table("customer")
    membership = table("membership")
    user = table("user")
    step = table("order_step", created_at=DateTimeField(),
                 order=ForeignKeyField(order, on_delete="CASCADE"),
                 step=CharField(max_length=24), note=CharField(default=""))
    step._meta.indexes = [(("order", "created_at"), False)]
    bulk = table("bulk_request", created_at=DateTimeField(), customer=ForeignKeyField(customer),
                 company=ForeignKeyField(company),
                 membership=ForeignKeyField(membership, on_delete="CASCADE"),
                 requested_by=ForeignKeyField(user), action=CharField(max_length=24),
                 params=TextField(default="{}"), status=CharField(max_length=16, default="preview"),
                 client_token=CharField(max_length=64, unique=True),
                 started_at=DateTimeField(null=True), finished_at=DateTimeField(null=True),
                 total=IntegerField(default=0))
    bulk._meta.indexes = [(("company", "created_at"), False)]
    item = table("bulk_item", created_at=DateTimeField(),
                 bulk=ForeignKeyField(bulk, on_delete="CASCADE"),
                 subscription=ForeignKeyField(subscription),
                 outcome=CharField(max_length=16, default="pending"), reason=CharField(default=""),
                 order=ForeignKeyField(order, null=True))
    item._meta.indexes = [(("bulk", "subscription"), True)]
    return [step, bulk, item]


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("order", "idempotency_key", CharField(max_length=32, null=True)),
        migrator.add_column("order", "applied_at", DateTimeField(null=True)),
        migrator.add_column("order", "batch", CharField(max_length=32, null=True)),
        migrator.add_column("order", "acceptance_hash", CharField(max_length=64, null=True)),
        migrator.add_column("subscription", "blocked_parts", CharField(default="")),
        migrator.add_column("subscription", "address", CharField(default="")),
    )
    # existing orders get a key of their own before the unique index
    db.execute_sql("UPDATE \"order\" SET idempotency_key = 'legacy' || id WHERE idempotency_key IS NULL")
    migrator.migrate(
        migrator.add_not_null("order", "idempotency_key"),
        migrator.add_index("order", ("idempotency_key",), True),
        migrator.add_index("order", ("batch",), False),
        migrator.add_index("order", ("acceptance_hash",), False),
        migrator.add_index("order", ("subscription_id", "status"), False),
    )
    db.create_tables(_tables(db))


def down(migrator, db):
    db.drop_tables(list(reversed(_tables(db))))
    migrator.migrate(
        migrator.drop_index("order", "order_subscription_id_status"),
        migrator.drop_index("order", "order_acceptance_hash"),
        migrator.drop_index("order", "order_batch"),
        migrator.drop_index("order", "order_idempotency_key"),
        migrator.drop_column("order", "idempotency_key"),
        migrator.drop_column("order", "applied_at"),
        migrator.drop_column("order", "batch"),
        migrator.drop_column("order", "acceptance_hash"),
        migrator.drop_column("subscription", "blocked_parts"),
        migrator.drop_column("subscription", "address"),
    )
