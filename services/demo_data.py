"""Deterministic demo data: the fixed contract of DESIGN.md "Demo data".

`create_demo_data()` fills an empty, migrated database with four customers:

- "Demo Koncern": Demo A/S (CVR 12345674) and its subsidiary Demo Service ApS
  (CVR 12345682), about 300 subscriptions with SIMs, add-ons, six months of
  usage, invoices, a credit note, orders, tickets, a phone system and porting
  requests; logins admin@demo.dk, begraenset@demo.dk and the employee
  mette.jensen@demo.dk (+4520000001).
- "Anden Kunde ApS" (CVR 31313139) with its own, smaller set and admin@anden.dk.
- "Tredje Firma A/S" (CVR 87654338) without any self-service user.
- "Fjerde Handel ApS" (CVR 25313763) whose only admin has left the company.

Plus the operator's catalogue, staff@operator.dk and two outages.

Every random choice comes from `random.Random` seeded per area, and dates are
relative to `today`, so the same day always gives the same data. Amounts are
integer øre excluding VAT. The content is Danish data, not UI text.
"""
import calendar
import contextlib
import datetime
import functools
import gc
import json
import os
import random
import re
from bisect import bisect
from itertools import accumulate
from operator import itemgetter

from peewee import BooleanField, DateField, DateTimeField, PostgresqlDatabase, chunked
from stdnum import ean, luhn
from stdnum.dk import cvr

from models import (
    Account,
    AddOn,
    Charge,
    Company,
    Customer,
    Invoice,
    InvoiceLine,
    Membership,
    MembershipAccount,
    Order,
    OrderStep,
    Plan,
    PlanChange,
    SimCard,
    Subscription,
    SubscriptionAddOn,
    TotpDevice,
    UsageRecord,
    User,
    db,
    utcnow,
)
from services import billing, credit_notes
from services.passwords import hash_password
from services.rights import FUNCTIONS

SEED = 4520
DEFAULT_SUBSCRIPTIONS = 300
DETAILED_SUBSCRIPTIONS = 300  # usage and invoices only for this many Demo subscriptions
SUBSCRIPTIONS_PER_EXTRA_ACCOUNT = 2000
USAGE_MONTHS = 6

DEMO_PASSWORD = "demo-password-1"  # nosec B105  # the demo login's documented password
DEMO_TOTP_SECRET = "ONSWY5TCMV2GUZLONFXGOLLEMVWW6LJR"  # nosec B105  # the demo login's documented TOTP secret
EMPLOYEE_NUMBER = "+4520000001"
# The fixed contract numbers; phonenumbers rejects 2000xxxx (third digit 0), the
# generated ones below are all valid.
RESERVED_NUMBERS = {EMPLOYEE_NUMBER, "+4520000010", "+4520000011", "+4520000012", "+4520000013"}

# -- names and places -------------------------------------------------------

FIRST_NAMES = (
    "Mette", "Søren", "Anne", "Lars", "Jens", "Hanne", "Peter", "Kirsten", "Michael", "Susanne",
    "Henrik", "Lone", "Thomas", "Camilla", "Rasmus", "Louise", "Mads", "Signe", "Jesper",
    "Birgitte", "Niels", "Marianne", "Christian", "Pia", "Anders", "Karen", "Martin", "Helle",
    "Frederik", "Ida", "Mikkel", "Freja", "Jonas", "Sofie", "Kasper", "Emma", "Bjørn", "Bodil",
    "Jørgen", "Åse", "Torben", "Ulla", "Maja", "Nanna", "Asger", "Troels", "Malene", "Sune",
    "Rikke", "Lærke", "Tove", "Steen", "Dorthe", "Øjvind", "Søs", "Ærling", "Gitte", "Morten",
)
# Disjoint last-name pools, so no person of one customer shows up at another.
LAST_NAMES_DEMO = (
    "Jensen", "Nielsen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen", "Sørensen",
    "Rasmussen", "Jørgensen", "Petersen", "Madsen", "Kristensen", "Olsen", "Thomsen",
    "Christiansen", "Poulsen", "Johansen", "Møller", "Mortensen", "Østergaard", "Ærø", "Knudsen",
    "Jakobsen", "Lund", "Holm", "Kjær", "Søndergaard", "Frederiksen", "Nørgaard", "Bækgaard",
    "Dahl", "Bøgh", "Lauridsen", "Skov", "Høj", "Brøndum", "Thygesen", "Schmidt", "Friis",
    "Vestergaard", "Mikkelsen", "Iversen", "Andreasen", "Bach",
)
LAST_NAMES_ANDEN = (
    "Eriksen", "Laursen", "Clausen", "Simonsen", "Svendsen", "Jepsen", "Henriksen", "Østergård",
    "Lindholm", "Vinther", "Kragh", "Nygaard", "Bisgaard", "Mølgaard", "Hjort",
)
LAST_NAMES_OTHER = (
    "Berg", "Winther", "Krogh", "Gregersen", "Toft", "Fischer", "Mathiasen", "Kirkegaard",
    "Graversen", "Dalsgaard", "Ravn", "Bruun", "Lykke", "Munk", "Holst", "Bønnelykke",
)

MOBILE_PREFIXES = ("20", "21", "22", "23", "24", "25", "26", "27", "28", "29", "30", "31",
                   "40", "41", "42", "50", "51", "52", "53", "60", "61", "71", "81", "91", "93")
LANDLINE_PREFIXES = ("32", "33", "35", "36", "38", "39", "43", "44", "45", "46", "48", "49",
                     "56", "57", "58", "62", "63", "64", "65", "66", "75", "76", "86", "87",
                     "89", "96", "97", "98", "99")

# -- the catalogue: (code, kind, name, monthly price in øre, data GB, active) --

PLANS = (
    ("MOB-TALE", "mobile", "Mobil Tale", 4900, 1, True),
    ("MOB-BASIS-10", "mobile", "Mobil Basis 10 GB", 9900, 10, True),
    ("MOB-PLUS-50", "mobile", "Mobil Plus 50 GB", 14900, 50, True),
    ("MOB-FRI-100", "mobile", "Mobil Fri 100 GB", 19900, 100, True),
    ("MOB-FRI-MAX", "mobile", "Mobil Fri Ubegrænset", 24900, None, True),
    ("MOB-DATA-200", "mobile", "Mobilt Datakort 200 GB", 12900, 200, True),
    ("MOB-KLASSISK-5", "mobile", "Mobil Klassisk 5 GB", 8900, 5, False),  # retired plan
    ("FAST-ERHVERV", "landline", "Fastnet Erhverv", 14900, None, True),
    ("FAST-OMSTILLING", "landline", "Fastnet Omstilling", 19900, None, True),
    ("FAST-IP-BRUGER", "landline", "IP-telefoni Bruger", 8900, None, True),
    ("NET-DSL-100", "internet", "Erhvervs-DSL 100/20 Mbit/s", 39900, None, True),
    ("NET-FIBER-500", "internet", "Erhvervsfiber 500/500 Mbit/s", 59900, None, True),
    ("NET-FIBER-1000", "internet", "Erhvervsfiber 1000/1000 Mbit/s", 79900, None, True),
    ("NET-5G", "internet", "Mobilt Bredbånd 5G", 29900, 500, True),
    ("KRB-100", "circuit", "Datakredsløb 100 Mbit/s", 249900, None, True),
    ("KRB-MPLS-200", "circuit", "MPLS-forbindelse 200 Mbit/s", 349900, None, True),
    ("KRB-1000", "circuit", "Datakredsløb 1 Gbit/s", 499900, None, True),
)
# Weights for the plans of each kind, in the order above.
PLAN_WEIGHTS = {
    "mobile": (4, 30, 30, 15, 10, 5, 6),
    "landline": (5, 2, 3),
    "internet": (2, 4, 2, 2),
    "circuit": (3, 1, 1),
}

ADDONS = (
    ("ADD-EU-DATA-10", "mobile", "EU-data 10 GB ekstra", 4900),
    ("ADD-VERDEN", "mobile", "Udlandspakke Verden", 9900),
    ("ADD-DATADELING", "mobile", "Datadelingskort", 2900),
    ("ADD-VOICEMAIL-MAIL", "mobile", "Telefonsvarer til e-mail", 1900),
    ("ADD-NUMMERVISNING", "landline", "Nummervisning", 1500),
    ("ADD-HEMMELIGT", "landline", "Hemmeligt nummer", 2500),
    ("ADD-FAST-IP", "internet", "Fast IP-adresse", 4900),
    ("ADD-4G-BACKUP", "internet", "4G-backup af forbindelsen", 9900),
    ("ADD-SLA-4T", "circuit", "SLA Premium, 4 timers fejlretning", 49900),
    ("ADD-OVERVAAGNING", "circuit", "Proaktiv overvågning", 19900),
)

# Roaming: countries in the EU/EEA roam like at home; the rest are charged.
ROAM_FREE = ("DE", "SE", "NO", "ES", "FR", "IT", "NL", "PL")
ROAM_CHARGED = ("US", "GB", "CH", "TR", "TH")
FOREIGN_DESTINATIONS = ("+46701234567", "+4915112345678", "+4791234567", "+442079460000",
                        "+34612345678", "+12025550143")


# -- small helpers ------------------------------------------------------------

def _rng(area):
    """One random stream per area, so one area's changes leave the others alone."""
    return random.Random(f"{SEED}-{area}")  # nosec B311  # reproducible demo data, not security


def _bulk_insert(model, fields, rows):
    """Insert plain tuples with SQLite's executemany or PostgreSQL's COPY. Peewee's insert_many
    builds its SQL value by value in Python, which took three quarters of the builder's time at
    1,000,000 subscriptions."""
    database = getattr(model._meta.database, "obj", model._meta.database)  # behind the proxy

    def quote(name):
        return database.quote[0] + name + database.quote[1]

    # The fields left out get their model default, as insert_many would give them.
    given = {field.name for field in fields}  # (peewee's Field == builds SQL: compare names)
    defaults = [f for f in model._meta.sorted_fields if f.name not in given and f.default is not None]
    default_values = tuple(f.default() if callable(f.default) else f.default for f in defaults)
    fields = list(fields) + defaults
    columns = ", ".join(quote(field.column_name) for field in fields)
    # Only dates, times and booleans need the field's conversion; ids, numbers and text
    # are passed as they are, which halves the Python time per row.
    # A few thousand distinct days for a million rows: each converted once (dict: value -> db value).
    convert = [(i, {}) for i, f in enumerate(fields) if isinstance(f, (DateField, DateTimeField, BooleanField))]

    def batches():
        for batch in chunked(rows, 5000):
            if default_values:
                batch = [row + default_values for row in map(tuple, batch)]
            if convert:
                batch = [list(row) for row in batch]
                for i, db_value in convert:
                    for row in batch:
                        value = row[i]
                        try:
                            row[i] = db_value[value]
                        except KeyError:
                            row[i] = db_value[value] = fields[i].db_value(value)
            yield batch

    cursor = database.cursor()
    if isinstance(database, PostgresqlDatabase):  # COPY streams the rows: no statement per row
        with cursor.copy(f"COPY {quote(model._meta.table_name)} ({columns}) FROM STDIN") as copy:  # nosec B608  # names from the models
            for batch in batches():
                for row in batch:
                    copy.write_row(row)
    else:
        placeholders = ", ".join([database.param] * len(fields))
        sql = f"INSERT INTO {quote(model._meta.table_name)} ({columns}) VALUES ({placeholders})"  # nosec B608  # names from the models; values are placeholders
        for batch in batches():
            cursor.executemany(sql, batch)
    return len(rows)


BULK_INDEX_ROWS = 50_000  # from this many rows, a table's indexes are built after its insert


def _database():
    return getattr(db, "obj", db)  # behind the proxy


@contextlib.contextmanager
def _indexes_built_after(model, rows):
    """For a large insert, drop the table's secondary indexes and create them again afterwards
    with the very statements that made them (the schema stays the migrations'): one sort per
    index instead of a random B-tree insert per row and index. Inside the builder's transaction,
    so a failure rolls the drop back too."""
    database, table = _database(), model._meta.table_name
    if rows < BULK_INDEX_ROWS:
        yield
        return
    if isinstance(database, PostgresqlDatabase):  # not the indexes behind constraints (the primary key)
        indexes = database.execute_sql(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = %s"
            " AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
            (table, table)).fetchall()
    else:  # sql is NULL for the automatic indexes of primary keys and UNIQUE constraints
        indexes = database.execute_sql("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?"
                                       " AND sql IS NOT NULL ORDER BY rowid", (table,)).fetchall()
    feeds, fts = _search_feeds(database, table)
    for name, _sql in indexes:
        database.execute_sql(f"DROP INDEX {database.quote[0]}{name}{database.quote[1]}")
    for name, _sql in feeds:
        database.execute_sql(f'DROP TRIGGER "{name}"')
    yield
    for _name, sql in indexes + feeds:
        database.execute_sql(sql)
    for name in fts:  # the full-text index of the whole table in one pass, as its triggers would have left it
        _fts_rebuild(database, name)


FTS_MERGE_DEFAULTS = (("automerge", 4), ("crisismerge", 16))  # FTS5's own defaults


def _fts_rebuild(database, name):
    """Fill an FTS5 table from its content table. FTS5 writes a segment per megabyte of terms and,
    by default, merges them level by level as it goes (at 1,000,000 subscriptions more work than
    the tokenizing); with merging off during the rebuild, one 'optimize' merges all segments in
    a single pass (about 15 % less CPU, and one segment for the searches). The settings are
    stored in the table: put back to the defaults, and their rows removed as if never set."""
    def command(*values):
        columns = f'"{name}"' + (", rank" if len(values) > 1 else "")
        marks = ", ".join("?" * len(values))
        database.execute_sql(f'INSERT INTO "{name}" ({columns}) VALUES ({marks})', values)  # nosec B608  # FTS table names from sqlite_master

    command("automerge", 0)
    command("crisismerge", 1_000_000)
    command("rebuild")
    command("optimize")
    for setting, value in FTS_MERGE_DEFAULTS:
        command(setting, value)  # this connection's copy of the settings
        database.execute_sql(f'DELETE FROM "{name}_config" WHERE k = ?', (setting,))  # nosec B608  # as above


def _search_feeds(database, table):
    """SQLite's FTS5 tables with `table` as their external content, and the triggers that feed them
    row by row (migration 0020): ([(trigger, sql)], [fts table])."""
    if isinstance(database, PostgresqlDatabase):
        return [], []
    virtual = database.execute_sql("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND sql LIKE "
                                   "'CREATE VIRTUAL TABLE%fts5%'").fetchall()
    fts = [name for name, sql in virtual if re.search(rf"content\s*=\s*['\"]?{table}['\"]?\s*[,)]", sql)]
    triggers = database.execute_sql("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? "
                                    "ORDER BY rowid", (table,)).fetchall()
    return [(name, sql) for name, sql in triggers if any(f in sql for f in fts)], fts


@contextlib.contextmanager
def _bulk_settings():
    """Settings for the build, put back afterwards. SQLite: the rollback journal in memory instead
    of the WAL (every page of a fresh database would go to the WAL first and be copied again at the
    checkpoint; the builder's one transaction can still roll back), no fsync, a page cache that
    holds the big indexes while they are built, sorting in memory with helper threads, and no
    foreign-key lookup per inserted row (the builder makes every parent before its children;
    SQLite ignores the switch inside a transaction). Both databases: no cyclic garbage collection,
    which would walk the million rows' dicts again and again while they are made."""
    database = _database()
    collecting = gc.isenabled()
    gc.disable()
    try:
        if isinstance(database, PostgresqlDatabase):
            yield
            return
        names = ("cache_size", "temp_store", "foreign_keys", "synchronous", "threads")
        saved = {name: _pragma(database, name) for name in names}
        journal = _pragma(database, "journal_mode")
        _pragma(database, "journal_mode", "MEMORY")  # stays as it was if another connection is open
        _pragma(database, "synchronous", "OFF")
        _pragma(database, "cache_size", -1000000)  # KiB: up to 1 GB, taken only as needed
        _pragma(database, "temp_store", "MEMORY")
        _pragma(database, "threads", min(8, os.cpu_count() or 1))  # CREATE INDEX sorts in parallel
        _pragma(database, "foreign_keys", "OFF")
        try:
            yield
        finally:
            for name, value in saved.items():
                _pragma(database, name, int(value))
            _pragma(database, "journal_mode", journal)
    finally:
        if collecting:
            gc.enable()


def _pragma(database, name, value=None):
    """Read or set a PRAGMA; the row some of them answer is read, so no statement stays open."""
    cursor = database.execute_sql(f"PRAGMA {name}" if value is None else f"PRAGMA {name} = {value}")
    row = cursor.fetchone()
    cursor.close()
    return row[0] if row else None


@functools.lru_cache(maxsize=None)
def _ascii(text):
    text = text.lower()
    for a, b in (("æ", "ae"), ("ø", "oe"), ("å", "aa"), ("é", "e"), (" ", "-")):
        text = text.replace(a, b)
    return text


@functools.lru_cache(maxsize=4096)
def _at(day, hour=9, minute=0):
    return datetime.datetime.combine(day, datetime.time(hour, minute))


def _month_start(day, months_back):
    year, month = day.year, day.month - months_back
    while month < 1:
        year, month = year - 1, month + 12
    return datetime.date(year, month, 1)


def _month_end(first):
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def _invoice_months(today):
    """The first days of the last USAGE_MONTHS months whose invoice (on the 3rd) is out."""
    back = 1 if today.day >= 3 else 2
    return [_month_start(today, back + i) for i in reversed(range(USAGE_MONTHS))]


class _Numbers:
    """Unique, valid Danish numbers and line ids across all demo customers."""

    def __init__(self, rng):
        self.rng = rng
        self.used = set(RESERVED_NUMBERS)

    def _unique(self, make):
        while True:
            number = make()
            if number not in self.used:
                self.used.add(number)
                return number

    def _danish(self, prefixes):
        # A third digit of 1-9 keeps every prefix valid for phonenumbers.
        # (choice, randint(1, 9) and randrange(100000), drawn as random.py draws them: see _below)
        below = _below(self.rng)
        return f"+45{prefixes[below(len(prefixes))]}{1 + below(9)}{below(100000):05d}"

    def mobile(self):
        return self._unique(lambda: self._danish(MOBILE_PREFIXES))

    def landline(self):
        return self._unique(lambda: self._danish(LANDLINE_PREFIXES))

    def line_id(self, kind):
        if kind == "internet":
            return self._unique(lambda: f"DSL-{self.rng.randrange(1000000, 10000000)}")
        return self._unique(lambda: f"KRB-{self.rng.randrange(100000, 1000000)}")

    def for_kind(self, kind):
        if kind == "mobile":
            return self.mobile()
        if kind == "landline":
            return self.landline()
        return self.line_id(kind)


class _Context:
    """What the areas share while the data is built."""

    def __init__(self, today, now):
        self.today = today
        self.now = now
        self.numbers = _Numbers(_rng("numbers"))
        self.iccid_seq = 100000000
        self.plans = {}  # code -> Plan
        self.plans_by_kind = {}  # kind -> [Plan] in PLANS order
        self.addons_by_kind = {}
        self.companies = {}  # key -> Company
        self.accounts = {}  # key -> [Account]
        self.subs = {}  # customer key -> [dict] in creation order, with "id"
        self.users = {}  # e-mail -> User
        self.counts = {}
        self.days = {}  # offset -> date, see day()

    def count(self, name, n):
        self.counts[name] = self.counts.get(name, 0) + n

    def day(self, offset):
        """today + offset days (a few thousand distinct days, for a million subscriptions)."""
        day = self.days.get(offset)
        if day is None:
            day = self.days[offset] = self.today + datetime.timedelta(days=offset)
        return day


# -- catalogue ----------------------------------------------------------------

def _create_catalogue(ctx):
    for code, kind, name, price, data_gb, active in PLANS:
        plan = Plan.create(code=code, kind=kind, name=name, monthly_price=price,
                           data_gb=data_gb, active=active)
        ctx.plans[code] = plan
        ctx.plans_by_kind.setdefault(kind, []).append(plan)
    for code, kind, name, price in ADDONS:
        addon = AddOn.create(code=code, kind=kind, name=name, monthly_price=price)
        ctx.addons_by_kind.setdefault(kind, []).append(addon)
    ctx.pick_plan = {kind: _weighted(plans, PLAN_WEIGHTS[kind]) for kind, plans in ctx.plans_by_kind.items()}
    ctx.count("plans", len(PLANS))
    ctx.count("addons", len(ADDONS))


# -- customers, companies, accounts ----------------------------------------------

def _gln(body9):
    """A Danish GLN/EAN location number: 579 + nine digits + check digit."""
    base = f"579{body9:09d}"
    return base + ean.calc_check_digit(base)


# company key -> (customer key, name, CVR, parent key, address, postal code, city)
COMPANIES = (
    ("demo", "demo", "Demo A/S", "12345674", None, "Vesterbrogade 149", "1620", "København V"),
    ("demo_service", "demo", "Demo Service ApS", "12345682", "demo", "Søndergade 12", "8000",
     "Aarhus C"),
    ("anden", "anden", "Anden Kunde ApS", "31313139", None, "Østergade 5", "5000", "Odense C"),
    ("tredje", "tredje", "Tredje Firma A/S", "87654338", None, "Algade 21", "9000", "Aalborg"),
    ("fjerde", "fjerde", "Fjerde Handel ApS", "25313763", None, "Jernbanegade 8", "6700",
     "Esbjerg"),
)
CUSTOMERS = {"demo": "Demo Koncern", "anden": "Anden Kunde ApS", "tredje": "Tredje Firma A/S",
             "fjerde": "Fjerde Handel ApS"}

# company key -> accounts: (number, name, format, invoice e-mails, reference, address or None)
ACCOUNTS = {
    "demo": (
        ("40120011", "Hovedkonto", "pdf_email", "faktura@demo.dk", "Økonomi", None),
        ("40120029", "Salg", "ean", "", "Salgsafdelingen, omk.sted 4100", None),
        ("40120037", "Lager", "portal", "", "Lagerchef", ("Industrivej 7", "2605", "Brøndby")),
    ),
    "demo_service": (
        ("40345012", "Hovedkonto", "pdf_email", "bogholderi@demo.dk,okonomi@demo.dk",
         "Bogholderiet", None),
        ("40345020", "Service og teknik", "pdf_email", "teknik@demo.dk", "Teknisk chef", None),
    ),
    "anden": (
        ("51230018", "Hovedkonto", "pdf_email", "faktura@anden.dk", "Regnskab", None),
        ("51230026", "Butikker", "portal", "", "Butikschef", ("Vestergade 40", "7100", "Vejle")),
    ),
    "tredje": (
        ("62340015", "Hovedkonto", "pdf_email", "kreditor@tredje.dk", "Kreditorafdelingen", None),
        ("62340023", "Produktion", "pdf_email", "produktion@tredje.dk", "Fabrikken", None),
    ),
    "fjerde": (
        ("73450012", "Hovedkonto", "pdf_email", "regnskab@fjerde.dk", "", None),
    ),
}
EXTRA_ACCOUNT_BASE = 49000000  # account numbers for the benchmark's extra accounts


def _create_companies(ctx, extra_accounts):
    customers = {key: Customer.create(name=name, created_at=_at(ctx.today - datetime.timedelta(
        days=900))) for key, name in CUSTOMERS.items()}
    ctx.customers = customers
    created = _at(ctx.today - datetime.timedelta(days=900))
    for key, cust, name, number, parent, address, postal, city in COMPANIES:
        if not cvr.is_valid(number):  # a typo in COMPANIES
            raise ValueError(f"invalid CVR {number}")
        ctx.companies[key] = Company.create(
            customer=customers[cust], parent=ctx.companies.get(parent), name=name, cvr=number,
            address=address, postal_code=postal, city=city, created_at=created)
    for key, rows in ACCOUNTS.items():
        company = ctx.companies[key]
        ctx.accounts[key] = []
        for number, name, fmt, emails, reference, place in rows:
            address, postal, city = place or (company.address, company.postal_code, company.city)
            ctx.accounts[key].append(Account.create(
                customer=company.customer, company=company, number=number, name=name,
                invoice_format=fmt, invoice_emails=emails,
                ean=_gln(1234567 + int(number) % 1000) if fmt == "ean" else None,
                address=address, postal_code=postal, city=city, reference=reference,
                created_at=created))
    # Benchmark accounts (one per SUBSCRIPTIONS_PER_EXTRA_ACCOUNT extra subscriptions).
    ctx.extra_accounts = []
    for i in range(extra_accounts):
        company = ctx.companies["demo" if i % 3 else "demo_service"]
        ctx.extra_accounts.append(Account.create(
            customer=company.customer, company=company, number=str(EXTRA_ACCOUNT_BASE + i + 1),
            name=f"Afdeling {i + 1:03d}", invoice_format="portal", address=company.address,
            postal_code=company.postal_code, city=company.city, created_at=created))
    ctx.count("customers", len(customers))
    ctx.count("companies", len(COMPANIES))
    ctx.count("accounts", sum(len(v) for v in ctx.accounts.values()) + extra_accounts)


# -- subscriptions, SIM cards, add-ons ----------------------------------------

KIND_WEIGHTS = (("mobile", 75), ("landline", 10), ("internet", 10), ("circuit", 5))
STATUS_WEIGHTS = (("active", 84), ("pending", 4), ("blocked", 4), ("cancelled", 5),
                  ("transferred", 3))


class _People:
    """Danish names with unique, ascii e-mail addresses per customer."""

    def __init__(self, rng, last_names, domain, taken=()):
        self.rng, self.last_names, self.domain = rng, last_names, domain
        self.seen = {}
        for email in taken:
            self.seen[email.split("@")[0]] = 1

    def person(self, exclude=()):
        below, last_names = _below(self.rng), self.last_names
        while True:
            first, last = FIRST_NAMES[below(len(FIRST_NAMES))], last_names[below(len(last_names))]
            if (first, last) not in exclude:
                break
        base = f"{_ascii(first)}.{_ascii(last)}"
        n = self.seen[base] = self.seen.get(base, 0) + 1
        return f"{first} {last}", f"{base}{n if n > 1 else ''}@{self.domain}"


def _below(rng):
    """`rng`'s `_randbelow`: `choice(s)` is `s[_randbelow(len(s))]`, `randint(a, b)` is
    `a + _randbelow(b - a + 1)` and `randrange(a, b)` is `a + _randbelow(b - a)` in random.py, so
    calling it directly draws the very same numbers without three layers of argument checks
    (a million subscriptions draw some fifteen million times)."""
    return rng._randbelow


def _weighted(population, weights):
    """`pick(rng)` that gives what `rng.choices(population, weights)[0]` gives, from the same
    random number (the algorithm of `random.choices`), with the running totals summed once
    instead of on every call: a million subscriptions draw four times each."""
    population, cum_weights = tuple(population), list(accumulate(weights))
    total, last = cum_weights[-1] + 0.0, len(population) - 1

    def pick(rng):
        return population[bisect(cum_weights, rng.random() * total, 0, last)]
    return pick


_pick_status = _weighted(*zip(*STATUS_WEIGHTS))
_pick_kind = _weighted(*zip(*KIND_WEIGHTS))


def _new_subscription(ctx, rng, customer_key, account, kind, name, email, number=None,
                      plan=None, status=None):
    """A subscription as a plain dict (inserted in bulk later)."""
    today, below = ctx.today, _below(rng)
    status = status or _pick_status(rng)
    if plan is None:
        plan = ctx.pick_plan[kind](rng)
    number = number or ctx.numbers.for_kind(kind)
    start = ctx.day(-(220 + below(1281)))  # randint(220, 1500)
    end = None
    if status == "pending":
        start = ctx.day(1 + below(14))  # randint(1, 14)
    elif status in ("cancelled", "transferred"):
        end = ctx.day(-(5 + below(116)))  # randint(5, 120)
    return {
        "customer": ctx.customers[customer_key].id, "company": account.company_id,
        "account": account.id, "kind": kind, "number": number, "holder_name": name,
        "holder_email": email, "search_key": _search_key(name, number, email),
        "plan": plan.id, "plan_obj": plan, "status": status,
        "invoice_note": INVOICE_NOTES[below(len(INVOICE_NOTES))],
        "start_date": start, "end_date": end, "created_at": _at(min(start, today)),
    }


INVOICE_NOTES = ("", "", "", "", "Projekt 2231", "Afd. 12", "Kantinen")
_PLAIN_NUMBER = re.compile(r"(\+45|DSL-|KRB-)([0-9]+)")


def _search_key(name, number, email):
    """Subscription.make_search_key, without its digit-by-digit scan for the numbers the builder makes."""
    plain = _PLAIN_NUMBER.fullmatch(number)
    if plain is None:
        return Subscription.make_search_key(name, number, email)
    prefix, rest = plain.groups()
    digits, local = (number[1:], rest) if prefix == "+45" else (rest, rest)
    return " ".join((name.lower(), local, digits, email.lower()))


def _generate_subscriptions(ctx, customer_key, accounts, count, people, rng, first=None):
    """`count` subscriptions spread over `accounts` (list of (account, weight))."""
    rows = [first] if first else []
    pick_account = _weighted(*zip(*accounts))
    exclude = {("Mette", "Jensen")}
    for _ in range(count - len(rows)):
        account = pick_account(rng)
        kind = _pick_kind(rng)
        name, email = people.person(exclude=exclude)
        rows.append(_new_subscription(ctx, rng, customer_key, account, kind, name, email))
    return rows


def _insert_subscriptions(ctx, customer_key, rows):
    fields = [Subscription.customer, Subscription.company, Subscription.account,
              Subscription.kind, Subscription.number, Subscription.holder_name,
              Subscription.holder_email, Subscription.search_key, Subscription.plan,
              Subscription.status, Subscription.invoice_note, Subscription.start_date,
              Subscription.end_date, Subscription.created_at]
    values = itemgetter(*(f.name for f in fields))
    with _indexes_built_after(Subscription, len(rows)):
        _bulk_insert(Subscription, fields, [values(r) for r in rows])
    # Read the ids back by number (unique per customer), whatever the database.
    query = (Subscription.select(Subscription.number, Subscription.id)
             .where(Subscription.customer == ctx.customers[customer_key]))
    ids = dict(db.execute(query).fetchall())
    for row in rows:
        row["id"] = ids[row["number"]]
    ctx.subs.setdefault(customer_key, []).extend(rows)
    ctx.count("subscriptions", len(rows))


@functools.lru_cache(maxsize=4096)
def _luhn_sum(digits):
    return luhn.checksum(digits)


def _next_iccid(ctx, rng):
    """19 digits: 89 (telecom) 45 (Denmark) issuer 01, a serial and a Luhn digit.

    The Luhn sum is python-stdnum's, of the body with the check position appended, taken in two
    parts that each repeat often: the leading digits (followed by zeros, which add nothing) and the
    last three. Luhn weights each digit by its place from the right, so the two sums add up to the
    whole one; a million ICCIDs cost a thousand or so checksums instead of a million."""
    ctx.iccid_seq += 1 + rng._randbelow(9)  # randint(1, 9), see _below
    body = f"894501{ctx.iccid_seq:012d}"
    total = _luhn_sum(body[:-3] + "0000") + _luhn_sum(body[-3:] + "0")
    return body + str(-total % 10)


def _create_sims_and_addons(ctx, rows, rng, with_addons=True):
    sims, addons = [], []
    below, random_, latest = _below(rng), rng.random, _at(ctx.today)
    for row in rows:
        created = row["created_at"]
        if row["kind"] == "mobile":
            if random_() < 0.15:  # replaced once: the old card stays on record
                sims.append((row["id"], _next_iccid(ctx, rng), f"{below(10000):04d}",
                             f"{below(10 ** 8):08d}", "physical", "old", None, created))
                created = created + datetime.timedelta(days=30 + below(171))  # randint(30, 200)
            esim = random_() < 0.10
            code = f"LPA:1$smdp.operator.dk${rng.getrandbits(128):032X}" if esim else None
            sims.append((row["id"], _next_iccid(ctx, rng), f"{below(10000):04d}",
                         f"{below(10 ** 8):08d}", "esim" if esim else "physical",
                         "active", code, min(created, latest)))
        row["addons"] = []
        if with_addons and rng.random() < 0.25:
            choices = ctx.addons_by_kind[row["kind"]]
            for addon in rng.sample(choices, rng.choice((1, 1, 1, 2))):
                row["addons"].append(addon)
                addons.append((row["id"], addon.id, row["start_date"]))
    with _indexes_built_after(SimCard, len(sims)):
        _bulk_insert(SimCard, [SimCard.subscription, SimCard.iccid, SimCard.pin, SimCard.puk,
                               SimCard.form, SimCard.status, SimCard.activation_code,
                               SimCard.created_at], sims)
    _bulk_insert(SubscriptionAddOn, [SubscriptionAddOn.subscription, SubscriptionAddOn.addon,
                                     SubscriptionAddOn.start_date], addons)
    ctx.count("sim_cards", len(sims))
    ctx.count("subscription_addons", len(addons))


def _create_subscriptions(ctx, demo_count):
    rng = _rng("subscriptions")
    demo_accounts = ctx.accounts["demo"] + ctx.accounts["demo_service"]
    # The employee who logs in to /me: first subscription, first Demo A/S account.
    people = _People(rng, LAST_NAMES_DEMO, "demo.dk", taken=["mette.jensen@demo.dk"])
    mette = _new_subscription(ctx, rng, "demo", demo_accounts[0], "mobile", "Mette Jensen",
                              "mette.jensen@demo.dk", number=EMPLOYEE_NUMBER,
                              plan=ctx.plans["MOB-PLUS-50"], status="active")
    detailed = min(demo_count, DETAILED_SUBSCRIPTIONS)
    rows = _generate_subscriptions(ctx, "demo", list(zip(demo_accounts, (35, 20, 15, 20, 10))),
                                   detailed, people, rng, first=mette)
    # Benchmark bulk: the rest goes to the extra accounts, in account-sized runs.
    bulk_rng = _rng("subscriptions-bulk")
    people.rng = bulk_rng  # keep the first 300 the same whatever N is
    for i, account in enumerate(ctx.extra_accounts):
        size = min(SUBSCRIPTIONS_PER_EXTRA_ACCOUNT, demo_count - len(rows))
        rows += _generate_subscriptions(ctx, "demo", [(account, 1)], size, people, bulk_rng)
    _insert_subscriptions(ctx, "demo", rows)
    _create_sims_and_addons(ctx, rows[:detailed], rng)
    _create_sims_and_addons(ctx, rows[detailed:], bulk_rng, with_addons=False)

    for key, last_names, domain, count, weights in (
            ("anden", LAST_NAMES_ANDEN, "anden.dk", 40, (60, 40)),
            ("tredje", LAST_NAMES_OTHER, "tredje.dk", 20, (70, 30)),
            ("fjerde", LAST_NAMES_OTHER, "fjerde.dk", 10, (1,))):
        other_rng = _rng(f"subscriptions-{key}")
        people = _People(other_rng, last_names, domain)
        rows = _generate_subscriptions(ctx, key, list(zip(ctx.accounts[key], weights)), count,
                                       people, other_rng)
        _insert_subscriptions(ctx, key, rows)
        _create_sims_and_addons(ctx, rows, other_rng)


# -- usage ----------------------------------------------------------------------

def _usage_for_month(rng, sub_id, first, last_moment, contacts, numbers):
    """20-60 calls, SMS and data sessions in one month, some of them abroad."""
    days = calendar.monthrange(first.year, first.month)[1]
    trip = None
    if rng.random() < 0.15:  # a trip abroad this month
        country = rng.choice(ROAM_FREE + ROAM_FREE + ROAM_CHARGED)
        start = rng.randint(1, days)
        trip = (country, start, min(days, start + rng.randint(2, 7)))
    records = []
    for _ in range(rng.randint(20, 60)):
        day = rng.randint(1, days)
        moment = datetime.datetime(first.year, first.month, day, rng.choice(
            (7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21)), rng.randrange(60),
            rng.randrange(60))
        country = trip[0] if trip and trip[1] <= day <= trip[2] else "DK"
        charged = country in ROAM_CHARGED
        kind = rng.choices(("call", "sms", "data"), weights=(45, 25, 30))[0]
        destination, duration, volume, price = "", 0, 0, 0
        if kind == "data":
            volume = int(rng.lognormvariate(9.5, 1.6)) + 1  # KB; median ~13 MB
            if charged:
                volume = min(volume, 50000)
                price = -(-volume // 1024) * 200  # 2 kr. per started MB
        else:
            foreign = rng.random() < 0.05
            destination = (rng.choice(FOREIGN_DESTINATIONS) if foreign else
                           rng.choice(contacts) if rng.random() < 0.7 else numbers())
            if kind == "call":
                duration = int(rng.expovariate(1 / 150)) + 5
                minutes = -(-duration // 60)
                if charged:
                    price = minutes * 1200
                elif foreign and country == "DK":
                    price = minutes * 149
            elif charged:
                price = 300
            elif foreign and country == "DK":
                price = 50
        if moment <= last_moment:  # drawn either way, so the time of the build changes nothing else
            records.append((sub_id, moment, kind, destination, country, duration, volume, price))
    return records


def _create_usage(ctx, rows, key):
    """Usage from the first invoiced month until now for the mobile subscriptions."""
    rng = _rng(f"usage-{key}")
    months = _invoice_months(ctx.today)
    while months[-1] < _month_start(ctx.today, 0):  # and the months not invoiced yet
        months.append(_month_start(months[-1] + datetime.timedelta(days=32), 0))
    colleagues = [r["number"] for r in rows if r["kind"] in ("mobile", "landline")]
    fields = [UsageRecord.subscription, UsageRecord.occurred_at, UsageRecord.kind,
              UsageRecord.destination, UsageRecord.country, UsageRecord.duration_s,
              UsageRecord.volume_kb, UsageRecord.price]
    total = 0
    for row in rows:
        if row["kind"] != "mobile" or row["status"] == "pending":
            continue
        contacts = rng.sample(colleagues, min(5, len(colleagues))) + [ctx.numbers.mobile()]
        start = _at(row["start_date"], 0)
        end = min(ctx.now, _at(row["end_date"], 0) if row["end_date"] else ctx.now)
        records = []
        for first in months:
            records += [r for r in _usage_for_month(rng, row["id"], first, end, contacts,
                                                    ctx.numbers.mobile) if r[1] >= start]
        records.sort(key=lambda r: r[1])
        total += _bulk_insert(UsageRecord, fields, records)
        row["usage"] = {}
        for record in records:
            month = record[1].date().replace(day=1)
            row["usage"][month] = row["usage"].get(month, 0) + record[7]
    ctx.count("usage_records", total)


# -- billing ----------------------------------------------------------------------

def _history(ctx, rows):
    """What changed in the invoiced months, so the billing run has something to explain:
    subscriptions started mid-month, plan changes, SIM changes and a port-in with their fees."""
    rng = _rng("history")
    months = _invoice_months(ctx.today)
    window_start, window_end = months[1], months[-1] + datetime.timedelta(days=20)
    changes, charges = [], []
    for i, row in enumerate(rows[1:], start=1):  # not the /me employee
        if row["status"] != "active":
            continue
        if i % 23 == 7:  # a newcomer
            row["start_date"] = window_start + datetime.timedelta(days=rng.randint(0, (window_end - window_start).days))
            Subscription.update(start_date=row["start_date"]).where(Subscription.id == row["id"]).execute()
            if i % 2:  # brought its number from another operator
                charges.append((row["customer"], row["account"], row["id"], "fee_porting", row["start_date"]))
        elif i % 19 == 3 and len(ctx.plans_by_kind[row["kind"]]) > 1:
            before = rng.choice([p for p in ctx.plans_by_kind[row["kind"]] if p.id != row["plan"]])
            month = rng.choice(months[-3:])
            changes.append((row["id"], before.id, row["plan"], month.replace(day=rng.randint(5, 25)),
                            _at(month, 10)))
        elif i % 29 == 11 and row["kind"] == "mobile":
            day = window_start + datetime.timedelta(days=rng.randint(0, (window_end - window_start).days))
            charges.append((row["customer"], row["account"], row["id"], "fee_sim_change", day))
    _bulk_insert(PlanChange, [PlanChange.subscription, PlanChange.from_plan, PlanChange.to_plan,
                              PlanChange.effective_on, PlanChange.created_at], changes)
    for customer, account, sub, kind, day in charges:
        amount, rate = billing.FEES[kind]
        Charge.create(customer=customer, account=account, subscription=sub, kind=kind, amount=amount,
                      vat_rate=rate, occurred_on=day, created_at=_at(day))
    ctx.count("plan_changes", len(changes))
    ctx.count("charges", len(charges))


REMINDED_AFTER = datetime.timedelta(days=7)
CREDIT_REASON = "Kulance: månedens abonnement krediteres efter aftale med kunden"


def _remind(ctx, account, month):
    """The reminder fee for the account's invoice of `month`, a week after its due date."""
    invoice = Invoice.get(Invoice.account == account.id, Invoice.period_start == month)
    day = invoice.due_on + REMINDED_AFTER
    Charge.create(customer=account.customer_id, account=account, kind="fee_reminder",
                  amount=billing.FEES["fee_reminder"][0], vat_rate=0, occurred_on=day, created_at=_at(day))
    ctx.count("charges", 1)


def _create_billing(ctx):
    """Six months of invoices for the Demo companies and two for Anden Kunde ApS, made by the
    billing run; the older ones paid, one overdue whose reminder fee is on the newest invoice,
    and a credit note."""
    months = _invoice_months(ctx.today)
    demo_accounts = ctx.accounts["demo"] + ctx.accounts["demo_service"]
    overdue_account = ctx.accounts["demo_service"][0]
    overdue_month = months[-3]  # still unpaid, reminded after its due date: the fee is on a later invoice
    created = []
    for first in months:
        if first == months[-1]:
            _remind(ctx, overdue_account, overdue_month)
        accounts = [a.id for a in demo_accounts]
        if first in months[-2:]:
            accounts += [a.id for a in ctx.accounts["anden"]]
        created += billing.run(first, issued_on=_month_end(first) + datetime.timedelta(days=3),
                               account_ids=accounts).created
    paid = Invoice.period_start < months[-1]
    Invoice.update(status="paid").where(paid, ~((Invoice.account == overdue_account.id)
                                               & (Invoice.period_start == overdue_month))).execute()
    ctx.count("invoices", len(created))
    ctx.count("invoice_lines", InvoiceLine.select().count())
    # One credit note: the main account's plan fee of one (active) subscription, credited as goodwill;
    # the reason says no more than the data shows.
    invoice = Invoice.get(Invoice.account == demo_accounts[0].id, Invoice.period_start == months[-3])
    line = invoice.lines.where(InvoiceLine.kind == "plan").order_by(InvoiceLine.id).first()
    credit_notes.credit(ctx.users["staff@operator.dk"], invoice.id, CREDIT_REASON,
                        line_ids=[line.id], today=invoice.issued_on + datetime.timedelta(days=9))
    ctx.count("credit_notes", 1)


# -- users and rights -------------------------------------------------------------

def _create_users(ctx):
    password_hash = hash_password(DEMO_PASSWORD)  # argon2 is slow: hash once, reuse
    all_functions = " ".join(FUNCTIONS)
    limited = " ".join(f for f in FUNCTIONS if f not in ("sim", "users"))
    created = _at(ctx.today - datetime.timedelta(days=400))

    def user(email, name, mobile, kind="customer", totp=True, **extra):
        u = User.create(email=email, name=name, mobile=mobile, kind=kind, locale=None,
                        password_hash=extra.pop("password_hash", password_hash),
                        created_at=created, **extra)
        if totp:
            TotpDevice.create(user=u, name="Authenticator", secret=DEMO_TOTP_SECRET,
                              confirmed=True, created_at=created)
            ctx.count("totp_devices", 1)
        ctx.users[email] = u
        return u

    def member(u, company_key, is_admin, full_access, functions):
        ctx.count("memberships", 1)
        return Membership.create(user=u, company=ctx.companies[company_key], is_admin=is_admin,
                                 full_access=full_access, functions=functions,
                                 created_at=created)

    admin = user("admin@demo.dk", "Anne Admin", "+4520000010")
    member(admin, "demo", True, True, all_functions)
    member(admin, "demo_service", True, True, all_functions)
    limited_user = user("begraenset@demo.dk", "Bent Begrænset", "+4520000011")
    membership = member(limited_user, "demo", False, False, limited)
    MembershipAccount.create(membership=membership, account=ctx.accounts["demo"][0])
    member(user("admin@anden.dk", "Ane Andersen", "+4520000012"), "anden", True, True,
           all_functions)
    user("staff@operator.dk", "Sofie Support", "+4520000013", kind="staff")
    mette = next(r for r in ctx.subs["demo"] if r["number"] == EMPLOYEE_NUMBER)
    user("mette.jensen@demo.dk", "Mette Jensen", EMPLOYEE_NUMBER, kind="employee", totp=False,
         password_hash=None, subscription=mette["id"])
    fjerde_mobile = next(r["number"] for r in ctx.subs["fjerde"] if r["kind"] == "mobile")
    member(user("tidligere.admin@fjerde.dk", "Jens Tidligere", fjerde_mobile, totp=False),
           "fjerde", True, True, all_functions)
    ctx.count("users", len(ctx.users))


# -- orders -----------------------------------------------------------------------

ORDER_PLAN = (
    # (kind, status, company key, subscription status to pick or None)
    ("new_subscription", "received", "demo", "pending"),
    ("new_subscription", "in_progress", "demo_service", "pending"),
    ("new_subscription", "completed", "demo", "active"),
    ("takeover", "completed", "demo", "active"),
    ("takeover", "failed", "demo", None),
    ("sim_change", "completed", "demo", "active"),
    ("sim_change", "in_progress", "demo", "active"),
    ("sim_change", "failed", "demo_service", "active"),
    ("plan_change", "completed", "demo", "active"),
    ("plan_change", "received", "demo_service", "active"),
    ("cancel", "completed", "demo", "cancelled"),
    ("cancel", "received", "demo", "active"),
    ("transfer", "completed", "demo", "transferred"),
    ("addon", "completed", "demo", "active"),
    ("addon", "failed", "demo", "active"),
    ("block", "completed", "demo", "blocked"),
    ("unblock", "completed", "demo_service", "active"),
    ("port_in", "in_progress", "demo", "pending"),  # a port-in's line waits, pending, for the port
    ("port_in", "completed", "demo", "active"),
    ("account_change", "completed", "demo_service", "active"),
    ("account_change", "received", "demo", "active"),
)
FAILURES = {  # reason codes, as the network answers (labels: "order_failure")
    "takeover": "donor_rejected",
    "sim_change": "sim_not_activated",
    "addon": "addon_incompatible",
}


def _order_steps(order, created, done):
    """The steps an order of that status has been through."""
    steps = [("received", created, "")]
    if order.status != "received":
        steps.append(("in_progress", created + (done - created) / 10, ""))
    if order.status in ("completed", "failed"):
        steps.append((order.status, done, order.failure_reason))
    for step, at, note in steps:
        OrderStep.create(order=order.id, step=step, created_at=at, note=note)


NEW_KINDS = ("new_subscription", "takeover", "port_in")
ENDING_KINDS = ("cancel", "transfer")
BOOKED_AHEAD = datetime.timedelta(days=14)  # a cancellation or transfer is ordered this long before its date


def _order_times(ctx, rng, i, kind, status, row):
    """(received, done). A completed order for a subscription that started or ended is dated
    by that day: a new line is ordered a few days before it starts, an ending booked ahead."""
    created = ctx.now - datetime.timedelta(days=len(ORDER_PLAN) - i, hours=rng.randint(0, 8))
    done = created + datetime.timedelta(minutes=rng.randint(2, 600))
    if status == "completed" and row and kind in NEW_KINDS:
        done = _at(row["start_date"], 10)
        created = done - datetime.timedelta(days=3, hours=rng.randint(0, 8))
    elif status == "completed" and row and kind in ENDING_KINDS and row["end_date"]:
        created = min(created, _at(row["end_date"] - BOOKED_AHEAD, 10))
        done = created + datetime.timedelta(minutes=rng.randint(2, 600))
    return created, done


def _next_month(day):
    return _month_end(day.replace(day=1)) + datetime.timedelta(days=1)


def _other_account(ctx, row):
    """Another account of the subscription's own company."""
    return next(a for a in ctx.accounts_by_company[row["company"]] if a.id != row["account"])


def _holder_details(ctx, rng, kind, row):
    """What a new line's order keeps of its holder and account (services/subscription_create.py)."""
    if row is None:  # a failed takeover: its number never became a subscription
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES_DEMO)
        name, email, account = f"{first} {last}", f"{_ascii(first)}.{_ascii(last)}@demo.dk", ctx.accounts["demo"][0]
        line_kind, plan = "mobile", "MOB-BASIS-10"
    else:
        name, email, account = row["holder_name"], row["holder_email"], ctx.account_by_id[row["account"]]
        line_kind, plan = row["kind"], row["plan_obj"].code
    details = {"kind": line_kind, "plan": plan, "number": row["number"] if row else ctx.numbers.mobile(),
               "holder_name": name, "holder_email": email, "account": account.number}
    if line_kind == "mobile":
        details["sim_form"] = "esim" if rng.random() < 0.3 else "physical"
        if details["sim_form"] == "physical":
            details["delivery_address"] = f"{account.address}, {account.postal_code} {account.city}"
    elif line_kind in ("internet", "circuit"):
        details["address"] = f"{account.address}, {account.postal_code} {account.city}"
    company = Company.get_by_id(account.company_id)
    if kind == "takeover":
        details.update(owner_type="company", owner_name=company.name, owner_cvr=company.cvr, consent=True)
    elif kind == "port_in":
        details.update(donor_operator=rng.choice(("telia", "telenor", "3")), owner_name=company.name,
                       owner_cvr=company.cvr, consent=True, consent_signer="Anne Admin",
                       date=row["start_date"].isoformat())
    return details


def _order_details(ctx, rng, kind, status, row, created):
    """Every value a real order of the kind keeps (services/subscription_changes.py), dated from
    the day it was received; an open order's date lies ahead."""
    if kind in NEW_KINDS:
        return _holder_details(ctx, rng, kind, row)
    done = status == "completed"
    details = {"number": row["number"]}
    if kind == "sim_change":
        how = "in_hand" if done else rng.choice(("physical", "esim"))
        details.update(sim_form="esim" if how == "esim" else "physical", how=how,
                       reason=rng.choice(("lost", "damaged", "esim")) if how == "esim" else "lost")
        if how == "in_hand":
            details["iccid"] = _next_iccid(ctx, rng)
        elif how == "physical":
            details["delivery_address"] = "Vesterbrogade 1, 1620 København V"
    elif kind == "plan_change":
        plan = row["plan_obj"]
        to_plan = rng.choice([p for p in ctx.plans_by_kind[row["kind"]] if p.active and p.id != plan.id])
        details.update(from_plan=plan.code, to_plan=to_plan.code,
                       from_date=(created.date() if done else _next_month(ctx.today)).isoformat(),
                       price_difference=to_plan.monthly_price - plan.monthly_price)
    elif kind == "cancel":
        end = row["end_date"] if done else created.date() + datetime.timedelta(days=30)
        details.update(end_date=end.isoformat(), reason=rng.choice(("employee_left", "not_needed")))
    elif kind == "transfer":
        details.update(new_holder_name=row["holder_name"], new_holder_email=row["holder_email"],
                       end_date=row["end_date"].isoformat())
    elif kind == "addon":
        addon = AddOn.get(AddOn.code == "ADD-VERDEN")
        details.update(addon=addon.code, monthly_price=addon.monthly_price)
    elif kind == "block":
        details.update(parts=["all"], reason=rng.choice(("lost", "stolen")))
    elif kind == "unblock":
        details["parts"] = ["abroad"]
    elif kind == "account_change":  # completed: the subscription is on the new account already
        current, other = ctx.account_by_id[row["account"]], _other_account(ctx, row)
        old, new = (other, current) if done else (current, other)
        details.update(from_account=old.number, to_account=new.number, to_account_id=new.id)
    return details


def _new_sim(ctx, rng, row, form, iccid, at):
    """A completed SIM change: the new card is active, the old one kept on record, the fee charged."""
    SimCard.update(status="old").where(SimCard.subscription == row["id"], SimCard.status == "active").execute()
    code = f"LPA:1$smdp.operator.dk${rng.getrandbits(128):032X}" if form == "esim" else None
    SimCard.create(subscription=row["id"], iccid=iccid or _next_iccid(ctx, rng), pin=f"{rng.randrange(10000):04d}",
                   puk=f"{rng.randrange(10 ** 8):08d}", form=form, status="active", activation_code=code,
                   created_at=at)
    amount, rate = billing.FEES["fee_sim_change"]
    Charge.create(customer=row["customer"], account=row["account"], subscription=row["id"], kind="fee_sim_change",
                  amount=amount, vat_rate=rate, occurred_on=at.date(), created_at=at)
    ctx.count("sim_cards", 1)
    ctx.count("charges", 1)


def _apply_order(ctx, rng, kind, row, details, done):
    """What the completed order changed (services/orders.py APPLY), so the data shows it. The new
    lines, endings and account moves were built that way already."""
    if kind == "sim_change":
        _new_sim(ctx, rng, row, details["sim_form"], details.get("iccid"), done)
    elif kind == "plan_change":
        plan = ctx.plans[details["to_plan"]]
        billing.record_plan_change(row["id"], row["plan"], plan.id,
                                   on=datetime.date.fromisoformat(details["from_date"]))
        Subscription.update(plan=plan.id).where(Subscription.id == row["id"]).execute()
        row["plan"], row["plan_obj"] = plan.id, plan
        ctx.count("plan_changes", 1)
    elif kind == "addon":
        addon = AddOn.get(AddOn.code == details["addon"])
        SubscriptionAddOn.create(subscription=row["id"], addon=addon.id, start_date=done.date())
        row["addons"].append(addon)
        ctx.count("subscription_addons", 1)
    elif kind == "block":
        Subscription.update(blocked_parts=",".join(details["parts"])).where(Subscription.id == row["id"]).execute()


def _candidates(rows, kind, status, sub_status, used):
    """The subscriptions an order of the kind can be about, best first (after the company)."""
    def fits(r):
        if r["status"] != sub_status or r["id"] in used or r["number"] == EMPLOYEE_NUMBER:
            return False
        if kind in ("sim_change", "addon", "plan_change"):
            return r["kind"] == "mobile" and not (kind == "addon" and any(
                a.code == "ADD-VERDEN" for a in r.get("addons", ())))
        if kind in ("takeover", "port_in"):
            return r["kind"] in ("mobile", "landline")
        if kind in ENDING_KINDS and status == "completed":
            return r["end_date"] is not None
        return True
    found = [r for r in rows if fits(r)]
    if status == "completed" and kind in NEW_KINDS:  # the newest lines: ordered lately
        found.sort(key=lambda r: r["start_date"], reverse=True)
    return found


def _create_orders(ctx):
    rng = _rng("orders")
    admin = ctx.users["admin@demo.dk"]
    detailed = ctx.subs["demo"][:DETAILED_SUBSCRIPTIONS]
    ctx.account_by_id = {a.id: a for accounts in ctx.accounts.values() for a in accounts}
    ctx.accounts_by_company = {}
    for account in ctx.account_by_id.values():
        ctx.accounts_by_company.setdefault(account.company_id, []).append(account)
    used = set()
    count = 0
    for i, (kind, status, company_key, sub_status) in enumerate(ORDER_PLAN):
        company = ctx.companies[company_key]
        row = None
        if sub_status:
            candidates = _candidates(detailed, kind, status, sub_status, used)
            # Prefer the planned company; fall back to the other Demo company.
            candidates.sort(key=lambda r: r["company"] != company.id)
            row = candidates[0] if candidates else None
            if row:
                used.add(row["id"])
                company = Company.get_by_id(row["company"])
            elif kind not in ("takeover", "port_in") or status not in ("completed", "failed"):
                continue  # a tiny demo (--subscriptions 5) may lack such a subscription; an open order needs one
        created, done = _order_times(ctx, rng, i, kind, status, row)
        details = _order_details(ctx, rng, kind, status, row, created)
        order = Order.create(
            customer=company.customer_id, company=company,
            account=row["account"] if row else ctx.accounts[company_key][0],
            subscription=row["id"] if row else None, kind=kind, status=status,
            details=json.dumps(details, ensure_ascii=False),
            requested_by=admin, created_at=created,
            updated_at=done if status in ("completed", "failed") else created,
            completed_at=done if status in ("completed", "failed") else None,
            applied_at=done if status == "completed" else None,
            failure_reason=FAILURES.get(kind, "") if status == "failed" else "")
        if status == "completed":
            _apply_order(ctx, rng, kind, row, details, done)
        _order_steps(order, created, done)
        count += 1
    # Anden Kunde ApS: one completed SIM change, a card in hand.
    row = next(r for r in ctx.subs["anden"] if r["kind"] == "mobile")
    created = ctx.now - datetime.timedelta(days=3)
    done = created + datetime.timedelta(hours=1)
    details = {"number": row["number"], "sim_form": "physical", "how": "in_hand", "reason": "lost",
               "iccid": _next_iccid(ctx, rng)}
    order = Order.create(customer=ctx.customers["anden"], company=ctx.companies["anden"],
                         account=row["account"], subscription=row["id"], kind="sim_change",
                         status="completed", details=json.dumps(details),
                         requested_by=ctx.users["admin@anden.dk"], created_at=created,
                         updated_at=done, completed_at=done, applied_at=done)
    _new_sim(ctx, rng, row, "physical", details["iccid"], done)
    _order_steps(order, created, done)
    ctx.count("orders", count + 1)


# -- entry point ----------------------------------------------------------------------

def create_demo_data(subscriptions=None, today=None):
    """Fill an empty database with the demo contract; returns counts per kind of row.

    `subscriptions` sets how many subscriptions Demo Koncern gets (default 300);
    beyond 300 they go to extra accounts with SIMs but without usage or invoices.
    """
    from . import demo_call_flow, demo_numbers, demo_products, demo_support

    if Customer.select().exists():
        return {"skipped": True}
    demo_count = DEFAULT_SUBSCRIPTIONS if subscriptions is None else max(1, int(subscriptions))
    now = utcnow()
    if today is None:
        today = datetime.date.today()
    else:
        now = datetime.datetime.combine(today, now.time())
    ctx = _Context(today, now)
    extra = max(0, demo_count - DETAILED_SUBSCRIPTIONS)
    extra_accounts = -(-extra // SUBSCRIPTIONS_PER_EXTRA_ACCOUNT)

    with _bulk_settings(), db.atomic():
        _create_catalogue(ctx)
        _create_companies(ctx, extra_accounts)
        _create_subscriptions(ctx, demo_count)
        _create_users(ctx)
        detailed = ctx.subs["demo"][:DETAILED_SUBSCRIPTIONS]
        _history(ctx, detailed)
        _create_usage(ctx, detailed, "demo")
        _create_usage(ctx, ctx.subs["anden"], "anden")
        _create_billing(ctx)
        _create_orders(ctx)
        # The other areas' demo data, each in its own module.
        demo_support.create_tickets(ctx)
        demo_support.create_outages(ctx)
        demo_products.create_phone_system(ctx)
        demo_call_flow.create_call_flow(ctx)
        demo_numbers.create_porting(ctx)
    return dict(sorted(ctx.counts.items()))
