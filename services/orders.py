"""The order pipeline: every change the operator carries out is an order.

A service places an order with its audit event in one transaction (`create`, inside the
caller's `db.atomic()`), and enqueues it once that has committed (`submit`); `place`
does both for one order. The provisioning job calls `carry_out`, which sends the order
to the operator network with its idempotency key and, on success, applies the change in
the same transaction that marks the order completed — guarded by `applied_at IS NULL`,
so a retried job never applies it twice. A rejected order changes nothing and keeps the
network's reason. Nothing else changes a subscription's plan, status, SIM, account,
add-ons or blocks.

Before `carry_out`, the provisioning job claims the order (`claim`: one UPDATE from "received",
or from an "in_progress" whose claim is older than CLAIM_LEASE, i.e. whose run died), so two
jobs for one order never both go to the network. An order whose job was never enqueued (the
process died between the commit and the enqueue, or Redis was down) or whose run died is found
by `sweep` (the maintenance job, every few minutes) and enqueued again.
"""
import datetime
import hashlib
import json
import logging
import secrets
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from peewee import JOIN, fn

from integrations.network import NetworkRejected, network
from jobs import enqueue
from jobs.provisioning import provision_order
from models import (
    Account,
    AddOn,
    AuditEvent,
    Order,
    OrderStep,
    Plan,
    SimCard,
    Subscription,
    SubscriptionAddOn,
    User,
    db,
    utcnow,
)
from models.orders import OPEN_STATUSES, ORDER_STATUSES

from . import audit, billing
from .errors import ServiceError
from .ids import parse_id
from .listing import paginate
from .order_text import describe

ACCEPTANCE_DAYS = 14
# A provisioning run holds its claim this long: longer than the job's timeout (RQ stops it by
# then), so a claim older than this belongs to a run that died.
CLAIM_LEASE = datetime.timedelta(seconds=provision_order.job_timeout + 60)
# An open order with no sign of life for this long has no live job (config ORDER_SWEEP_MINUTES):
# longer than the job's retries (10 + 30 + 120 s) and than a busy queue takes to start it.
SWEEP_GRACE_MINUTES = 10
SWEEP_LIMIT = 500  # orders enqueued again per sweep; the next sweep takes the rest
MAX_REQUEUES = 3  # an order swept this often that still did not finish fails (no job ever ends it)
# Orders with a life of their own: a port request waits for the current operator and its date.
NOT_SWEPT = ("port_request",)
log = logging.getLogger(__name__)


@dataclass
class Preview:
    """What an order would do, once every check has passed (confirmations, bulk previews)."""

    kind: str
    subscription: object
    details: dict

    @property
    def text(self):
        return describe(self.kind, self.details)


# -- placing ---------------------------------------------------------------------------

def create(scope, kind, *, subscription=None, account=None, company=None, details=None, batch=None,
           awaiting_acceptance=False):
    """Write an order, its first step and its audit event; call inside `db.atomic()`.

    Returns the order; with `awaiting_acceptance`, also sets a one-time token (returned
    as `order.acceptance_token`) whose hash the acceptance link is checked against."""
    if kind not in APPLY:
        raise ValueError(f"unknown order kind {kind!r}")
    if not db.in_transaction():
        raise RuntimeError("orders are created inside the change's transaction")
    account_id = account.id if account is not None else (subscription.account_id if subscription else None)
    if subscription is not None:
        company_id = subscription.company_id
    elif account is not None:
        company_id = account.company_id
    else:  # company-wide products (a phone system, a number range)
        company_id = company.id if hasattr(company, "id") else company
    token = secrets.token_urlsafe(24) if awaiting_acceptance else None
    order = Order.create(
        customer=scope.customer_id, company=company_id, account=account_id,
        subscription=subscription.id if subscription is not None else None, kind=kind,
        details=json.dumps(details or {}, ensure_ascii=False, default=str),
        requested_by=scope.user_id, batch=batch,
        acceptance_hash=_hash(token) if token else None)
    OrderStep.create(order=order.id, step="received")
    if token:
        OrderStep.create(order=order.id, step="waiting_acceptance")
    audit.record_for_scope(scope, f"order.{kind}", obj=order,
                           subscription=subscription.id if subscription is not None else None,
                           **_audit_values(details or {}))
    order.acceptance_token = token
    return order


def _audit_values(details):
    """What the audit trail keeps of an order's details: plain values, never codes."""
    return {k: v for k, v in details.items() if k not in audit.FORBIDDEN_KEYS}


def submit(*orders):
    """Enqueue provisioning for committed orders (those waiting for acceptance wait)."""
    for order in orders:
        if order is not None and not order.acceptance_hash:
            enqueue(provision_order, order.id)


def place(scope, kind, **kwargs):
    """Create one order in its own transaction and enqueue it."""
    with db.atomic():
        order = create(scope, kind, **kwargs)
    submit(order)
    return order


def new_batch():
    return secrets.token_hex(16)


def _hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


# -- checks services share -------------------------------------------------------------

def open_orders(subscription_id, kinds=None):
    query = Order.select().where(Order.subscription == subscription_id, Order.status.in_(OPEN_STATUSES))
    if kinds:
        query = query.where(Order.kind.in_(kinds))
    return list(query.order_by(Order.created_at))


def refuse_if_open(subscription, kinds, message):
    if open_orders(subscription.id, kinds):
        raise ServiceError(message)


def refuse_if_ended(subscription):
    if subscription.ended:
        raise ServiceError(_("The subscription has ended; it cannot be changed."))
    if subscription.status == "pending":
        raise ServiceError(_("The subscription is not active yet; wait for its order to complete."))


# -- acceptance of a transfer ----------------------------------------------------------

def order_for_acceptance(token):
    """The transfer waiting for this link's holder, or None (wrong, used or expired link)."""
    if not token or len(token) > 100:
        return None
    order = (Order.select(Order, Subscription).join(Subscription)
             .where(Order.acceptance_hash == _hash(token), Order.status == "received").first())
    if order is None or utcnow() - order.created_at > datetime.timedelta(days=ACCEPTANCE_DAYS):
        return None
    return order


def accept_transfer(token, accepted):
    """The new holder accepts (the order goes to the network) or declines (it fails)."""
    order = order_for_acceptance(token)
    if order is None:
        raise ServiceError(_("The link is not valid any more. Ask your employer to send it again."))
    with db.atomic():
        claimed = (Order.update(acceptance_hash=None, updated_at=utcnow())
                   .where(Order.id == order.id, Order.acceptance_hash.is_null(False)).execute())
        if not claimed:
            raise ServiceError(_("The link is not valid any more. Ask your employer to send it again."))
        order.acceptance_hash = None
        OrderStep.create(order=order.id, step="accepted" if accepted else "declined")
        audit.record("order.transfer_accepted" if accepted else "order.transfer_declined",
                     customer=order.customer_id, company=order.company_id, obj=order)
    if accepted:
        submit(order)
    else:
        fail(order.id, "declined")
    return order


# -- carrying out (the provisioning job) -----------------------------------------------

def claim(order_id, now=None):
    """Take an open order for this provisioning run: True when this run may carry it out.

    One UPDATE from "received" (or from "in_progress" whose claim is older than CLAIM_LEASE: its
    run died), so when the original job and the sweep's both run, one goes to the network and the
    other returns. The change itself still applies once only (`carry_out`: applied_at IS NULL)."""
    now = now or utcnow()
    mine = (Order.id == order_id) & Order.acceptance_hash.is_null()
    with db.atomic():  # writes first: a read before them would make SQLite refuse the write under contention
        if Order.update(status="in_progress", updated_at=now).where(mine, Order.status == "received").execute():
            OrderStep.create(order=order_id, step="in_progress")
            return True
        return bool(Order.update(updated_at=now).where(mine, Order.status == "in_progress",
                                                       Order.updated_at < now - CLAIM_LEASE).execute())


def release(order_id):
    """The claiming run failed before an answer (an error; RQ retries it): the claim ends now."""
    (Order.update(updated_at=utcnow() - CLAIM_LEASE - datetime.timedelta(seconds=1))
     .where(Order.id == order_id, Order.status == "in_progress", Order.applied_at.is_null()).execute())


def sweep_grace():
    minutes = current_app.config.get("ORDER_SWEEP_MINUTES")
    return datetime.timedelta(minutes=float(SWEEP_GRACE_MINUTES if minutes is None else minutes))


def sweep(now=None, limit=SWEEP_LIMIT):
    """Enqueue again the open orders that no job will carry out; returns how many (the maintenance job).

    Swept: an order still "received" with no sign of life (updated, or a step written) within
    `sweep_grace()` — committed but never enqueued, or its job lost — and an order "in_progress"
    whose claim is older than CLAIM_LEASE and the grace (its run died; it goes back to "received").
    Not swept: orders under the fraud guard's notice or review (`fraud.release_due` starts
    those), transfers waiting for the new holder, port requests. Each one swept is audited
    ("order.requeued") in the transaction that marks it, and enqueued after the commit; running
    the sweep twice, or alongside the original job, carries the order out once (`claim`). An order
    already swept MAX_REQUEUES times fails ("network_unavailable") instead of looping for ever."""
    from . import fraud  # fraud imports this module

    now = now or utcnow()
    cutoff = now - sweep_grace()
    stale_claim = min(cutoff, now - CLAIM_LEASE)
    alive = OrderStep.select(OrderStep.id).where(OrderStep.order == Order.id, OrderStep.created_at >= cutoff)

    def quiet_since(status, before):
        # the longest quiet first; one range of the (status, updated_at) index (migration 0023), so
        # the finished orders, nearly all of the table, are never read
        return list(Order.select(Order.id, Order.kind, Order.status, Order.updated_at, Order.customer, Order.company)
                    .where(Order.status == status, Order.updated_at < before, Order.kind.not_in(NOT_SWEPT),
                           Order.acceptance_hash.is_null(), ~fn.EXISTS(alive))
                    .order_by(Order.updated_at, Order.id).limit(limit))

    candidates = (quiet_since("received", cutoff) + quiet_since("in_progress", stale_claim))[:limit]
    earlier = dict(AuditEvent.select(AuditEvent.object_id, fn.COUNT(AuditEvent.id))
                   .where(AuditEvent.action == "order.requeued", AuditEvent.object_type == "order",
                          AuditEvent.object_id.in_([str(o.id) for o in candidates]))
                   .group_by(AuditEvent.object_id).tuples()) if candidates else {}
    swept = []
    for order in candidates:
        if order.status == "received" and fraud.waiting(order.id, now):
            continue  # under notice or held for review: release_due starts it when it may go
        if earlier.get(str(order.id), 0) >= MAX_REQUEUES:
            log.warning("order %s failed after %d sweeps", order.id, MAX_REQUEUES)
            fail(order.id, "network_unavailable")
            continue
        with db.atomic():
            # the sweep's own claim: the order goes back to "received" and counts as alive again
            marked = (Order.update(status="received", updated_at=now)
                      .where(Order.id == order.id, Order.status == order.status,
                             Order.updated_at == order.updated_at).execute())
            if not marked:
                continue  # a job took it meanwhile
            audit.record("order.requeued", customer=order.customer_id, company=order.company_id, obj=order,
                         kind=order.kind, was=order.status)
        swept.append(order.id)
    queued = 0
    for order_id in swept:
        try:
            enqueue(provision_order, order_id)
            queued += 1
        except Exception:  # the queue is down: the next sweep, one grace later, tries again
            log.warning("order sweep could not enqueue order %s", order_id, exc_info=True)
            break
    if swept:
        log.info("order sweep re-enqueued %d orders: %s", queued, ",".join(map(str, swept[:queued])))
    return queued


def carry_out(order_id):
    """Send the order to the network and apply the answer; returns the final status."""
    order = Order.get_or_none(Order.id == order_id)
    if order is None or order.status not in OPEN_STATUSES or order.acceptance_hash:
        return order.status if order else "missing"
    if order.status == "received":
        moved = (Order.update(status="in_progress", updated_at=utcnow())
                 .where(Order.id == order.id, Order.status == "received").execute())
        if moved:
            OrderStep.create(order=order.id, step="in_progress")
    details = json.loads(order.details or "{}")
    try:
        answer = network().carry_out(order.idempotency_key, order.kind, details)
    except NetworkRejected as rejected:
        fail(order.id, rejected.reason)
        return "failed"
    with db.atomic():
        now = utcnow()
        won = (Order.update(status="completed", applied_at=now, completed_at=now, updated_at=now)
               .where(Order.id == order.id, Order.applied_at.is_null(), Order.status.in_(OPEN_STATUSES))
               .execute())
        if not won:
            return "completed"  # another attempt applied it
        APPLY[order.kind](order, details, answer)
        if answer:
            stored = {k: v for k, v in answer.items() if k not in ("pin", "puk")}
            Order.update(details=json.dumps({**details, "result": stored}, ensure_ascii=False)).where(
                Order.id == order.id).execute()
        OrderStep.create(order=order.id, step="completed")
        audit.record("order.completed", user=order.requested_by_id, customer=order.customer_id,
                     company=order.company_id, obj=order, kind=order.kind)
    return "completed"


def fail(order_id, reason):
    """Mark an open order failed with the network's reason; the subscription stays as it was."""
    with db.atomic():
        now = utcnow()
        moved = (Order.update(status="failed", failure_reason=reason, completed_at=now, updated_at=now,
                              acceptance_hash=None)
                 .where(Order.id == order_id, Order.status.in_(OPEN_STATUSES)).execute())
        if not moved:
            return
        order = Order.get_by_id(order_id)
        OrderStep.create(order=order_id, step="failed", note=reason)
        if order.kind in NEW_KINDS and order.subscription_id:
            # the subscription never started: it leaves the pending list
            Subscription.update(status="cancelled", end_date=now.date()).where(
                Subscription.id == order.subscription_id, Subscription.status == "pending").execute()
        audit.record("order.failed", user=order.requested_by_id, customer=order.customer_id,
                     company=order.company_id, obj=order, kind=order.kind, reason=reason)


# -- what a completed order changes ----------------------------------------------------

NEW_KINDS = ("new_subscription", "takeover", "port_in")


def _subscription(order):
    return Subscription.get_by_id(order.subscription_id)


def _set(order, **fields):
    Subscription.update(**fields).where(Subscription.id == order.subscription_id).execute()


def _activate_sim(subscription_id, answer, form):
    if not answer.get("iccid"):
        return
    SimCard.update(status="old").where(SimCard.subscription == subscription_id,
                                       SimCard.status.in_(("active", "ordered"))).execute()
    SimCard.create(subscription=subscription_id, iccid=answer["iccid"], pin=answer["pin"], puk=answer["puk"],
                   form=form, status="active", activation_code=answer.get("activation_code"))


def _apply_new(order, details, answer):
    subscription = _subscription(order)
    number = answer.get("number") or subscription.number
    _set(order, status="active", number=number,
         search_key=Subscription.make_search_key(subscription.holder_name, number, subscription.holder_email))
    _activate_sim(subscription.id, answer, details.get("sim_form", "physical"))
    if order.kind == "port_in":
        billing.add_charge("fee_porting", subscription=subscription)


def _apply_sim_change(order, details, answer):
    _activate_sim(order.subscription_id, answer, details.get("sim_form", "physical"))
    billing.add_charge("fee_sim_change", subscription=_subscription(order))


def _apply_plan_change(order, details, answer):
    plan = Plan.get(Plan.code == details["to_plan"])
    billing.record_plan_change(order.subscription_id, _subscription(order).plan_id, plan.id)
    _set(order, plan=plan.id)


def _apply_end(status):
    """A cancellation or transfer is booked now; it takes effect on its date (see end_due)."""
    def apply(order, details, answer):
        end = datetime.date.fromisoformat(details["end_date"]) if details.get("end_date") else utcnow().date()
        _set(order, end_date=end)
        if end <= utcnow().date():
            _end(order.subscription_id, status, details)
    return apply


def _end(subscription_id, status, details):
    fields = {"status": status, "blocked_parts": ""}
    if status == "transferred":
        fields.update(holder_name=details["new_holder_name"], holder_email=details.get("new_holder_email", ""))
    Subscription.update(**fields).where(Subscription.id == subscription_id).execute()
    SimCard.update(status="old").where(SimCard.subscription == subscription_id,
                                       SimCard.status.in_(("active", "ordered"))).execute()


def end_due(today=None):
    """Subscriptions whose booked cancellation or transfer date has come (a daily job)."""
    today = today or utcnow().date()
    due = (Order.select(Order.subscription, Order.kind, Order.details)
           .join(Subscription, on=(Order.subscription == Subscription.id))
           .where(Order.kind.in_(("cancel", "transfer")), Order.status == "completed",
                  Subscription.end_date <= today, Subscription.status.in_(("active", "blocked"))))
    count = 0
    for order in due:
        with db.atomic():
            _end(order.subscription_id, "cancelled" if order.kind == "cancel" else "transferred",
                 json.loads(order.details or "{}"))
        count += 1
    return count


def _apply_account_change(order, details, answer):
    account = Account.get_by_id(details["to_account_id"])
    _set(order, account=account.id, company=account.company_id)
    Order.update(account=account.id).where(Order.id == order.id).execute()


def _apply_addon(order, details, answer):
    addon = AddOn.get(AddOn.code == details["addon"])
    SubscriptionAddOn.insert(subscription=order.subscription_id, addon=addon.id,
                             start_date=utcnow().date()).on_conflict_ignore().execute()


def _apply_addon_remove(order, details, answer):
    addon = AddOn.get(AddOn.code == details["addon"])
    SubscriptionAddOn.delete().where(SubscriptionAddOn.subscription == order.subscription_id,
                                     SubscriptionAddOn.addon == addon.id).execute()


def _apply_blocks(adding):
    def apply(order, details, answer):
        subscription = _subscription(order)
        parts = set(subscription.blocks)
        parts = parts | set(details["parts"]) if adding else parts - set(details["parts"])
        ordered = ",".join(p for p in ("all", "abroad", "data", "premium") if p in parts)
        _set(order, blocked_parts=ordered, status="blocked" if "all" in parts else "active")
    return apply


def register(kind, apply):
    """An order kind of another area: `apply(order, details, answer)` runs in the transaction that
    completes the order (after the network said yes). Call at import time of the area's service."""
    if kind in APPLY and APPLY[kind] is not apply:
        raise ValueError(f"order kind {kind!r} is registered twice")
    APPLY[kind] = apply


def kinds():
    """Every order kind: the subscription kinds first, then the other areas' in registration order."""
    return tuple(APPLY)


APPLY = {
    "new_subscription": _apply_new, "takeover": _apply_new, "port_in": _apply_new,
    "sim_change": _apply_sim_change, "plan_change": _apply_plan_change,
    "cancel": _apply_end("cancelled"), "transfer": _apply_end("transferred"),
    "account_change": _apply_account_change, "addon": _apply_addon, "addon_remove": _apply_addon_remove,
    "block": _apply_blocks(True), "unblock": _apply_blocks(False),
}


# -- reading ---------------------------------------------------------------------------

def list_orders(scope, which="open", kind="", status="", subscription_id=None, requested_by=None,
                batch=None, page=1):
    """Orders in scope, newest first; `which`: open (received, in progress) or done."""
    scope.require("orders")
    query = (scope.orders().select_extend(Subscription.holder_name, Subscription.number, User.name)
             .join(Subscription, JOIN.LEFT_OUTER, on=(Order.subscription == Subscription.id))
             .join(User, JOIN.LEFT_OUTER, on=(Order.requested_by == User.id)))
    if status in ORDER_STATUSES:
        query = query.where(Order.status == status)
    elif which == "done":
        query = query.where(Order.status.in_(("completed", "failed")))
    elif which == "open":
        query = query.where(Order.status.in_(OPEN_STATUSES))
    if kind in APPLY:
        query = query.where(Order.kind == kind)
    if parse_id(subscription_id):
        query = query.where(Order.subscription == parse_id(subscription_id))
    if parse_id(requested_by):
        query = query.where(Order.requested_by == parse_id(requested_by))
    if batch:
        query = query.where(Order.batch == str(batch)[:32])
    return paginate(query.order_by(Order.created_at.desc(), Order.id.desc()).objects(), page)


def get_order(scope, order_id):
    """One order in scope with its steps, or 404."""
    scope.require("orders")
    order = scope.get(scope.orders(), Order, order_id)
    order.step_list = list(OrderStep.select().where(OrderStep.order == order.id)
                           .order_by(OrderStep.created_at, OrderStep.id))
    order.detail_values = json.loads(order.details or "{}")
    return order


def subscription_orders(scope, subscription_id, limit=10):
    """The latest orders of one subscription, for its employee page."""
    return list(scope.orders().where(Order.subscription == subscription_id)
                .order_by(Order.created_at.desc(), Order.id.desc()).limit(limit))


def order_details(order):
    return json.loads(order.details or "{}")


def batch_orders(scope, batch):
    return list(scope.orders().where(Order.batch == batch).order_by(Order.id))


def requesters(scope):
    """The people who placed orders in scope, for the filter."""
    return list(User.select(User.id, User.name).where(
        User.id.in_(scope.orders().select(Order.requested_by).distinct())).order_by(User.name))
