"""Billing accounts: search, details and changes; the company's master data.

The account page opens one section at a time for editing (`?edit=name` or `?edit=invoicing`,
swapped into the section by HTMX); a form with errors comes back as that section with 422,
a saved change goes back to the page with a message.
"""
from flask import Blueprint, flash, g, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField, TextAreaField

from models.customers import INVOICE_FORMATS
from services import accounts as svc
from services import usage
from services.errors import ServiceError
from services.labels import label

from .access import member
from .rendering import navigate, render

bp = Blueprint("accounts", __name__, url_prefix="/accounts")

SECTIONS = ("naming", "invoicing", "usage")  # the page's blocks, named after the ids they fill
EDITS = {"name": "naming", "invoicing": "invoicing"}


# -- forms: rendering and CSRF; the service checks the values ------------------------------------

def _format_choices():
    return [(f, label("invoice_format", f)) for f in INVOICE_FORMATS]


class NameForm(FlaskForm):
    name = StringField(_l("Name of the account"))


class InvoicingForm(FlaskForm):
    invoice_format = RadioField(_l("Invoice format"), choices=_format_choices)
    emails = TextAreaField(_l("Invoice e-mails"))
    ean = StringField(_l("EAN number (GLN)"))
    reference = StringField(_l("Reference"))
    address = StringField(_l("Address"))
    postal_code = StringField(_l("Postal code"))
    city = StringField(_l("City"))


class CompanyForm(FlaskForm):
    name = StringField(_l("Company name"))
    address = StringField(_l("Address"))
    postal_code = StringField(_l("Postal code"))
    city = StringField(_l("City"))
    default_invoice_format = RadioField(_l("Invoice format for new accounts"), choices=_format_choices)


def _with_errors(form, error):
    """Put a ServiceError's messages on the form's fields; returns the form-wide one, if any."""
    rest = []
    for field, message in error.errors.items():
        if field in form and field != "csrf_token":
            form[field].errors = [message]
        else:
            rest.append(message)
    return " ".join(rest)


# -- the list ----------------------------------------------------------------------------------

@bp.route("")
@member("accounts")
def index():
    filters = svc.parse_filters(request.args)
    page = svc.list_accounts(g.scope, page=request.args.get("page", 1), **filters)
    companies = svc.companies_of(g.scope)
    return render("accounts/index.html", "rows", page=page, filters=filters, companies=companies,
                  show_company=len(companies) > 1)


# -- one account -------------------------------------------------------------------------------

def _account_page(account_id, status=200, edit=None, name_form=None, invoicing_form=None, form_error=""):
    """The page, or the section HTMX asked for (HX-Target); 404 outside the scope."""
    data = svc.account_page(g.scope, account_id)
    item = data["item"]
    if edit == "name" and name_form is None:
        name_form = NameForm(obj=item)
    if edit == "invoicing" and invoicing_form is None:
        invoicing_form = InvoicingForm(obj=item, emails=", ".join(_emails(item)))
    metric = request.args.get("metric")
    target = request.headers.get("HX-Target")
    return render("accounts/detail.html", target if target in SECTIONS else None, status=status, edit=edit,
                  name_form=name_form, invoicing_form=invoicing_form, form_error=form_error,
                  metric=metric if metric in usage.METRICS else "cost", metrics=usage.METRIC_LABELS,
                  emails=_emails(item), **data)


def _emails(item):
    return [e for e in (item.invoice_emails or "").split(",") if e]


@bp.route("/<int:account_id>")
@member("accounts")
def detail(account_id):
    edit = request.args.get("edit")
    return _account_page(account_id, edit=edit if edit in EDITS else None)


@bp.route("/<int:account_id>/name", methods=["POST"])
@member("accounts")
def rename(account_id):
    form = NameForm()
    try:
        item, changes = svc.rename(g.scope, account_id, form.name.data)
    except ServiceError as error:
        message = _with_errors(form, error)
        return _account_page(account_id, 422, edit="name", name_form=form, form_error=message)
    if not changes:
        flash(_("The name was not changed."), "info")
    else:
        flash(_("The account is now called %(name)s.", name=item.name), "success")
    return navigate(url_for(".detail", account_id=account_id))


@bp.route("/<int:account_id>/invoicing", methods=["POST"])
@member("accounts")
def invoicing(account_id):
    form = InvoicingForm()
    try:
        _item, changes = svc.change_invoice_settings(
            g.scope, account_id, form.invoice_format.data, form.emails.data, form.ean.data, form.reference.data,
            form.address.data, form.postal_code.data, form.city.data)
    except ServiceError as error:
        message = _with_errors(form, error)
        return _account_page(account_id, 422, edit="invoicing", invoicing_form=form, form_error=message)
    if not changes:
        flash(_("Nothing was changed."), "info")
    elif "invoice_format" in changes:
        flash(_("The invoice settings are saved. The new invoice format applies from the next invoice."), "success")
    else:
        flash(_("The invoice settings are saved. They apply from the next invoice."), "success")
    return navigate(url_for(".detail", account_id=account_id))


# -- the company's master data -----------------------------------------------------------------

def _company_page(company_id, status=200, form=None, form_error=""):
    company = svc.get_company(g.scope, company_id)
    can_edit = svc.can_edit_company(g.scope)
    if form is None and can_edit and request.args.get("edit") == "1":
        form = CompanyForm(obj=company)
    return render("accounts/company.html", "company" if request.headers.get("HX-Target") == "company" else None,
                  status=status, company=company, form=form, form_error=form_error, can_edit=can_edit,
                  account_count=svc.company_account_count(g.scope, company))


@bp.route("/companies/<int:company_id>")
@member("accounts")
def company(company_id):
    """Name, address, CVR and default invoice format; administrators may change them."""
    return _company_page(company_id)


@bp.route("/companies/<int:company_id>", methods=["POST"])
@member("accounts")
def company_post(company_id):
    """:raise 403: for a member who is not an administrator (the service decides)."""
    form = CompanyForm()
    try:
        company, changes = svc.change_company(g.scope, company_id, form.name.data, form.address.data,
                                              form.postal_code.data, form.city.data, form.default_invoice_format.data)
    except ServiceError as error:
        message = _with_errors(form, error)
        return _company_page(company_id, 422, form=form, form_error=message)
    if changes:
        flash(_("The master data of %(company)s is saved.", company=company.name), "success")
    else:
        flash(_("Nothing was changed."), "info")
    return navigate(url_for(".company", company_id=company_id))
