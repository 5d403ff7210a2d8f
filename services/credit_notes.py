"""Credit notes: staff credit a whole invoice or some of its lines, with a reason.

A credit note has its own lines (copies of the invoice lines it credits), its own number
series and the buyer as the invoice named it. A line is credited at most once: the check is
repeated inside the transaction, after the number series' row is taken (which serialises
credit notes), so two staff members crediting the same line at once cannot both succeed,
and a refused attempt takes no number.

Staff see every customer: the reads here take the acting user and refuse anyone else.
"""
import operator
from collections import defaultdict
from dataclasses import dataclass
from functools import reduce

from flask_babel import lazy_gettext as _l
from peewee import JOIN, fn
from werkzeug.exceptions import Forbidden, NotFound

from models import Account, Company, CreditNote, CreditNoteLine, Invoice, InvoiceLine, Subscription, User, db, utcnow
from models.billing import _Parties

from . import audit
from .billing import take_number, totals, vat_by_rate
from .errors import ServiceError
from .ids import parse_id, parse_ids
from .listing import paginate
from .search import clean_query

REASON_MAX = 200
BUYER_FIELDS = [f.name for f in _Parties._meta.sorted_fields if f.name not in ("id", "created_at")]
INVOICES_PER_PAGE = 25
GROUPS_PER_PAGE = 25  # subscriptions per page of an invoice's lines


def _require_staff(user):
    if getattr(user, "kind", None) != "staff":
        raise Forbidden()


def credited_line_ids(invoice_id):
    return {line_id for (line_id,) in CreditNoteLine.select(CreditNoteLine.invoice_line)
            .join(CreditNote).where(CreditNote.invoice == invoice_id).tuples()}


def creditable_lines(invoice):
    """The invoice's lines not credited yet, in invoice order."""
    credited = credited_line_ids(invoice.id)
    return [line for line in invoice.lines.order_by(InvoiceLine.id) if line.id not in credited]


# -- finding invoices (staff, every customer) ------------------------------------------------

def _search_condition(text):
    """Invoice number (or a credit note's), account number, CVR or company name; None: everything."""
    text = " ".join((text or "").split())
    if not text:
        return None
    number = text.upper().replace(" ", "")
    digits = number if number.isascii() and number.isdigit() else ""
    numbers = [number] if number[:1] in ("F", "K") and number[1:].isascii() and number[1:].isdigit() else []
    if len(digits) == 8:
        numbers += [f"F{digits}", f"K{digits}"]
    # each part is served by an index: invoice and credit note numbers, account numbers, CVR, and
    # the invoices of matching accounts; only company names (a small table) are scanned
    parts = []
    if numbers:
        parts += [Invoice.number.in_(numbers),
                  Invoice.id.in_(CreditNote.select(CreditNote.invoice).where(CreditNote.number.in_(numbers)))]
    accounts = Account.select(Account.id)
    if digits:
        parts.append(Invoice.account.in_(accounts.where(Account.number == digits)))
        if len(digits) == 8:
            parts.append(Invoice.account.in_(accounts.where(
                Account.company.in_(Company.select(Company.id).where(Company.cvr == digits)))))
    elif len(text) >= 2 and not numbers:
        parts.append(Invoice.account.in_(accounts.where(
            Account.company.in_(Company.select(Company.id).where(Company.name.contains(text))))))
    return reduce(operator.or_, parts) if parts else (Invoice.id == 0)


def search_invoices(user, text="", page=1):
    """A page of invoices, newest first, each with `credited` (total incl. VAT) and `credit_count`.

    Three queries whatever the number of invoices: the count, the page, its credit notes' sums."""
    _require_staff(user)
    condition = _search_condition(text)
    query = Invoice.select(Invoice, Account).join(Account).order_by(Invoice.id.desc())
    count = Invoice.select(Invoice.id)
    if condition is not None:
        query, count = query.where(condition), count.where(condition)
    result = paginate(query, page, INVOICES_PER_PAGE, count_query=count)
    sums = {}
    if result.items:
        sums = {invoice_id: (total, n) for invoice_id, total, n in CreditNote.select(
            CreditNote.invoice, fn.SUM(CreditNote.total), fn.COUNT(CreditNote.id))
            .where(CreditNote.invoice.in_([i.id for i in result.items]))
            .group_by(CreditNote.invoice).tuples()}
    for invoice in result.items:
        invoice.credited, invoice.credit_count = sums.get(invoice.id, (0, 0))
    return result


def display_status(invoice, today=None):
    """open, paid or overdue (open after its due date; older rows may store "overdue")."""
    if invoice.status == "paid":
        return "paid"
    return "overdue" if invoice.due_on < (today or utcnow().date()) else "open"


def get_invoice(user, invoice_id):
    """Any customer's invoice with its account. :raise 403: not staff. :raise 404: no such invoice."""
    _require_staff(user)
    invoice = (Invoice.select(Invoice, Account).join(Account)
               .where(Invoice.id == (parse_id(invoice_id) or 0)).first())
    if invoice is None:
        raise NotFound()
    return invoice


# -- one invoice, for crediting --------------------------------------------------------------

@dataclass
class Group:
    """A subscription's lines (subscription None: the account's own lines, such as a reminder fee)."""

    subscription: object
    lines: list


def invoice_page(user, invoice_id, text="", page=1):
    """An invoice for the staff page: its credit notes, what is left to credit, and one page of
    its lines grouped by subscription (searchable by holder or number). A fixed number of queries."""
    invoice = get_invoice(user, invoice_id)
    notes = list(CreditNote.select(CreditNote, User).join(User, JOIN.LEFT_OUTER)
                 .where(CreditNote.invoice == invoice.id).order_by(CreditNote.id))
    line_count = invoice.lines.count()
    credited_count = (CreditNoteLine.select().join(CreditNote)
                      .where(CreditNote.invoice == invoice.id, CreditNoteLine.invoice_line.is_null(False)).count())
    text = clean_query(text)  # a post carries it in the form: capped as a search, not a form value
    on_invoice = InvoiceLine.select(InvoiceLine.subscription).where(InvoiceLine.invoice == invoice.id)
    subs = (Subscription.select(Subscription.id, Subscription.holder_name, Subscription.number, Subscription.kind)
            .where(Subscription.id.in_(on_invoice))
            .order_by(Subscription.holder_name, Subscription.number, Subscription.id))
    if text:
        subs = subs.where(Subscription.search_key.contains(text))
    groups_page = paginate(subs, page, GROUPS_PER_PAGE)
    by_sub = defaultdict(list)
    if groups_page.items:
        for line in (InvoiceLine.select().where(InvoiceLine.invoice == invoice.id,
                                                InvoiceLine.subscription.in_([s.id for s in groups_page.items]))
                     .order_by(InvoiceLine.id)):
            by_sub[line.subscription_id].append(line)
    groups = [Group(sub, by_sub[sub.id]) for sub in groups_page.items]
    if groups_page.number == 1 and not text:  # the account's own lines head the first page
        own = list(InvoiceLine.select().where(InvoiceLine.invoice == invoice.id, InvoiceLine.subscription.is_null())
                   .order_by(InvoiceLine.id))
        if own:
            groups.insert(0, Group(None, own))
    shown = [line.id for group in groups for line in group.lines]
    credited_by = {}
    if shown:
        credited_by = dict(CreditNoteLine.select(CreditNoteLine.invoice_line, CreditNote.number).join(CreditNote)
                           .where(CreditNoteLine.invoice_line.in_(shown)).tuples())
    return {"invoice": invoice, "invoice_status": display_status(invoice), "credit_notes": notes,
            "credited_total": sum(n.total for n in notes), "line_count": line_count,
            "open_count": line_count - credited_count, "groups": groups, "groups_page": groups_page,
            "credited_by": credited_by, "line_query": text}


# -- crediting -------------------------------------------------------------------------------

@dataclass
class Proposal:
    """What a credit note will hold: its lines (with their subscriptions), totals and VAT per rate."""

    invoice: object
    reason: str
    lines: list
    whole: bool
    net: int
    vat: int
    total: int
    rates: dict  # {rate: (net, vat)}

    @property
    def groups(self):
        grouped = {}
        for line in self.lines:
            grouped.setdefault(line.subscription_id, Group(line.subscription if line.subscription_id else None, []))
            grouped[line.subscription_id].lines.append(line)
        return sorted(grouped.values(), key=lambda group: group.subscription is not None)  # the account's first

    @property
    def expect(self):
        """A fingerprint of the lines, carried by the confirmation: the same lines, or refused."""
        return f"{len(self.lines)}:{self.total}"

    @property
    def line_ids(self):
        return [line.id for line in self.lines]


def _lines_with_subscriptions(condition):
    return list(InvoiceLine.select(InvoiceLine, Subscription).join(Subscription, JOIN.LEFT_OUTER)
                .where(condition).order_by(InvoiceLine.id))


def preview(user, invoice_id, reason, line_ids=None):
    """Check a credit without writing it: the Proposal, or a ServiceError with every error.

    `line_ids` None: every line not credited yet. Lines of another invoice and lines credited
    already are refused, never silently left out. :raise 403: not staff. :raise 404: no invoice."""
    invoice = get_invoice(user, invoice_id)
    reason = (reason or "").strip()
    errors = {}
    if line_ids is None:
        credited = credited_line_ids(invoice.id)
        chosen = [line for line in _lines_with_subscriptions(InvoiceLine.invoice == invoice.id)
                  if line.id not in credited]
        if not chosen:
            errors["lines"] = _l("Every line of this invoice has been credited already.")
    else:
        wanted = parse_ids(line_ids)
        chosen = _lines_with_subscriptions(InvoiceLine.id.in_(wanted)) if wanted else []
        malformed = len(wanted) < len({str(value).strip() for value in line_ids})
        if not line_ids:
            errors["lines"] = _l("Choose the lines to credit.")
        elif malformed or len(chosen) < len(wanted) or any(line.invoice_id != invoice.id for line in chosen):
            errors["lines"] = _l("Some of the chosen lines are not on this invoice.")
        elif credited_line_ids(invoice.id) & set(wanted):
            errors["lines"] = _l("Some of the chosen lines have been credited already. Reload the invoice "
                                 "and choose again.")
    if not reason:
        errors["reason"] = _l("Write why the invoice is credited.")
    elif len(reason) > REASON_MAX:
        errors["reason"] = _l("Write at most %(n)s characters.", n=REASON_MAX)
    if errors:
        raise ServiceError.of(errors)
    pairs = [(line.amount, line.vat_rate) for line in chosen]
    net, vat, total = totals(pairs)
    return Proposal(invoice, reason, chosen, line_ids is None, net, vat, total, vat_by_rate(pairs))


def credit(user, invoice_id, reason, line_ids=None, today=None, expect=None):
    """Credit `line_ids` of an invoice (None: every line not credited yet). Staff only.

    `expect` is the fingerprint the confirmation showed (Proposal.expect): if the lines changed
    since (someone else credited some), nothing is created."""
    proposal = preview(user, invoice_id, reason, line_ids)
    if expect is not None and expect != proposal.expect:
        raise ServiceError(_l("The invoice has changed since you looked at it. Check the lines and try again."),
                           "lines")
    return issue(user, proposal, today)


def issue(user, proposal, today=None):
    """Write a checked Proposal as a credit note with its lines and audit event, in one transaction.

    The number is taken first: that locks the series, so credit notes are written one at a time,
    and the lines are checked again under that lock; a refusal rolls back and leaves no gap."""
    _require_staff(user)
    invoice, chosen = proposal.invoice, proposal.lines
    with db.atomic():
        number = take_number("credit_note")
        if credited_line_ids(invoice.id) & set(proposal.line_ids):
            raise ServiceError(_l("Some of the chosen lines have been credited already. Reload the invoice "
                                  "and choose again."), "lines")
        note = CreditNote.create(
            customer=invoice.customer_id, account=invoice.account_id, invoice=invoice.id,
            number=number, issued_on=today or utcnow().date(), reason=proposal.reason,
            net=proposal.net, vat=proposal.vat, total=proposal.total, created_by=user.id,
            **{name: getattr(invoice, name) for name in BUYER_FIELDS})
        CreditNoteLine.insert_many([
            (note.id, line.id, line.subscription_id, line.kind, line.description, line.quantity, line.amount,
             line.vat_rate) for line in chosen],
            fields=[CreditNoteLine.credit_note, CreditNoteLine.invoice_line, CreditNoteLine.subscription,
                    CreditNoteLine.kind, CreditNoteLine.description, CreditNoteLine.quantity,
                    CreditNoteLine.amount, CreditNoteLine.vat_rate]).execute()
        audit.record("invoice.credited", user=user.id, customer=invoice.customer_id,
                     company=invoice.account.company_id, obj=note, invoice=invoice.number,
                     whole=proposal.whole, lines=len(chosen), net=proposal.net, vat=proposal.vat,
                     total=proposal.total, reason=proposal.reason)
    return note
