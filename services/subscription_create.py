"""Creating a subscription: the create-subscription wizard's service.

The wizard (blueprints/subscriptions/wizard.py) keeps plain values in a draft and asks
`check_step` for each step's errors, all at once. `create_subscription` is the last
line: it checks the right and every value again (the browser may be forged), writes the
pending subscription, a porting request for a port-in, and the order in one transaction,
and enqueues the order once that has committed. The provisioning job activates it
(services/orders.py `_apply_new`).

Numbers: a new number comes from the operator's pool (3–5 offered in the wizard); an
existing number is taken over from another operator (port-in) or from another company
or a private person (takeover). A number that is already a subscription in our network
(any status but cancelled or transferred) is refused. Internet and circuits get a line
id instead of a number.
"""
import datetime
import re
import secrets

import phonenumbers
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from stdnum.dk import cvr as dk_cvr

from integrations.network import POOL_PREFIXES, new_number
from models import Account, Company, Plan, PortingRequest, Subscription, db, utcnow
from models.catalogue import KINDS
from models.subscriptions import ENDED

from . import orders
from .errors import ServiceError
from .scope import search_accounts
from .validation import danish_number, email_address, order_date

PHONE_KINDS = ("mobile", "landline")
LINE_KINDS = ("internet", "circuit")
NUMBER_SOURCES = ("new", "port_in", "takeover")
OWNER_TYPES = ("company", "private")
SIM_FORMS = ("physical", "esim")
DONOR_OPERATORS = (("tdc", "TDC"), ("telia", "Telia"), ("telenor", "Telenor"), ("3", "3"),
                   ("lebara", "Lebara"), ("other", _l("Other operator")))
# The operator's own number pools: mobile numbers come from the network (91 xx xx xx),
# landline numbers from the local landline pool (72 xx xx xx).
LINE_PREFIX = {"internet": "DSL-", "circuit": "KRB-"}
OFFERED_NUMBERS = 4
NAME_MAX = 100
ADDRESS_MAX = 200
ACCOUNT_PICKER_LIMIT = 50


# -- choices the wizard shows ----------------------------------------------------------

def plans_for_kind(kind):
    """The active plans of a kind, cheapest first."""
    return Plan.for_kind(kind) if kind in KINDS else []


def number_in_use(number):
    """Any subscription (of any customer, any status) has this number."""
    return Subscription.select().where(Subscription.number == number).exists()


def offer_numbers(kind, count=OFFERED_NUMBERS):
    """`count` free numbers from the operator's pool that no subscription has."""
    if kind not in PHONE_KINDS:
        return []
    offered = []
    for _attempt in range(count * 20):
        number = new_number(kind)
        if number not in offered and not number_in_use(number):
            offered.append(number)
            if len(offered) == count:
                break
    return offered


def account_choices(scope, q="", selected=None, limit=ACCOUNT_PICKER_LIMIT):
    """(the selected account or None, other matching accounts, more?) among the scope's."""
    chosen = scope.account(selected)
    # each with its company: a subsidiary's accounts may have the same names ("Hovedkonto")
    accounts = scope.accounts().select_extend(Company.id, Company.name).join(Company)
    others = accounts.where(Account.id != chosen.id) if chosen else accounts
    return (chosen, *search_accounts(others, q, limit))


def next_working_day(day=None):
    """The first weekday after `day` (today); public holidays are not counted."""
    day = (day or utcnow().date()) + datetime.timedelta(days=1)
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    return day


def steps_for(kind):
    """The wizard's steps for a kind of subscription (before a kind is chosen: mobile's)."""
    middle = {"mobile": ("number", "sim"), "landline": ("number",),
              "internet": ("address",), "circuit": ("address",)}.get(kind, ("number", "sim"))
    return ("kind", "plan", *middle, "employee", "account", "summary")


# -- checking, one step at a time ------------------------------------------------------

def _name(text):
    return " ".join(str(text or "").split())


def _text(errors, values, field, message, maximum=NAME_MAX, minimum=1):
    text = _name(values.get(field))
    if len(text) < minimum:
        errors[field] = message
    elif len(text) > maximum:
        errors[field] = _("This can be at most %(num)d characters.", num=maximum)
    return text


def _existing_number(errors, field, kind, text):
    """An existing Danish number that may move into our network as `kind`."""
    number = danish_number(text)
    if number is None:
        errors[field] = _("Enter a Danish number with 8 digits.")
        return ""
    kind_of_number = phonenumbers.number_type(phonenumbers.parse(number))
    if kind == "mobile" and kind_of_number == phonenumbers.PhoneNumberType.FIXED_LINE:
        errors[field] = _("That is a landline number; it cannot become a mobile subscription.")
    elif kind == "landline" and kind_of_number == phonenumbers.PhoneNumberType.MOBILE:
        errors[field] = _("That is a mobile number; it cannot become a landline subscription.")
    elif (Subscription.select().where(Subscription.number == number, Subscription.status.not_in(ENDED))
          .exists()):
        errors[field] = _("%(number)s is already a subscription in our network.", number=text.strip())
    return number


def _cvr(errors, field, text):
    digits = re.sub(r"\s", "", str(text or ""))
    if not digits:
        errors[field] = _("Enter the owner's CVR number.")
    elif not dk_cvr.is_valid(digits):
        errors[field] = _("The CVR number is not valid. Check its 8 digits.")
    return digits


def parse_day(text):
    """A date from ISO text, or None."""
    try:
        return datetime.date.fromisoformat(str(text or "").strip())
    except ValueError:
        return None


def _day(errors, field, text, earliest):
    day, problem = order_date(text, earliest)
    if problem:
        errors[field] = problem
    return day


def _check_kind(scope, v, out, errors):
    if v.get("kind") not in KINDS:
        errors["kind"] = _("Choose the kind of subscription.")
    out["kind"] = v.get("kind")


def _check_plan(scope, v, out, errors):
    plan = Plan.get_or_none(Plan.code == str(v.get("plan") or ""), Plan.active == True)  # noqa: E712
    if plan is None or plan.kind != v.get("kind"):
        errors["plan"] = _("Choose a plan for this kind of subscription.")
    out["plan"] = plan


def _check_number(scope, v, out, errors):
    kind, source = v.get("kind"), v.get("number_source")
    out["number_source"] = source
    if source not in NUMBER_SOURCES:
        errors["number_source"] = _("Choose a new number or take over an existing one.")
    elif source == "new":
        number = danish_number(v.get("new_number"))
        if number is None or not number.startswith(POOL_PREFIXES.get(kind, "-")):
            errors["new_number"] = _("Choose one of the numbers offered.")
        elif number_in_use(number):
            errors["new_number"] = _("That number was just taken. Choose another one.")
        out["number"] = number or ""
    elif source == "port_in":
        out["number"] = _existing_number(errors, "port_number", kind, v.get("port_number"))
        operator = v.get("port_operator")
        if operator not in dict(DONOR_OPERATORS):
            errors["port_operator"] = _("Choose the current operator.")
        out["operator"] = operator
        out["owner_name"] = _text(errors, v, "port_owner_name", _("Enter the registered owner's name."))
        out["owner_cvr"] = _cvr(errors, "port_owner_cvr", v.get("port_owner_cvr"))
        if not v.get("port_consent"):
            errors["port_consent"] = _("The owner's consent is needed to move the number.")
        out["signer_name"] = _text(errors, v, "port_signer", _("Enter the name of the person who signs the consent."))
        earliest = next_working_day()
        out["date"] = _day(errors, "port_date", v.get("port_date"), earliest)
    else:  # takeover
        out["number"] = _existing_number(errors, "takeover_number", kind, v.get("takeover_number"))
        owner_type = v.get("takeover_owner_type")
        if owner_type not in OWNER_TYPES:
            errors["takeover_owner_type"] = _("Choose whether the number belongs to a company or a private person.")
        out["owner_type"] = owner_type
        out["owner_name"] = _text(errors, v, "takeover_owner_name", _("Enter the current owner's name."))
        out["owner_cvr"] = (_cvr(errors, "takeover_owner_cvr", v.get("takeover_owner_cvr"))
                            if owner_type == "company" else "")
        if not v.get("takeover_consent"):
            errors["takeover_consent"] = _("The current owner's consent is needed to take over the number.")


def _check_sim(scope, v, out, errors):
    form = v.get("sim_form")
    if form not in SIM_FORMS:
        errors["sim_form"] = _("Choose a SIM card or an eSIM.")
    out["sim_form"] = form
    if form == "physical":
        out["delivery_address"] = _text(errors, v, "delivery_address",
                                        _("Enter the address the SIM card is sent to."), ADDRESS_MAX, minimum=5)


def _check_address(scope, v, out, errors):
    street = _text(errors, v, "address", _("Enter the installation address."), ADDRESS_MAX)
    postcode = str(v.get("postcode") or "").strip()
    if not re.fullmatch(r"\d{4}", postcode):
        errors["postcode"] = _("A postcode has 4 digits.")
    city = _text(errors, v, "city", _("Enter the city."))
    out.update(address=street, postcode=postcode, city=city, full_address=f"{street}, {postcode} {city}")


def _check_employee(scope, v, out, errors):
    out["holder_name"] = _text(errors, v, "holder_name", _("Enter the employee's name."))
    email = str(v.get("holder_email") or "").strip()
    out["holder_email"] = ""
    if email:
        address = email_address(email)
        if address is None:
            errors["holder_email"] = _("Enter a valid e-mail address.")
        out["holder_email"] = address or ""


def _check_account(scope, v, out, errors):
    account = scope.account(v.get("account_id"))
    if account is None:
        errors["account_id"] = _("Choose one of your accounts.")
    out["account"] = account


CHECKS = {"kind": _check_kind, "plan": _check_plan, "number": _check_number, "sim": _check_sim,
          "address": _check_address, "employee": _check_employee, "account": _check_account}


def check_step(scope, step, values):
    """{field: message} for one step of the draft `values` (empty when it is fine)."""
    errors = {}
    check = CHECKS.get(step)
    if check is not None:
        check(scope, values, {}, errors)
    return errors


def clean(scope, values):
    """Every step checked: (cleaned values, {field: message})."""
    out, errors = {}, {}
    _check_kind(scope, values, out, errors)
    if errors:
        return out, errors
    for step in steps_for(out["kind"]):
        if step in CHECKS and step != "kind":
            CHECKS[step](scope, values, out, errors)
    return out, errors


# -- creating --------------------------------------------------------------------------

def _line_id(kind):
    for _attempt in range(50):
        line = LINE_PREFIX[kind] + "".join(secrets.choice("0123456789") for _ in range(7))
        if not number_in_use(line):
            return line
    raise ServiceError(_("No line id is free right now. Try again in a moment."))


def _details(c):
    kind = c["kind"]
    details = {"kind": kind, "plan": c["plan"].code, "number": c["number"], "holder_name": c["holder_name"],
               "holder_email": c["holder_email"], "account": c["account"].number}
    if kind == "mobile":
        details["sim_form"] = c["sim_form"]
        if c["sim_form"] == "physical":
            details["delivery_address"] = c["delivery_address"]
    if kind in LINE_KINDS:
        details["address"] = c["full_address"]
    source = c.get("number_source")
    if source == "port_in":
        details.update(donor_operator=c["operator"], owner_name=c["owner_name"], owner_cvr=c["owner_cvr"],
                       consent=True, consent_signer=c["signer_name"], date=c["date"].isoformat())
    elif source == "takeover":
        details.update(owner_type=c["owner_type"], owner_name=c["owner_name"], owner_cvr=c["owner_cvr"],
                       consent=True)
    return details


def order_kind(c):
    source = c.get("number_source") if c.get("kind") in PHONE_KINDS else "new"
    return {"new": "new_subscription", "port_in": "port_in", "takeover": "takeover"}[source]


def create_subscription(scope, draft_values):
    """Write a pending subscription and its order; returns (subscription, order).

    :raise Forbidden: without the `order` right.
    :raise ServiceError: the first bad value (with its field), or a number taken meanwhile.
    """
    scope.require("order")
    c, errors = clean(scope, dict(draft_values or {}))
    if errors:
        field, message = next(iter(errors.items()))
        raise ServiceError(message, field)
    kind, account = c["kind"], c["account"]
    if kind in LINE_KINDS:
        c["number"] = _line_id(kind)
    start = c.get("date") or utcnow().date()
    with db.atomic():
        if c.get("number_source") == "new" and number_in_use(c["number"]):
            raise ServiceError(_("That number was just taken. Choose another one."), "new_number")
        if kind in PHONE_KINDS and (Subscription.select().where(Subscription.number == c["number"],
                                                                 Subscription.status.not_in(ENDED)).exists()):
            raise ServiceError(_("%(number)s is already a subscription in our network.", number=c["number"]),
                               "number_source")
        subscription = Subscription.create(
            customer=scope.customer_id, company=account.company_id, account=account.id, kind=kind,
            number=c["number"], holder_name=c["holder_name"], holder_email=c["holder_email"],
            search_key=Subscription.make_search_key(c["holder_name"], c["number"], c["holder_email"]),
            plan=c["plan"].id, status="pending", start_date=start,
            address=c.get("full_address", "") if kind in LINE_KINDS else "")
        if c.get("number_source") == "port_in" and kind in PHONE_KINDS:
            PortingRequest.create(customer=scope.customer_id, company=account.company_id, account=account.id,
                                  number=c["number"], donor_operator=c["operator"], requested_date=c["date"],
                                  created_by=scope.user_id)
        order = orders.create(scope, order_kind(c), subscription=subscription, details=_details(c))
    orders.submit(order)
    return subscription, order
