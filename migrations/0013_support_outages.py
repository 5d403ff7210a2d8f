"""Support and outages: a ticket concerns a subscription or an account (or neither), has a
category with a response-time target (when the first answer is due, when it came), can be closed
and reopened, and carries attachments; outages name the services and postal codes they touch and
when they are expected to end; companies can subscribe to outage e-mails.

The old categories map onto the new ones; existing tickets get their first answer from their
messages and their due time from the working-hours rule as it stands today.
"""
import datetime

from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, Model, TextField

CATEGORY_MAP = {"technical": "fault", "sim": "fault", "subscription": "order", "other": "question"}
TARGET_HOURS = {"fault_critical": 3, "fault": 8}  # the rest: two working days (16 hours)


def _tables(db):
    """Frozen copies of the new tables (and the foreign keys of new columns) as this migration made them."""
    def table(table_name, **fields):
        meta = type("Meta", (), {"database": db, "table_name": table_name})
        return type(table_name, (Model,), {"Meta": meta, **fields})

    customer, company, user = table("customer"), table("company"), table("user")
    account, subscription = table("account"), table("subscription")
    ticket, message = table("support_ticket"), table("ticket_message")
    attachment = table(
        "ticket_attachment", created_at=DateTimeField(), ticket=ForeignKeyField(ticket, on_delete="CASCADE"),
        message=ForeignKeyField(message, on_delete="CASCADE"), uploaded_by=ForeignKeyField(user, null=True),
        key=CharField(max_length=40, unique=True), name=CharField(), mime_type=CharField(max_length=100),
        size=IntegerField())
    attachment._meta.indexes = [(("ticket", "message"), False)]
    alert = table(
        "outage_alert", created_at=DateTimeField(), customer=ForeignKeyField(customer),
        company=ForeignKeyField(company, unique=True), emails=TextField(default=""),
        language=CharField(max_length=2, default="da"), updated_by=ForeignKeyField(user, null=True),
        updated_at=DateTimeField())
    columns = table("support_ticket", account=ForeignKeyField(account, null=True),
                    subscription=ForeignKeyField(subscription, null=True))
    return [attachment, alert], columns


def up(migrator, db):
    new_tables, columns = _tables(db)
    migrator.migrate(
        migrator.add_column("support_ticket", "account_id", columns.account),
        migrator.add_column("support_ticket", "subscription_id", columns.subscription),
        migrator.add_column("support_ticket", "response_due_at", DateTimeField(null=True)),
        migrator.add_column("support_ticket", "first_response_at", DateTimeField(null=True)),
        migrator.add_column("support_ticket", "closed_at", DateTimeField(null=True)),
        migrator.add_index("support_ticket", ("account_id", "updated_at"), False),
        migrator.add_index("support_ticket", ("status", "response_due_at"), False),
        migrator.add_column("outage", "services", CharField(default="")),
        migrator.add_column("outage", "postal_codes", TextField(default="")),
        migrator.add_column("outage", "expected_end_at", DateTimeField(null=True)),
        migrator.add_column("outage", "updated_at", DateTimeField(null=True)),
    )
    db.create_tables(new_tables)
    p = db.param
    for old, new in CATEGORY_MAP.items():
        db.execute_sql(f"UPDATE support_ticket SET category = {p} WHERE category = {p}", (new, old))
    db.execute_sql("UPDATE outage SET updated_at = created_at")
    migrator.migrate(migrator.add_not_null("outage", "updated_at"))
    db.execute_sql("UPDATE support_ticket SET closed_at = updated_at WHERE status = 'closed'")
    db.execute_sql("UPDATE support_ticket SET first_response_at = (SELECT MIN(m.created_at) FROM ticket_message m "
                   "WHERE m.ticket_id = support_ticket.id AND m.from_staff)")
    _set_due_times(db)


def _set_due_times(db):
    from services.working_hours import add_working_hours

    rows = db.execute_sql("SELECT id, created_at, category FROM support_ticket").fetchall()
    for ticket_id, created, category in rows:
        if isinstance(created, str):  # SQLite hands back text
            created = datetime.datetime.fromisoformat(created)
        due = add_working_hours(created, TARGET_HOURS.get(category, 16))
        db.execute_sql(f"UPDATE support_ticket SET response_due_at = {db.param} WHERE id = {db.param}", (due, ticket_id))


def down(migrator, db):
    new_tables, _columns = _tables(db)
    db.drop_tables(list(reversed(new_tables)))
    migrator.migrate(
        migrator.drop_index("support_ticket", "support_ticket_status_response_due_at"),
        migrator.drop_index("support_ticket", "support_ticket_account_id_updated_at"),
        *[migrator.drop_column("support_ticket", name) for name in
          ("account_id", "subscription_id", "response_due_at", "first_response_at", "closed_at")],
        *[migrator.drop_column("outage", name) for name in ("services", "postal_codes", "expected_end_at", "updated_at")],
    )
