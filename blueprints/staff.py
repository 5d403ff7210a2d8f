"""The operator's staff area: applications, outages, tickets and credit notes across customers."""
from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired

from models import Application, Company, utcnow
from models.support import APPLICATION_KINDS, APPLICATION_STATUSES, OUTAGE_SERVICES, TICKET_STATUSES
from services import credit_notes, invoice_text, staff_access, ticket_files
from services import outages as outage_service
from services import support as support_service
from services.applications import ApplicationError, list_applications
from services.errors import ServiceError
from services.ids import parse_id
from services.listing import paginate

from .access import staff
from .forms import MaxLength, ValidCvr
from .rendering import navigate, render

bp = Blueprint("staff", __name__, url_prefix="/staff")


class CompanySearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search

    cvr = StringField(_l("CVR number"), validators=[DataRequired(_l("Enter the company's CVR number.")), ValidCvr()])


class DisableForm(FlaskForm):
    company_id = HiddenField()
    reason = StringField(_l("Reason"), validators=[
        DataRequired(_l("Write why the login is disabled.")), MaxLength(200)])


class DecisionForm(FlaskForm):
    decision = HiddenField()
    note = TextAreaField(_l("Note"), validators=[MaxLength(1000)])


@bp.route("/")
@staff
def index():
    applications = Application.select().order_by(Application.created_at.desc()).limit(20)
    return render("staff/index.html", applications=list(applications),
                  outages=outage_service.list_outages(limit=5), now=utcnow())


# -- outages: publish, update, resolve (services/outages.py checks the values) ----------------------

def _outages_page(status=200, errors=None, values=None, outage=None):
    """The list and the form: publishing a new outage, or editing `outage`."""
    if values is None:
        values = _outage_values(outage) if outage else {"severity": "minor"}
    return render("staff/outages.html", status=status, outages=outage_service.list_outages(), outage=outage,
                  errors=errors or {}, values=values, services=OUTAGE_SERVICES, now=utcnow())


def _outage_values(outage):
    values = MultiDict({name: getattr(outage, name) for name in (
        "title_da", "title_en", "body_da", "body_en", "area_da", "area_en", "severity", "postal_codes")})
    values.setlist("services", outage.service_list)
    values["starts_at"] = outage_service.local_input(outage.starts_at)
    values["expected_end_at"] = outage_service.local_input(outage.expected_end_at)
    return values


@bp.route("/outages", methods=["GET", "POST"])
@staff
def outages():
    if request.method == "GET":
        return _outages_page()
    try:
        outage_service.create_outage(current_user, request.form)
    except ServiceError as error:
        return _outages_page(422, error.errors, request.form)
    flash(_("The outage is published on the customers' front pages and under Service status."), "success")
    return redirect(url_for("staff.outages"))


@bp.route("/outages/<int:outage_id>", methods=["GET", "POST"])
@staff
def outage(outage_id):
    item = outage_service.get_outage(outage_id)
    if request.method == "GET":
        return _outages_page(outage=item)
    try:
        changed = outage_service.update_outage(current_user, item.id, request.form)
    except ServiceError as error:
        return _outages_page(422, error.errors, request.form, outage=item)
    flash(_("The outage is updated.") if changed else _("Nothing was changed."), "success" if changed else "info")
    return redirect(url_for("staff.outages"))


@bp.route("/outages/<int:outage_id>/end", methods=["POST"])
@staff
def end_outage(outage_id):
    """Resolve: the outage ends now."""
    if outage_service.resolve_outage(current_user, outage_id) is None:
        flash(_("That outage has already ended."), "error")
    else:
        flash(_("The outage is marked as resolved."), "success")
    return redirect(url_for("staff.outages"))


# -- tickets: the queue, answering (services/support.py) ------------------------------------------------

@bp.url_value_preprocessor
def _limit_uploads(endpoint, values):
    """The answer form carries files: its size limit must be set before the CSRF check reads the body."""
    if endpoint == "staff.ticket":
        request.max_content_length = ticket_files.REQUEST_LIMIT


@bp.errorhandler(413)
def _too_large(error):
    from .support import too_large

    return too_large(error)


@bp.route("/tickets")
@staff
def tickets():
    """Every customer's tickets by status; sort=due puts the unanswered first by time left."""
    status = request.args.get("status", "")
    status = status if status in TICKET_STATUSES else ""
    sort = request.args.get("sort") if request.args.get("sort") in support_service.STAFF_SORTS else "updated"
    page = support_service.staff_queue(status, sort, request.args.get("page", 1))
    return render("staff/tickets.html", page=page, chosen_status=status, sort=sort, sla_of=support_service.sla_of)


def _ticket_page(item, status=200, errors=None, values=None):
    values = values or {"status": "waiting" if item.status == "open" else item.status}
    return render("staff/ticket.html", status=status, ticket=item, sla=support_service.sla_of(item),
                  messages=support_service.messages_of(item), errors=errors or {}, values=values,
                  statuses=TICKET_STATUSES, max_files=ticket_files.MAX_FILES, allowed=ticket_files.ALLOWED_TEXT,
                  file_url=lambda f: url_for("staff.ticket_attachment", ticket_id=f.ticket_id, attachment_id=f.id))


@bp.route("/tickets/<int:ticket_id>", methods=["GET", "POST"])
@staff
def ticket(ticket_id):
    """GET: the ticket with its SLA. POST: an answer (e-mailed to the customer as a link) and/or a new status."""
    item = support_service.staff_ticket(ticket_id)
    if item is None:
        abort(404)
    if request.method == "GET":
        return _ticket_page(item)
    files = [ticket_files.Upload(f.filename, f.stream) for f in request.files.getlist("attachments") if f.filename]
    try:
        support_service.staff_answer(current_user, item.id, request.form.get("body", ""), request.form.get("status", ""),
                                     files)
    except ServiceError as error:
        return _ticket_page(item, 422, error.errors, request.form)
    flash(_("The ticket is updated."), "success")
    return redirect(url_for("staff.ticket", ticket_id=item.id))


@bp.route("/tickets/<int:ticket_id>/attachments/<int:attachment_id>")
@staff
def ticket_attachment(ticket_id, attachment_id):
    from .support import send_attachment

    return send_attachment(*support_service.staff_attachment(ticket_id, attachment_id))


# -- access: applications and orphaned admin logins -----------------------------------

@bp.route("/applications")
@staff
def applications():
    """All applications, newest first, filtered by status and kind."""
    status = request.args.get("status") if request.args.get("status") in APPLICATION_STATUSES else ""
    kind = request.args.get("kind") if request.args.get("kind") in APPLICATION_KINDS else ""
    page = paginate(list_applications(status, kind), request.args.get("page", 1), 25)
    return render("staff/applications.html", "results", page=page, chosen_status=status, kind=kind,
                  statuses=APPLICATION_STATUSES, kinds=APPLICATION_KINDS)


@bp.route("/applications/<int:application_id>", methods=["GET", "POST"])
@staff
def application(application_id):
    """One application; a waiting one can be approved (recovery) or rejected, with a note."""
    item = staff_access.get_application(application_id)
    form = DecisionForm()
    if form.validate_on_submit():
        decision, note = form.decision.data, (form.note.data or "").strip()
        try:
            if decision == "approve" and item.kind == "recovery":
                staff_access.approve_recovery(current_user, application_id, note)
                flash(_("Approved. The old admin logins are disabled and the activation letter is on its way "
                        "to the company's digital mailbox."), "success")
                return redirect(url_for("staff.application", application_id=application_id))
            if decision == "reject" and note:
                staff_access.reject_application(current_user, application_id, note)
                flash(_("Rejected. The applicant is told by e-mail."), "success")
                return redirect(url_for("staff.application", application_id=application_id))
            if decision == "reject":
                form.note.errors.append(_("Write why the application is rejected; the applicant is told."))
            else:
                flash(_("Choose approve or reject."), "error")
        except ApplicationError as error:
            flash(_decision_error(error.reason), "error")
    company, _customer = staff_access.find_company(item.cvr)
    return render("staff/application.html", application=item, form=form, company=company,
                  status=422 if form.errors else 200,
                  logins=staff_access.company_logins(company) if company else [],
                  history=staff_access.history(item))


def _decision_error(reason):
    return {
        "processed": _("The application has already been processed."),
        "not_customer": _("No customer company has this CVR number, so there is nothing to approve."),
        "email_in_use": _("A login with the applicant's e-mail address exists already. Reject the request, "
                          "or disable that login first."),
    }.get(reason, _("The application could not be processed."))


@bp.route("/companies")
@staff
def companies():
    """Find a company by CVR number: its logins (admins first), their status and last login."""
    form = CompanySearchForm(request.args)
    company = customer = None
    searched = bool(request.args.get("cvr"))
    if searched and form.validate():
        company, customer = staff_access.find_company(form.cvr.data)
    return render("staff/companies.html", "result", form=form, searched=searched, company=company,
                  customer=customer, logins=staff_access.company_logins(company) if company else [],
                  applications=staff_access.applications_for_cvr(company.cvr) if company else [],
                  disable_form=DisableForm())


@bp.route("/users/<int:user_id>/disable", methods=["POST"])
@staff
def disable_admin(user_id):
    """Disable an (orphaned) admin login of a company, with a reason; the person and the company are told."""
    form = DisableForm()
    company = Company.get_or_none(Company.id == _int(form.company_id.data))
    if company is None:
        flash(_("Choose the company again."), "error")
        return redirect(url_for("staff.companies"))
    back = redirect(url_for("staff.companies", cvr=company.cvr))
    if not form.validate_on_submit():
        flash(" ".join(str(e) for e in form.reason.errors) or _("Write why the login is disabled."), "error")
        return back
    if staff_access.disable_admin(current_user, company.id, user_id, form.reason.data.strip()):
        flash(_("The login is disabled, its sessions are ended, and the person and the company are told."),
              "success")
    else:
        flash(_("That login is already disabled."), "info")
    return back


def _int(value):
    return parse_id(value) or 0


# -- invoices and credit notes ---------------------------------------------------------------

@bp.route("/invoices")
@staff
def invoices():
    """Every customer's invoices, newest first; searched by number, CVR, account number or company name."""
    query = request.args.get("q", "")
    page = credit_notes.search_invoices(current_user, query, request.args.get("page", 1))
    return render("staff/invoices.html", "results", page=page, query=query)


@bp.route("/invoices/<int:invoice_id>")
@staff
def invoice(invoice_id):
    """One invoice: its buyer, credit notes and lines, and the form that credits it."""
    return _invoice_page(invoice_id, "lines")


@bp.route("/invoices/<int:invoice_id>/credit", methods=["POST"])
@staff
def credit_invoice(invoice_id):
    """First post: what the credit note will hold. Second post (confirm): the credit note.

    `what` is "all" (every line not credited yet) or "lines" (the checked `line_ids`); the
    confirmation carries the lines' fingerprint, so a changed invoice is refused, not credited."""
    form = request.form
    line_ids = None if form.get("what") == "all" else form.getlist("line_ids")
    reason = form.get("reason", "")
    if form.get("back"):  # from the confirmation back to the form, with the choice kept
        return _invoice_page(invoice_id, "credit", values=form)
    try:
        if form.get("confirm") != "1":
            proposal = credit_notes.preview(current_user, invoice_id, reason, line_ids)
            return _invoice_page(invoice_id, "credit", proposal=proposal, values=form)
        note = credit_notes.credit(current_user, invoice_id, reason, line_ids, expect=form.get("expect", ""))
    except ServiceError as error:
        return _invoice_page(invoice_id, "credit", status=422, errors=error.errors, values=form)
    flash(_("Credit note %(number)s is created.", number=note.number), "success")
    return navigate(url_for("staff.invoice", invoice_id=invoice_id))  # no #anchor: HX-Redirect would only scroll


def _invoice_page(invoice_id, block, status=200, **extra):
    """The invoice page, or its `block`; a post comes back to the page of lines it was sent from."""
    data = credit_notes.invoice_page(current_user, invoice_id,
                                     request.form.get("lines_q", request.args.get("q", "")),
                                     request.form.get("lines_page", request.args.get("page", 1)))
    extra.setdefault("values", request.args)
    return render("staff/invoice.html", block, status=status, errors=extra.pop("errors", {}),
                  line_title=invoice_text.line_title, line_details=invoice_text.line_details, **data, **extra)



# -- fraud guard: port-outs held for review after a SIM change (services/fraud.py) --------------

@bp.route("/fraud")
@staff
def fraud_reviews():
    """Port-outs within a week of a SIM change, waiting for staff to approve or reject them."""
    return _fraud_page()


def _fraud_page(status=200, error=None):
    from services import fraud

    held = fraud.held_for_review()
    return render("staff/fraud.html", status=status, held=held, error=error,
                  sim_changes={o.id: fraud.recent_sim_changes(o.subscription_id) for o in held})


@bp.route("/fraud/<int:order_id>", methods=["POST"])
@staff
def fraud_decide(order_id):
    """Approve (the port-out goes on) or reject (the order fails); audited by the service."""
    from services import fraud

    decision = request.form.get("decision")
    if decision not in ("approve", "reject"):
        return _fraud_page(422, _("Choose approve or reject."))
    try:
        fraud.decide(current_user, order_id, decision == "approve")
    except ServiceError as error:
        return _fraud_page(422, error.message)
    flash(_("The port-out is approved and goes on.") if decision == "approve"
          else _("The port-out is rejected; the order has failed."), "success")
    return navigate(url_for("staff.fraud_reviews"))
