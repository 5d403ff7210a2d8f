"""Self-service users of the company: the list, the create-user wizard, a user's page
with rights, activation, disable/enable, delete and ending sessions.

The wizard keeps its draft in the (server-side) session, so back, forward and a
reload keep what was entered; the step is in the URL (`/users/new?step=rights`).
Each step is a named block of users/new.html, swapped into `#wizard` by HTMX.
"""
from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from services import users as svc
from services.errors import ServiceError
from services.ids import parse_id, parse_ids
from services.locale import page_language
from services.rights import FUNCTION_LABELS

from .access import member
from .rendering import navigate, render, wants_fragment
from .step_up import fresh_required
from .wizard_draft import WizardDraft

bp = Blueprint("users", __name__, url_prefix="/users")

STEPS = ("details", "companies", "accounts", "rights", "summary")
STEP_TITLES = {
    "details": _l("User details"),
    "companies": _l("Companies"),
    "accounts": _l("Account access"),
    "rights": _l("Functions"),
    "summary": _l("Summary"),
}
PRESET_LABELS = (("all", _l("Everything")), ("invoices", _l("Invoices only")),
                 ("subscriptions", _l("Subscriptions without SIM/PUK")))


# -- the list -------------------------------------------------------------------------

@bp.route("")
@member("users")
def index():
    q = request.args.get("q", "")
    page = svc.list_users(g.scope, q=q, page=request.args.get("page", 1))
    return render("users/index.html", "rows", page=page, q=q, labels=FUNCTION_LABELS,
                  many_companies=len(g.scope.company_ids) > 1)


# -- the wizard -----------------------------------------------------------------------

def _steps():
    return tuple(s for s in STEPS if s != "companies" or len(g.scope.company_ids) > 1)


def _blank():
    # the new login's language starts as the admin's page's: the admin sees it and may change it
    return {"name": "", "email": "", "mobile": "", "language": page_language(), "company_ids": [g.scope.company_id],
            "full_access": True, "account_ids": [], "functions": [], "is_admin": False}


drafts = WizardDraft("user_draft", "users.new", _blank)



def _show(step, draft, errors=None, push=False, status=200):
    """The wizard at `step`: the page, or the #wizard fragment (with the URL pushed)."""
    steps = _steps()
    selected = draft["account_ids"]
    q = request.values.get("q", "") if step == "accounts" else ""
    chosen, matches, more = svc.account_choices(g.scope, draft["company_ids"], q, selected)
    companies = svc.companies_for(g.scope)
    response = render(
        "users/new.html", "wizard", status=status, step=step, steps=steps, number=steps.index(step) + 1,
        titles=STEP_TITLES, draft=draft, errors=errors or {}, companies=companies,
        company_names={c.id: c.name for c in companies},
        chosen_accounts=chosen, matching_accounts=matches, more_accounts=more, q=q,
        grantable=svc.GRANTABLE, labels=FUNCTION_LABELS, presets=PRESET_LABELS,
        summary_accounts=chosen, existing=errors.get("existing") if errors else None)
    if push and wants_fragment():
        response.headers["HX-Push-Url"] = drafts.url(step)
    return response


@bp.route("/new")
@member("users")
def new():
    steps = _steps()
    draft = drafts.load()
    step = drafts.requested_step(steps)
    first_open = drafts.first_open(draft, steps)
    if steps.index(step) > steps.index(first_open):
        return redirect(drafts.url(first_open))
    if step == "accounts" and request.headers.get("HX-Target") == "account-list":
        # The live filter: the account list only, with the boxes ticked in the form so far.
        selected = request.args.getlist("account_ids")
        chosen, matches, more = svc.account_choices(g.scope, draft["company_ids"],
                                                    request.args.get("q", ""), selected)
        return render("users/new.html", "account_list", chosen_accounts=chosen,
                      matching_accounts=matches, more_accounts=more, q=request.args.get("q", ""),
                      draft=dict(draft, account_ids=[a.id for a in chosen]), errors={})
    return _show(step, draft)


@bp.route("/new", methods=["POST"])
@member("users")
@fresh_required(back=lambda: drafts.url("summary"), when=lambda: request.args.get("step") == "summary"
                and request.form.get("nav", "next") not in ("back", "cancel"))
def new_post():
    """One step's form. `nav`: next, back, filter, preset:<name>, create or cancel."""
    steps = _steps()
    draft = drafts.load()
    step = drafts.requested_step(steps)
    nav = request.form.get("nav", "next")
    if nav == "cancel":
        drafts.clear()
        return navigate(url_for("users.index"))
    _take_input(step, draft)
    if nav == "back":
        drafts.save(draft)
        previous = steps[max(0, steps.index(step) - 1)]
        return _show(previous, draft, push=True) if wants_fragment() else redirect(drafts.url(previous))
    if nav == "filter":
        drafts.save(draft)
        return _show(step, draft)
    if nav.startswith("preset:") and step == "rights":
        preset = svc.PRESETS.get(nav.partition(":")[2])
        if preset:
            draft["functions"], draft["is_admin"] = list(preset), False
        drafts.save(draft)
        return _show(step, draft)
    if step == "summary":
        return _create(draft, steps)
    errors = _check(step, draft)
    if errors:
        drafts.save(draft)
        return _show(step, draft, errors=errors, status=422)
    if step not in draft["done"]:
        draft["done"].append(step)
    drafts.save(draft)
    # the next step, unless an earlier one still waits (the draft was changed further back)
    following = min(steps[steps.index(step) + 1], drafts.first_open(draft, steps), key=steps.index)
    return _show(following, draft, push=True) if wants_fragment() else redirect(drafts.url(following))


def _take_input(step, draft):
    """Copy the step's fields into the draft, unchecked (back keeps them as entered)."""
    form = request.form
    if step == "details":
        for key in ("name", "email", "mobile"):
            draft[key] = form.get(key, "")[:200]
        draft["language"] = form.get("language", "")[:20] or page_language()  # a form without the field
    elif step == "companies":
        draft["company_ids"] = parse_ids(form.getlist("company_ids"))
    elif step == "accounts":
        draft["full_access"] = form.get("access", "full") != "limited"
        draft["account_ids"] = parse_ids(form.getlist("account_ids"))
    elif step == "rights":
        draft["functions"] = [f for f in form.getlist("functions") if f in FUNCTION_LABELS]
        draft["is_admin"] = form.get("is_admin") == "1"


def _check(step, draft):
    """Validate one step; {field: message}. Later steps are invalidated by changes here."""
    try:
        if step == "details":
            name, email, mobile = svc.clean_details(draft["name"], draft["email"], draft["mobile"])
            draft.update(name=name, email=email, mobile=mobile, language=svc.clean_language(draft.get("language")))
            existing = svc.existing_login_in_scope(g.scope, email)
            if existing is not None:
                return {"email": _("%(email)s already has a login to Selvbetjening.", email=email),
                        "existing": existing}
        elif step == "companies":
            draft["company_ids"] = svc.clean_companies(g.scope, draft["company_ids"])
            chosen, _matches, _more = svc.account_choices(g.scope, draft["company_ids"], "", draft["account_ids"])
            draft["account_ids"] = [a.id for a in chosen]
        elif step == "accounts":
            svc.clean_accounts(g.scope, draft["company_ids"], draft["full_access"], draft["account_ids"], False)
        elif step == "rights":
            svc.clean_functions(draft["functions"], draft["is_admin"])
    except ServiceError as error:
        return error.errors
    return {}


def _create(draft, steps):
    missing = [s for s in steps[:-1] if s not in draft["done"]]
    if missing:
        return _show(missing[0], draft, push=True) if wants_fragment() else redirect(drafts.url(missing[0]))
    try:
        user, sent = svc.create_user(
            g.scope, draft["name"], draft["email"], draft["mobile"], draft["company_ids"],
            draft["full_access"], draft["account_ids"], draft["functions"], draft["is_admin"],
            language=draft.get("language") or page_language())
    except ServiceError as error:
        return _show("summary", draft, errors={"form": error.message, error.field or "form": error.message}, status=422)
    drafts.clear()
    if sent:
        flash(_("The user %(name)s was created. An e-mail with activation instructions was sent to %(email)s.",
                name=user.name, email=user.email), "success")
    else:
        flash(_("The user %(name)s was created, but the activation e-mail could not be sent. "
                "Send it again from this page.", name=user.name), "error")
    return navigate(url_for("users.detail", user_id=user.id))


# -- one user -------------------------------------------------------------------------

def _detail_page(user_id, errors=None, submitted=None, status=200):
    user, memberships = svc.get_user(g.scope, user_id)
    pickers = {}
    for m in memberships:
        values = (submitted or {}).get(m.id)
        selected = values["account_ids"] if values else [a.id for a in m.linked_accounts]
        q = values.get("q", "") if values else ""
        pickers[m.id] = svc.account_choices(g.scope, [m.company_id], q, selected)
    return render("users/detail.html", status=status, user=user, memberships=memberships,
                  pickers=pickers, errors=errors or {}, submitted=submitted or {},
                  labels=FUNCTION_LABELS, grantable=svc.GRANTABLE,
                  own=user.id == g.scope.user_id,
                  many_companies=len(g.scope.company_ids) > 1)


@bp.route("/<int:user_id>")
@member("users")
def detail(user_id):
    return _detail_page(user_id)


@bp.route("/<int:user_id>/accounts")
@member("users")
def account_options(user_id):
    """The live filter of a membership's account list (the boxes ticked so far stay listed)."""
    _user, memberships = svc.get_user(g.scope, user_id)
    membership = next((m for m in memberships if str(m.id) == request.args.get("membership_id")), None)
    if membership is None:
        abort(404)
    if not wants_fragment():  # opened as a page (not by the live filter): the user's page has the list
        return redirect(url_for("users.detail", user_id=user_id))
    chosen, matches, more = svc.account_choices(g.scope, [membership.company_id], request.args.get("q", ""),
                                                request.args.getlist("account_ids"))
    return render("users/detail.html", "account_list", chosen_accounts=chosen,
                  matching_accounts=matches, more_accounts=more)


@bp.route("/<int:user_id>/rights", methods=["POST"])
@member("users")
@fresh_required(back=lambda user_id: url_for("users.detail", user_id=user_id),
                when=lambda: request.form.get("nav") != "filter", first=lambda user_id: svc.get_user(g.scope, user_id))
def rights(user_id):
    """Save one membership's rights; `nav=filter` (Enter in the account search) only filters."""
    form = request.form
    membership_id = form.get("membership_id", "")
    key = parse_id(membership_id) or 0
    values = {"functions": form.getlist("functions"), "is_admin": form.get("is_admin") == "1",
              "full_access": form.get("access", "full") != "limited",
              "account_ids": parse_ids(form.getlist("account_ids")),
              "q": form.get("q", "")}
    if form.get("nav") == "filter":
        return _detail_page(user_id, submitted={key: values})
    try:
        user = svc.update_rights(g.scope, user_id, membership_id, values["full_access"],
                                 form.getlist("account_ids"), values["functions"], values["is_admin"])
    except ServiceError as error:
        return _detail_page(user_id, errors={key: error.errors}, submitted={key: values}, status=422)
    flash(_("The rights of %(name)s were saved. They apply from the user's next page view.",
            name=user.name), "success")
    return redirect(url_for("users.detail", user_id=user_id))


def _action(user_id, do, message):
    """Run a one-button action; its error or success as a flash on the user's page."""
    try:
        result = do(g.scope, user_id)
    except ServiceError as error:
        flash(error.message, "error")
    else:
        flash(message(result), "success")
    return redirect(url_for("users.detail", user_id=user_id))


@bp.route("/<int:user_id>/resend", methods=["POST"])
@member("users")
def resend(user_id):
    return _action(user_id, svc.resend_activation,
                   lambda user: _("A new activation e-mail was sent to %(email)s.", email=user.email))


@bp.route("/<int:user_id>/disable", methods=["POST"])
@member("users")
def disable(user_id):
    return _action(user_id, svc.disable_user,
                   lambda user: _("The login of %(name)s was disabled and logged out.", name=user.name))


@bp.route("/<int:user_id>/enable", methods=["POST"])
@member("users")
def enable(user_id):
    return _action(user_id, svc.enable_user,
                   lambda user: _("The login of %(name)s was enabled again.", name=user.name))


@bp.route("/<int:user_id>/sessions/end", methods=["POST"])
@member("users")
def end_sessions(user_id):
    return _action(user_id, svc.end_sessions,
                   lambda count: _("The user was logged out everywhere."))


@bp.route("/<int:user_id>/delete", methods=["POST"])
@member("users")
def delete(user_id):
    user, _memberships = svc.get_user(g.scope, user_id)
    try:
        svc.delete_user(g.scope, user_id)
    except ServiceError as error:
        flash(error.message, "error")
        return redirect(url_for("users.detail", user_id=user_id))
    flash(_("%(name)s no longer has access to your companies.", name=user.name), "success")
    return redirect(url_for("users.index"))
