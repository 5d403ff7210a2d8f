"""Support tickets: list, create, details (also a fragment for the front page's 'Show more')."""
from flask import Blueprint, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired

from services import support as tickets
from services.listing import paginate

from .access import member
from .forms import MaxLength
from .rendering import render

bp = Blueprint("support", __name__, url_prefix="/support")

CATEGORIES = [SelectChoice("subscription", _l("Subscription")), SelectChoice("invoice", _l("Invoice")),
              SelectChoice("sim", _l("SIM card")), SelectChoice("technical", _l("Technical fault")),
              SelectChoice("other", _l("Other"))]


class TicketForm(FlaskForm):
    subject = StringField(_l("Subject"), validators=[DataRequired(_l("Write a subject.")), MaxLength(120)])
    category = SelectField(_l("Category"), choices=CATEGORIES)
    body = TextAreaField(_l("Message"), validators=[DataRequired(_l("Write your message.")), MaxLength(5000)])


class ReplyForm(FlaskForm):
    body = TextAreaField(_l("Reply"), validators=[DataRequired(_l("Write your message.")), MaxLength(5000)])


@bp.route("/")
@member("support")
def index():
    return render("support/index.html", page=paginate(tickets.list_tickets(g.scope), request.args.get("page", 1)))


@bp.route("/new", methods=["GET", "POST"])
@member("support")
def new():
    form = TicketForm()
    if form.validate_on_submit():
        ticket = tickets.create_ticket(g.scope, form.subject.data, form.body.data, form.category.data)
        flash(_("Support ticket %(number)s was created. We answer within one working day.", number=ticket.number), "success")
        return redirect(url_for("support.detail", ticket_id=ticket.id))
    return render("support/new.html", form=form)


@bp.route("/<int:ticket_id>", methods=["GET", "POST"])
@member("support")
def detail(ticket_id):
    ticket = tickets.get_ticket(g.scope, ticket_id)
    form = ReplyForm()
    if form.validate_on_submit():
        tickets.reply(g.scope, ticket, form.body.data)
        flash(_("Your reply was sent."), "success")
        return redirect(url_for("support.detail", ticket_id=ticket.id))
    return render("support/detail.html", "detail", ticket=ticket, messages=tickets.messages_of(ticket), form=form)
