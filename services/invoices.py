"""Invoices and credit notes within a scope: the list, one invoice's totals and details per
user, "why did my invoice change?" and credit notes.

Every read checks the `invoices` right here, so jobs and other callers get the same checks
as the views. Invoices are read through `Scope.invoices()`; credit notes through the scope's
accounts. An id outside the scope answers 404 (`Scope.get`).
"""
import datetime
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from peewee import JOIN, Case, fn

from models import (
    Account,
    Company,
    CreditNote,
    CreditNoteLine,
    Invoice,
    InvoiceLine,
    Subscription,
    UsageMonth,
    utcnow,
)
from models.billing import INVOICE_STATUSES

from .billing import seller, vat_by_rate
from .ids import parse_id
from .invoice_pdf import fi_line
from .invoice_text import CATEGORY_ORDER, category_of
from .listing import paginate
from .scope import search_accounts

PER_PAGE = 50
DETAILS_PER_PAGE = 25  # subscriptions per page of an invoice's details
MAX_ACCOUNT_OPTIONS = 200  # more accounts than this: a text field for the account number
MAX_CHANGE_ITEMS = 20  # items shown per group of "why did it change"; the sum covers all
# sort key -> order; the id breaks ties, so paging never repeats or skips a row
SORTS = {
    "number": (Invoice.number,),
    "period": (Invoice.period_start, Account.number, Invoice.id),
    "amount": (Invoice.total, Invoice.id),
    "due": (Invoice.due_on, Invoice.id),
}
DEFAULT_SORT = "-period"
PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def _today(today=None):
    return today or utcnow().date()


def shown_status(invoice, today=None):
    """open, paid or overdue: overdue is an open invoice past its due date (computed; older
    rows may still store "overdue", which means open)."""
    if invoice.status == "paid":
        return "paid"
    return "overdue" if invoice.due_on < _today(today) else "open"


# -- the list ---------------------------------------------------------------------------------

def parse_filters(args):
    """Plain, validated filter values from query arguments; bad values are dropped."""
    def text(name, limit=20):
        return str(args.get(name) or "").strip()[:limit]

    account = text("account").replace(" ", "")
    status = text("status")
    sort = text("sort")
    return {
        "account": account if account.isdigit() else "",
        "period": text("period") if PERIOD.match(text("period")) else "",
        "status": status if status in INVOICE_STATUSES else "",
        "company": parse_id(args.get("company")),
        "sort": sort if sort.lstrip("-") in SORTS else DEFAULT_SORT,
    }


def _period_start(period):
    return datetime.date(int(period[:4]), int(period[5:7]), 1)


def _order(sort):
    key = sort.lstrip("-")
    fields = SORTS.get(key, SORTS["period"])
    if sort.startswith("-"):  # the column flips; the tie-breakers keep their order
        return [fields[0].desc(), *fields[1:]]
    return list(fields)


def matching(scope, account="", period="", status="", company=None, sort=None, today=None, details=False):
    """The invoices in scope that match the list's filters (with the company for a company tree)."""
    scope.require("invoices")
    query = scope.invoices()
    if details and scope.spans_companies:
        query = query.select_extend(Company).join(Company)
    if account:
        query = query.where(Account.number == account)
    if period:
        query = query.where(Invoice.period_start == _period_start(period))
    if company:
        query = query.where(Account.company == company)
    if status:
        day = _today(today)
        if status == "paid":
            query = query.where(Invoice.status == "paid")
        elif status == "overdue":
            query = query.where(Invoice.status != "paid", Invoice.due_on < day)
        else:
            query = query.where(Invoice.status != "paid", Invoice.due_on >= day)
    if sort is not None:
        query = query.order_by(*_order(sort))
    return query


def list_invoices(scope, page=1, today=None, **filters):
    """One page of the list: three queries (count, rows, the rows' credit notes), whatever the filters.

    Each invoice gets `shown_status` and `credit_notes_shown` (its credit notes, oldest first)."""
    sort = filters.pop("sort", DEFAULT_SORT)
    rows = matching(scope, sort=sort, today=today, details=True, **filters)
    result = paginate(rows, page, per_page=PER_PAGE, count_query=matching(scope, today=today, **filters))
    notes = defaultdict(list)
    if result.items:
        for note in (CreditNote.select(CreditNote.id, CreditNote.invoice, CreditNote.number, CreditNote.total,
                                       CreditNote.reason, CreditNote.issued_on)
                     .where(CreditNote.invoice.in_([i.id for i in result.items]))
                     .order_by(CreditNote.issued_on, CreditNote.id)):
            notes[note.invoice_id].append(note)
    for invoice in result.items:
        invoice.shown_status = shown_status(invoice, today)
        invoice.credit_notes_shown = notes.get(invoice.id, [])
    return result


def filter_options(scope):
    """The choices of the list's filters: companies (only for a company tree), accounts (None
    when there are too many for a select) and the periods that have invoices."""
    scope.require("invoices")
    companies = list(scope.shown_companies()) if scope.spans_companies else []
    accounts, more = search_accounts(scope.accounts().select(Account.id, Account.number, Account.name),
                                     "", MAX_ACCOUNT_OPTIONS)
    periods = [p for (p,) in scope.invoices().select(Invoice.period_start).distinct()
               .order_by(Invoice.period_start.desc()).tuples()]
    return {"companies": companies, "accounts": None if more else accounts, "periods": periods}


# -- one invoice ------------------------------------------------------------------------------

def get_invoice(scope, invoice_id, today=None):
    """The invoice with its account and company.

    :raise 403: the membership lacks the `invoices` right.
    :raise 404: another customer's, an account outside the scope, or no such invoice.
    """
    scope.require("invoices")
    invoice = scope.get(scope.invoices().select_extend(Company).join(Company), Invoice, invoice_id)
    invoice.shown_status = shown_status(invoice, today)
    return invoice


def payment_line(invoice):
    """The FI-kort 71 line a Danish bank asks for, written as the PDF and the e-mail write it."""
    return fi_line(seller(), invoice.payment_id)


@dataclass
class Summary:
    categories: list  # (category, net) at the standard rate, in CATEGORY_ORDER
    exempt: list  # (category, net) of VAT-exempt lines
    vat: list  # (rate, net, vat) per rate
    credit_notes: list


def summary(invoice):
    """Totals by category, exempt lines apart, VAT per rate and the invoice's credit notes (two queries)."""
    standard, exempt = defaultdict(int), defaultdict(int)
    pairs = []
    for kind, rate, amount in (InvoiceLine.select(InvoiceLine.kind, InvoiceLine.vat_rate, fn.SUM(InvoiceLine.amount))
                               .where(InvoiceLine.invoice == invoice.id)
                               .group_by(InvoiceLine.kind, InvoiceLine.vat_rate).tuples()):
        (standard if rate else exempt)[category_of(kind)] += amount
        pairs.append((amount, rate))

    def ordered(sums):
        return [(c, sums[c]) for c in CATEGORY_ORDER if c in sums]

    notes = list(invoice.credit_notes.order_by(CreditNote.issued_on, CreditNote.id))
    return Summary(categories=ordered(standard), exempt=ordered(exempt),
                   vat=[(rate, net, vat) for rate, (net, vat) in vat_by_rate(pairs).items()], credit_notes=notes)


# -- details per user -------------------------------------------------------------------------

@dataclass
class UserBlock:
    """One subscription's part of an invoice: its lines, their sum and the month's usage."""

    subscription: object
    lines: list
    usage: object = None  # UsageMonth or None

    @property
    def subtotal(self):
        return sum(line.amount for line in self.lines)

    @property
    def minutes(self):
        return -(-self.usage.call_seconds // 60) if self.usage else 0

    @property
    def data_gb(self):
        """Data in GB (1024 x 1024 kB), two decimals."""
        return (Decimal(self.usage.data_kb) / 1024 / 1024).quantize(Decimal("0.01")) if self.usage else Decimal(0)

    @property
    def note(self):
        """The invoice note as the lines carry it (as it was when invoiced)."""
        return next((line.note for line in self.lines if line.note), "")


@dataclass
class DetailTotals:
    subscriptions: int  # how many subscriptions the invoice has lines for
    users_net: int  # the sum of their lines
    account_net: int  # the sum of the lines without a subscription

    @property
    def net(self):
        return self.users_net + self.account_net


def _search_text(q):
    """What to look for in Subscription.search_key: a number typed with spaces or +45 is found too."""
    q = (q or "").strip().lower()[:100]
    if q and re.fullmatch(r"[\d\s+]+", q):
        q = re.sub(r"\D", "", q)
    return q


def details(invoice, q="", page=1):
    """One page of the invoice's subscriptions (DETAILS_PER_PAGE) with their lines and usage:
    four queries (count, subscriptions, lines, usage) whatever the invoice's size. The page's
    items are UserBlocks. `invoice` comes from `get_invoice`, which checked the scope."""
    ids = InvoiceLine.select(InvoiceLine.subscription).where(
        InvoiceLine.invoice == invoice.id, InvoiceLine.subscription.is_null(False))
    subs = Subscription.select(Subscription.id, Subscription.holder_name, Subscription.number,
                               Subscription.kind).where(Subscription.id.in_(ids))
    text = _search_text(q)
    if text:
        subs = subs.where(Subscription.search_key.contains(text))
    result = paginate(subs.order_by(Subscription.holder_name, Subscription.number, Subscription.id), page,
                      per_page=DETAILS_PER_PAGE)
    page_ids = [s.id for s in result.items]
    lines, usage = defaultdict(list), {}
    if page_ids:
        for line in (InvoiceLine.select().where(InvoiceLine.invoice == invoice.id,
                                                InvoiceLine.subscription.in_(page_ids))
                     .order_by(InvoiceLine.id)):
            lines[line.subscription_id].append(line)
        for row in UsageMonth.select().where(UsageMonth.subscription.in_(page_ids),
                                             UsageMonth.month == invoice.period_start):
            usage[row.subscription_id] = row
    result.items = [UserBlock(s, lines[s.id], usage.get(s.id)) for s in result.items]
    return result


def account_lines(invoice):
    """The lines without a subscription (the account's own fees), in invoice order."""
    return list(invoice.lines.where(InvoiceLine.subscription.is_null()).order_by(InvoiceLine.id))


def detail_totals(invoice):
    """What all pages of the details add up to (one query): it equals the invoice's net."""
    no_sub = Case(None, [(InvoiceLine.subscription.is_null(), 1)], 0)
    totals = {0: (0, 0), 1: (0, 0)}
    for is_account, amount, count in (InvoiceLine.select(no_sub, fn.SUM(InvoiceLine.amount),
                                                         fn.COUNT(InvoiceLine.subscription.distinct()))
                                      .where(InvoiceLine.invoice == invoice.id).group_by(no_sub).tuples()):
        totals[is_account] = (amount or 0, count or 0)
    return DetailTotals(subscriptions=totals[0][1], users_net=totals[0][0], account_net=totals[1][0])


# -- why did the invoice change? --------------------------------------------------------------

@dataclass(frozen=True)
class Fact:
    """A line of either invoice, as the comparison needs it."""

    subscription: int | None
    holder: str
    number: str
    kind: str
    description: str
    amount: int
    days: int | None = None  # days billed, for plans and add-ons


@dataclass
class ChangeItem:
    """One reason in a group: whose, how much (net øre, signed) and what (`what` with its details)."""

    subscription: int | None
    holder: str
    number: str
    amount: int
    what: str  # new, ended, plan, days, added, removed, changed, usage, fee_now, fee_before
    name: str = ""  # a product or fee kind
    before: object = None
    after: object = None


@dataclass
class ChangeGroup:
    key: str  # new, ended, plan, addon, usage_*, fees
    items: list = field(default_factory=list)

    @property
    def total(self):
        return sum(item.amount for item in self.items)

    @property
    def shown(self):
        return self.items[:MAX_CHANGE_ITEMS]

    @property
    def more(self):
        return max(0, len(self.items) - MAX_CHANGE_ITEMS)


@dataclass
class Explanation:
    invoice: object
    previous: object  # the same account's invoice for the month before, or None
    groups: list = field(default_factory=list)

    @property
    def net_difference(self):
        return sum(group.total for group in self.groups)

    @property
    def vat_difference(self):
        return self.invoice.vat - self.previous.vat if self.previous else 0

    @property
    def total_difference(self):
        """The groups' sum plus the VAT difference: equals the difference of the totals incl. VAT."""
        return self.net_difference + self.vat_difference


GROUP_ORDER = ("new", "ended", "plan", "addon", "usage_voice", "usage_sms", "usage_data", "usage_roaming", "fees")


def _names(facts):
    return " + ".join(sorted({f.description for f in facts if f.description}))


def _days(facts):
    return sum(f.days or 0 for f in facts)


def explain_lines(current, previous):
    """The net difference between two invoices' lines (lists of Fact), explained in groups.

    Every line falls in exactly one group, so the groups add up to the difference of the
    nets: a subscription only in the current invoice is new, only in the previous one ended
    (their one-off fees stay with the fees); for one in both, its plan lines are compared
    (name and amount), its add-ons by name, its usage per kind; one-off fees are this
    invoice's minus the previous one's. Pure: no database, no request.
    """
    def by_subscription(facts):
        grouped = defaultdict(list)
        for fact in facts:
            if category_of(fact.kind) != "fees":
                grouped[fact.subscription].append(fact)
        return grouped

    now, before = by_subscription(current), by_subscription(previous)
    groups = {key: ChangeGroup(key) for key in GROUP_ORDER}

    def who(facts):
        return facts[0].subscription, facts[0].holder, facts[0].number

    for sub, facts in now.items():
        if sub not in before:
            plans = [f for f in facts if f.kind == "plan"]
            groups["new"].items.append(ChangeItem(*who(facts), sum(f.amount for f in facts), "new",
                                                  name=_names(plans) or _names(facts)))
    for sub, facts in before.items():
        if sub not in now:
            plans = [f for f in facts if f.kind == "plan"]
            groups["ended"].items.append(ChangeItem(*who(facts), -sum(f.amount for f in facts), "ended",
                                                    name=_names(plans) or _names(facts)))
    for sub in now.keys() & before.keys():
        _compare_subscription(groups, now[sub], before[sub], who(now[sub]))
    for fact in current:
        if category_of(fact.kind) == "fees":
            groups["fees"].items.append(ChangeItem(fact.subscription, fact.holder, fact.number, fact.amount,
                                                   "fee_now", name=fact.kind))
    for fact in previous:
        if category_of(fact.kind) == "fees":
            groups["fees"].items.append(ChangeItem(fact.subscription, fact.holder, fact.number, -fact.amount,
                                                   "fee_before", name=fact.kind))
    result = []
    for key in sorted(groups, key=lambda k: GROUP_ORDER.index(k) if k in GROUP_ORDER else len(GROUP_ORDER)):
        group = groups[key]
        if group.items:
            group.items.sort(key=lambda item: (-abs(item.amount), item.holder, item.number, item.name))
            result.append(group)
    return result


def _compare_subscription(groups, now, before, who):
    def of_kind(facts, kinds):
        return [f for f in facts if f.kind in kinds]

    def of_category(facts, category):
        return [f for f in facts if category_of(f.kind) == category]

    plans_now, plans_before = of_category(now, "plans"), of_category(before, "plans")
    key_now = sorted((f.description, f.amount) for f in plans_now)
    key_before = sorted((f.description, f.amount) for f in plans_before)
    if key_now != key_before:
        names_now, names_before = _names(plans_now), _names(plans_before)
        amount = sum(f.amount for f in plans_now) - sum(f.amount for f in plans_before)
        if names_now == names_before:
            groups["plan"].items.append(ChangeItem(*who, amount, "days", name=names_now,
                                                   before=_days(plans_before), after=_days(plans_now)))
        else:
            groups["plan"].items.append(ChangeItem(*who, amount, "plan", before=names_before, after=names_now))
    addons_now, addons_before = defaultdict(list), defaultdict(list)
    for f in of_category(now, "addons"):
        addons_now[f.description].append(f)
    for f in of_category(before, "addons"):
        addons_before[f.description].append(f)
    for name in sorted(addons_now.keys() | addons_before.keys()):
        a_now = sum(f.amount for f in addons_now.get(name, ()))
        a_before = sum(f.amount for f in addons_before.get(name, ()))
        if name not in addons_before:
            groups["addon"].items.append(ChangeItem(*who, a_now, "added", name=name))
        elif name not in addons_now:
            groups["addon"].items.append(ChangeItem(*who, -a_before, "removed", name=name))
        elif a_now != a_before:
            groups["addon"].items.append(ChangeItem(*who, a_now - a_before, "changed", name=name,
                                                    before=_days(addons_before[name]), after=_days(addons_now[name])))
    for kind in sorted({f.kind for f in of_category(now + before, "usage")}):
        u_now = sum(f.amount for f in of_kind(now, (kind,)))
        u_before = sum(f.amount for f in of_kind(before, (kind,)))
        if u_now != u_before:
            groups.setdefault(kind, ChangeGroup(kind)).items.append(
                ChangeItem(*who, u_now - u_before, "usage", name=kind, before=u_before, after=u_now))


def previous_invoice(invoice):
    """The same account's invoice for the month before `invoice`'s, or None."""
    before = (invoice.period_start - datetime.timedelta(days=1)).replace(day=1)
    return Invoice.get_or_none(Invoice.account == invoice.account_id, Invoice.period_start == before)


def facts_of(invoice_id):
    """The invoice's lines with their holders, as Facts (one query)."""
    query = (InvoiceLine.select(InvoiceLine.subscription, Subscription.holder_name, Subscription.number,
                                InvoiceLine.kind, InvoiceLine.description, InvoiceLine.amount,
                                InvoiceLine.period_start, InvoiceLine.period_end)
             .join(Subscription, JOIN.LEFT_OUTER, on=(InvoiceLine.subscription == Subscription.id))
             .where(InvoiceLine.invoice == invoice_id).order_by(InvoiceLine.id))
    facts = []
    for sub, holder, number, kind, description, amount, start, end in query.tuples():
        days = (end - start).days + 1 if start and end and kind in ("plan", "addon") else None
        facts.append(Fact(sub, holder or "", number or "", kind, description, amount, days))
    return facts


def explain(scope, invoice_id):
    """Why the invoice differs from the same account's invoice of the month before.

    :raise 403/404: as `get_invoice`."""
    invoice = get_invoice(scope, invoice_id)
    previous = previous_invoice(invoice)
    if previous is None:
        return Explanation(invoice, None)
    return Explanation(invoice, previous, explain_lines(facts_of(invoice.id), facts_of(previous.id)))


# -- documents -------------------------------------------------------------------------------

DOCUMENT_JOB = "render_document"  # jobs/documents.py: makes a PDF and keeps it in the database


def start_document(scope, kind, obj_id, lang):
    """Enqueue the PDF of an invoice or credit note the caller has already read through the
    scope; returns the tracked job's id (the waiting page polls it)."""
    from jobs import enqueue  # jobs import services
    from jobs.documents import render_document

    scope.require("invoices")
    return enqueue(render_document, kind, obj_id, lang, track=True, user_id=scope.user_id,
                   company_id=scope.company_id)


# -- credit notes -----------------------------------------------------------------------------

def credit_notes(scope):
    """The scope's credit notes (a credit note names its account, like an invoice)."""
    scope.require("invoices")
    return (CreditNote.select(CreditNote, Account).join(Account)
            .where(CreditNote.customer == scope.customer_id,
                   CreditNote.account.in_(scope.accounts().select(Account.id))))


def get_credit_note(scope, note_id):
    """The credit note with its account, company and the invoice it credits.

    :raise 403: the membership lacks the `invoices` right.
    :raise 404: another customer's, an account outside the scope, or no such credit note.
    """
    query = credit_notes(scope).select_extend(Company).join(Company)
    note = scope.get(query, CreditNote, note_id)
    note.invoice_shown = Invoice.get_or_none(Invoice.id == note.invoice_id) if note.invoice_id else None
    return note


def credit_note_lines(note):
    """The credit note's lines with their holders and the invoice lines they credit (whose
    periods the line texts need), and the VAT per rate of its lines (one query)."""
    lines = list(CreditNoteLine.select(CreditNoteLine, Subscription, InvoiceLine)
                 .join(Subscription, JOIN.LEFT_OUTER, on=(CreditNoteLine.subscription == Subscription.id))
                 .switch(CreditNoteLine)
                 .join(InvoiceLine, JOIN.LEFT_OUTER, on=(CreditNoteLine.invoice_line == InvoiceLine.id))
                 .where(CreditNoteLine.credit_note == note.id).order_by(CreditNoteLine.id))
    vat = [(rate, net, v) for rate, (net, v) in vat_by_rate((line.amount, line.vat_rate) for line in lines).items()]
    return lines, vat
