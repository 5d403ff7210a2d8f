"""Sending files kept in the database (services/stored_files.py) a part at a time: exports, PDFs
and ticket attachments. Their names are built by the server (an attachment's is its sender's name,
sanitised when it was received), never taken from the request."""
import unicodedata
from urllib.parse import quote

from flask import Response
from flask_babel import get_locale
from werkzeug.exceptions import NotFound

from models import utcnow
from services import exports


def send_stored(found, filename, inline=False):
    """The stored file `found` (stored_files.parts: its row and its content) as `filename`, sent as
    it is read, with its length; 404 when `found` is None (not made yet, or gone)."""
    if found is None:
        raise NotFound()
    stored, content = found
    response = Response(content, mimetype=stored.content_type)
    response.content_length = stored.size
    response.headers.set("Content-Disposition", "inline" if inline else "attachment", **_names(filename))
    return response


def _names(filename):
    """The Content-Disposition name parameters, as flask.send_file makes them: a name that is not
    ASCII goes as `filename*` (RFC 5987), with an ASCII approximation for old clients."""
    if filename.isascii():
        return {"filename": filename}
    simple = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    return {"filename": simple, "filename*": "UTF-8''" + quote(filename, safe="!#$&+-.^_`|~")}


def in_language(names):
    """A download's name in the page's language, from {"da": …, "en": …} (Danish otherwise)."""
    return names.get(get_locale().language, names["da"])


def send_export(record, names):
    """The job's CSV as `<name>-YYYY-MM-DD.csv`, the name in the page's language (`in_language`);
    404 while it is not made, failed or purged."""
    return send_stored(exports.file_of(record), f"{in_language(names)}-{utcnow():%Y-%m-%d}.csv")
