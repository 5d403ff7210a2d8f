"""Sending a finished export file: the name is built here, never from input."""
from flask import send_file
from werkzeug.exceptions import NotFound

from models import utcnow
from services import exports


def send_export(record, name):
    """The job's CSV as `<name>-YYYY-MM-DD.csv`; 404 while it is not made, failed or purged."""
    path = exports.file_of(record)
    if path is None:
        raise NotFound()
    return send_file(path, mimetype="text/csv", as_attachment=True, download_name=f"{name}-{utcnow():%Y-%m-%d}.csv")
