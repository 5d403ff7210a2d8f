"""Server-side sessions: the cookie holds a random token, the database the data.

Sessions are revocable (delete the row), get a new id on every privilege change
(`rotate_session`) and expire, both checked here on the server: after SESSION_IDLE_MINUTES
without a request, and SESSION_ABSOLUTE_HOURS after the login whatever the activity (the row's
created_at, kept when the same login's session is rotated). A signed-in session that expired
opens as a new one whose `expired` says why ("idle" or "absolute"), for the login page.

Re-authentication (blueprints/step_up.py) is limited per user here: `reauth_blocked` counts the
failures `record_reauth_failure` wrote to the audit trail in the last REAUTH_WINDOW_MINUTES.
"""
import datetime
import hashlib
import json
import secrets

from flask import current_app, has_request_context, request
from flask import session as flask_session
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict

from models import AuditEvent, User, WebSession, db, utcnow
from models.database import columns_of, joined_rows, table_of

from . import audit
from .passwords import verify_password
from .scope import MEMBERSHIP_MODELS, memberships_columns, memberships_from, memberships_join

TOUCH_EVERY = datetime.timedelta(seconds=60)  # how often last_seen_at is written


def _hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


class ServerSession(CallbackDict, SessionMixin):
    def __init__(self, initial=None, token=None, row=None, memberships=None):
        def on_update(self):
            self.modified = True

        super().__init__(initial, on_update)
        self.token = token
        self.row = row
        self.modified = False
        self.rotate = False
        self.destroy = False
        self.expired = None  # "idle" or "absolute": a signed-in session ended before this request
        self.memberships = memberships  # (memberships, links) of the row's user, read with the row


def user_of(session, user_id):
    """The user row the session's own query brought along, when the session is `user_id`'s; else None
    (Flask-Login's loader then reads it). One query fewer on every signed-in request."""
    row = getattr(session, "row", None)
    if row is not None and row.user_id == user_id:
        return row.__rel__.get("user")
    return None


def memberships_of(session, user_id):
    """The memberships and company links (services/scope.py `memberships_from`) the session's own
    query brought along, when the session is `user_id`'s; else None (the caller reads them)."""
    row = getattr(session, "row", None)
    if row is not None and row.user_id == user_id:
        return session.memberships
    return None


def _session_sql(p):
    """The session by its token's hash, with its user and the user's memberships and companies
    (one row per company; see services/scope.py `memberships_join`): every signed-in request asks
    who it is and where they may look, and on PostgreSQL each round trip costs about half a
    millisecond of the machine's time under load."""
    return (f"SELECT {columns_of(WebSession, 's')}, {columns_of(User, 'u')}, {memberships_columns()} "  # nosec B608  # names from the models; values are placeholders
            f"FROM {table_of(WebSession)} s "
            f"LEFT JOIN {table_of(User)} u ON u.id = s.user_id {memberships_join('s.user_id')} "
            f"WHERE s.token_hash = {p}")


def _read_session(token_hash):
    """The session row (its user attached) and its user's memberships, or (None, None)."""
    rows = joined_rows("web_session", _session_sql, (token_hash,), (WebSession, User, *MEMBERSHIP_MODELS))
    if not rows:
        return None, None
    row, user = rows[0][0], rows[0][1]
    if user is not None:
        row.user = user
        row._dirty.clear()
        return row, memberships_from(r[2:] for r in rows)
    return row, None


def rotate_session(session):
    """Give the session a new id (after the password, after the second factor, on logout)."""
    session.rotate = True
    session.modified = True


def destroy_session(session):
    session.clear()
    session.destroy = True


def end_user_sessions(user_id, keep_token_hash=None):
    """Revoke every session of a user, but for the one named."""
    query = WebSession.delete().where(WebSession.user == user_id)
    if keep_token_hash:
        query = query.where(WebSession.token_hash != keep_token_hash)
    return query.execute()


def expiry_of(row, config, now=None):
    """None while the session row is alive; else "idle" or "absolute"."""
    now = now or utcnow()
    if now - row.last_seen_at >= datetime.timedelta(minutes=config["SESSION_IDLE_MINUTES"]):
        return "idle"
    if now - row.created_at >= datetime.timedelta(hours=config["SESSION_ABSOLUTE_HOURS"]):
        return "absolute"
    return None


class DatabaseSessionInterface(SessionInterface):
    def open_session(self, app, request):
        token = request.cookies.get(app.config["SESSION_COOKIE_NAME"])
        if token and len(token) < 100:
            # fixed SQL, on every request; the signed-in user and their memberships come along
            row, memberships = _read_session(_hash(token))
            if row is not None:
                expired = expiry_of(row, app.config)
                if expired is None:
                    return ServerSession(json.loads(row.data), token=token, row=row, memberships=memberships)
                row.delete_instance()
                session = ServerSession()
                session.expired = expired if row.user_id is not None else None
                return session
        return ServerSession()

    def save_session(self, app, session, response):
        name = app.config["SESSION_COOKIE_NAME"]
        cookie = dict(
            domain=self.get_cookie_domain(app), path=self.get_cookie_path(app),
            secure=self.get_cookie_secure(app), httponly=True,
            samesite=self.get_cookie_samesite(app),
        )
        if session.destroy or (not session and session.row is not None and session.modified):
            if session.row is not None:
                session.row.delete_instance()
            response.delete_cookie(name, **cookie)
            return
        if not session and session.row is None:
            return  # nothing worth a row
        now = utcnow()
        user_id = session.get("_user_id")
        if session.row is None or session.rotate:
            started = now
            if session.row is not None:
                if user_id is not None and str(session.row.user_id) == str(user_id):
                    started = session.row.created_at  # the same login: the absolute limit runs on
                session.row.delete_instance()
            session.token = secrets.token_urlsafe(32)
            session.row = WebSession.create(
                token_hash=_hash(session.token), user=user_id, data=json.dumps(dict(session)),
                last_seen_at=now, created_at=started, ip=request.remote_addr or "",
                user_agent=(request.user_agent.string or "")[:200],
            )
        elif session.modified or now - session.row.last_seen_at > TOUCH_EVERY:
            (WebSession.update(data=json.dumps(dict(session)), last_seen_at=now, user=user_id)
             .where(WebSession.id == session.row.id).execute())
        else:
            return
        response.set_cookie(name, session.token, **cookie)
        response.vary.add("Cookie")


def current_token_hash(session):
    return session.row.token_hash if getattr(session, "row", None) is not None else None


# -- the session's step-up times ---------------------------------------------------------------
# Written when the login's second factor is given (blueprints/auth) and at a re-authentication
# (blueprints/step_up); read by the step-up check and the fraud guard. Only these functions know
# the session's keys.

SECOND_FACTOR_AT = "second_factor_at"
REAUTH_AT = "reauth_at"


def _time_of(key):
    if not has_request_context():
        return None
    try:
        return datetime.datetime.fromisoformat(flask_session.get(key) or "")
    except ValueError:
        return None


def second_factor_at():
    """When this request's session last gave a second factor (UTC), or None."""
    return _time_of(SECOND_FACTOR_AT)


def reauthenticated_at():
    """When this request's session last re-authenticated with the password (UTC), or None."""
    return _time_of(REAUTH_AT)


def mark_second_factor():
    flask_session[SECOND_FACTOR_AT] = utcnow().isoformat()


def mark_reauthenticated():
    flask_session[REAUTH_AT] = utcnow().isoformat()


def spend_step_up():
    """The session's re-authentications (password or second factor) count no more: the next action
    that needs a fresh one asks for it, however recent the last one was."""
    if has_request_context():
        flask_session.pop(SECOND_FACTOR_AT, None)
        flask_session.pop(REAUTH_AT, None)


# -- re-authentication, limited per user ------------------------------------------------------

REAUTH_FAILED = "auth.reauth_failed"
FAILURES = (REAUTH_FAILED, "settings.password_failed")  # the wrong current password of a password change counts


def _reauth_window():
    return datetime.timedelta(minutes=current_app.config["REAUTH_WINDOW_MINUTES"])


def reauth_failures(user):
    return (AuditEvent.select()
            .where(AuditEvent.user == user.id, AuditEvent.action.in_(FAILURES),
                   AuditEvent.created_at > utcnow() - _reauth_window())
            .count())


def reauth_blocked(user):
    """True when the user has used up the wrong passwords and codes of the window."""
    return reauth_failures(user) >= current_app.config["REAUTH_MAX_FAILURES"]


def record_reauth_failure(user, method):
    """A wrong password or code when re-authenticating (also the current-password check); the number
    of attempts the user has left in the window."""
    with db.atomic():
        audit.record(REAUTH_FAILED, user=user.id, obj=user, method=method)
    return max(0, current_app.config["REAUTH_MAX_FAILURES"] - reauth_failures(user))


def record_reauth(user, method):
    audit.record("auth.reauthenticated", user=user.id, obj=user, method=method)


def password_again(user, password):
    """Re-authentication by password: True when right (audited); a wrong one counts as a failure.
    The caller checks reauth_blocked first."""
    if user.password_hash and verify_password(user.password_hash, password or ""):
        record_reauth(user, "password")
        return True
    record_reauth_failure(user, "password")
    return False
