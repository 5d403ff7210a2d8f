"""Translated error pages; HTMX requests get a short fragment instead of a page."""
from flask import render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError


def _page(status, title, text):
    if request.headers.get("HX-Request") == "true":
        return f'<p class="notice notice-error" role="alert">{text}</p>', status
    return render_template("errors/error.html", status=status, title=title, text=text), status


def register(app):
    @app.errorhandler(403)
    def forbidden(error):
        return _page(403, _("No access"), _(
            "Your login does not give access to this page. Ask your company's administrator "
            "if you need it."))

    @app.errorhandler(404)
    def not_found(error):
        return _page(404, _("Page not found"), _("The page does not exist, or it is not yours to see."))

    @app.errorhandler(405)
    def not_allowed(error):
        return _page(405, _("Not allowed"), _("That action is not possible here."))

    @app.errorhandler(CSRFError)
    def csrf_failed(error):
        return _page(400, _("The form has expired"), _(
            "The page was open for too long or came from elsewhere. Go back, reload and try again."))

    @app.errorhandler(429)
    def too_many(error):
        return _page(429, _("Too many attempts"), _("Too many attempts in a short time. Wait a minute and try again."))

    @app.errorhandler(500)
    def server_error(error):
        return _page(500, _("Something went wrong"), _("We could not complete the request. Try again in a moment."))
