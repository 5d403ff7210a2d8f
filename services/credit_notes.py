"""Credit notes: staff credit a whole invoice or some of its lines, with a reason.

A credit note has its own lines (copies of the invoice lines it credits), its own number
series and the buyer as the invoice named it. A line is credited at most once.
"""
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import Forbidden, NotFound

from models import CreditNote, CreditNoteLine, Invoice, InvoiceLine, db, utcnow
from models.billing import _Parties

from . import audit
from .billing import take_number, totals
from .errors import ServiceError
from .ids import parse_id, parse_ids

REASON_MAX = 200
BUYER_FIELDS = [f.name for f in _Parties._meta.sorted_fields if f.name not in ("id", "created_at")]


def credited_line_ids(invoice_id):
    return {line_id for (line_id,) in CreditNoteLine.select(CreditNoteLine.invoice_line)
            .join(CreditNote).where(CreditNote.invoice == invoice_id).tuples()}


def creditable_lines(invoice):
    """The invoice's lines not credited yet, in invoice order."""
    credited = credited_line_ids(invoice.id)
    return [line for line in invoice.lines.order_by(InvoiceLine.id) if line.id not in credited]


def credit(user, invoice_id, reason, line_ids=None, today=None):
    """Credit `line_ids` of an invoice (None: every line not credited yet). Staff only."""
    if user.kind != "staff":
        raise Forbidden()
    invoice = Invoice.get_or_none(Invoice.id == parse_id(invoice_id))
    if invoice is None:
        raise NotFound()
    reason = (reason or "").strip()
    errors = {}
    if not reason:
        errors["reason"] = _l("Write why the invoice is credited.")
    elif len(reason) > REASON_MAX:
        errors["reason"] = _l("Write at most %(n)s characters.", n=REASON_MAX)
    open_lines = creditable_lines(invoice)
    if line_ids is not None:
        wanted = set(parse_ids(line_ids))
        chosen = [line for line in open_lines if line.id in wanted]
        if not chosen:
            errors["lines"] = _l("Choose the lines to credit.")
    else:
        chosen = open_lines
        if not chosen:
            errors["lines"] = _l("Every line of this invoice has been credited already.")
    if errors:
        raise ServiceError.of(errors)
    net, vat, total = totals((line.amount, line.vat_rate) for line in chosen)
    with db.atomic():
        note = CreditNote.create(
            customer=invoice.customer_id, account=invoice.account_id, invoice=invoice.id,
            number=take_number("credit_note"), issued_on=today or utcnow().date(), reason=reason,
            net=net, vat=vat, total=total, created_by=user.id,
            **{name: getattr(invoice, name) for name in BUYER_FIELDS})
        CreditNoteLine.insert_many([
            (note.id, line.id, line.subscription_id, line.kind, line.description, line.quantity, line.amount,
             line.vat_rate) for line in chosen],
            fields=[CreditNoteLine.credit_note, CreditNoteLine.invoice_line, CreditNoteLine.subscription,
                    CreditNoteLine.kind, CreditNoteLine.description, CreditNoteLine.quantity,
                    CreditNoteLine.amount, CreditNoteLine.vat_rate]).execute()
        audit.record("invoice.credited", user=user.id, customer=invoice.customer_id,
                     company=invoice.account.company_id, obj=note,
                     invoice=invoice.number, lines=len(chosen), total=total)
    return note
