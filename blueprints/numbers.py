"""Numbers (`/numbers`): the company's numbers with search, port-in requests with their
tracker, and port locks.

The port-in form posts twice, as the subscription actions do: first the service checks
every field and the page shows what will happen; a second post with `confirm` places the
request. Errors come back as 422 with the form. The numbers are also checked while they are
typed (`/numbers/port-in/check`, HTMX), so a landline number with "mobile" chosen is
pointed out before the form is sent.
"""
from flask import Blueprint, current_app, flash, g, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectChoice, SelectField, StringField, TextAreaField

from services import numbers as svc
from services.errors import ServiceError
from services.formatting import phone
from services.subscription_create import DONOR_OPERATORS

from .access import member, policy_of
from .rendering import navigate, render, wants_fragment

bp = Blueprint("numbers", __name__, url_prefix="/numbers")

FIELDS = ("kind", "numbers", "account", "donor_operator", "owner_name", "owner_cvr", "date", "signer_name", "consent")


class PortInForm(FlaskForm):
    """Rendering and CSRF; the service checks the values."""

    kind = RadioField(_l("Kind of numbers"), choices=[SelectChoice("landline", _l("Landline numbers")),
                                                      SelectChoice("mobile", _l("Mobile numbers"))], default="landline")
    numbers = TextAreaField(_l("Numbers"))
    account = SelectField(_l("Billed on account"), choices=[], validate_choice=False)
    donor_operator = SelectField(_l("Current operator"), validate_choice=False, choices=lambda: [
        SelectChoice("", _("Choose the operator"))] + [SelectChoice(code, str(name)) for code, name in DONOR_OPERATORS])
    owner_name = StringField(_l("The registered owner's name"))
    owner_cvr = StringField(_l("The owner's CVR number"))
    date = StringField(_l("Desired date"))
    signer_name = StringField(_l("Power of attorney signed by"))
    consent = BooleanField(_l("I confirm that the owner has given power of attorney"))


def _link_to(endpoint, **values):
    """The URL of another area's page when it exists and this membership may use it, else None."""
    if endpoint not in current_app.view_functions:
        return None
    policy = policy_of(endpoint)
    if policy is None or (policy.function and not g.scope.can(policy.function)):
        return None
    return url_for(endpoint, **values)


# -- the numbers list ------------------------------------------------------------------

@bp.route("")
@member("numbers")
def index():
    filters = svc.parse_filters(request.args)
    subs = svc.subscription_numbers(g.scope, page=request.args.get("page", 1), **filters)
    # the company's own numbers are few: on the first page, above the subscriptions' numbers
    company = svc.company_numbers(g.scope, **filters) if subs is None or subs.number == 1 else []
    fragment = wants_fragment()  # the search swaps the lists only
    porting, open_count = ([], 0) if fragment else svc.recent_port_requests(g.scope)
    return render("numbers/index.html", "rows", filters=filters, subs=subs, company=company, porting=porting,
                  open_count=open_count, accounts=None if fragment else svc.account_options(g.scope),
                  call_flow_url=None if fragment else _link_to("call_flow.index"), operator_name=svc.operator_name)


@bp.route("/<int:subscription_id>/port-lock", methods=["POST"])
@member("numbers")
def port_lock(subscription_id):
    """Set (locked=1) or lift the port lock; administrators only (the service checks).

    :raise 404: another customer's subscription, or one outside the scope."""
    try:
        item = svc.set_port_lock(g.scope, subscription_id, request.form.get("locked") == "1")
    except ServiceError as error:
        if wants_fragment():
            return render("numbers/index.html", "lock", status=422, s=svc.get_lockable(g.scope, subscription_id),
                          lock_error=error.message)
        flash(error.message, "error")
        response = index()  # the numbers page with the message, as it was
        response.status_code = 422
        return response
    if wants_fragment():
        return render("numbers/index.html", "lock", s=item, lock_changed=True)
    number = phone(item.number)
    flash(_("The port lock on %(number)s is set.", number=number) if item.port_locked
          else _("The port lock on %(number)s is lifted.", number=number), "success")
    return navigate(url_for("numbers.index", q=item.number[3:]))


# -- port-in: the form, the check, the preview, placing ---------------------------------

def _form(request_=None):
    """The form with this membership's accounts; an unsent request's values when correcting."""
    data = svc.form_values(request_) if request_ is not None and request.method == "GET" else None
    form = PortInForm(data=data) if data else PortInForm()
    accounts = svc.account_options(g.scope)
    if accounts is not None:
        form.account.choices = [SelectChoice("", _("Choose an account"))] + [
            SelectChoice(a.number, f"{a.number} · {a.name}") for a in accounts]
        if request.method == "GET" and not form.account.data and len(accounts) == 1:
            form.account.data = accounts[0].number
    earliest = svc.earliest_port_date()
    form.date.render_kw = {"type": "date", "min": earliest.isoformat()}
    if request.method == "GET" and not form.date.data:
        form.date.data = earliest.isoformat()
    return form, accounts is not None, earliest


def _with_errors(form, error):
    """A ServiceError's messages on the form's fields; returns the form-wide one, if any."""
    rest = []
    for field, message in error.errors.items():
        if field in form and field != "csrf_token":
            form[field].errors = [message]
        else:
            rest.append(message)
    return " ".join(rest)


def _values():
    return {name: request.form.get(name, "") for name in FIELDS}


def _page(form, select, earliest, porting=None, preview=None, form_error="", status=200):
    return render("numbers/port_in.html", "port_form", status=status, form=form, account_select=select,
                  earliest=earliest, porting=porting, preview=preview, form_error=form_error,
                  values=_values() if preview else {})


@bp.route("/port-in")
@member("numbers")
def port_in():
    form, select, earliest = _form()
    return _page(form, select, earliest)


@bp.route("/port-in", methods=["POST"])
@member("numbers")
def port_in_post():
    """The preview; with confirm=1 the request; with edit=1 back to the form as it was."""
    form, select, earliest = _form()
    if request.form.get("edit") == "1":
        return _page(form, select, earliest)
    confirm = request.form.get("confirm") == "1"
    try:
        result = svc.request_port_in(g.scope, _values(), preview=not confirm)
    except ServiceError as error:
        return _page(form, select, earliest, form_error=_with_errors(form, error), status=422)
    if not confirm:
        return _page(form, select, earliest, preview=result)
    flash(ngettext("The port-in request of %(num)d number is received. Follow it here.",
                   "The port-in request of %(num)d numbers is received. Follow it here.", result.number_count),
          "success")
    return navigate(url_for("numbers.tracker", porting_id=result.id), code=303)


@bp.route("/port-in/check", methods=["POST"])
@member("numbers")
def check():
    """The numbers as typed, checked without saving anything (the form's live check)."""
    if not wants_fragment():
        return navigate(url_for("numbers.port_in"))
    result = svc.check_numbers(request.form.get("kind", ""), request.form.get("numbers", ""))
    return render("numbers/port_in.html", "numbers_check", check=result)


# -- port-in requests and their tracker ------------------------------------------------

@bp.route("/porting")
@member("numbers")
def porting():
    page = svc.list_port_requests(g.scope, request.args.get("page", 1))
    return render("numbers/porting.html", "rows", page=page, operator_name=svc.operator_name)


@bp.route("/port-in/<int:porting_id>")
@member("numbers")
def tracker(porting_id):
    """The request's steps, polled while it is open.

    :raise 404: another customer's request, or one outside a limited membership's accounts."""
    data = svc.tracker(g.scope, porting_id)
    return render("numbers/tracker.html", "tracker", **data, operator_name=svc.operator_name,
                  fragment=wants_fragment(), order_url=_link_to("orders.detail", order_id=data["item"].order_id)
                  if data["item"].order_id else None)


@bp.route("/port-in/<int:porting_id>/correct")
@member("numbers")
def correct(porting_id):
    porting_request = svc.get_port_request(g.scope, porting_id)
    if not svc.correctable(porting_request):
        flash(_("The request has been sent to the current operator; it can no longer be changed."), "info")
        return navigate(url_for("numbers.tracker", porting_id=porting_id))
    form, select, earliest = _form(porting_request)
    return _page(form, select, earliest, porting=porting_request)


@bp.route("/port-in/<int:porting_id>/correct", methods=["POST"])
@member("numbers")
def correct_post(porting_id):
    porting_request = svc.get_port_request(g.scope, porting_id)
    form, select, earliest = _form(porting_request)
    if request.form.get("edit") == "1":
        return _page(form, select, earliest, porting=porting_request)
    confirm = request.form.get("confirm") == "1"
    try:
        result = svc.correct_port_in(g.scope, porting_id, _values(), preview=not confirm)
    except ServiceError as error:
        return _page(form, select, earliest, porting=porting_request, form_error=_with_errors(form, error),
                     status=422)
    if not confirm:
        return _page(form, select, earliest, porting=porting_request, preview=result)
    flash(_("The port-in request is corrected."), "success")
    return navigate(url_for("numbers.tracker", porting_id=porting_id), code=303)


@bp.route("/port-in/<int:porting_id>/cancel", methods=["POST"])
@member("numbers")
def cancel(porting_id):
    try:
        svc.cancel_port_in(g.scope, porting_id)
    except ServiceError as error:
        data = svc.tracker(g.scope, porting_id)
        return render("numbers/tracker.html", status=422, **data, operator_name=svc.operator_name,
                      fragment=False, action_error=error.message, order_url=None)
    flash(_("The port-in request is cancelled. Nothing was sent to the current operator."), "success")
    return navigate(url_for("numbers.tracker", porting_id=porting_id), code=303)
