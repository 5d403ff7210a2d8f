"""Demo data of numbers and porting."""
import datetime

from models import PortingRequest


def create_porting(ctx):
    """One porting request per status."""
    company = ctx.companies["demo"]
    admin = ctx.users["admin@demo.dk"]
    for i, (status, donor) in enumerate((("received", "Telia"), ("confirmed", "Telenor"),
                                         ("completed", "3"), ("rejected", "TDC NET"))):
        number = ctx.numbers.mobile() if i % 2 == 0 else ctx.numbers.landline()
        PortingRequest.create(customer=company.customer_id, company=company,
                              account=ctx.accounts["demo"][0], number=number,
                              donor_operator=donor, created_by=admin,
                              requested_date=ctx.today + datetime.timedelta(days=10 - 8 * i),
                              status=status,
                              created_at=ctx.now - datetime.timedelta(days=5 + 8 * i))
    ctx.count("porting_requests", 4)
