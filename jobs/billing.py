"""The billing run as a job (the CLI's `billing-run` runs the same function in place)."""
import datetime

from services import billing

from . import job


@job
def run_billing(period_text, issued_on_text=None):
    """Invoice every account for the month 'YYYY-MM'; returns a one-line summary."""
    first, _ = billing.parse_period(period_text)
    issued_on = datetime.date.fromisoformat(issued_on_text) if issued_on_text else None
    result = billing.run(first, issued_on=issued_on)
    return f"{len(result.created)} invoices, {result.skipped} already invoiced, {result.empty} with nothing to bill"
