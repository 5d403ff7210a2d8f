"""Exports produced as files by jobs; the page that started one polls its JobRecord."""
import datetime
from pathlib import Path

from flask import current_app

from services.audit_trail import write_csv

from . import current_job_id, job, report_progress


def export_path(job_id):
    folder = Path(current_app.config["DATA_DIR"]) / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{job_id}.csv"


@job
def export_audit_csv(company_ids, by_user=None, kind=None, date_from=None, date_to=None):
    parse = lambda d: datetime.date.fromisoformat(d) if d else None  # noqa: E731
    filters = {"user_id": by_user, "kind": kind, "date_from": parse(date_from), "date_to": parse(date_to)}
    rows = write_csv(export_path(current_job_id()), company_ids, filters,
                     progress=lambda pct: report_progress(pct, "rows"))
    return str(rows)
