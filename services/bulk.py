"""Bulk update: one change to many subscriptions, previewed, confirmed once, run as a job.

The subscriptions are chosen by id (the overview's selection), by the overview's filters
("all matching"), or by numbers (pasted or a CSV file). Every id and number is resolved
through the scope only, so another customer's ids and accounts outside a limited
membership come back as "not found", never revealed.

The preview calls the same change service (services/subscription_changes.py) with
`preview=True` for every subscription and keeps the answer in a BulkRequest with one
BulkItem per subscription ("pending" or "skipped" with the reason). Confirming claims the
request (`UPDATE ... WHERE status = 'preview'`), so a double submit runs it once; the job
(jobs/bulk.py) calls the service again with `preview=False`, all orders in one batch.

Each item is applied exactly once: its change (the order, its audit event) and the item's
outcome commit in one transaction that first claims the item (`WHERE outcome = 'pending'`);
the change's own jobs are queued after that commit. A job that is killed, retried or run
twice only ever picks up items still pending. When the job gives up for good, the items it
did not reach are marked failed with INTERRUPTED, and confirming the request again resumes
exactly those.

A bulk action the fraud guard announces (a cancellation, NOTICE_ACTIONS) tells each number by SMS
as a single one does, but the company's admins get ONE e-mail per request, not one per
subscription: the count, the first subscriptions and a link to all its orders, sent when the run
starts (before any of them can be carried out), once however often the job runs (`_announce`).
"""
import csv
import datetime
import io
import json
import secrets

from flask_babel import format_date, format_decimal, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from peewee import JOIN, fn
from werkzeug.exceptions import Forbidden, NotFound

from jobs import deferred, enqueue, pause_for_item
from jobs.bulk import run_bulk
from models import (
    Account,
    AddOn,
    AuditEvent,
    BulkItem,
    BulkRequest,
    JobRecord,
    Order,
    Plan,
    Subscription,
    db,
    utcnow,
)
from models.catalogue import KINDS
from models.subscriptions import BLOCK_PARTS

from . import audit, exports, fraud, orders, subscriptions
from . import subscription_changes as changes
from .errors import ServiceError
from .formatting import phone
from .ids import parse_id, parse_ids
from .labels import label
from .listing import paginate
from .messages import public_url
from .order_text import describe, parts_text, reason_text
from .validation import order_date

MAX_SUBSCRIPTIONS = 5000
MAX_FILE_BYTES = 1_000_000
NOT_FOUND_KEPT = 1000  # the "not found" inputs kept with a request (the count is kept whole)
PER_PAGE = 50
NOTICE_ACTIONS = ("cancel",)  # actions whose orders the fraud guard announces: one e-mail per admin per request

ACTIONS = ("block", "unblock", "cancel", "change_account", "change_plan", "add_addon", "remove_addon")
ACTION_LABELS = {
    "block": _l("Block subscriptions"), "unblock": _l("Lift blocks"), "cancel": _l("Cancel subscriptions"),
    "change_account": _l("Move to another account"), "change_plan": _l("Change plan"),
    "add_addon": _l("Add an add-on"), "remove_addon": _l("Remove an add-on"),
}
OUTCOME_LABELS = {"pending": _l("Will happen"), "ordered": _l("Ordered"), "skipped": _l("Cannot"),
                  "failed": _l("Failed"), "not_found": _l("Not found")}
BLOCK_REASONS = changes.BLOCK_REASONS
CANCEL_REASONS = changes.CANCEL_REASONS
PER_KIND = {"change_plan": "plans", "add_addon": "add_addons", "remove_addon": "remove_addons"}
INTERRUPTED = _l("The update stopped before this subscription was changed; nothing was ordered for it. "
                 "Confirm again to continue.")


# -- choosing the subscriptions ---------------------------------------------------------

class Selection:
    """The chosen subscriptions (ids in scope, in order) and the inputs that matched none."""

    def __init__(self, ids=(), not_found=()):
        self.ids = list(ids)
        self.not_found = list(not_found)

    def __len__(self):
        return len(self.ids)


def _too_many():
    return ServiceError(_("At most %(num)s subscriptions can be changed at a time. Choose fewer, "
                          "or narrow the filter.", num=format_decimal(MAX_SUBSCRIPTIONS)), "selection")


def select_matching(scope, args):
    """Every subscription the overview's filters in `args` match (at most MAX_SUBSCRIPTIONS)."""
    scope.require("manage")
    filters = subscriptions.parse_filters(args)
    filters.pop("sort")
    query = subscriptions.matching(scope, **filters)
    if query.count() > MAX_SUBSCRIPTIONS:
        raise _too_many()
    ids = [i for (i,) in query.select(Subscription.id)
           .order_by(Subscription.holder_name, Subscription.id).tuples()]
    return Selection(ids)


def _in_scope(scope, ids):
    """{id: kind} of those `ids` the scope reaches."""
    found = {}
    for start in range(0, len(ids), 900):
        chunk = ids[start:start + 900]
        found.update(scope.subscriptions(details=False).select(Subscription.id, Subscription.kind)
                     .where(Subscription.id.in_(chunk)).tuples())
    return found


def select_ids(scope, values):
    """The subscriptions with these ids; others (another customer's, outside the accounts,
    or not ids at all) become "not found" entries, as the user sent them."""
    scope.require("manage")
    values = [str(v).strip()[:40] for v in values or () if str(v).strip()]
    if len(values) > MAX_SUBSCRIPTIONS:
        raise _too_many()
    ids = parse_ids(values)
    found = _in_scope(scope, ids)
    not_found = [v for v in values if parse_id(v) is None]
    not_found += [str(i) for i in ids if i not in found]
    return Selection([i for i in ids if i in found], not_found)


def parse_numbers(text):
    """The numbers in pasted text or a CSV file: one a line, or the first column (`;` or `,`).

    A first line without digits is a heading and skipped. Returns the entries as written."""
    entries = []
    for number, line in enumerate((text or "").splitlines()):
        line = line.strip().lstrip("\ufeff")
        if not line:
            continue
        first = line.split(";")[0] if ";" in line else line.split(",")[0]
        first = first.strip().strip('"').strip("'").strip()
        if not first:
            continue
        if number == 0 and not any(ch.isdigit() for ch in first):
            continue
        entries.append(first[:40])
    return entries


def _normalised(entry):
    """A Danish number in E.164, or the entry as written (line ids of internet and circuits)."""
    from .validation import danish_number

    if any(ch.isalpha() for ch in entry):
        return entry
    return danish_number(entry) or entry


def select_numbers(scope, *texts):
    """The subscriptions with the numbers (or line ids) in `texts` (pasted, a file's);
    unknown entries become "not found".

    When a number belongs to an ended subscription and a live one, the live one is meant."""
    scope.require("manage")
    entries = list(dict.fromkeys(entry for text in texts for entry in parse_numbers(text)))
    if not entries:
        raise ServiceError(_("Enter or upload at least one number."), "numbers")
    if len(entries) > MAX_SUBSCRIPTIONS:
        raise _too_many()
    keys = {entry: _normalised(entry) for entry in entries}
    by_number = {}
    wanted = sorted(set(keys.values()))
    for start in range(0, len(wanted), 900):
        rows = (scope.subscriptions(details=False)
                .select(Subscription.id, Subscription.number, Subscription.status)
                .where(Subscription.number.in_(wanted[start:start + 900])).order_by(Subscription.id).tuples())
        for sid, number, status in rows:
            by_number.setdefault(number, []).append((sid, status))
    ids, not_found = [], []
    for entry in entries:
        matches = by_number.get(keys[entry], [])
        live = [sid for sid, status in matches if status not in ("cancelled", "transferred")]
        chosen = live or [sid for sid, _status in matches]
        if not chosen:
            not_found.append(entry)
        for sid in chosen:
            if sid not in ids:
                ids.append(sid)
    return Selection(ids, not_found)


def read_upload(data):
    """The text of an uploaded file (UTF-8, or Windows-1252 as Excel saves it)."""
    if len(data) > MAX_FILE_BYTES:
        raise ServiceError(_("The file is too large: at most 1 MB."), "numbers_file")
    if b"\x00" in data:
        raise ServiceError(_("Upload a CSV or text file with one number a line."), "numbers_file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def selection_summary(scope, ids):
    """{kind: count} of the selection, for the action form (which plans and add-ons to offer)."""
    kinds = {}
    for kind in _in_scope(scope, list(ids)).values():
        kinds[kind] = kinds.get(kind, 0) + 1
    return {k: kinds[k] for k in KINDS if k in kinds}


# -- the action form ---------------------------------------------------------------------

def choices(scope, kinds):
    """What the action form offers: accounts in scope, plans and add-ons per kind chosen."""
    kinds = [k for k in KINDS if k in kinds]
    plans = {k: [] for k in kinds}
    active = Plan.select().where(Plan.kind.in_(kinds), Plan.active == True)  # noqa: E712
    for plan in active.order_by(Plan.monthly_price):
        plans[plan.kind].append(plan)
    add, remove = {k: [] for k in kinds}, {k: [] for k in kinds}
    for addon in AddOn.select().where(AddOn.kind.in_(kinds)).order_by(AddOn.name):
        remove[addon.kind].append(addon)
        if addon.active:
            add[addon.kind].append(addon)
    accounts = list(scope.accounts().order_by(Account.number).limit(1000))
    return {"accounts": accounts, "plans": plans, "add_addons": add, "remove_addons": remove,
            "block_parts": BLOCK_PARTS, "block_reasons": BLOCK_REASONS, "cancel_reasons": CANCEL_REASONS}


def clean_action(scope, values, kinds):
    """The action's plain parameters from the form's values, or ServiceError with every error.

    `values`: action, end_date, cancel_reason, block_parts, block_reason, unblock_parts,
    account, and plans / add_addons / remove_addons as {kind: code}."""
    scope.require("manage")
    action = values.get("action")
    errors = {}
    params = {}
    if action not in ACTIONS:
        raise ServiceError(_("Choose what to do."), "action")
    if action == "cancel":
        day, error = order_date(values.get("end_date"))
        if error:
            errors["end_date"] = error
        if values.get("cancel_reason") not in CANCEL_REASONS:
            errors["cancel_reason"] = _("Choose a reason.")
        params = {"end_date": day.isoformat() if day else None, "reason": values.get("cancel_reason")}
    elif action == "block":
        parts = [p for p in BLOCK_PARTS if p in (values.get("block_parts") or ())]
        if not parts:
            errors["block_parts"] = _("Choose what to block.")
        if values.get("block_reason") not in BLOCK_REASONS:
            errors["block_reason"] = _("Choose a reason.")
        params = {"parts": parts, "reason": values.get("block_reason")}
    elif action == "unblock":
        parts = [p for p in BLOCK_PARTS if p in (values.get("unblock_parts") or ())]
        if not parts:
            errors["unblock_parts"] = _("Choose which block to lift.")
        params = {"parts": parts}
    elif action == "change_account":
        account = scope.accounts().where(Account.id == (parse_id(values.get("account")) or 0)).first()
        if account is None:
            errors["account"] = _("Choose one of your accounts.")
        else:
            params = {"account_id": account.id, "account_number": account.number}
    else:
        field = PER_KIND[action]
        offered = choices(scope, kinds)[field]
        codes = {}
        for kind, code in (values.get(field) or {}).items():
            if not code or kind not in offered:
                continue
            if code not in {item.code for item in offered[kind]}:
                errors[field] = _("Choose from the lists.")
            codes[kind] = code
        if not codes and field not in errors:
            errors[field] = (_("Choose a plan for at least one type.") if action == "change_plan"
                             else _("Choose an add-on for at least one type."))
        params = {"codes": codes}
    if errors:
        raise ServiceError.of(errors)
    return action, params


def _apply(scope, action, params, subscription_id, kind, preview, batch=None):
    """One subscription through its change service; the order, or with `preview` a Preview."""
    if action == "block":
        return changes.block(scope, subscription_id, params["parts"], params["reason"], preview=preview)
    if action == "unblock":
        return changes.unblock(scope, subscription_id, params["parts"], preview=preview)
    if action == "cancel":
        # the second factor was checked when the request was confirmed; the admins are told once (_announce)
        return changes.cancel(scope, subscription_id, params["end_date"], params["reason"], stepped_up=True,
                              batch=batch, preview=preview, notify_admins=False)
    if action == "change_account":
        return changes.change_account(scope, subscription_id, params["account_id"], preview=preview)
    code = params["codes"].get(kind)
    if action == "change_plan":
        if not code:
            raise ServiceError(_("No plan was chosen for this type of subscription."))
        return changes.change_plan(scope, subscription_id, code, preview=preview)
    if not code:
        raise ServiceError(_("No add-on was chosen for this type of subscription."))
    if action == "add_addon":
        return changes.add_addon(scope, subscription_id, code, preview=preview)
    return changes.remove_addon(scope, subscription_id, code, preview=preview)


def _short(text):
    return str(text)[:250]


# -- preview -----------------------------------------------------------------------------

def create_preview(scope, selection, action, params):
    """Check every chosen subscription with the change service and keep the answers.

    Returns the BulkRequest (status "preview"); nothing is ordered yet."""
    scope.require("manage")
    if len(selection.ids) > MAX_SUBSCRIPTIONS:
        raise _too_many()
    found = _in_scope(scope, selection.ids)
    not_found = list(selection.not_found) + [str(i) for i in selection.ids if i not in found]
    if not found:
        raise ServiceError(_("None of the chosen subscriptions were found. Choose them again."), "selection")
    items = []
    for sid in [i for i in selection.ids if i in found]:
        try:
            preview = _apply(scope, action, params, sid, found[sid], preview=True)
            items.append({"subscription": sid, "outcome": "pending", "reason": _short(preview.text)})
        except ServiceError as error:
            items.append({"subscription": sid, "outcome": "skipped", "reason": _short(error.message)})
        except (NotFound, Forbidden):
            not_found.append(str(sid))
    stored = {"values": params, "batch": orders.new_batch(), "not_found": not_found[:NOT_FOUND_KEPT],
              "not_found_count": len(not_found)}
    with db.atomic():
        bulk = BulkRequest.create(
            customer=scope.customer_id, company=scope.company_id, membership=scope.membership_id,
            requested_by=scope.user_id, action=action, params=json.dumps(stored, ensure_ascii=False),
            client_token=secrets.token_urlsafe(32), total=len(items))
        for start in range(0, len(items), 500):
            BulkItem.insert_many([dict(item, bulk=bulk.id) for item in items[start:start + 500]]).execute()
        audit.record_for_scope(scope, "subscription.bulk_started", obj=bulk, change=action, subscriptions=len(items),
                               will_happen=sum(1 for i in items if i["outcome"] == "pending"),
                               not_found=len(not_found), **params)
    return bulk


# -- reading a request -------------------------------------------------------------------

def get_bulk(scope, bulk_id):
    """One bulk request of this membership, or 404 (another user, company or customer).

    :raise 403: without the `manage` right."""
    scope.require("manage")
    bulk_id = parse_id(bulk_id)
    bulk = None
    if bulk_id is not None:
        bulk = BulkRequest.get_or_none(BulkRequest.id == bulk_id, BulkRequest.membership == scope.membership_id,
                                       BulkRequest.customer == scope.customer_id,
                                       BulkRequest.company == scope.company_id)
    if bulk is None:
        raise NotFound()
    bulk.values = json.loads(bulk.params or "{}")
    if bulk.status == "running" and _reconcile_job(bulk.values.get("job_id")):
        return get_bulk(scope, bulk.id)  # its job was ended or restarted: read it again
    return bulk


def _reconcile_job(job_id):
    """Check the running request's job: True when it was ended (worker gone) or queued again."""
    record = JobRecord.get_or_none(JobRecord.id == job_id) if job_id else None
    return record is not None and exports.reconciled(record) is not record


def by_token(scope, token):
    scope.require("manage")
    token = (token or "").strip()
    if not token or len(token) > 64:
        raise NotFound()
    bulk = BulkRequest.get_or_none(BulkRequest.client_token == token, BulkRequest.membership == scope.membership_id,
                                   BulkRequest.customer == scope.customer_id)
    if bulk is None:
        raise NotFound()
    return get_bulk(scope, bulk.id)


def recent(scope, limit=10):
    """The membership's latest bulk requests, for the start page."""
    scope.require("manage")
    return list(BulkRequest.select().where(BulkRequest.membership == scope.membership_id,
                                           BulkRequest.customer == scope.customer_id,
                                           BulkRequest.company == scope.company_id)
                .order_by(BulkRequest.created_at.desc(), BulkRequest.id.desc()).limit(limit))


def counts(bulk):
    """{outcome: count} of the request's items, with not_found from its parameters."""
    rows = (BulkItem.select(BulkItem.outcome, fn.COUNT(BulkItem.id)).where(BulkItem.bulk == bulk.id)
            .group_by(BulkItem.outcome).tuples())
    result = {outcome: 0 for outcome in ("pending", "ordered", "skipped", "failed")}
    result.update(dict(rows))
    result["not_found"] = json.loads(bulk.params or "{}").get("not_found_count", 0)
    return result


def _items(bulk):
    return (BulkItem.select(BulkItem, Subscription, Order)
            .join(Subscription).switch(BulkItem).join(Order, JOIN.LEFT_OUTER)
            .where(BulkItem.bulk == bulk.id).order_by(BulkItem.id))


def item_page(bulk, page=1, outcome=""):
    query = _items(bulk)
    if outcome in OUTCOME_LABELS and outcome != "not_found":
        query = query.where(BulkItem.outcome == outcome)
    return paginate(query, page, per_page=PER_PAGE)


def params_text(bulk):
    """The chosen change in words, for the page's heading."""
    values = json.loads(bulk.params or "{}").get("values", {})
    if bulk.action == "block":
        return _("Block %(parts)s (%(reason)s)", parts=parts_text(values.get("parts")),
                 reason=reason_text(values.get("reason")))
    if bulk.action == "unblock":
        return _("Lift the block on %(parts)s", parts=parts_text(values.get("parts")))
    if bulk.action == "cancel":
        day = datetime.date.fromisoformat(values["end_date"]) if values.get("end_date") else utcnow().date()
        return _("Cancel on %(date)s (%(reason)s)", date=format_date(day, "long"),
                 reason=reason_text(values.get("reason")))
    if bulk.action == "change_account":
        return _("Move to account %(number)s", number=values.get("account_number", ""))
    names = {}
    codes = values.get("codes", {})
    model = Plan if bulk.action == "change_plan" else AddOn
    for item in model.select(model.code, model.name).where(model.code.in_(list(codes.values()))):
        names[item.code] = item.name
    listed = ", ".join(names.get(code, code) for code in codes.values())
    return listed


# -- confirming and running --------------------------------------------------------------

def confirm(scope, token, stepped_up):
    """Claim the previewed request and start its job; (request, started now?).

    A second submit of the same form finds the request already claimed and starts nothing."""

    bulk = by_token(scope, token)
    resuming = bulk.status == "finished" and interrupted(bulk) > 0
    if bulk.status != "preview" and not resuming:
        return bulk, False
    if bulk.action == "cancel" and not stepped_up:
        raise ServiceError(_("Confirm with your second factor first."), "step_up")
    with db.atomic():
        if resuming:  # a job that gave up: only the items it did not reach run again
            claimed = (BulkRequest.update(status="running", finished_at=None)
                       .where(BulkRequest.id == bulk.id, BulkRequest.status == "finished").execute())
            if claimed:
                BulkItem.update(outcome="pending", reason="").where(
                    BulkItem.bulk == bulk.id, BulkItem.outcome == "failed",
                    BulkItem.reason == bulk.values.get("interrupted_reason", "")).execute()
        else:
            claimed = (BulkRequest.update(status="running", started_at=utcnow())
                       .where(BulkRequest.id == bulk.id, BulkRequest.status == "preview").execute())
        if claimed:
            audit.record_for_scope(scope, "subscription.bulk_confirmed", obj=bulk, change=bulk.action,
                                   batch=bulk.values.get("batch"), **({"resumed": True} if resuming else {}))
    if not claimed:
        return get_bulk(scope, bulk.id), False
    try:
        # in the language of the page that confirmed it: the rows' texts are written by the job
        job_id = enqueue(run_bulk, bulk.id, get_locale().language, track=True, user_id=scope.user_id,
                         company_id=scope.company_id)
    except Exception:
        # the queue is down: the request can be confirmed again
        if resuming:
            fail_run(bulk.id, INTERRUPTED)
        else:
            BulkRequest.update(status="preview", started_at=None).where(BulkRequest.id == bulk.id).execute()
        raise
    values = json.loads(BulkRequest.get_by_id(bulk.id).params or "{}")
    values["job_id"] = job_id
    BulkRequest.update(params=json.dumps(values, ensure_ascii=False)).where(BulkRequest.id == bulk.id).execute()
    return get_bulk(scope, bulk.id), True


def discard(scope, bulk_id):
    """Drop a preview that was not confirmed."""
    bulk = get_bulk(scope, bulk_id)
    with db.atomic():
        dropped = (BulkRequest.update(status="cancelled", finished_at=utcnow())
                   .where(BulkRequest.id == bulk.id, BulkRequest.status == "preview").execute())
        if dropped:
            audit.record_for_scope(scope, "subscription.bulk_discarded", obj=bulk, change=bulk.action)
    return bulk


def run(scope, bulk_id, progress=None):
    """Carry out a claimed request (the job): each pending item through its change service,
    every order in the request's batch. Returns {outcome: count}."""
    bulk = BulkRequest.get_or_none(BulkRequest.id == bulk_id, BulkRequest.membership == scope.membership_id)
    if bulk is None or bulk.status != "running":
        return {}
    values = json.loads(bulk.params or "{}")
    params, batch = values.get("values", {}), values.get("batch") or orders.new_batch()
    pending = list(BulkItem.select(BulkItem, Subscription.kind).join(Subscription)
                   .where(BulkItem.bulk == bulk.id, BulkItem.outcome == "pending").order_by(BulkItem.id).objects())
    allowed = scope.can("manage")
    if allowed and pending:
        _announce(scope, bulk, params, batch)
    for done, item in enumerate(pending, 1):
        pause_for_item()  # a test-only knob; outside the transaction
        _run_item(scope, bulk, params, batch, item, allowed)
        if progress and (done % 10 == 0 or done == len(pending)):
            progress(done * 100 // max(1, len(pending)))
    # the change services that take no batch: their orders join it with one UPDATE
    (Order.update(batch=batch)
     .where(Order.id.in_(BulkItem.select(BulkItem.order).where(BulkItem.bulk == bulk.id,
                                                                BulkItem.order.is_null(False))),
            Order.batch.is_null())
     .execute())
    result = counts(bulk)
    with db.atomic():
        BulkRequest.update(status="finished", finished_at=utcnow()).where(BulkRequest.id == bulk.id).execute()
        audit.record_for_scope(scope, "subscription.bulk_finished", obj=bulk, change=bulk.action, batch=batch,
                               ordered=result["ordered"], failed=result["failed"])
    return result


def _announce(scope, bulk, params, batch):
    """Before the first item of a NOTICE_ACTIONS request: one e-mail per admin listing what is about
    to be ordered (the items still pending). Once per request: the audit event it writes with the
    messages is the mark a later run (a retry, a resumed request) finds. Returns True when sent."""
    if bulk.action not in NOTICE_ACTIONS:
        return False
    with deferred(), db.atomic():  # the messages' delivery jobs are queued after the commit
        # the request's row first (a write that changes nothing): two runs at once announce it once
        BulkRequest.update(status=BulkRequest.status).where(BulkRequest.id == bulk.id).execute()
        if AuditEvent.select().where(AuditEvent.action == "subscription.bulk_announced",
                                     AuditEvent.object_type == "bulkrequest",
                                     AuditEvent.object_id == str(bulk.id)).exists():
            return False
        pending = BulkItem.select().where(BulkItem.bulk == bulk.id, BulkItem.outcome == "pending")
        total = pending.count()
        if not total:
            return False
        rows = (pending.select(Subscription.number, Subscription.holder_name).join(Subscription)
                .order_by(BulkItem.id).limit(fraud.BULK_NOTICE_LINES).tuples())
        audit.record_for_scope(scope, "subscription.bulk_announced", obj=bulk, change=bulk.action, subscriptions=total)
        fraud.announce_many(bulk.company_id, "port_out" if params.get("reason") == "moving_operator" else "cancel",
                            [f"{phone(number)}  {name}" for number, name in rows], total,
                            public_url("orders.index", batch=batch))
    return True


def _run_item(scope, bulk, params, batch, item, allowed):
    """Apply one item exactly once: claim it, place its order and write its outcome in one
    transaction (the order's jobs are queued after the commit). Returns the outcome, or None
    when an earlier run already applied it."""
    reason = _("You no longer have the right to change subscriptions.")
    if allowed:
        try:
            with deferred(), db.atomic():
                # the claim is the transaction's first write: a second run waits here, then finds it done
                if not BulkItem.update(reason="").where(BulkItem.id == item.id, BulkItem.outcome == "pending").execute():
                    return None
                order = _apply(scope, bulk.action, params, item.subscription_id, item.kind, preview=False,
                               batch=batch)
                BulkItem.update(outcome="ordered", order=order.id,
                                reason=_short(describe(order.kind, orders.order_details(order)))).where(
                    BulkItem.id == item.id).execute()
            return "ordered"
        except ServiceError as error:
            reason = _short(error.message)
        except (NotFound, Forbidden):
            reason = _("The subscription was not found.")
    BulkItem.update(outcome="failed", reason=reason).where(BulkItem.id == item.id,
                                                           BulkItem.outcome == "pending").execute()
    return "failed"


def interrupted(bulk):
    """How many items a job that gave up left undone (they resume when confirmed again)."""
    values = json.loads(bulk.params or "{}")
    if not values.get("interrupted_reason"):
        return 0
    return BulkItem.select().where(BulkItem.bulk == bulk.id, BulkItem.outcome == "failed",
                                   BulkItem.reason == values["interrupted_reason"]).count()


def fail_run(bulk_id, message, resumable=True):
    """The job gave up: what was not done is marked failed with `message` (remembered when
    `resumable`, so confirming again resumes those items), and the request finished."""
    message = _short(message)
    with db.atomic():
        bulk = BulkRequest.get_or_none(BulkRequest.id == bulk_id)
        if bulk is None:
            return
        values = json.loads(bulk.params or "{}")
        values["interrupted_reason"] = message if resumable else ""
        BulkItem.update(outcome="failed", reason=message).where(
            BulkItem.bulk == bulk_id, BulkItem.outcome == "pending").execute()
        BulkRequest.update(status="finished", finished_at=utcnow(), params=json.dumps(values, ensure_ascii=False)).where(
            BulkRequest.id == bulk_id, BulkRequest.status == "running").execute()


# -- the result as CSV -------------------------------------------------------------------

def result_csv(bulk):
    """The per-row result for Danish Excel: UTF-8 with BOM, `;`, formulas guarded."""
    out = io.StringIO()
    writer = csv.writer(out, dialect=exports.DIALECT)
    writer.writerow([exports.cell(h) for h in (_("Number"), _("Name"), _("Outcome"), _("What / reason"), _("Order"),
                                               _("Order status"))])
    for item in _items(bulk).iterator():
        subscription = item.subscription
        # the order's own status as the file is made: "Ordered" is the bulk step's outcome only
        status = str(label("order_status", item.order.status)) if item.order_id else ""
        writer.writerow([exports.cell(value) for value in (
            phone(subscription.number), subscription.holder_name, str(OUTCOME_LABELS[item.outcome]),
            item.reason, item.order_id, status)])
    values = json.loads(bulk.params or "{}")
    for entry in values.get("not_found", []):
        writer.writerow([exports.cell(value) for value in (entry, "", str(OUTCOME_LABELS["not_found"]), "", "", "")])
    return "\ufeff" + out.getvalue()
