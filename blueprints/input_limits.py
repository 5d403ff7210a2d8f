"""The outer length caps on every request (the caps themselves are in services/validation.py).

- Query strings: every value is cut at QUERY_VALUE_MAX characters and at most QUERY_PAIRS_MAX values
  are read, so a 60,000-character search is a 100-character search by the time a service sees it
  (services cut search text further, at SEARCH_MAX). Raw bytes that are not UTF-8 are percent-encoded,
  as werkzeug does inside values, instead of failing every use of request.full_path with a 500.
- Forms: a value longer than FORM_VALUE_MAX is refused with a translated 422 before the view runs
  (every field has a tighter cap of its own in its form or service; this one guards the rest).
"""
from urllib.parse import parse_qsl

from flask import Request, make_response, render_template, request
from flask_babel import gettext as _
from markupsafe import escape
from werkzeug.utils import cached_property

from services.validation import FORM_VALUE_MAX, QUERY_PAIRS_MAX, QUERY_VALUE_MAX


class CappedRequest(Request):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        try:
            self.query_string.decode()
        except UnicodeDecodeError:  # raw bytes that are not UTF-8: percent-encode them (full_path decodes)
            self.query_string = self.query_string.decode("utf-8", "werkzeug.url_quote").encode()

    @cached_property
    def args(self):
        pairs = parse_qsl(self.query_string.decode(), keep_blank_values=True,
                          errors="werkzeug.url_quote", max_num_fields=None)
        return self.parameter_storage_class(
            (key[:QUERY_VALUE_MAX], value[:QUERY_VALUE_MAX]) for key, value in pairs[:QUERY_PAIRS_MAX])


def _too_long_answer():
    text = _("A field is longer than %(max)s characters. Shorten it and try again.", max=f"{FORM_VALUE_MAX:,}")
    if request.headers.get("HX-Request") == "true":
        body = f'<p class="notice notice-error" role="alert" data-status="422">{escape(text)}</p>'
    else:
        body = render_template("errors/error.html", status=422, title=_("The request could not be completed"),
                               text=text)
    response = make_response(body, 422)
    response.vary.add("HX-Request")
    return response


def init_app(app):
    app.request_class = CappedRequest

    @app.before_request
    def refuse_over_long_form_values():
        if request.method != "POST" or not request.mimetype.startswith(("multipart/", "application/x-www-form")):
            return None
        if any(len(value) > FORM_VALUE_MAX for values in request.form.listvalues() for value in values):
            return _too_long_answer()
        return None
