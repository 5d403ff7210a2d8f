"""Subscriptions, their add-ons and SIM cards."""
from peewee import SQL, BooleanField, CharField, DateField, ForeignKeyField, IntegerField, TextField

from .base import BaseModel, TimestampedModel, today
from .catalogue import AddOn, Plan
from .customers import Account, Company, Customer

STATUSES = ("pending", "active", "blocked", "cancelled", "transferred")
ENDED = ("cancelled", "transferred")
BLOCK_PARTS = ("all", "abroad", "data", "premium")  # "all": the whole subscription (lost phone)
SIM_FORMS = ("physical", "esim")
SIM_STATUSES = ("active", "old", "ordered")


class Subscription(TimestampedModel):
    # customer and company repeat the account's so that scoped, sorted lists
    # are served by one index; services that move a subscription keep them in step.
    # No index of their own: the indexes below begin with each of them (migration 0022).
    customer = ForeignKeyField(Customer, index=False)
    company = ForeignKeyField(Company, index=False)
    account = ForeignKeyField(Account, backref="subscriptions", index=False)
    kind = CharField(max_length=16)
    number = CharField(max_length=32, index=True)  # E.164 or a line id
    holder_name = CharField()
    holder_email = CharField(default="")
    search_key = CharField(default="")  # lower-case name, number, e-mail
    plan = ForeignKeyField(Plan)
    status = CharField(max_length=16, default="active")
    invoice_note = CharField(default="")
    start_date = DateField()
    end_date = DateField(null=True)
    blocked_parts = CharField(default="")  # comma-separated BLOCK_PARTS in force
    address = CharField(default="")  # installation address of internet and circuits
    port_locked = BooleanField(default=False)  # set by an admin: the number may not move to another operator

    class Meta:
        indexes = (
            # the overview's sort orders (services/subscriptions.py SORTS), ending with the id for keyset paging
            # with the columns a search's walk in name order tests (migration 0025)
            (("customer", "holder_name", "id", "company", "search_key"), False),
            (("company", "holder_name"), False),
            (("account", "holder_name"), False),
            (("account", "status"), False),  # running subscriptions per account (accounts list)
            (("customer", "kind", "holder_name", "id"), False),
            (("customer", "status"), False),
            (("customer", "number", "id"), False),
            (("customer", "holder_email", "holder_name", "id"), False),
            # the capped counts read these only, never the table (migration 0020)
            (("customer", "kind", "status", "company", "account"), False),
            (("company", "status", "kind", "account", "customer"), False),
        )

    @staticmethod
    def make_search_key(holder_name, number, holder_email):
        digits = "".join(ch for ch in number if ch.isdigit())
        local = digits[2:] if number.startswith("+45") else digits
        return " ".join((holder_name.lower(), local, digits, holder_email.lower()))

    @property
    def blocks(self):
        return tuple(p for p in self.blocked_parts.split(",") if p)

    @property
    def fully_blocked(self):
        """Every part is blocked: nothing is left to offer a block of."""
        return all(part in self.blocks for part in BLOCK_PARTS)

    @property
    def ended(self):
        return self.status in ENDED


# PostgreSQL only (migration 0020): trigram index for the search; SQLite has the FTS5 table
# subscription_fts instead, kept in step by triggers.
Subscription.add_index(Subscription.index(SQL("search_key gin_trgm_ops"), name="subscription_search_key_trgm", using="gin"))


class SubscriptionTally(BaseModel):
    """Read only: how many subscriptions a company has of a kind in a status. Kept by the
    database's triggers (migrations/0026_subscription_tally.py), never written here."""

    customer = ForeignKeyField(Customer, index=False)
    company = ForeignKeyField(Company, index=False)
    kind = CharField(max_length=16)
    status = CharField(max_length=16)
    subscriptions = IntegerField(default=0)

    class Meta:
        table_name = "subscription_tally"
        indexes = ((("customer", "company", "kind", "status"), True),)


class SubscriptionAddOn(BaseModel):
    subscription = ForeignKeyField(Subscription, backref="addons")
    addon = ForeignKeyField(AddOn)
    start_date = DateField(default=today)

    class Meta:
        indexes = ((("subscription", "addon"), True),)


class SimCard(TimestampedModel):
    subscription = ForeignKeyField(Subscription, backref="sim_cards")
    iccid = CharField(max_length=22, unique=True)
    pin = CharField(max_length=8)
    puk = CharField(max_length=8)
    form = CharField(max_length=8, default="physical")
    status = CharField(max_length=8, default="active")
    activation_code = TextField(null=True)  # eSIM LPA string

    class Meta:
        indexes = ((("subscription", "status"), False),)
