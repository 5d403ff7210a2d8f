"""Support tickets: the list, creating one (about a subscription, an account or the company, with
attachments), a ticket with its messages (also the front page's "Show more" fragment), replying,
closing and reopening, and downloading attachments."""
from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge

from services import support as tickets
from services import ticket_files
from services.errors import ServiceError
from services.ids import parse_id

from .access import member
from .downloads import send_stored
from .rendering import render, wants_fragment

bp = Blueprint("support", __name__, url_prefix="/support")
UPLOADS = ("support.new", "support.detail")


@bp.url_value_preprocessor
def _limit_uploads(endpoint, values):
    """Set the upload limit before anything reads the body (the app's CSRF check reads the form
    in a before_request hook, and URL value preprocessors run before those)."""
    if endpoint in UPLOADS:
        request.max_content_length = ticket_files.REQUEST_LIMIT


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error):
    """413 with what the limits are (the staff's answer form uses it too)."""
    text = _("The files are too large. Attach at most %(num)d files of at most %(size)d MB each.",
             num=ticket_files.MAX_FILES, size=ticket_files.MAX_BYTES // (1024 * 1024))
    if request.headers.get("HX-Request") == "true":
        return f'<p class="notice notice-error" role="alert">{text}</p>', 413
    return render_template("errors/error.html", status=413, title=_("The files are too large"), text=text), 413


def uploads():
    """The request's files for the services: (file name, stream) pairs, empty inputs left out."""
    return [ticket_files.Upload(f.filename, f.stream) for f in request.files.getlist("attachments") if f.filename]


@bp.route("/")
@member("support")
def index():
    return render("support/index.html", page=tickets.list_tickets(g.scope, request.args.get("page", 1)),
                  sla_of=tickets.sla_of)


# -- a new ticket ----------------------------------------------------------------------------------

def _initial_concern():
    """A link from a subscription or an account page names it: ?subscription=<id> or ?account=<id>."""
    for kind in ("subscription", "account"):
        object_id = parse_id(request.args.get(kind))
        if object_id:
            return f"{kind}:{object_id}"
    return ""


def _new_page(values, errors=None, status=200, block=None):
    concern = values.get("concern", "")
    found = tickets.concern_of(g.scope, concern) or (None, None)
    q = values.get("q", "")
    subscriptions, accounts = tickets.find_concerns(g.scope, q)
    return render("support/new.html", block, status=status, values=values, errors=errors or {},
                  concern=concern if any(found) else "", chosen_subscription=found[0],
                  chosen_account=None if found[0] else found[1], q=q, subscriptions=subscriptions,
                  accounts=accounts, max_files=ticket_files.MAX_FILES, allowed=ticket_files.ALLOWED_TEXT,
                  targets=tickets.response_times())


@bp.route("/new", methods=["GET", "POST"])
@member("support")
def new():
    """GET: the form (?subscription=/?account= preselect). POST with nav=search: the form again with
    the picker's results (without JavaScript). POST: the ticket, or the form with every error (422)."""
    if request.method == "GET":
        return _new_page({"concern": _initial_concern()})
    if request.form.get("nav") == "search":
        return _new_page(request.form)
    try:
        ticket = tickets.create_ticket(g.scope, request.form.get("category", ""), request.form.get("concern", ""),
                                       request.form.get("subject", ""), request.form.get("body", ""), uploads())
    except ServiceError as error:
        return _new_page(request.form, error.errors, 422)
    sla = tickets.sla_of(ticket)
    flash(_("Support ticket %(number)s was created. We answer within %(time)s.", number=ticket.number,
            time=sla.target), "success")
    return redirect(url_for("support.detail", ticket_id=ticket.id))


@bp.route("/new/concerns")
@member("support")
def concerns():
    """The picker's matches for ?q= (the chosen one, ?concern=, stays on top)."""
    return _new_page(request.args, block="concern_results")


# -- one ticket --------------------------------------------------------------------------------------

def _file_url(item):
    return url_for("support.attachment", ticket_id=item.ticket_id, attachment_id=item.id)


def _ticket_page(ticket_id, errors=None, status=200, values=None):
    ticket = tickets.get_ticket(g.scope, ticket_id)
    expanded = request.args.get("more") != "closed"
    return render("support/detail.html", "more" if request.method == "GET" else None, status=status, ticket=ticket,
                  sla=tickets.sla_of(ticket), messages=tickets.messages_of(ticket) if expanded or not wants_fragment() else [],
                  errors=errors or {}, values=values or {}, expanded=expanded, file_url=_file_url,
                  max_files=ticket_files.MAX_FILES, allowed=ticket_files.ALLOWED_TEXT)


@bp.route("/<int:ticket_id>", methods=["GET", "POST"])
@member("support")
def detail(ticket_id):
    """GET: the ticket; for HTMX the front page's fragment (?more=closed: folded). POST: a reply."""
    if request.method == "GET":
        return _ticket_page(ticket_id)
    try:
        tickets.reply(g.scope, ticket_id, request.form.get("body", ""), uploads())
    except ServiceError as error:
        return _ticket_page(ticket_id, error.errors, 422, request.form)
    flash(_("Your reply was sent."), "success")
    return redirect(url_for("support.detail", ticket_id=ticket_id))


@bp.route("/<int:ticket_id>/close", methods=["POST"])
@member("support")
def close(ticket_id):
    if tickets.close_ticket(g.scope, ticket_id):
        flash(_("The ticket is closed. You can reopen it if you need more help."), "success")
    else:
        flash(_("The ticket was already closed."), "info")
    return redirect(url_for("support.detail", ticket_id=ticket_id))


@bp.route("/<int:ticket_id>/reopen", methods=["POST"])
@member("support")
def reopen(ticket_id):
    if tickets.reopen_ticket(g.scope, ticket_id):
        flash(_("The ticket is open again. Write what you need help with."), "success")
    else:
        flash(_("The ticket is already open."), "info")
    return redirect(url_for("support.detail", ticket_id=ticket_id) + "#reply")


@bp.route("/<int:ticket_id>/attachments/<int:attachment_id>")
@member("support")
def attachment(ticket_id, attachment_id):
    """The file as a download only (never shown in the browser), to those who see the ticket."""
    return send_attachment(*tickets.attachment_file(g.scope, ticket_id, attachment_id))


def send_attachment(item, found):
    """The kept file under its sender's (sanitised) name, never shown in the browser."""
    response = send_stored(found, item.name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
