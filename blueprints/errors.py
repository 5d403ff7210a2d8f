"""Translated error pages; HTMX requests get a short fragment instead of a page.

Every error answer varies on HX-Request (the page and the fragment share a URL). The fragment is
one `.notice-error` paragraph: static/js/app.js shows its text in the request's target, or in the
toast region, because htmx itself swaps no error answer.
"""
from flask import current_app, make_response, redirect, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from . import access


def is_htmx():
    return request.headers.get("HX-Request") == "true"


def _page(status, title, text):
    if is_htmx():
        body = f'<p class="notice notice-error" role="alert" data-status="{status}">{escape(text)}</p>'
    else:
        body = render_template("errors/error.html", status=status, title=title, text=text)
    response = make_response(body, status)
    response.vary.add("HX-Request")
    return response


# GET addresses that are a step of a flow, not a page to come back to (a device that is confirmed
# already is no longer there to confirm)
_STEPS = {"settings.confirm_authenticator"}


def _page_of_form():
    """The page a form-only address belongs to, for a GET of it: a form sent back with errors leaves
    its own address (/users/7/rights) in the address bar, and reloading or bookmarking it asks for
    it with GET. The nearest address above it that answers GET (/users/7), or None."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    path = request.path.rstrip("/")
    while "/" in path.strip("/"):
        path = path.rsplit("/", 1)[0]
        for candidate in (path, path + "/"):
            try:
                endpoint, _args = adapter.match(candidate, method="GET")
            except (RequestRedirect, HTTPException):  # "/settings" redirects: its "/settings/" is the page
                continue
            if endpoint not in _STEPS:
                return candidate
    return None


def _signed_out_of_a_page():
    """A request to a signed-in page whose session has expired (its CSRF token went with it)."""
    if current_user.is_authenticated or request.endpoint is None:
        return False
    policy = access.policy_of(request.endpoint)
    return policy is not None and policy.role != "public"


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
        if request.method in ("GET", "HEAD") and not is_htmx():
            page = _page_of_form()
            if page:
                return redirect(page, 303)
        return _page(405, _("Not allowed"), _("That action is not possible here."))

    @app.errorhandler(CSRFError)
    def csrf_failed(error):
        if _signed_out_of_a_page():
            return access.to_login()  # the session expired: log in again and come back
        if is_htmx():
            return _page(400, _("The form has expired"), _("The form has expired. Reload the page and try again."))
        return _page(400, _("The form has expired"), _(
            "The page was open for too long or came from elsewhere. Go back, reload and try again."))

    @app.errorhandler(429)
    def too_many(error):
        from services.exports import TooManyJobs

        if isinstance(error, TooManyJobs):  # the export limit says what to wait for
            return _page(429, _("Too many exports"), error.description)
        return _page(429, _("Too many attempts"), _("Too many attempts in a short time. Wait a minute and try again."))

    @app.errorhandler(500)
    def server_error(error):
        return _page(500, _("Something went wrong"), _("We could not complete the request. Try again in a moment."))

    @app.errorhandler(HTTPException)
    def other_error(error):
        """Any other 4xx/5xx (400 unreadable request, 413, 415, …) as a translated page or fragment."""
        if error.code is None or error.code < 400:
            return error
        if error.code >= 500:
            return _page(error.code, _("Something went wrong"), _("We could not complete the request. Try again in a moment."))
        return _page(error.code, _("The request could not be completed"), _("Reload the page and try again."))

    @app.after_request
    def vary_on_errors(response):
        # error answers made elsewhere (a blueprint's own 413 handler, an abort with a response)
        if response.status_code >= 400:
            response.vary.add("HX-Request")
        return response

