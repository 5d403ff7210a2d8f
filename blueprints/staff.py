"""The operator's staff area: applications, outages and tickets across customers."""
from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from models import Application, Company, SupportTicket
from services import outages as outage_service
from services.listing import paginate

from .access import staff
from .rendering import render

bp = Blueprint("staff", __name__, url_prefix="/staff")


class OutageForm(FlaskForm):
    title_da = StringField(_l("Title in Danish"), validators=[DataRequired(_l("Write a title.")), Length(max=120)])
    title_en = StringField(_l("Title in English"), validators=[DataRequired(_l("Write a title.")), Length(max=120)])
    body_da = TextAreaField(_l("Description in Danish"), validators=[Length(max=2000)])
    body_en = TextAreaField(_l("Description in English"), validators=[Length(max=2000)])
    area = StringField(_l("Area affected"), validators=[Length(max=120)])
    severity = SelectField(_l("Severity"), choices=(("minor", _l("Minor")), ("major", _l("Major"))))


@bp.route("/")
@staff
def index():
    applications = Application.select().order_by(Application.created_at.desc()).limit(20)
    return render("staff/index.html", applications=list(applications),
                  outages=outage_service.list_outages(limit=5))


@bp.route("/outages", methods=["GET", "POST"])
@staff
def outages():
    form = OutageForm()
    if form.validate_on_submit():
        outage_service.create_outage(current_user, form.title_da.data, form.title_en.data, form.body_da.data,
                                     form.body_en.data, form.area.data, form.severity.data)
        flash(_("The outage is published on every customer's front page."), "success")
        return redirect(url_for("staff.outages"))
    return render("staff/outages.html", form=form, outages=outage_service.list_outages())


@bp.route("/outages/<int:outage_id>/end", methods=["POST"])
@staff
def end_outage(outage_id):
    if outage_service.end_outage(current_user, outage_id) is None:
        flash(_("That outage has already ended."), "error")
    else:
        flash(_("The outage is marked as ended."), "success")
    return redirect(url_for("staff.outages"))


@bp.route("/tickets")
@staff
def tickets():
    query = (SupportTicket.select(SupportTicket, Company).join(Company)
             .order_by(SupportTicket.status == "closed", SupportTicket.updated_at.desc()))
    return render("staff/tickets.html", page=paginate(query, request.args.get("page", 1)))
