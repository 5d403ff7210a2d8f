"""Structured logs: one JSON line per request, and a request id that follows the work it starts.

Every request gets an id: the incoming `X-Request-ID` when it looks like one (a proxy or load
balancer made it), else a new one. It is returned in the `X-Request-ID` header, put on every log
record written while the request runs (a logging filter reads it from a context variable), and
carried to the jobs the request enqueues (`current_request_id()`, read by the enqueue helper into
the RQ job's meta; the worker sets it again around the job, see worker.py).

The request line holds the method, the path without its query string (it may hold search terms),
the endpoint, the status, the duration in ms and the user id — never a form field, so passwords,
codes and PUKs cannot reach it. With LOG_FORMAT=json (the default in production) every log record
is one JSON object on stdout; otherwise records are text and the request line is JSON in the text.
"""
import contextvars
import datetime
import json
import logging
import re
import sys
import time
import uuid

from flask import g, request

REQUEST_ID_HEADER = "X-Request-ID"
SANE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$")  # uuids, hex ids, ELB/Heroku/nginx ids
_request_id = contextvars.ContextVar("request_id", default=None)
request_logger = logging.getLogger("selvbetjening.request")


def current_request_id():
    """The id of the request (or job) this code runs for, or None."""
    return _request_id.get()


def set_request_id(value):
    """Set the id for the current context (a job that a request enqueued); returns a reset token."""
    return _request_id.set(value if value and SANE_ID.match(str(value)) else None)


def reset_request_id(token):
    _request_id.reset(token)


def incoming_or_new(header_value):
    """The caller's id if it is sane (no spaces, quotes or control characters; 8–128 characters), else a new one."""
    if header_value and SANE_ID.match(header_value):
        return header_value
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Puts `request_id` on every record (None outside a request or job)."""

    def filter(self, record):
        if not hasattr(record, "request_id"):
            record.request_id = _request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message or the record's `fields`, request id."""

    def format(self, record):
        entry = {
            "ts": datetime.datetime.fromtimestamp(record.created, datetime.timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        fields = getattr(record, "fields", None)
        if fields:
            entry.update(fields)
        else:
            entry["message"] = record.getMessage()
        entry.setdefault("request_id", getattr(record, "request_id", None) or _request_id.get())
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self):
        super().__init__("%(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record):
        fields = getattr(record, "fields", None)
        text = super().format(record)
        return f"{text} {json.dumps(fields, ensure_ascii=False, default=str)}" if fields else text


class _StdoutHandler(logging.StreamHandler):
    """Writes to whatever sys.stdout is at the time (pytest swaps it between tests)."""

    def __init__(self):
        super().__init__(sys.stdout)

    @property
    def stream(self):
        return sys.stdout

    @stream.setter
    def stream(self, value):
        pass


def configure_logging(log_format):
    """Root logging to stdout as JSON (log_format 'json') or text; safe to call again (tests make many apps)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        # ours from an earlier app, and basicConfig's plain one; pytest's capture handlers stay
        if isinstance(handler, _StdoutHandler) or type(handler) is logging.StreamHandler:
            root.removeHandler(handler)
    handler = _StdoutHandler()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def init_app(app):
    """Request ids and the request line; call before the other hooks so the id is there for them."""
    log_format = app.config.get("LOG_FORMAT") or ("json" if app.config["ENV_MODE"] == "production" else "text")
    configure_logging(log_format)

    @app.before_request
    def start_request():
        g.request_started = time.perf_counter()
        g.request_id = incoming_or_new(request.headers.get(REQUEST_ID_HEADER))
        g.request_id_token = _request_id.set(g.request_id)

    @app.after_request
    def log_request(response):
        request_id = g.get("request_id")
        if request_id is None:  # a before_request hook ahead of ours answered
            request_id = incoming_or_new(None)
        response.headers[REQUEST_ID_HEADER] = request_id
        started = g.get("request_started")
        user = g.get("_login_user")  # only if the request loaded it: a static file loads no session
        request_logger.info("request", extra={"request_id": request_id, "fields": {
            "event": "request",
            "method": request.method,
            "path": request.path,  # never the query string
            "endpoint": request.endpoint,
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
            "user_id": user.get_id() if user is not None and getattr(user, "is_authenticated", False) else None,
        }})
        return response

    @app.teardown_request
    def forget_request_id(exc):
        token = g.pop("request_id_token", None)
        if token is not None:
            try:
                _request_id.reset(token)
            except ValueError:  # set in another context (streamed responses)
                _request_id.set(None)
