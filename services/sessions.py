"""Server-side sessions: the cookie holds a random token, the database the data.

Sessions are revocable (delete the row), get a new id on every privilege change
(`rotate_session`) and expire after an idle period.
"""
import datetime
import hashlib
import json
import secrets

from flask import request
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict

from models import WebSession, utcnow

TOUCH_EVERY = datetime.timedelta(seconds=60)  # how often last_seen_at is written


def _hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


class ServerSession(CallbackDict, SessionMixin):
    def __init__(self, initial=None, token=None, row=None):
        def on_update(self):
            self.modified = True

        super().__init__(initial, on_update)
        self.token = token
        self.row = row
        self.modified = False
        self.rotate = False
        self.destroy = False


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


class DatabaseSessionInterface(SessionInterface):
    def _idle(self, app):
        return datetime.timedelta(minutes=app.config["SESSION_IDLE_MINUTES"])

    def open_session(self, app, request):
        token = request.cookies.get(app.config["SESSION_COOKIE_NAME"])
        if token and len(token) < 100:
            row = WebSession.get_or_none(WebSession.token_hash == _hash(token))
            if row is not None and utcnow() - row.last_seen_at < self._idle(app):
                return ServerSession(json.loads(row.data), token=token, row=row)
            if row is not None:
                row.delete_instance()
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
            if session.row is not None:
                session.row.delete_instance()
            session.token = secrets.token_urlsafe(32)
            session.row = WebSession.create(
                token_hash=_hash(session.token), user=user_id, data=json.dumps(dict(session)),
                last_seen_at=now, ip=request.remote_addr or "",
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
