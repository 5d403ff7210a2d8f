"""Sending a finished export file: the name is built here, never from input."""
from flask import Response
from werkzeug.exceptions import NotFound
from werkzeug.http import dump_options_header

from models import utcnow
from services import exports


def send_export(record, name):
    """The job's CSV as `<name>-YYYY-MM-DD.csv`, sent from the database a part at a time; 404 while
    it is not made, failed or purged."""
    found = exports.file_of(record)
    if found is None:
        raise NotFound()
    stored, content = found
    response = Response(content, mimetype=stored.content_type)
    response.content_length = stored.size
    response.headers["Content-Disposition"] = dump_options_header(
        "attachment", {"filename": f"{name}-{utcnow():%Y-%m-%d}.csv"})
    return response
