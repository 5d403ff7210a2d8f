"""Numbers and porting: the company's numbers, port-in requests and port locks.

The numbers list (`list_numbers`) has two parts. The numbers of subscriptions in scope are
paged in number order on the (customer, number) index and counted only up to COUNT_CAP:
a full count of 100,000 rows per keystroke buys nothing. The company-wide numbers (phone
systems' main numbers, 70-numbers, number series) are few and shown whole. They concern
the whole company, so a limited membership does not see them, except the numbers billed
on its own accounts (numbers it ported in).

A port-in (`request_port_in`) is checked as a whole form; with `preview` it returns what
will happen. Otherwise it writes a PortingRequest with its numbers and ONE order of kind
`port_request` (with its audit event) in one transaction, and enqueues jobs/porting.py,
which plays the operator side (`advance_port_request`):

    received --sent to the current operator--> sent --its answer--> date_confirmed --> completed
                                                           \\--> rejected (a reason code)

Until it is sent the customer can correct or cancel it. Correcting, cancelling and the
job's sending are each one conditional UPDATE on status 'received', so none slips past
another. The order is in progress from the sending and completes through
services/orders.carry_out on the confirmed date (at once in demo and test mode); its APPLY
(`_apply_port`) adds the numbers to the company as NumberRange rows, consecutive numbers
as one range, and books the porting fee.

The simulated current operator: the network's NETWORK_FAILURE_RATE rejects with the
network's reason, and its owner records never match an owner name containing
"test-reject" (reason `owner_mismatch`): deterministic, for demos and tests.
"""
import datetime
import json
import re
import time
from dataclasses import dataclass

from flask import current_app
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from peewee import JOIN, chunked, fn
from stdnum.dk import cvr as dk_cvr
from stdnum.exceptions import InvalidChecksum
from stdnum.exceptions import ValidationError as StdnumError
from werkzeug.exceptions import Forbidden

from integrations.network import NetworkRejected, network
from models import (
    Account,
    Company,
    NumberRange,
    Order,
    OrderStep,
    PortingNumber,
    PortingRequest,
    Subscription,
    db,
    utcnow,
)
from models.numbers import NUMBER_KINDS, OPEN_PORTING
from models.subscriptions import ENDED

from . import audit, billing, fraud, order_text, orders
from .errors import ServiceError
from .formatting import phone
from .ids import parse_id
from .listing import Page, paginate
from .money import format_money
from .subscription_create import DONOR_OPERATORS
from .validation import DAYS_AHEAD, danish_number
from .working_hours import is_working_day

MAX_NUMBERS = 1000  # per port-in request
MAX_TEXT = 40_000  # characters of pasted numbers
NAME_MAX = 100
DONOR_DEADLINE_WORKING_DAYS = 5  # the current operator's time to answer
NUMBER_TYPES = ("mobile", "landline", "main", "personal", "series")
COUNT_CAP = 10_000  # subscription numbers are counted up to here ("more than 10,000")
PER_PAGE = 50
COMPANY_LIMIT = 500  # company-wide numbers of one kind shown at most
REJECT_MARKER = "test-reject"  # the simulated operator's records never match such an owner


# -- working days ----------------------------------------------------------------------

def add_working_days(day, count):
    """The `count`th Danish working day after `day` (weekends and holidays skipped)."""
    while count > 0:
        day += datetime.timedelta(days=1)
        if is_working_day(day):
            count -= 1
    return day


def earliest_port_date(today=None):
    """The first working day after the current operator's deadline (5 working days from today)."""
    deadline = add_working_days(today or utcnow().date(), DONOR_DEADLINE_WORKING_DAYS)
    return add_working_days(deadline, 1)


# -- numbers people type ---------------------------------------------------------------

# The Danish numbering plan by leading digits. phonenumbers calls nearly every Danish
# number "fixed line or mobile", so it cannot tell a landline number from a mobile one.
MOBILE_PREFIXES = ("2", "30", "31", "40", "41", "42", "50", "51", "52", "53", "60", "61", "71", "81",
                   "91", "92", "93")
SERVICE_PREFIXES = ("1", "70", "80", "90")  # short numbers, 70-, 80- and 90-numbers
_ITEMS = re.compile(r"[\n\r,;]+")
_RANGE = re.compile(r"\s*(?:[-–—]|\.\.)\s*")


def number_kind(number):
    """mobile, landline or service, for a Danish number in E.164."""
    local = number[3:]
    if local.startswith(SERVICE_PREFIXES):
        return "service"
    return "mobile" if local.startswith(MOBILE_PREFIXES) else "landline"


def runs(numbers):
    """[(first, last)] of consecutive numbers, lowest first."""
    values = sorted({int(n[1:]) for n in numbers})
    out = []
    for value in values:
        if out and value == out[-1][1] + 1:
            out[-1][1] = value
        else:
            out.append([value, value])
    return [(f"+{a}", f"+{b}") for a, b in out]


def _few(numbers, shown=3):
    text = ", ".join(phone(n) for n in numbers[:shown])
    if len(numbers) > shown:
        text += " " + ngettext("and %(num)s more", "and %(num)s more", len(numbers) - shown)
    return text


def parse_numbers(text):
    """(numbers in E.164 as entered, without repeats; [translated problems]).

    One number, a range "from–to" or a list (lines, commas or semicolons), or a mix."""
    text = str(text or "")
    if len(text) > MAX_TEXT:
        return [], [_("The list is too long. Enter at most %(num)s numbers.", num=MAX_NUMBERS)]
    numbers, seen, bad, problems = [], set(), [], []
    for item in (i.strip() for i in _ITEMS.split(text)):
        if not item:
            continue
        parts = _RANGE.split(item)
        if len(parts) == 2 and all(danish_number(p) for p in parts):
            first, last = danish_number(parts[0]), danish_number(parts[1])
            low, high = int(first[3:]), int(last[3:])
            if high < low:
                problems.append(_("The range %(range)s goes backwards: put the lowest number first.", range=item))
                continue
            if high - low >= MAX_NUMBERS:
                problems.append(_("A range can hold at most %(max)s numbers; %(range)s holds %(num)s.",
                                  max=MAX_NUMBERS, range=item, num=high - low + 1))
                continue
            found = [f"+45{n:08d}" for n in range(low, high + 1)]
        elif danish_number(item):
            found = [danish_number(item)]
        else:
            bad.append(item[:30])
            continue
        for number in found:
            if number not in seen:
                seen.add(number)
                numbers.append(number)
    if bad:
        problems.insert(0, ngettext("%(items)s is not a Danish number with 8 digits.",
                                    "These are not Danish numbers with 8 digits: %(items)s.", len(bad),
                                    items=", ".join(f"“{b}”" for b in bad[:5]) + (" …" if len(bad) > 5 else "")))
    if not numbers and not problems:
        problems.append(_("Enter the numbers to port in."))
    if len(numbers) > MAX_NUMBERS:
        problems.append(_("At most %(max)s numbers in one request; these are %(num)s. Split them into more "
                          "requests.", max=MAX_NUMBERS, num=len(numbers)))
    return numbers, problems


def kind_problems(kind, numbers):
    """Why these numbers cannot be ported as `kind`: landline numbers never become mobile ones."""
    by_kind = {}
    for number in numbers:
        by_kind.setdefault(number_kind(number), []).append(number)
    problems = []
    if by_kind.get("service"):
        problems.append(_("%(numbers)s: short numbers and 70-, 80- and 90-numbers cannot be ported here. "
                          "Create a support ticket.", numbers=_few(by_kind["service"])))
    landline, mobile = by_kind.get("landline", []), by_kind.get("mobile", [])
    if kind == "mobile" and landline:
        problems.append(ngettext(
            "%(numbers)s is a landline number: landline numbers cannot be ported to mobile. Choose landline, "
            "or remove the number.",
            "%(numbers)s are landline numbers: landline numbers cannot be ported to mobile. Choose landline, "
            "or remove the numbers.", len(landline), numbers=_few(landline)))
    if kind == "landline" and mobile:
        problems.append(ngettext(
            "%(numbers)s is a mobile number: mobile numbers cannot be ported to landline. Choose mobile, "
            "or remove the number.",
            "%(numbers)s are mobile numbers: mobile numbers cannot be ported to landline. Choose mobile, "
            "or remove the numbers.", len(mobile), numbers=_few(mobile)))
    return problems


def check_numbers(kind, text):
    """The form's live check: {"numbers", "runs", "problems"}; no database, nothing of anyone's."""
    numbers, problems = parse_numbers(text)
    if not problems and kind in NUMBER_KINDS:
        problems = kind_problems(kind, numbers)
    return {"numbers": numbers, "runs": runs(numbers)[:10], "problems": problems}


def _taken(numbers, company_id, exclude_request=None):
    """The numbers already with us: a subscription in our network, another open port-in
    request, or a number the company already holds."""
    taken = set()
    for batch in chunked(numbers, 400):
        taken.update(n for (n,) in Subscription.select(Subscription.number).where(
            Subscription.number.in_(batch), Subscription.status.not_in(ENDED)).tuples())
        requested = (PortingNumber.select(PortingNumber.number).join(PortingRequest)
                     .where(PortingNumber.number.in_(batch), PortingRequest.status.in_(OPEN_PORTING)))
        single = PortingRequest.select(PortingRequest.number).where(
            PortingRequest.number.in_(batch), PortingRequest.status.in_(OPEN_PORTING))
        if exclude_request:
            requested = requested.where(PortingRequest.id != exclude_request)
            single = single.where(PortingRequest.id != exclude_request)
        taken.update(n for (n,) in requested.tuples())
        taken.update(n for (n,) in single.tuples())
    held = list(NumberRange.select(NumberRange.first, NumberRange.last).where(
        NumberRange.company == company_id, NumberRange.first <= max(numbers),
        NumberRange.last >= min(numbers)).tuples())
    for first, last in held:
        taken.update(n for n in numbers if len(n) == len(first) and first <= n <= last)
    return [n for n in numbers if n in taken]


# -- a port-in request: checking -------------------------------------------------------

@dataclass
class PortIn:
    """A checked port-in: what the preview shows and what is written."""

    kind: str
    numbers: list
    operator: str
    owner_name: str
    owner_cvr: str
    date: datetime.date
    account: object
    signer_name: str

    @property
    def count(self):
        return len(self.numbers)

    @property
    def runs(self):
        return runs(self.numbers)

    @property
    def operator_name(self):
        return operator_name(self.operator)

    @property
    def fee(self):
        return format_money(billing.FEES["fee_porting"][0])


def operator_name(code):
    return str(dict(DONOR_OPERATORS).get(code, code or ""))


def _text(errors, field, value, message):
    text = " ".join(str(value or "").split())
    if not text:
        errors[field] = message
    elif len(text) > NAME_MAX:
        errors[field] = _("This can be at most %(num)d characters.", num=NAME_MAX)
    return text


def _cvr(errors, value):
    try:
        return dk_cvr.validate(str(value or ""))
    except InvalidChecksum:
        errors["owner_cvr"] = _("That is not a valid CVR number. Check the digits.")
    except StdnumError:
        errors["owner_cvr"] = _("Enter the owner's CVR number with 8 digits.")
    return ""


def _date(errors, value):
    earliest = earliest_port_date()
    try:
        day = datetime.date.fromisoformat(str(value or "").strip())
    except ValueError:
        errors["date"] = _("Enter a date, for example %(example)s.", example=earliest.isoformat())
        return None
    if day < earliest:
        errors["date"] = _("The earliest date is %(date)s: the current operator has %(num)s working days to "
                           "answer, and numbers move on the working day after.",
                           date=format_date(earliest, "long"), num=DONOR_DEADLINE_WORKING_DAYS)
    elif day > utcnow().date() + datetime.timedelta(days=DAYS_AHEAD):
        errors["date"] = _("The date can be at most a year ahead.")
    elif not is_working_day(day):
        errors["date"] = _("Choose a working day: numbers do not move on weekends and public holidays.")
    return day


def _account(scope, value):
    """One of the scope's accounts by its number (or id), with its company."""
    text = str(value or "").strip()
    if not text.isdigit():
        return None
    query = scope.accounts().select(Account, Company).join(Company)
    return query.where((Account.number == text) | (Account.id == (parse_id(text) or 0))).first()


def clean_port_in(scope, values, account=None, exclude_request=None):
    """Every field of the form checked at once; a PortIn, or ServiceError.of({field: message}).

    The owner's CVR must be the CVR of the company the numbers are ported to (the chosen
    account's): the current operator rejects any other, so it is refused before sending."""
    errors = {}
    kind = values.get("kind")
    if kind not in NUMBER_KINDS:
        errors["kind"] = _("Choose whether the numbers are mobile or landline numbers.")
    numbers, problems = parse_numbers(values.get("numbers"))
    if not problems and kind in NUMBER_KINDS:
        problems = kind_problems(kind, numbers)
    if account is None:
        account = _account(scope, values.get("account"))
        if account is None:
            errors["account"] = _("Choose one of your accounts.")
    if not problems and account is not None:
        taken = _taken(numbers, account.company_id, exclude_request)
        if taken:
            problems.append(ngettext("%(numbers)s is already with us or in another port-in request.",
                                     "%(numbers)s are already with us or in another port-in request.",
                                     len(taken), numbers=_few(taken)))
    if problems:
        errors["numbers"] = " ".join(problems)
    operator = values.get("donor_operator")
    if operator not in dict(DONOR_OPERATORS):
        errors["donor_operator"] = _("Choose the current operator.")
    owner_name = _text(errors, "owner_name", values.get("owner_name"), _("Enter the registered owner's name."))
    owner_cvr = _cvr(errors, values.get("owner_cvr"))
    if owner_cvr and account is not None and owner_cvr != account.company.cvr:
        errors["owner_cvr"] = _("The owner's CVR is not the company's: the current operator will reject it. The "
                                "numbers are ported to %(company)s, CVR %(cvr)s.", company=account.company.name,
                                cvr=account.company.cvr)
    day = _date(errors, values.get("date"))
    signer = _text(errors, "signer_name", values.get("signer_name"),
                   _("Enter the name of the person who signed the power of attorney."))
    if str(values.get("consent") or "") not in ("y", "1", "on", "true", "True"):
        errors["consent"] = _("Confirm that the owner has given power of attorney.")
    if errors:
        raise ServiceError.of(errors)
    return PortIn(kind=kind, numbers=numbers, operator=operator, owner_name=owner_name, owner_cvr=owner_cvr,
                  date=day, account=account, signer_name=signer)


def _details(request_id, port):
    """The order's plain values: what /orders shows and the audit trail keeps."""
    all_runs = port.runs
    return {"porting_request_id": request_id, "kind": port.kind, "count": port.count,
            "numbers": ",".join(a if a == b else f"{a}-{b}" for a, b in all_runs[:10]),
            "more_runs": max(0, len(all_runs) - 10), "donor_operator": port.operator,
            "date": port.date.isoformat(), "owner_name": port.owner_name, "owner_cvr": port.owner_cvr,
            "signer_name": port.signer_name, "account": port.account.number}


def _write_numbers(request_id, numbers):
    PortingNumber.delete().where(PortingNumber.porting_request == request_id).execute()
    rows = [(request_id, i, n) for i, n in enumerate(numbers)]
    for batch in chunked(rows, 300):
        PortingNumber.insert_many(batch, fields=[PortingNumber.porting_request, PortingNumber.position,
                                                 PortingNumber.number]).execute()


def start_port_request(porting_id):
    """Hand the request to the operator side (after the transaction has committed)."""
    from jobs import enqueue
    from jobs.porting import advance_port_request

    enqueue(advance_port_request, porting_id)


_start = start_port_request


# -- a port-in request: placing, correcting, cancelling --------------------------------

def request_port_in(scope, values, preview=False):
    """A new port-in request and its order; with `preview`, the checked PortIn only.

    :raise Forbidden: without the `numbers` right.
    :raise ServiceError: every problem of the form at once."""
    scope.require("numbers")
    port = clean_port_in(scope, values)
    if preview:
        return port
    with db.atomic():
        now = utcnow()
        request = PortingRequest.create(
            customer=scope.customer_id, company=port.account.company_id, account=port.account.id,
            number=port.numbers[0], donor_operator=port.operator, requested_date=port.date,
            created_by=scope.user_id, kind=port.kind, owner_name=port.owner_name, owner_cvr=port.owner_cvr,
            signer_name=port.signer_name, number_count=port.count, created_at=now, updated_at=now)
        _write_numbers(request.id, port.numbers)
        order = orders.create(scope, "port_request", account=port.account, details=_details(request.id, port))
        PortingRequest.update(order=order.id).where(PortingRequest.id == request.id).execute()
        fraud.guard(scope, order)  # sent to the current operator once the notice is over
        request.order = order
    fraud.announce(order, numbers=port.numbers if port.kind == "mobile" else ())
    fraud.start(order, porting_id=request.id)
    return request


def correctable(request):
    """A request of /numbers/port-in that has not been sent yet (wizard requests follow their subscription)."""
    return request.status == "received" and request.order_id is not None


def _not_sent(request):
    if not correctable(request):
        raise ServiceError(_("The request has been sent to the current operator; it can no longer be changed. "
                             "Create a support ticket if something is wrong."))


def correct_port_in(scope, porting_id, values, preview=False):
    """Change an unsent request (numbers, kind, operator, owner, date, signer); the account stays.

    :raise NotFound: another customer's request, or one outside a limited membership's accounts."""
    request = get_port_request(scope, porting_id)
    _not_sent(request)
    port = clean_port_in(scope, values, account=request.account, exclude_request=request.id)
    if preview:
        return port
    with db.atomic():
        moved = (PortingRequest.update(
            number=port.numbers[0], donor_operator=port.operator, requested_date=port.date, kind=port.kind,
            owner_name=port.owner_name, owner_cvr=port.owner_cvr, signer_name=port.signer_name,
            number_count=port.count, updated_at=utcnow())
            .where(PortingRequest.id == request.id, PortingRequest.status == "received").execute())
        if not moved:
            _not_sent(PortingRequest.get_by_id(request.id))
        _write_numbers(request.id, port.numbers)
        details = _details(request.id, port)
        Order.update(details=json.dumps(details, ensure_ascii=False), updated_at=utcnow()).where(
            Order.id == request.order_id).execute()
        OrderStep.create(order=request.order_id, step="port_corrected")
        audit.record_for_scope(scope, "order.port_request_corrected", obj=request.order, porting_request=request.id,
                               **{k: v for k, v in details.items() if k != "porting_request_id"})
    _start(request.id)  # the demo's unsent request goes on; a waiting job finds it already sent
    return request


def cancel_port_in(scope, porting_id):
    """Cancel an unsent request; its order fails with the reason `cancelled`."""
    request = get_port_request(scope, porting_id)
    _not_sent(request)
    with db.atomic():
        moved = (PortingRequest.update(status="cancelled", rejection_reason="cancelled", updated_at=utcnow())
                 .where(PortingRequest.id == request.id, PortingRequest.status == "received").execute())
        if not moved:
            _not_sent(PortingRequest.get_by_id(request.id))
        orders.fail(request.order_id, "cancelled")
        audit.record_for_scope(scope, "order.port_request_cancelled", obj=request.order, porting_request=request.id)
    return request


# -- the operator side (jobs/porting.py) -----------------------------------------------

def _pace(setting="NETWORK_DELAY_SECONDS"):
    config = current_app.config
    time.sleep(max(0.0, float(config.get(setting, config.get("NETWORK_DELAY_SECONDS", 0)) or 0)))


def advance_port_request(porting_id):
    """Send the request, take the current operator's answer, and complete it when its date
    has come (demo and test mode: at once). Returns the request's status."""
    # The sending round: until then the request can be corrected or cancelled. PORTING_HOLD_SECONDS
    # (default: the network's delay) sets how long the simulation waits before sending.
    _pace("PORTING_HOLD_SECONDS")
    if not send(porting_id):
        request = PortingRequest.get_or_none(PortingRequest.id == porting_id)
        return request.status if request else "missing"
    status = donor_answer(porting_id)
    request = PortingRequest.get_by_id(porting_id)
    if status == "date_confirmed" and (current_app.config.get("DEMO_MODE")
                                       or request.confirmed_date <= utcnow().date()):
        _pace()
        status = complete(porting_id)
    return status


def send(porting_id):
    """received -> sent; False when it was cancelled, sent already, or is not a port_request."""
    request = PortingRequest.get_or_none(PortingRequest.id == porting_id)
    if request is None or request.order_id is None or not fraud.may_proceed(request.order_id):
        return False  # missing, a wizard's request, or under the fraud guard's notice
    with db.atomic():
        now = utcnow()
        moved = (PortingRequest.update(status="sent", updated_at=now)
                 .where(PortingRequest.id == porting_id, PortingRequest.status == "received").execute())
        if not moved:
            return False
        Order.update(status="in_progress", updated_at=now).where(
            Order.id == request.order_id, Order.status == "received").execute()
        OrderStep.create(order=request.order_id, step="port_sent")
    return True


def donor_answer(porting_id):
    """The current operator's answer to a sent request: date_confirmed, or rejected with a reason."""
    request = PortingRequest.get_by_id(porting_id)
    order = Order.get_by_id(request.order_id)
    try:
        network().carry_out(f"{order.idempotency_key}-donor", "port_request", json.loads(order.details or "{}"))
        reason = "owner_mismatch" if REJECT_MARKER in request.owner_name.lower() else None
    except NetworkRejected as rejected:
        reason = rejected.reason
    if reason:
        reject(porting_id, reason)
        return "rejected"
    with db.atomic():
        moved = (PortingRequest.update(status="date_confirmed", confirmed_date=request.requested_date,
                                       updated_at=utcnow())
                 .where(PortingRequest.id == porting_id, PortingRequest.status == "sent").execute())
        if moved:
            OrderStep.create(order=order.id, step="port_date_confirmed")
    return "date_confirmed"


def reject(porting_id, reason):
    """An open request is rejected: nothing moves, the order fails with the same reason."""
    request = PortingRequest.get_by_id(porting_id)
    with db.atomic():
        PortingRequest.update(status="rejected", rejection_reason=reason, updated_at=utcnow()).where(
            PortingRequest.id == porting_id, PortingRequest.status.in_(OPEN_PORTING)).execute()
        if request.order_id:
            orders.fail(request.order_id, reason)


def complete(porting_id):
    """On the confirmed date: the order is carried out (the network moves the numbers)."""
    request = PortingRequest.get_by_id(porting_id)
    if orders.carry_out(request.order_id) == "failed":
        reject(porting_id, Order.get_by_id(request.order_id).failure_reason)
        return "rejected"
    return PortingRequest.get_by_id(porting_id).status


def complete_due(today=None):
    """Requests whose confirmed date has come (a daily job outside demo mode); returns how many."""
    today = today or utcnow().date()
    due = [r for (r,) in PortingRequest.select(PortingRequest.id).where(
        PortingRequest.status == "date_confirmed", PortingRequest.confirmed_date <= today,
        PortingRequest.order.is_null(False)).tuples()]
    return sum(complete(porting_id) == "completed" for porting_id in due)


def _apply_port(order, details, answer):
    """In the transaction that completes the order: the numbers become the company's."""
    request = PortingRequest.get_or_none(PortingRequest.order == order.id)
    if request is None:
        return
    PortingRequest.update(status="completed", updated_at=utcnow()).where(PortingRequest.id == request.id).execute()
    numbers = [n for (n,) in PortingNumber.select(PortingNumber.number)
               .where(PortingNumber.porting_request == request.id).tuples()] or [request.number]
    rows = [(request.customer_id, request.company_id, request.account_id, first, last, request.kind, request.id)
            for first, last in runs(numbers)]
    fields = [NumberRange.customer, NumberRange.company, NumberRange.account, NumberRange.first,
              NumberRange.last, NumberRange.kind, NumberRange.porting_request]
    for batch in chunked(rows, 100):
        NumberRange.insert_many(batch, fields=fields).execute()
    billing.add_charge("fee_porting", account=Account.get_by_id(request.account_id))


def describe_port_request(d):
    """The order in one sentence (orders list and details)."""
    count = int(d.get("count") or 1)
    parts = []
    for item in str(d.get("numbers") or "").split(","):
        if item:
            first, _dash, last = item.partition("-")
            parts.append(f"{phone(first)}–{phone(last)}" if last else phone(first))
    numbers = ", ".join(parts) + (" …" if d.get("more_runs") else "")
    try:
        day = format_date(datetime.date.fromisoformat(d.get("date") or ""), "long")
    except ValueError:
        day = ""
    return ngettext("%(num)d number (%(numbers)s) is ported in from %(operator)s on %(date)s; owner %(owner)s, "
                    "CVR %(cvr)s.",
                    "%(num)d numbers (%(numbers)s) are ported in from %(operator)s on %(date)s; owner %(owner)s, "
                    "CVR %(cvr)s.", count, numbers=numbers, operator=operator_name(d.get("donor_operator")),
                    date=day, owner=d.get("owner_name", ""), cvr=d.get("owner_cvr", ""))


orders.register("port_request", _apply_port)
order_text.register("port_request", describe_port_request)


# -- reading port-in requests ----------------------------------------------------------

TRACK = ("received", "sent", "date_confirmed", "completed")
STEP_OF = {"port_sent": "sent", "port_date_confirmed": "date_confirmed", "completed": "completed",
           "failed": "ended"}


def get_port_request(scope, porting_id):
    """One request in scope with its account, or 404 (another customer's, another account's)."""
    scope.require("numbers")
    query = scope.porting_requests().select(PortingRequest, Account).join(Account)
    return scope.get(query, PortingRequest, porting_id)


def tracker(scope, porting_id):
    """The request, its numbers as runs, and its steps: [(status, when or None, state)]."""
    request = get_port_request(scope, porting_id)
    numbers = tracker_numbers(request)
    when = {"received": request.created_at}
    if request.order_id:
        for step, at in (OrderStep.select(OrderStep.step, OrderStep.created_at)
                         .where(OrderStep.order == request.order_id).order_by(OrderStep.created_at).tuples()):
            if step in STEP_OF:
                when[STEP_OF[step]] = at
    if request.status in TRACK:  # the steps reached so far are done; the next one is awaited
        reached = TRACK.index(request.status)
        steps = [(status, when.get(status), "done" if i <= reached else "next" if i == reached + 1 else "todo")
                 for i, status in enumerate(TRACK)]
    else:  # rejected or cancelled: the steps it got through, then its end
        steps = [(status, when[status], "done") for status in TRACK if status in when]
        steps.append((request.status, when.get("ended"), "ended"))
    return {"item": request, "numbers": numbers, "runs": runs(numbers), "steps": steps,
            "can_change": correctable(request)}


def recent_port_requests(scope, limit=5):
    """The requests for the numbers page, and how many are open: the open ones first, by the day
    their numbers move (the day the page shows), then the newest of the rest to fill `limit`."""
    scope.require("numbers")
    is_open = PortingRequest.status.in_(OPEN_PORTING)
    moves_on = fn.COALESCE(PortingRequest.confirmed_date, PortingRequest.requested_date)
    shown = list(scope.porting_requests().where(is_open).order_by(moves_on, PortingRequest.id).limit(limit))
    if len(shown) < limit:
        shown.extend(scope.porting_requests().where(~is_open).order_by(
            PortingRequest.created_at.desc(), PortingRequest.id.desc()).limit(limit - len(shown)))
    open_count = scope.porting_requests().where(is_open).count()
    return shown, open_count


def list_port_requests(scope, page=1):
    scope.require("numbers")
    query = (scope.porting_requests().select(PortingRequest, Account).join(Account)
             .order_by(PortingRequest.created_at.desc(), PortingRequest.id.desc()))
    return paginate(query, page, per_page=PER_PAGE, count_query=scope.porting_requests())


def form_values(request):
    """An unsent request as the form's values, for correcting it."""
    data = tracker_numbers(request)
    return {"kind": request.kind, "numbers": "\n".join(
        phone(a) if a == b else f"{phone(a)} – {phone(b)}" for a, b in runs(data)),
        "donor_operator": request.donor_operator, "owner_name": request.owner_name,
        "owner_cvr": request.owner_cvr, "date": request.requested_date.isoformat(),
        "account": request.account.number, "signer_name": request.signer_name}


def tracker_numbers(request):
    numbers = [n for (n,) in PortingNumber.select(PortingNumber.number)
               .where(PortingNumber.porting_request == request.id).order_by(PortingNumber.position).tuples()]
    return numbers or [request.number]


# -- the numbers list ------------------------------------------------------------------

@dataclass
class CompanyNumber:
    """A number of the company outside subscriptions: a main number, a 70-number, a series."""

    first: str
    last: str
    type: str  # NUMBER_TYPES
    name: str = ""
    forward_to: str = ""
    account_number: str = ""
    porting: object = None  # the port-in request it came with

    @property
    def count(self):
        return int(self.last[1:]) - int(self.first[1:]) + 1


@dataclass
class CappedPage(Page):
    capped: bool = False  # more than COUNT_CAP match: `total` is the cap


def parse_filters(args):
    def text(name, limit=100):
        return str(args.get(name) or "").strip()[:limit]

    account = text("account", 20).replace(" ", "")
    return {"q": text("q"), "type": text("type") if text("type") in NUMBER_TYPES else "",
            "account": account if account.isdigit() else ""}


def _needle(q):
    """What to look for: the digits of a number (spaces, + and dashes dropped), or lower-case text."""
    digits = re.sub(r"[\s+\-]", "", q or "")
    if digits.isdigit():
        return digits[2:] if digits.startswith("45") and len(digits) == 10 else digits
    return (q or "").strip().lower()


def _matches(row, needle):
    if not needle:
        return True
    if needle.isdigit():
        if needle in row.first[3:] or needle in row.last[3:]:
            return True
        return len(needle) == 8 and row.first[3:] <= needle <= row.last[3:]
    return needle in row.name.lower() or needle in row.forward_to.lower()


def _account_id(account_number):
    by_number = Account.alias("by_number")
    return by_number.select(by_number.id).where(by_number.number == account_number)


def company_numbers(scope, q="", type="", account=""):
    """Main numbers, 70-numbers and series matching the filters (three small queries at most)."""
    scope.require("numbers")
    rows = []
    if not scope.limited and not account:
        if type in ("", "main"):
            rows += [CompanyNumber(p.main_number, p.main_number, "main", p.name)
                     for p in scope.phone_systems().limit(COMPANY_LIMIT)]
        if type in ("", "personal"):
            rows += [CompanyNumber(p.number, p.number, "personal", p.name, p.forward_to)
                     for p in scope.personal_numbers().limit(COMPANY_LIMIT)]
    if type in ("", "series", "mobile", "landline"):
        ranges = (scope.number_ranges().select_extend(Account.number, PortingRequest.id,
                                                      PortingRequest.donor_operator, PortingRequest.requested_date)
                  .join(Account, JOIN.LEFT_OUTER, on=(NumberRange.account == Account.id))
                  .switch(NumberRange)
                  .join(PortingRequest, JOIN.LEFT_OUTER, on=(NumberRange.porting_request == PortingRequest.id)))
        if account:
            ranges = ranges.where(NumberRange.account == _account_id(account))
        for r in ranges.order_by(NumberRange.first).limit(COMPANY_LIMIT):
            row = CompanyNumber(r.first, r.last, "series" if r.count > 1 else r.kind, r.description,
                                account_number=r.account.number if r.account_id else "",
                                porting=r.porting_request if r.porting_request_id else None)
            if not type or row.type == type:
                rows.append(row)
    needle = _needle(q)
    return sorted((r for r in rows if _matches(r, needle)), key=lambda r: r.first)


def subscription_numbers(scope, q="", type="", account="", page=1):
    """One page of the subscriptions' numbers in number order: two queries (capped count, rows).
    None when the type filter asks for company-wide numbers only."""
    scope.require("numbers")
    if type not in ("", "mobile", "landline"):
        return None
    query = scope.subscriptions(details=False).where(
        Subscription.kind.in_((type,) if type else NUMBER_KINDS), Subscription.status.not_in(ENDED))
    needle = _needle(q)
    if needle:
        query = query.where(Subscription.search_key.contains(needle))
    if account:
        query = query.where(Subscription.account == _account_id(account))
    number = min(parse_id(page) or 1, COUNT_CAP // PER_PAGE)
    rows = query.select_extend(Account.id, Account.number).join(Account)
    start = (number - 1) * PER_PAGE
    if needle:
        # A search scans the rows anyway: that one scan gives the count and, unless it hits the
        # cap, this page's ids, where walking the number index would visit every row again.
        hits = list(query.select(Subscription.id, Subscription.number).order_by().limit(COUNT_CAP + 1).tuples())
        total = len(hits)
        number, start = _within(number, total)
        if total <= COUNT_CAP:
            ids = [i for i, _n in sorted(hits, key=lambda hit: (hit[1], hit[0]))[start:start + PER_PAGE]]
            rows = rows.where(Subscription.id.in_(ids)) if ids else None
    else:
        total = query.select(Subscription.id).order_by().limit(COUNT_CAP + 1).count()
        number, start = _within(number, total)
    if total <= start:  # past the end, or nothing found: no second query
        rows = None
    elif not needle or total > COUNT_CAP:
        rows = rows.paginate(number, PER_PAGE)
    rows = list(rows.order_by(Subscription.number, Subscription.id)) if rows is not None else []
    return CappedPage(items=rows, number=number, per_page=PER_PAGE, total=min(total, COUNT_CAP),
                      capped=total > COUNT_CAP)


def _within(number, total):
    """A page past the end is the last page (and its first row's offset)."""
    number = min(number, max(1, -(-min(total, COUNT_CAP) // PER_PAGE)))
    return number, (number - 1) * PER_PAGE


def account_options(scope, limit=200):
    """The account filter's choices; None when there are too many for a select."""
    accounts = list(scope.accounts().select(Account.id, Account.number, Account.name)
                    .order_by(Account.number).limit(limit + 1))
    return accounts if len(accounts) <= limit else None


# -- port lock -------------------------------------------------------------------------

def get_lockable(scope, subscription_id):
    """A subscription in scope, for its row on the numbers page; 404 outside the scope."""
    scope.require("numbers")
    return scope.get(scope.subscriptions(details=False), Subscription, subscription_id)


def set_port_lock(scope, subscription_id, locked):
    """An administrator locks a number against port-outs, or lifts the lock.

    :raise Forbidden: not an administrator (or without `numbers`).
    :raise NotFound: a subscription outside the scope."""
    scope.require("numbers")
    if not scope.is_admin:
        raise Forbidden()
    subscription = get_lockable(scope, subscription_id)
    if subscription.kind not in NUMBER_KINDS or subscription.ended:
        raise ServiceError(_("Only the numbers of running mobile and landline subscriptions can be locked."))
    locked = bool(locked)
    if subscription.port_locked != locked:
        with db.atomic():
            Subscription.update(port_locked=locked).where(Subscription.id == subscription.id).execute()
            audit.record_for_scope(scope, "subscription.port_lock", obj=subscription, number=subscription.number,
                                   locked=locked)
    subscription.port_locked = locked
    return subscription


def refuse_port_out(subscription):
    """A locked number may not move to another operator (a cancellation with reason moving_operator)."""
    if subscription.port_locked:
        raise ServiceError(_("%(number)s has a port lock: it cannot move to another operator. An administrator "
                             "can lift the lock under Numbers.", number=phone(subscription.number)), "reason")
