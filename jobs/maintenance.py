"""Housekeeping jobs."""
import datetime

from flask import current_app

from models import OneTimeCode, WebSession, utcnow

from . import job, report_progress


@job
def purge_expired():
    """Delete idle sessions and spent codes; returns how many rows went."""
    idle = datetime.timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])
    sessions = WebSession.delete().where(WebSession.last_seen_at < utcnow() - idle).execute()
    report_progress(50, "sessions")
    codes = OneTimeCode.delete().where(OneTimeCode.expires_at < utcnow() - datetime.timedelta(days=1)).execute()
    report_progress(100, "codes")
    return f"{sessions} sessions, {codes} codes"
