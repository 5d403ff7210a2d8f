"""Invoice documents made and delivered by jobs: PDFs for the invoice pages (which poll while
one is made), and the e-mails with the PDF after a billing run.

Only accounts with invoice format "pdf_email" get mail. EAN accounts' e-invoices would go to
the Peppol network, which the portal has no access point for: their XML is downloaded from the
invoice page instead, and nothing pretends to send it.
"""
from flask_babel import force_locale, format_date
from flask_babel import gettext as _

from models import Account, AuditEvent, Invoice
from services import audit, billing, documents
from services.formatting import phone
from services.invoice_pdf import fi_line
from services.locale import regional
from services.messages import Attachment, queue_message
from services.money import format_money

from . import job, report_progress

MAIL_LANGUAGE = "da"  # an account has no language; invoices go out in Danish
SENT = "invoice.sent"  # the audit action, also what makes sending idempotent


@job(retry=3, timeout=300)  # the PDF is made once and stored: safe to run again
def render_document(kind, obj_id, lang):
    """Make the PDF of an invoice or credit note in `lang`; returns its key."""
    return documents.render_pdf(kind, obj_id, lang)


@job(retry=3, timeout=3600)
def render_documents(kind, obj_ids, lang):
    """Make many PDFs ahead of their first download (after a billing run)."""
    for done, obj_id in enumerate(obj_ids, start=1):
        documents.render_pdf(kind, obj_id, lang)
        if done % 50 == 0:
            report_progress(done * 100 // len(obj_ids))
    return str(len(obj_ids))


@job
def send_invoices(invoice_ids):
    """E-mail each "pdf_email" invoice, with its Danish PDF attached, to its account's invoice
    addresses: one message per invoice to all of them. An invoice is sent once, however often
    this runs (the audit trail remembers). Returns how many were sent."""
    ids = [int(i) for i in invoice_ids]
    sent_before = {int(object_id) for (object_id,) in AuditEvent.select(AuditEvent.object_id).where(
        AuditEvent.action == SENT, AuditEvent.object_type == "invoice",
        AuditEvent.object_id.in_([str(i) for i in ids])).tuples()}
    # read in full first: a cursor left open across the writes below would hold an old snapshot
    invoices = list(Invoice.select(Invoice, Account).join(Account)
                    .where(Invoice.id.in_(ids), Invoice.invoice_format == "pdf_email").order_by(Invoice.id))
    sent = 0
    for invoice in invoices:
        recipients = addresses(invoice.account.invoice_emails)
        if invoice.id in sent_before or not recipients:
            continue
        _send(invoice, recipients)
        sent += 1
    return str(sent)


def addresses(text):
    """The account's invoice e-mails, one list: 'a@x.dk, b@y.dk' -> ['a@x.dk', 'b@y.dk']."""
    return [part.strip() for part in (text or "").replace(";", ",").split(",") if part.strip()]


def _send(invoice, recipients):
    key = documents.render_pdf("invoice", invoice.id, MAIL_LANGUAGE)
    with force_locale(regional(MAIL_LANGUAGE)):
        subject, body = mail_text(invoice)
        name = documents.download_name("invoice", invoice, "pdf", MAIL_LANGUAGE)
    message = queue_message("email", ", ".join(recipients), body, subject=subject,
                            company=invoice.account.company_id,
                            attachment=Attachment(key, name, documents.PDF_TYPE))
    audit.record(SENT, customer=invoice.customer_id, company=invoice.account.company_id, obj=invoice,
                 number=invoice.number, recipients=recipients, message=message.id)


def mail_text(invoice):
    """Subject and body of an invoice e-mail, in the current language."""
    seller = billing.seller()
    subject = _("Invoice %(number)s from %(operator)s", number=invoice.number, operator=seller["name"])
    lines = [
        _("Dear %(name)s,", name=invoice.buyer_name),
        "",
        _("Attached is invoice %(number)s for %(start)s – %(end)s, account %(account)s.",
          number=invoice.number, start=format_date(invoice.period_start, "long"),
          end=format_date(invoice.period_end, "long"),
          account=f"{invoice.account.number} ({invoice.account_name})" if invoice.account_name
          else invoice.account.number),
        "",
        _("Amount incl. VAT: %(amount)s", amount=format_money(invoice.total)),
        _("Due date: %(date)s", date=format_date(invoice.due_on, "long")),
        _("FI card: %(line)s", line=fi_line(seller, invoice.payment_id)),
        _("For a bank transfer, please state the reference %(number)s.", number=invoice.number),
        "",
        _("You can also see the invoice and its details in Selvbetjening."),
        "",
        _("Kind regards"),
        seller["name"],
        _("Phone %(phone)s", phone=phone(seller["phone"])) + f" · {seller['email']}",
    ]
    return subject, "\n".join(lines)
