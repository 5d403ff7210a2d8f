"""Demo data of numbers and porting: one port-in request per status, each with its order and
steps; the numbers a completed port brought; a 100-number landline series; a port lock."""
import datetime
import json

from models import NumberRange, Order, OrderStep, PortingNumber, PortingRequest, Subscription

from .demo_data import EMPLOYEE_NUMBER, _at
from .numbers import add_working_days, runs

OWNER = ("Demo A/S", "12345674")
# status, account index (0 is 40120011), operator code, kind, numbers, signer, working days from today
PORTS = (
    ("received", 0, "telia", "mobile", 1, "Anne Admin", 8),
    ("sent", 1, "telenor", "mobile", 2, "Anne Admin", 7),
    ("date_confirmed", 0, "tdc", "landline", 1, "Lars Holm", 4),
    ("completed", 0, "3", "landline", 3, "Lars Holm", -8),  # a range of three
    ("rejected", 1, "tdc", "landline", 1, "Anne Admin", 6),
    ("cancelled", 2, "lebara", "mobile", 1, "Anne Admin", 9),
)
ORDER_STATUS = {"received": "received", "sent": "in_progress", "date_confirmed": "in_progress",
                "completed": "completed", "rejected": "failed", "cancelled": "failed"}
STEPS = {"sent": ("port_sent",), "date_confirmed": ("port_sent", "port_date_confirmed"),
         "completed": ("port_sent", "port_date_confirmed", "completed"), "rejected": ("port_sent", "failed"),
         "cancelled": ("failed",)}
REASONS = {"rejected": "owner_mismatch", "cancelled": "cancelled"}
SERIES_START = 33123400  # the landline series 33 12 34 00-99, moved on while a number of it is taken


def _consecutive(ctx, count):
    """`count` consecutive landline numbers that nobody has."""
    while True:
        first = int(ctx.numbers.landline()[3:])
        block = [f"+45{first + i:08d}" for i in range(count)]
        if str(first + count - 1)[:2] == str(first)[:2] and not set(block[1:]) & ctx.numbers.used:
            ctx.numbers.used.update(block)
            return block


def _working_day(ctx, offset):
    if offset >= 0:
        return add_working_days(ctx.today, offset)
    day = ctx.today + datetime.timedelta(days=offset)
    while day.weekday() >= 5:
        day -= datetime.timedelta(days=1)
    return day


def _port(ctx, i, status, account, operator, kind, count, signer, offset):
    admin = ctx.users["admin@demo.dk"]
    company = ctx.companies["demo"]
    if count > 1:
        numbers = _consecutive(ctx, count)
    else:
        numbers = [ctx.numbers.mobile() if kind == "mobile" else ctx.numbers.landline()]
    day = _working_day(ctx, offset)
    created = ctx.now - datetime.timedelta(days=14 - 2 * i, hours=3)
    done = created + datetime.timedelta(days=1)
    details = {"kind": kind, "count": count,
               "numbers": ",".join(a if a == b else f"{a}-{b}" for a, b in runs(numbers)), "more_runs": 0,
               "donor_operator": operator, "date": day.isoformat(), "owner_name": OWNER[0], "owner_cvr": OWNER[1],
               "signer_name": signer, "account": account.number}
    order_status = ORDER_STATUS[status]
    ended = order_status in ("completed", "failed")
    order = Order.create(customer=company.customer_id, company=company, account=account, kind="port_request",
                         status=order_status, requested_by=admin, created_at=created,
                         updated_at=done if status != "received" else created,
                         completed_at=done if ended else None, failure_reason=REASONS.get(status, ""),
                         applied_at=done if status == "completed" else None)
    request = PortingRequest.create(
        customer=company.customer_id, company=company, account=account, number=numbers[0],
        donor_operator=operator, requested_date=day, status=status, created_by=admin, order=order, kind=kind,
        owner_name=OWNER[0], owner_cvr=OWNER[1], signer_name=signer, number_count=count,
        confirmed_date=day if status in ("date_confirmed", "completed") else None,
        rejection_reason=REASONS.get(status, ""), created_at=created, updated_at=done)
    Order.update(details=json.dumps({"porting_request_id": request.id, **details}, ensure_ascii=False)).where(
        Order.id == order.id).execute()
    for position, number in enumerate(numbers):
        PortingNumber.create(porting_request=request, position=position, number=number)
    OrderStep.create(order=order, step="received", created_at=created)
    for n, step in enumerate(STEPS.get(status, ()), 1):
        OrderStep.create(order=order, step=step, created_at=created + datetime.timedelta(hours=3 * n),
                         note=REASONS.get(status, "") if step == "failed" else "")
    if status == "completed":
        for first, last in runs(numbers):
            NumberRange.create(customer=company.customer_id, company=company, account=account, first=first,
                               last=last, kind=kind, porting_request=request, created_at=done)
            ctx.count("number_ranges", 1)


def create_porting(ctx):
    """One port-in request per status, the company's landline series and a port lock."""
    accounts = ctx.accounts["demo"]
    for i, (status, account, operator, kind, count, signer, offset) in enumerate(PORTS):
        _port(ctx, i, status, accounts[account], operator, kind, count, signer, offset)
    ctx.count("porting_requests", len(PORTS))
    ctx.count("orders", len(PORTS))

    company = ctx.companies["demo"]
    start = SERIES_START
    while {f"+45{start + i:08d}" for i in range(100)} & ctx.numbers.used:
        start += 100
    ctx.numbers.used.update(f"+45{start + i:08d}" for i in range(100))
    NumberRange.create(customer=company.customer_id, company=company, first=f"+45{start:08d}",
                       last=f"+45{start + 99:08d}", kind="landline", description="Omstillingsserie",
                       created_at=_at(ctx.today - datetime.timedelta(days=700)))
    ctx.count("number_ranges", 1)

    locked = next(r for r in ctx.subs["demo"] if r["account"] == accounts[0].id and r["kind"] == "mobile"
                  and r["status"] == "active" and r["number"] != EMPLOYEE_NUMBER)
    Subscription.update(port_locked=True).where(Subscription.id == locked["id"]).execute()
    ctx.count("port_locks", 1)
