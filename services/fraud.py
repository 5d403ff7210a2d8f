"""The fraud guard on moves of a number: SIM change (and eSIM reissue), transfer, cancellation,
port-out (a cancellation with the reason `moving_operator`) and port requests.

- **Notice before it happens.** The order's services call `guard` inside the transaction that
  writes the order, and `announce` after it has committed: an SMS to the number (or numbers) and
  an e-mail to the company's admins, each in the reader's language. The order then waits
  `notice_minutes()` (config FRAUD_NOTICE_MINUTES) before it goes to the network; until it has
  gone, an admin can stop it from the order page ("This wasn't us": `stop`), which fails the
  order, audits it and e-mails the operator's staff.
- **Port-out after a SIM change.** A port-out within PORT_OUT_REVIEW_DAYS of a SIM change waits
  for staff review (`held_for_review`, `decide`).
- **Bursts.** Many SIM changes per company, or PUK reveals per user, in an hour ask for a new
  second-factor code (`check_sim_burst`, `after_codes_revealed`) and e-mail the admins.

The state lives in the order's steps (OrderStep), so no schema change: `notice` (note: until
when, UTC ISO), `notice_over` (released to the network), `review_held`, `review_approved`,
`review_rejected`, `fraud_stopped`. The provisioning job (and the port-in sender) ask
`may_proceed` before they carry an order out; `release_due` starts orders whose notice is over.
"""
import datetime
import json
import threading

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.exceptions import Forbidden, NotFound

from models import AuditEvent, Company, Membership, Order, OrderStep, PortingRequest, Subscription, User, db, utcnow

from . import audit, orders, sessions
from .errors import ServiceError
from .ids import parse_id
from .messages import in_locale, public_url, queue_message

# The kinds whose notice is sent before they are carried out (a cancellation covers port-out).
NOTICE_KINDS = ("sim_change", "transfer", "cancel", "port_request")
# A SIM swap followed by a port-out is the classic way to steal a number (and the bank codes sent
# to it); a week gives the real holder time to notice that their SIM stopped working.
PORT_OUT_REVIEW_DAYS = 7
# A company changes a few SIM cards a week; three within an hour is what a run through a stolen
# admin session looks like, while a real mass replacement goes through the operator's support.
SIM_CHANGES_PER_HOUR = 3
# An admin looks up a PUK for a locked phone now and then; five within an hour is harvesting.
PUK_REVEALS_PER_HOUR = 5
BURST_WINDOW = datetime.timedelta(hours=1)
# Without FRAUD_NOTICE_MINUTES: production waits a quarter of an hour, the demo two minutes
# (long enough to press "This wasn't us"), tests none unless they set it.
DEFAULT_NOTICE_MINUTES = {"testing": 0, "demo": 2}
PRODUCTION_NOTICE_MINUTES = 15
MAX_NOTIFIED_NUMBERS = 10  # a port request of a long range texts its first numbers only
BULK_NOTICE_LINES = 20  # a bulk request's notice lists this many subscriptions, then "and M more"

FRAUD_STEPS = ("notice", "notice_over", "review_held", "review_approved", "review_rejected", "fraud_stopped")


class StepUpRequired(ServiceError):
    """The action needs a second-factor code entered after the last one of its kind."""

    def __init__(self, message):
        super().__init__(message, "step_up")


def notice_minutes():
    config = current_app.config
    value = config.get("FRAUD_NOTICE_MINUTES")
    if value is None:
        value = DEFAULT_NOTICE_MINUTES.get(config.get("ENV_MODE"), PRODUCTION_NOTICE_MINUTES)
    return max(0.0, float(value))


# -- placing: guard (in the transaction), announce and start (after it) -----------------------------

def port_out_needs_review(subscription_id, now=None):
    """A SIM change (not failed) placed within PORT_OUT_REVIEW_DAYS before now."""
    since = (now or utcnow()) - datetime.timedelta(days=PORT_OUT_REVIEW_DAYS)
    return (Order.select().where(Order.subscription == subscription_id, Order.kind == "sim_change",
                                 Order.status != "failed", Order.created_at >= since).exists())


def guard(scope, order, review=False):
    """Inside the order's transaction: its notice period and, for `review`, the hold for staff."""
    minutes = notice_minutes()
    if minutes:
        until = order.created_at + datetime.timedelta(minutes=minutes)
        OrderStep.create(order=order.id, step="notice", note=until.isoformat(timespec="seconds"))
    if review:
        OrderStep.create(order=order.id, step="review_held")
        audit.record_for_scope(scope, "order.held_for_review", obj=order, kind=order.kind,
                               days=PORT_OUT_REVIEW_DAYS)


def start(order, porting_id=None):
    """After commit: carry the order out now, or once its notice is over (a timer in-process; the
    recurring `release_due` everywhere, so a restart loses nothing)."""
    if _steps(order.id) & {"notice", "review_held"}:
        _schedule(order.id)
    elif not order.acceptance_hash:  # a transfer waits for the new holder (accept_transfer submits it)
        _go(order.kind, order.id, porting_id)


def _go(kind, order_id, porting_id=None):
    if kind == "port_request":
        from .numbers import start_port_request

        start_port_request(porting_id or _porting_id(order_id))
    else:
        orders.submit(Order.get_by_id(order_id))


def _porting_id(order_id):
    request = PortingRequest.get_or_none(PortingRequest.order == order_id)
    return request.id if request else None


def _schedule(order_id):
    """In-process jobs (the demo): release this order when its notice is over. With Redis the
    worker's scheduler runs `release_due` every minute instead."""
    if current_app.config.get("REDIS_URL") or current_app.config.get("JOBS_INLINE"):
        return
    seconds = notice_minutes() * 60 + 1

    def release():
        from jobs.provisioning import release_due_orders

        release_due_orders()

    timer = threading.Timer(seconds, release)
    timer.daemon = True
    timer.start()


def _steps(order_id):
    return {s for (s,) in OrderStep.select(OrderStep.step).where(
        OrderStep.order == order_id, OrderStep.step.in_(FRAUD_STEPS)).tuples()}


def _notice_until(order_id):
    step = OrderStep.get_or_none(OrderStep.order == order_id, OrderStep.step == "notice")
    return datetime.datetime.fromisoformat(step.note) if step else None


def waiting(order_id, now=None):
    """Why the order may not go to the network yet: "stopped", "review", "notice", or None."""
    steps = _steps(order_id)
    if "fraud_stopped" in steps or "review_rejected" in steps:
        return "stopped"
    if "review_held" in steps and "review_approved" not in steps:
        return "review"
    if "notice" in steps and "notice_over" not in steps:
        until = _notice_until(order_id)
        if until and until > (now or utcnow()):
            return "notice"
    return None


def may_proceed(order_id, now=None):
    """Asked by the job that carries an order out; marks the notice as over the first time."""
    if waiting(order_id, now):
        return False
    steps = _steps(order_id)
    if "notice" in steps and "notice_over" not in steps:
        with db.atomic():
            OrderStep.create(order=order_id, step="notice_over")
    return True


def release_due(now=None):
    """Start every open order whose notice is over and that waits for nothing else; returns how many.
    Run by the worker's scheduler (and a timer in the in-process demo)."""
    now = now or utcnow()
    candidates = (Order.select(Order.id, Order.kind).join(OrderStep, on=(OrderStep.order == Order.id))
                  .where(Order.status == "received", Order.acceptance_hash.is_null(),
                         OrderStep.step.in_(("notice", "review_approved"))).distinct())
    started = 0
    for order in candidates:
        steps = _steps(order.id)
        if "notice_over" in steps or waiting(order.id, now):
            continue
        if "notice" not in steps and "review_approved" not in steps:
            continue
        if may_proceed(order.id, now):
            _go(order.kind, order.id)
            started += 1
    return started


# -- the notices ----------------------------------------------------------------------------------

def admins_of(company_id):
    return list(User.select(User.id, User.email, User.locale).join(Membership)
                .where(Membership.company == company_id, Membership.is_admin == True,  # noqa: E712
                       User.status == "active", User.kind == "customer"))


def _sms_text(kind, minutes):
    texts = {
        "sim_change": _("A new SIM card has been ordered for your number. If you did not expect this, contact "
                        "your company's administrator at once."),
        "transfer": _("Your number is about to be transferred to a new holder. If you did not expect this, "
                      "contact your company's administrator at once."),
        "cancel": _("A cancellation of the subscription with this number has been ordered. If you did not expect "
                    "this, contact your company's administrator at once."),
        "port_out": _("Your number is about to move to another operator. If you did not expect this, contact "
                      "your company's administrator at once."),
        "port_request": _("A request to move this number to us has been placed. If you did not expect this, "
                          "contact your operator at once."),
    }
    return texts[kind]


def _subject(kind):
    return {"sim_change": _("SIM change ordered"), "transfer": _("Transfer ordered"),
            "cancel": _("Cancellation ordered"), "port_out": _("Port-out ordered"),
            "port_request": _("Port request placed")}[kind]


def _email_text(kind, what, minutes, url):
    if minutes:
        when = _("It will be carried out in %(num)d minutes unless you stop it.", num=int(round(minutes)))
    else:
        when = _("It is being carried out now.")
    return _("%(what)s has been ordered in your company's self-service. %(when)s If this wasn't you or a "
             "colleague, open the order and choose \"This wasn't us\": %(url)s",
             what=what, when=when, url=url)


def _what(kind, details):
    number = details.get("number") or details.get("numbers", "")
    return {"sim_change": _("A new SIM card for %(number)s", number=number),
            "transfer": _("A transfer of %(number)s to a new holder", number=number),
            "cancel": _("A cancellation of %(number)s", number=number),
            "port_out": _("A move of %(number)s to another operator", number=number),
            "port_request": _("A port request for %(number)s", number=number)}[kind]


def announce(order, numbers=(), admins=True):
    """After commit: the SMS to the number(s) and the e-mail to each admin, before it is carried out.
    `admins=False`: the e-mail is left out (a bulk request tells the admins once: `announce_many`)."""
    details = json.loads(order.details or "{}")
    kind = order.kind
    if kind == "cancel" and details.get("reason") == "moving_operator":
        kind = "port_out"
    minutes = notice_minutes()
    recipients = list(numbers) or ([details["number"]] if details.get("number") else [])
    holder_locale = None
    if order.subscription_id:
        employee = User.get_or_none(User.subscription == order.subscription_id, User.kind == "employee")
        holder_locale = employee.locale if employee else None
    for number in recipients[:MAX_NOTIFIED_NUMBERS]:
        if number.startswith("+45") and number[3:4] in "23456789":
            queue_message("sms", number, in_locale(holder_locale, lambda: _sms_text(kind, minutes)),
                          company=order.company_id)
    if not admins:
        return
    url = public_url("orders.detail", order_id=order.id)
    for admin in admins_of(order.company_id):
        queue_message("email", admin.email,
                      in_locale(admin.locale, lambda: _email_text(kind, _what(kind, details), minutes, url)),
                      subject=in_locale(admin.locale, lambda: _subject(kind)), user=admin.id,
                      company=order.company_id)


def _many_subject(kind, total):
    if kind == "port_out":
        return ngettext("Port-out of %(num)d number ordered", "Port-out of %(num)d numbers ordered", total)
    return ngettext("Cancellation of %(num)d subscription ordered", "Cancellation of %(num)d subscriptions ordered",
                    total)


def _many_text(kind, total, lines, minutes, url):
    if kind == "port_out":
        what = ngettext("A move of %(num)d number to another operator",
                        "A move of %(num)d numbers to another operator", total)
    else:
        what = ngettext("A cancellation of %(num)d subscription", "A cancellation of %(num)d subscriptions", total)
    if minutes:
        when = _("Each is carried out %(num)d minutes after it is placed unless you stop it.", num=int(round(minutes)))
    else:
        when = _("They are being carried out now.")
    parts = [_("%(what)s has been ordered in your company's self-service, in one request. %(when)s", what=what,
               when=when), "", *lines]
    more = total - len(lines)
    if more > 0:
        parts.append(ngettext("and %(num)d more", "and %(num)d more", more))
    parts += ["", _("If this wasn't you or a colleague, contact us at once. Every order of the request, each with "
                    "\"This wasn't us\" while it can still be stopped: %(url)s", url=url)]
    return "\n".join(parts)


def announce_many(company_id, kind, lines, total, url):
    """After commit: ONE e-mail per admin for `total` orders of one kind placed together (a bulk
    cancellation), listing `lines` (the first BULK_NOTICE_LINES subscriptions), "and M more", and
    `url` (the request's orders). Each number still gets its own SMS (`announce(admins=False)`)."""
    minutes = notice_minutes()
    for admin in admins_of(company_id):
        queue_message("email", admin.email,
                      in_locale(admin.locale, lambda: _many_text(kind, total, lines, minutes, url)),
                      subject=in_locale(admin.locale, lambda: _many_subject(kind, total)), user=admin.id,
                      company=company_id)


# -- "This wasn't us" ------------------------------------------------------------------------------

def stoppable(order):
    """An admin may stop an order until it has gone to the network (its notice, or a review hold)."""
    if order.status != "received":
        return False
    steps = _steps(order.id)
    if steps & {"fraud_stopped", "review_rejected", "notice_over"}:
        return False
    return bool(steps & {"notice", "review_held"})


def stop(scope, order_id):
    """An admin stops an order under notice: it fails ("fraud_stopped"), audited, staff e-mailed.

    :raise Forbidden: not an admin of the company. :raise NotFound: another customer's order."""
    scope.require("orders")
    order = scope.get(scope.orders(), Order, order_id)
    if not scope.is_admin:
        raise Forbidden()
    if not stoppable(order):
        raise ServiceError(_("The order can no longer be stopped: it has gone to the network. Create a support "
                             "ticket at once if it wasn't you."))
    with db.atomic():
        claimed = (Order.update(updated_at=utcnow())
                   .where(Order.id == order.id, Order.status == "received").execute())
        if not claimed or not stoppable(order):
            raise ServiceError(_("The order can no longer be stopped: it has gone to the network. Create a "
                                 "support ticket at once if it wasn't you."))
        OrderStep.create(order=order.id, step="fraud_stopped")
        if order.kind == "port_request":
            PortingRequest.update(status="cancelled", rejection_reason="fraud_stopped", updated_at=utcnow()).where(
                PortingRequest.order == order.id, PortingRequest.status == "received").execute()
        orders.fail(order.id, "fraud_stopped")
        audit.record_for_scope(scope, "order.fraud_stopped", obj=order, kind=order.kind)
    _alert_staff(order)
    return Order.get_by_id(order.id)


def _alert_staff(order):
    details = json.loads(order.details or "{}")
    company = order.company.name
    for person in User.select(User.email, User.locale).where(User.kind == "staff", User.status == "active"):
        queue_message("email", person.email, in_locale(person.locale, lambda: _(
            "%(company)s stopped order %(id)s (%(number)s) as \"This wasn't us\". Check the company's logins "
            "and recent orders: %(url)s", company=company, id=order.id,
            number=details.get("number") or details.get("numbers", ""),
            url=public_url("staff.fraud_reviews"))),
            subject=in_locale(person.locale, lambda: _("Possible fraud: order stopped by the customer")))


# -- staff review of port-outs after a SIM change ----------------------------------------------------

def held_for_review():
    """Orders waiting for staff review, oldest first (staff only: across customers)."""
    decided = OrderStep.select(OrderStep.order).where(OrderStep.step.in_(("review_approved", "review_rejected")))
    return list(Order.select(Order, Subscription, Company).join(OrderStep, on=(OrderStep.order == Order.id))
                .switch(Order).join(Subscription, on=(Order.subscription == Subscription.id))
                .switch(Order).join(Company, on=(Order.company == Company.id))
                .where(OrderStep.step == "review_held", Order.status == "received", Order.id.not_in(decided))
                .order_by(Order.created_at))


def recent_sim_changes(subscription_id):
    return list(Order.select().where(Order.subscription == subscription_id, Order.kind == "sim_change")
                .order_by(Order.created_at.desc()).limit(3))


def decide(staff_user, order_id, approve):
    """Staff approve (the order goes on once its notice is over) or reject (it fails) a held order."""
    if getattr(staff_user, "kind", None) != "staff":
        raise Forbidden()
    order = Order.get_or_none(Order.id == parse_id(order_id)) if parse_id(order_id) else None
    if order is None:
        raise NotFound()
    if waiting(order.id) == "stopped" or order.status != "received" or "review_held" not in _steps(order.id) \
            or _steps(order.id) & {"review_approved", "review_rejected"}:
        raise ServiceError(_("The order is not waiting for review any more."))
    with db.atomic():
        OrderStep.create(order=order.id, step="review_approved" if approve else "review_rejected")
        if not approve:
            orders.fail(order.id, "review_rejected")
        audit.record("order.review_approved" if approve else "order.review_rejected", user=staff_user.id,
                     customer=order.customer_id, company=order.company_id, obj=order, kind=order.kind)
    if approve and may_proceed(order.id):
        _go(order.kind, order.id)
    elif approve:
        _schedule(order.id)
    return Order.get_by_id(order.id)


# -- bursts: many SIM changes or PUK reveals within an hour -----------------------------------------

def _alert_admins_once(scope, company_id, what, text_fn, subject_fn):
    """One e-mail per company and kind of burst per hour (audited), not one per action."""
    since = utcnow() - BURST_WINDOW
    if AuditEvent.select().where(AuditEvent.action == f"fraud.{what}", AuditEvent.company == company_id,
                                 AuditEvent.created_at >= since).exists():
        return
    with db.atomic():
        audit.record_for_scope(scope, f"fraud.{what}", object_type="company", object_id=company_id)
    for admin in admins_of(company_id):
        queue_message("email", admin.email, in_locale(admin.locale, text_fn),
                      subject=in_locale(admin.locale, subject_fn), user=admin.id, company=company_id)


def check_sim_burst(scope, subscription):
    """Before a SIM change: from the SIM_CHANGES_PER_HOUR-th of the company within an hour on, the
    user must have given a second factor after the company's latest SIM change; else the admins are
    told and StepUpRequired is raised."""
    since = utcnow() - BURST_WINDOW
    recent = list(Order.select(Order.created_at).where(
        Order.company == subscription.company_id, Order.kind == "sim_change", Order.created_at >= since)
        .order_by(Order.created_at.desc()))
    if len(recent) + 1 < SIM_CHANGES_PER_HOUR:
        return
    fresh = sessions.second_factor_at()
    if fresh is not None and fresh > recent[0].created_at:
        return
    _alert_admins_once(scope, subscription.company_id, "sim_burst", lambda: _(
        "%(num)d SIM cards were changed in your company within the last hour. Further SIM changes need a new "
        "code from the second factor. If this wasn't you or a colleague, contact us at once.",
        num=len(recent) + 1), lambda: _("Many SIM changes in your company"))
    raise StepUpRequired(_("Many SIM cards were changed within an hour. Confirm with a new code from your second "
                           "factor, then try again."))


def after_codes_revealed(scope, subscription):
    """After a PIN/PUK reveal: when the user's next reveal within the hour would reach
    PUK_REVEALS_PER_HOUR, the next one needs a new code; at the limit the admins are told."""
    since = utcnow() - BURST_WINDOW
    count = AuditEvent.select().where(AuditEvent.action == "subscription.codes_revealed",
                                      AuditEvent.user == scope.user_id, AuditEvent.created_at >= since).count()
    if count + 1 >= PUK_REVEALS_PER_HOUR:
        sessions.spend_step_up()  # the next look-up asks for a new code, however recent the last one
    if count >= PUK_REVEALS_PER_HOUR:
        _alert_admins_once(scope, subscription.company_id, "puk_burst", lambda: _(
            "One of your company's logins has looked up PIN and PUK codes %(num)d times within the last hour. "
            "Each further look-up needs a new code from the second factor. If this is unexpected, check the "
            "audit trail.", num=count), lambda: _("Many PUK look-ups in your company"))


def state(order):
    """For the order page: {"waiting": None|"notice"|"review"|"stopped", "until": datetime|None,
    "stoppable": bool}."""
    return {"waiting": waiting(order.id) if order.status == "received" else None,
            "until": _notice_until(order.id), "stoppable": stoppable(order)}

