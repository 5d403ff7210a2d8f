"""The billing run as a job (the CLI's `billing-run` runs the same function in place)."""
import datetime

from services import billing

from . import enqueue, job
from .documents import render_documents, send_invoices


@job
def run_billing(period_text, issued_on_text=None):
    """Invoice every account for the month 'YYYY-MM'; returns a one-line summary."""
    first, _ = billing.parse_period(period_text)
    issued_on = datetime.date.fromisoformat(issued_on_text) if issued_on_text else None
    result = billing.run(first, issued_on=issued_on)
    deliver(result.created)
    return f"{len(result.created)} invoices, {result.skipped} already invoiced, {result.empty} with nothing to bill"


def deliver(invoice_ids):
    """After a run has committed: e-mail the new invoices, then make the Danish PDFs of the rest
    ahead of their first download."""
    if invoice_ids:
        enqueue(send_invoices, list(invoice_ids))
        enqueue(render_documents, "invoice", list(invoice_ids), "da")
