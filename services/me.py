"""An employee's own subscription (`/me`): what they see of it and what they may do with it.

An employee has no membership: they hold one subscription (`User.subscription`). Every
function here takes that user and works on that subscription only, through an
`EmployeeScope` that sees nothing else: its subscription query is narrowed to the one id,
its orders to that subscription's, and the company-wide queries (invoices, tickets,
products, numbers) are refused. So the admin-side services (subscription_changes, usage)
run with their own checks and audit events, and the orders they place carry the employee
as `requested_by` for the company's admins to see under Order status.
"""
from dataclasses import dataclass

from flask_babel import gettext as _
from werkzeug.exceptions import Forbidden, NotFound

from models import AddOn, Order, SimCard, Subscription

from . import orders, usage
from . import subscription_changes as changes
from .errors import ServiceError
from .scope import Scope

# What a company lets its employees do themselves on /me. There is no company-level setting
# for it yet (neither Company nor Membership has one), so every company allows the same two;
# a setting the company's admins control would replace this constant. Anything else an
# employee wants goes through their administrator.
ALLOWED_ACTIONS = ("roaming", "sim")
ROAMING_ADDONS = usage.ROAMING_ADDON_CODES  # the add-ons an employee may buy before a trip
SIM_REASONS = ("lost", "damaged", "other")  # a replacement card is sent by post: no eSIM here
ADDRESS_MIN, ADDRESS_MAX = 5, 200
RECORDS_PER_PAGE = 20
RECENT_ORDERS = 5

# The rights the employee scope holds; the services check them as for any membership. They
# reach only the one subscription (EmployeeScope), and only the functions below call them.
EMPLOYEE_FUNCTIONS = frozenset({"subscriptions", "usage", "sim", "manage"})


@dataclass(frozen=True)
class EmployeeScope(Scope):
    """A scope of one subscription: the employee's own."""

    subscription_id: int = 0

    def subscriptions(self, details=True):
        return super().subscriptions(details).where(Subscription.id == self.subscription_id)

    def orders(self):
        return super().orders().where(Order.subscription == self.subscription_id)

    def _nothing(self, *args, **kwargs):
        raise Forbidden()

    companies = invoices = porting_requests = phone_systems = personal_numbers = number_ranges = tickets = _nothing


def scope_for(user):
    """The employee's scope, or 404 when the login holds no live subscription."""
    if user.kind != "employee" or not user.subscription_id:
        raise NotFound()
    row = (Subscription.select(Subscription.id, Subscription.customer, Subscription.company, Subscription.account)
           .where(Subscription.id == user.subscription_id).first())
    if row is None:
        raise NotFound()
    return EmployeeScope(
        user_id=user.id, membership_id=None, customer_id=row.customer_id, company_id=row.company_id,
        company_ids=(row.company_id,), account_ids=(row.account_id,), functions=EMPLOYEE_FUNCTIONS,
        is_admin=False, subscription_id=row.id)


def _own(scope):
    return scope.get(scope.subscriptions(), Subscription, scope.subscription_id)


def allowed(action):
    return action in ALLOWED_ACTIONS


def _require_allowed(action):
    if not allowed(action):
        raise Forbidden()


# -- reading ---------------------------------------------------------------------------

def page(user, records_page=1):
    """Everything /me shows: the subscription with plan and add-ons, the active SIM cards
    (without their codes), this period's meters, six months, one page of records, orders."""
    scope = scope_for(user)
    item = _own(scope)
    have, _others = changes.addons_for(item)
    period = usage.period_usage(item.id)
    return {
        "item": item, "addons": have,
        "sims": list(SimCard.select().where(SimCard.subscription == item.id, SimCard.status == "active")),
        "period": period, "meters": usage.meters(item.plan, period, have),
        "history": usage.six_months(item.id, since=item.start_date),
        "records": usage.itemised(item.id, records_page, per_page=RECORDS_PER_PAGE),
        "orders": _orders(scope), "open_orders": orders.open_orders(item.id),
        "actions": [a for a in ALLOWED_ACTIONS if _possible(item, a, have)],
    }


def records(user, records_page):
    """One page of the employee's itemised usage, called numbers masked."""
    scope = scope_for(user)
    item = _own(scope)
    return {"item": item, "records": usage.itemised(item.id, records_page, per_page=RECORDS_PER_PAGE)}


def open_orders(user):
    """The part /me polls while its orders are with the network."""
    scope = scope_for(user)
    item = _own(scope)
    return {"item": item, "orders": _orders(scope), "open_orders": orders.open_orders(item.id)}


def _orders(scope):
    return list(scope.orders().order_by(Order.created_at.desc(), Order.id.desc()).limit(RECENT_ORDERS))


def _possible(item, action, have):
    if item.ended or item.status == "pending":
        return False
    if action == "roaming":
        return item.kind == "mobile" and bool(roaming_choices(have))
    if action == "sim":
        return item.kind == "mobile"
    return False


def roaming_choices(have):
    held = {a.code for a in have}
    return [a for a in AddOn.select().where(AddOn.code.in_(ROAMING_ADDONS), AddOn.active == True)  # noqa: E712
            .order_by(AddOn.monthly_price) if a.code not in held]


def action_form(user, action):
    """What the form of an allowed action offers; 403 for an action the company does not allow."""
    _require_allowed(action)
    scope = scope_for(user)
    item = _own(scope)
    have, _others = changes.addons_for(item)
    return {"item": item, "addons": have, "roaming_choices": roaming_choices(have), "sim_reasons": SIM_REASONS}


# -- PIN and PUK -----------------------------------------------------------------------

def reveal_codes(user, stepped_up):
    """The active SIM cards with PIN and PUK, after a fresh second factor; audited without the codes."""
    scope = scope_for(user)
    return changes.reveal_codes(scope, scope.subscription_id, stepped_up)


# -- actions: each becomes an order the company's admins see ---------------------------

def buy_roaming(user, code, preview=False):
    """An `addon` order for one of the roaming add-ons (ROAMING_ADDONS)."""
    _require_allowed("roaming")
    scope = scope_for(user)
    item = _own(scope)
    code = (code or "").strip()
    if code not in ROAMING_ADDONS:
        raise ServiceError(_("Choose one of the travel add-ons."), "code")
    return changes.add_addon(scope, item.id, code, preview=preview)


def order_sim(user, address, reason, preview=False):
    """A `sim_change` order: a new physical SIM card sent to `address`; the old card stops
    working when it is activated. Every error of the form at once."""
    _require_allowed("sim")
    scope = scope_for(user)
    item = _own(scope)
    address = " ".join((address or "").split())
    errors = {}
    if not ADDRESS_MIN <= len(address) <= ADDRESS_MAX:
        errors["address"] = _("Enter the address the SIM card is sent to.")
    if reason not in SIM_REASONS:
        errors["reason"] = _("Choose a reason.")
    if errors:
        raise ServiceError.of(errors)
    return changes.change_sim(scope, item.id, "physical", address=address, reason=reason, preview=preview)

