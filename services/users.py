"""Self-service users of a company: listing, the create-user wizard's service, rights,
activation, disable/enable, delete and ending sessions.

Every function takes the acting admin's Scope and plain values, checks the `users`
right, validates again (the browser may be forged), writes the change and its audit
event in one transaction, and raises ServiceError with a translated message on bad input.
"""
import logging

from flask import current_app
from flask_babel import gettext as _
from peewee import IntegrityError, fn
from werkzeug.exceptions import NotFound

from models import (
    Account,
    AuditEvent,
    Company,
    JobRecord,
    Membership,
    MembershipAccount,
    OutboxMessage,
    TotpDevice,
    User,
    db,
)

from . import audit
from .activation import issue_activation
from .errors import ServiceError
from .ids import parse_id, parse_ids
from .listing import paginate
from .rights import ADMIN_ONLY, FUNCTIONS
from .scope import company_tree, search_accounts
from .sessions import end_user_sessions
from .validation import danish_number, email_address

log = logging.getLogger(__name__)

GRANTABLE = tuple(f for f in FUNCTIONS if f not in ADMIN_ONLY)
PRESETS = {
    "all": GRANTABLE,
    "invoices": ("invoices",),
    "subscriptions": ("subscriptions", "order", "manage", "usage", "orders"),
}
NAME_MAX = 100
ACCOUNT_PICKER_LIMIT = 50




# -- reading ---------------------------------------------------------------------------

def _members_in_scope(scope):
    return (Membership.select(Membership, User, Company)
            .join(User).switch(Membership).join(Company)
            .where(Membership.company.in_(scope.company_ids), Company.customer == scope.customer_id,
                   User.kind == "customer"))


def list_users(scope, q="", page=1):
    """The memberships in the admin's companies (one row each), searchable by name or e-mail."""
    scope.require("users")
    query = _members_in_scope(scope)
    q = (q or "").strip().lower()
    if q:
        query = query.where(fn.LOWER(User.name).contains(q) | User.email.contains(q))
    result = paginate(query.order_by(User.name, Company.name, Membership.id), page)
    # a person with access to two companies has two rows but is one user
    result.people = query.order_by().select(fn.COUNT(fn.DISTINCT(User.id))).scalar() or 0
    counts = account_counts([m.id for m in result.items])
    for m in result.items:
        m.account_count = counts.get(m.id, 0)
    return result


def account_counts(membership_ids):
    if not membership_ids:
        return {}
    rows = (MembershipAccount.select(MembershipAccount.membership, fn.COUNT(MembershipAccount.id))
            .where(MembershipAccount.membership.in_(membership_ids))
            .group_by(MembershipAccount.membership).tuples())
    return dict(rows)


def get_user(scope, user_id):
    """(user, its memberships in the admin's companies); 404 when it has none there."""
    scope.require("users")
    user_id = parse_id(user_id)
    if user_id is None:
        raise NotFound()
    memberships = list(_members_in_scope(scope).where(Membership.user == user_id).order_by(Company.name))
    if not memberships:
        raise NotFound()
    links = {}
    for link in (MembershipAccount.select(MembershipAccount, Account).join(Account)
                 .where(MembershipAccount.membership.in_([m.id for m in memberships]))
                 .order_by(Account.number)):
        links.setdefault(link.membership_id, []).append(link.account)
    for m in memberships:
        m.linked_accounts = links.get(m.id, [])
        m.account_count = len(m.linked_accounts)
    return memberships[0].user, memberships


def companies_for(scope):
    """The companies the admin may give access to: their company and its subsidiaries."""
    return list(scope.companies())


def account_choices(scope, company_ids=None, q="", selected=(), limit=ACCOUNT_PICKER_LIMIT):
    """(selected accounts, other matching accounts, more?) for the account picker.

    Only accounts in the admin's scope and under the chosen companies (with their
    subsidiaries); the selected ones are always listed, so a filter never loses them.
    """
    query = scope.accounts()
    trees = _trees(scope, company_ids)
    if trees is not None:
        query = query.where(Account.company.in_(trees))
    selected = set(parse_ids(selected))
    chosen = list(query.where(Account.id.in_(selected)).order_by(Account.number)) if selected else []
    others = query.where(Account.id.not_in(selected)) if selected else query
    return (chosen, *search_accounts(others, q, limit))


def _trees(scope, company_ids):
    """The company ids covered by memberships in `company_ids` (each with its subsidiaries)."""
    if company_ids is None:
        return None
    covered = set()
    for cid in company_ids:
        if cid in scope.company_ids:
            covered.update(company_tree(scope.customer_id, cid))
    return tuple(sorted(covered & set(scope.company_ids)))


def email_in_use(email):
    """The existing login with this e-mail address, or None."""
    return User.get_or_none(User.email == (email or "").strip().lower())


def existing_login_in_scope(scope, email):
    """For the wizard's answer to a taken e-mail: the id of that login when it already works
    in the admin's companies (so its page can be linked), 0 when it exists elsewhere, None when free."""
    existing = email_in_use(email)
    if existing is None:
        return None
    in_scope = (Membership.select().where(Membership.user == existing.id,
                                          Membership.company.in_(scope.company_ids)).exists())
    return existing.id if in_scope else 0


# -- validation ------------------------------------------------------------------------

def clean_details(name, email, mobile):
    """Normalised (name, email, mobile) or ServiceError naming every field that is wrong."""
    errors = {}
    name = " ".join((name or "").split())
    if not name:
        errors["name"] = _("Enter the user's name.")
    elif len(name) > NAME_MAX:
        errors["name"] = _("The name can be at most %(num)d characters.", num=NAME_MAX)
    email = email_address(email)
    if email is None:
        errors["email"] = _("Enter a valid e-mail address.")
    number = danish_number(mobile)
    if number is None:
        errors["mobile"] = _("Enter a Danish mobile number with 8 digits.")
    if errors:
        raise ServiceError.of(errors)
    return name, email, number


def clean_companies(scope, company_ids):
    ids = _ints(company_ids)
    if ids is None or not ids:
        raise ServiceError(_("Choose at least one company."), "company_ids")
    if not set(ids) <= set(scope.company_ids):
        raise ServiceError(_("Choose among your own companies."), "company_ids")
    return sorted(set(ids))


def clean_functions(functions, is_admin):
    functions = list(functions or ())
    unknown = set(functions) - set(FUNCTIONS)
    if unknown:
        raise ServiceError(_("Choose among the functions shown."), "functions")
    if not is_admin and set(functions) & ADMIN_ONLY:
        raise ServiceError(_("Only administrators can manage self-service users."), "functions")
    if is_admin:
        return list(FUNCTIONS)
    if not functions:
        raise ServiceError(_("Choose at least one function."), "functions")
    return [f for f in FUNCTIONS if f in functions]


def clean_accounts(scope, company_ids, full_access, account_ids, is_admin):
    """{company id: [account ids]} for limited access (admins always have full access)."""
    if is_admin or full_access:
        return {cid: [] for cid in company_ids}
    ids = _ints(account_ids)
    if ids is None:
        raise ServiceError(_("Choose among the accounts shown."), "account_ids")
    if not ids:
        raise ServiceError(_("Choose at least one account, or give full access."), "account_ids")
    allowed = {a.id: a.company_id for a in
               scope.accounts().where(Account.id.in_(ids), Account.company.in_(_trees(scope, company_ids)))}
    if set(ids) - set(allowed):
        raise ServiceError(_("Choose among the accounts shown."), "account_ids")
    per_company = {}
    for cid in company_ids:
        tree = set(company_tree(scope.customer_id, cid))
        per_company[cid] = sorted(a for a, owner in allowed.items() if owner in tree)
        if not per_company[cid]:
            name = Company.get_by_id(cid).name
            raise ServiceError(_("Choose at least one account of %(company)s.", company=name), "account_ids")
    return per_company


def _ints(values):
    """Forged ids make the whole list invalid (None), so a bad value is never silently dropped."""
    values = list(values or ())
    ids = [parse_id(v) for v in values]
    return None if None in ids else ids


# -- creating --------------------------------------------------------------------------

def clean_language(language):
    """The new login's language (its e-mails, and its pages until the user chooses another): "da" or "en"."""
    if language not in current_app.config["LANGUAGES"]:
        raise ServiceError(_("Choose Danish or English."), "language")
    return language


def create_user(scope, name, email, mobile, company_ids, full_access, account_ids, functions, is_admin,
                language="da"):
    """Create a pending user with a membership per company, then e-mail the activation (in `language`).

    Returns (user, sent): `sent` is False when the e-mail could not be queued (the user
    exists; the admin can resend it from the user's page).
    """
    scope.require("users")
    is_admin = bool(is_admin)
    name, email, mobile = clean_details(name, email, mobile)
    language = clean_language(language)
    if email_in_use(email):
        raise ServiceError(_("%(email)s already has a login to Selvbetjening.", email=email), "email")
    company_ids = clean_companies(scope, company_ids)
    full_access = bool(full_access) or is_admin
    per_company = clean_accounts(scope, company_ids, full_access, account_ids, is_admin)
    functions = clean_functions(functions, is_admin)
    try:
        with db.atomic():
            user = User.create(email=email, name=name, mobile=mobile, kind="customer", status="pending",
                               locale=language)
            for cid in company_ids:
                membership = Membership.create(user=user, company=cid, is_admin=is_admin,
                                               full_access=full_access, functions=" ".join(functions))
                for account_id in per_company[cid]:
                    MembershipAccount.create(membership=membership, account=account_id)
            audit.record_for_scope(scope, "user.create", obj=user, companies=company_ids,
                                   is_admin=is_admin, full_access=full_access,
                                   accounts=sorted({a for ids in per_company.values() for a in ids}),
                                   functions=functions, language=language)
    except IntegrityError:
        raise ServiceError(_("%(email)s already has a login to Selvbetjening.", email=email), "email") from None
    company_id = scope.company_id if scope.company_id in company_ids else company_ids[0]
    return user, _send_activation(user.id, company_id, scope.user_id)


def _send_activation(user_id, company_id, actor_id):
    try:
        issue_activation(user_id, "email", company_id, actor_id)
    except Exception:  # the user exists either way; the admin can resend
        log.exception("activation e-mail for user %s failed", user_id)
        return False
    return True


def resend_activation(scope, user_id):
    user, memberships = get_user(scope, user_id)
    if user.status != "pending":
        raise ServiceError(_("Only users who have not activated their login yet can get a new activation e-mail."))
    _whole_login_in_scope(scope, user)  # a new code cancels the old one: the login's own business
    company_id = _preferred_company(scope, memberships)
    if not _send_activation(user.id, company_id, scope.user_id):
        raise ServiceError(_("The e-mail could not be sent. Try again in a moment."))
    return user


def _preferred_company(scope, memberships):
    ids = [m.company_id for m in memberships]
    return scope.company_id if scope.company_id in ids else ids[0]


# -- rights ----------------------------------------------------------------------------

def update_rights(scope, user_id, membership_id, full_access, account_ids, functions, is_admin):
    """Change one membership's functions, admin flag and account scope."""
    user, memberships = get_user(scope, user_id)
    membership = next((m for m in memberships if str(m.id) == str(membership_id)), None)
    if membership is None:
        raise NotFound()
    is_admin = bool(is_admin)
    full_access = bool(full_access) or is_admin
    errors = {}
    try:
        functions = clean_functions(functions, is_admin)
    except ServiceError as error:
        errors.update(error.errors)
    try:
        per_company = clean_accounts(scope, [membership.company_id], full_access, account_ids, is_admin)
    except ServiceError as error:
        errors.update(error.errors)
    if errors:
        raise ServiceError.of(errors)
    with db.atomic():
        if membership.is_admin and not is_admin:
            _refuse_last_admin(user, [membership.company_id])
        before = {"is_admin": membership.is_admin, "full_access": membership.full_access,
                  "functions": membership.functions.split(),
                  "accounts": [a.id for a in membership.linked_accounts]}
        (Membership.update(is_admin=is_admin, full_access=full_access, functions=" ".join(functions))
         .where(Membership.id == membership.id).execute())
        MembershipAccount.delete().where(MembershipAccount.membership == membership.id).execute()
        for account_id in per_company[membership.company_id]:
            MembershipAccount.create(membership=membership.id, account=account_id)
        audit.record_for_scope(scope, "user.rights_change", obj=user, membership=membership.id,
                               target_company=membership.company_id, before=before,
                               after={"is_admin": is_admin, "full_access": full_access,
                                      "functions": functions,
                                      "accounts": per_company[membership.company_id]})
    return user


def _refuse_last_admin(user, company_ids):
    """ServiceError when `user` is the last active admin of any of these companies."""
    for cid in company_ids:
        others = (Membership.select().join(User)
                  .where(Membership.company == cid, Membership.is_admin == True,
                         Membership.user != user.id, User.status == "active", User.kind == "customer"))
        mine = Membership.get_or_none(Membership.company == cid, Membership.user == user.id,
                                      Membership.is_admin == True)
        if mine is not None and not others.exists():
            company = Company.get_by_id(cid)
            raise ServiceError(_("%(name)s is the last active administrator of %(company)s. "
                              "Make another user administrator first.",
                              name=user.name, company=company.name))


# -- status ----------------------------------------------------------------------------

def _whole_login_in_scope(scope, user):
    """Status changes act on the login itself: only when all its memberships are the admin's."""
    outside = (Membership.select().where(Membership.user == user.id,
                                         Membership.company.not_in(scope.company_ids)).exists())
    if outside:
        raise ServiceError(_("This login also gives access to companies you do not administer, so you "
                          "cannot change the login itself. You can remove its access to your companies."))


def disable_user(scope, user_id):
    user, _memberships = get_user(scope, user_id)
    if user.id == scope.user_id:
        raise ServiceError(_("You cannot disable your own login."))
    if user.status == "disabled":
        raise ServiceError(_("The login is already disabled."))
    _whole_login_in_scope(scope, user)
    with db.atomic():
        _refuse_last_admin(user, [m.company_id for m in Membership.select().where(Membership.user == user.id)])
        User.update(status="disabled", disabled_reason="admin").where(User.id == user.id).execute()
        ended = end_user_sessions(user.id)
        audit.record_for_scope(scope, "user.disable", obj=user, previous_status=user.status,
                               sessions_ended=ended)
    return user


def enable_user(scope, user_id):
    """A disabled login becomes active again (or pending, if it was never activated)."""
    user, _memberships = get_user(scope, user_id)
    if user.status != "disabled":
        raise ServiceError(_("The login is not disabled."))
    _whole_login_in_scope(scope, user)
    status = "active" if user.password_hash else "pending"
    with db.atomic():
        User.update(status=status, disabled_reason="", failed_logins=0, locked_until=None) \
            .where(User.id == user.id).execute()
        audit.record_for_scope(scope, "user.enable", obj=user, status=status)
    return user


def end_sessions(scope, user_id):
    user, _memberships = get_user(scope, user_id)
    _whole_login_in_scope(scope, user)
    with db.atomic():
        ended = end_user_sessions(user.id)
        audit.record_for_scope(scope, "user.sessions_end", obj=user, sessions_ended=ended)
    return ended


# -- deleting --------------------------------------------------------------------------

def delete_user(scope, user_id):
    """Remove the user's memberships in the admin's companies; the login itself goes too
    when no memberships remain elsewhere.

    A login that has acted (audit trail, orders, tickets) keeps a closed row so the
    history still says who did what: disabled, its e-mail freed, its secrets gone.
    Returns "membership" (access removed, login kept), "deleted" or "closed".
    """
    user, memberships = get_user(scope, user_id)
    if user.id == scope.user_id:
        raise ServiceError(_("You cannot delete your own login."))
    ids = [m.id for m in memberships]
    with db.atomic():
        _refuse_last_admin(user, [m.company_id for m in memberships])
        MembershipAccount.delete().where(MembershipAccount.membership.in_(ids)).execute()
        Membership.delete().where(Membership.id.in_(ids)).execute()
        remaining = Membership.select().where(Membership.user == user.id).exists()
        if remaining:
            outcome = "membership"
        else:
            end_user_sessions(user.id)
            outcome = _remove_login(user)
        audit.record_for_scope(scope, "user.delete", object_type="user", object_id=user.id,
                               name=user.name, companies=[m.company_id for m in memberships],
                               outcome=outcome)
    return outcome


def _remove_login(user):
    OutboxMessage.update(user=None).where(OutboxMessage.user == user.id).execute()
    JobRecord.update(user=None).where(JobRecord.user == user.id).execute()
    has_history = AuditEvent.select().where(AuditEvent.user == user.id).exists()
    if not has_history:
        try:
            with db.atomic():
                User.delete().where(User.id == user.id).execute()
            return "deleted"
        except IntegrityError:  # referenced by orders, tickets…: keep a closed row
            pass
    TotpDevice.delete().where(TotpDevice.user == user.id).execute()
    User.update(status="disabled", disabled_reason="deleted", email=f"deleted-{user.id}@deleted.invalid",
                username=None, password_hash=None, mobile="", locked_until=None) \
        .where(User.id == user.id).execute()
    return "closed"

