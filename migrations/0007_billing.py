"""Billing: the buyer on each invoice and credit note, lines with what was supplied when and their
VAT rate, credit-note lines, one-off charges, plan history, monthly usage totals, gap-free number
series, one invoice per account and period, and a company's default invoice format."""
from peewee import CharField, DateField, DateTimeField, ForeignKeyField, IntegerField, Model


def _tables(db):
    """Frozen copies of the new tables as this migration made them."""
    def table(table_name, **fields):
        meta = type("Meta", (), {"database": db, "table_name": table_name})
        return type(table_name, (Model,), {"Meta": meta, **fields})

    customer, account, subscription = table("customer"), table("account"), table("subscription")
    plan = table("plan")
    credit_note, invoice_line = table("credit_note"), table("invoice_line")
    credit_line = table(
        "credit_note_line", credit_note=ForeignKeyField(credit_note, on_delete="CASCADE"),
        invoice_line=ForeignKeyField(invoice_line, null=True, index=True),
        subscription=ForeignKeyField(subscription, null=True), kind=CharField(max_length=16),
        description=CharField(), quantity=IntegerField(default=1), amount=IntegerField(),
        vat_rate=IntegerField(default=25))
    charge = table(
        "charge", created_at=DateTimeField(), customer=ForeignKeyField(customer),
        account=ForeignKeyField(account), subscription=ForeignKeyField(subscription, null=True),
        kind=CharField(max_length=16), amount=IntegerField(), vat_rate=IntegerField(default=25),
        occurred_on=DateField())
    charge._meta.indexes = [(("account", "occurred_on"), False)]
    plan_change = table(
        "plan_change", created_at=DateTimeField(), subscription=ForeignKeyField(subscription),
        from_plan=ForeignKeyField(plan), to_plan=ForeignKeyField(plan), effective_on=DateField())
    plan_change._meta.indexes = [(("subscription", "effective_on"), False), (("effective_on",), False)]
    usage_month = table(
        "usage_month", subscription=ForeignKeyField(subscription), account=ForeignKeyField(account),
        month=DateField(), calls=IntegerField(default=0), call_seconds=IntegerField(default=0),
        sms=IntegerField(default=0), data_kb=IntegerField(default=0), roaming=IntegerField(default=0),
        cost=IntegerField(default=0))
    usage_month._meta.indexes = [(("subscription", "month"), True), (("account", "month"), False)]
    series = table("number_series", name=CharField(max_length=16, primary_key=True),
                   prefix=CharField(max_length=4), next_value=IntegerField())
    return [credit_line, charge, plan_change, usage_month, series]


PARTIES = (("buyer_name", CharField(default="")), ("buyer_cvr", CharField(max_length=8, default="")),
           ("buyer_address", CharField(default="")), ("buyer_postal_code", CharField(max_length=4, default="")),
           ("buyer_city", CharField(default="")), ("account_name", CharField(default="")),
           ("reference", CharField(default="")), ("ean", CharField(max_length=13, null=True)),
           ("invoice_format", CharField(max_length=16, default="portal")))


def up(migrator, db):
    ops = []
    for table in ("invoice", "credit_note"):
        ops += [migrator.add_column(table, name, field) for name, field in PARTIES]
    ops += [
        migrator.add_column("invoice", "payment_id", CharField(max_length=16, default="")),
        migrator.add_column("credit_note", "created_by_id", IntegerField(null=True)),
        migrator.add_column("invoice_line", "period_start", DateField(null=True)),
        migrator.add_column("invoice_line", "period_end", DateField(null=True)),
        migrator.add_column("invoice_line", "unit_price", IntegerField(null=True)),
        migrator.add_column("invoice_line", "vat_rate", IntegerField(default=25)),
        migrator.add_column("invoice_line", "note", CharField(default="")),
        migrator.add_column("company", "default_invoice_format", CharField(max_length=16, default="pdf_email")),
        migrator.drop_index("invoice", "invoice_account_id_issued_on"),
        migrator.add_index("invoice", ("account_id", "period_start"), True),
        migrator.add_index("invoice_line", ("invoice_id", "subscription_id"), False),
    ]
    migrator.migrate(*ops)
    db.create_tables(_tables(db))
    # The series continue after the highest number already issued.
    for name, prefix, table in (("invoice", "F", "invoice"), ("credit_note", "K", "credit_note")):
        (highest,) = db.execute_sql(f"SELECT MAX(number) FROM {table}").fetchone()
        next_value = int(highest[1:]) + 1 if highest else 10000001
        db.execute_sql("INSERT INTO number_series (name, prefix, next_value) VALUES (%s, %s, %s)"
                       .replace("%s", db.param), (name, prefix, next_value))
