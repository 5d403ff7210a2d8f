"""Invoice and credit-note documents: the one entry point views and jobs use.

A document never changes once issued, so its PDF is made once per language and kept in the
database (services/stored_files.py, written in one transaction when complete), where every
machine finds what any worker made; the key is kind + id + language + FORMAT_VERSION (raise the
version when the layout changes and every PDF is made anew). DATA_DIR/documents/ is only this machine's cache of the
stored PDFs (e-mail attachments and send_file read it), filled from the database on first use:
written under a temporary name and renamed, so a half-written PDF is never served. Callers
have scope-checked the document.
"""
import os
import tempfile
from pathlib import Path

from flask import current_app
from flask_babel import force_locale
from peewee import IntegrityError
from werkzeug.exceptions import NotFound

from . import invoice_pdf, stored_files, ubl
from .exports import materialize
from .locale import regional

FORMAT_VERSION = 1
KINDS = ("invoice", "credit_note")
# Server-built file names: what a user's download is called, never from the request.
FILE_WORDS = {"da": {"invoice": "faktura", "credit_note": "kreditnota"},
              "en": {"invoice": "invoice", "credit_note": "credit-note"}}
PDF_TYPE = "application/pdf"
XML_TYPE = "application/xml"


def _kind(kind):
    if kind not in KINDS:
        raise NotFound()
    return kind


def language(lang):
    """One of the portal's languages; anything else is Danish (it goes into a path)."""
    return lang if lang in current_app.config["LANGUAGES"] else current_app.config["BABEL_DEFAULT_LOCALE"]


def folder():
    path = Path(current_app.config["DATA_DIR"]) / "documents" / f"v{FORMAT_VERSION}"
    path.mkdir(parents=True, exist_ok=True)
    return path


def pdf_path(kind, obj_id, lang):
    return folder() / f"{_kind(kind)}-{int(obj_id)}-{language(lang)}.pdf"


def _key(path):
    return f"document:v{FORMAT_VERSION}/{path.name}"


def cached_pdf(kind, obj_id, lang):
    """The PDF made earlier (on any machine), as a path in this machine's cache, or None."""
    return _local_copy(pdf_path(kind, obj_id, lang))


def read_cached(path):
    """The bytes of a PDF given by its cache path (an e-mail's attachment), from this machine's
    cache or else from the database, where the machine that made it stored it."""
    local = _local_copy(path)
    if local is None:
        raise FileNotFoundError(path.name)
    return local.read_bytes()


def _local_copy(path):
    """`path` in this machine's cache, filled from the database when another machine made it."""
    if path.exists():
        return path
    data = stored_files.content(_key(path))
    return None if data is None else materialize(path, data)


def _store(path, data):
    """Keep the finished PDF in the database; two renders of one document race harmlessly."""
    try:
        stored_files.store(_key(path), data, PDF_TYPE)
    except IntegrityError:
        pass  # made at the same time elsewhere: same content


def render_pdf(kind, obj_id, lang):
    """Make the PDF in `lang` (or find it made) and return its path. :raise 404: no such document."""
    path = cached_pdf(kind, obj_id, lang)
    if path is not None:
        return path
    path = pdf_path(kind, obj_id, lang)
    fd, partial = tempfile.mkstemp(dir=path.parent, prefix=path.stem + ".", suffix=".part")
    try:
        with os.fdopen(fd, "w+b") as out, force_locale(regional(language(lang))):
            invoice_pdf.write(kind, obj_id, out)
            out.seek(0)
            data = out.read()
        _store(path, data)
        os.replace(partial, path)  # two renders of one document race harmlessly: same content
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return path


def xml_bytes(kind, obj):
    """The Peppol BIS Billing 3.0 UBL document of an invoice or credit note of an EAN account,
    in Danish. :raise 404: the document has no EAN (it is not an e-invoice)."""
    if not obj.ean:
        raise NotFound()
    with force_locale(regional("da")):
        return ubl.invoice_xml(obj) if _kind(kind) == "invoice" else ubl.credit_note_xml(obj)


def download_name(kind, obj, ext, lang):
    """'faktura-F10000028.pdf', 'invoice-F10000028.pdf', 'kreditnota-K10000001.pdf'; 'F10000028.xml'."""
    number = "".join(ch for ch in obj.number if ch.isalnum())
    if ext == "xml":
        return f"{number}.xml"
    words = FILE_WORDS.get(language(lang), FILE_WORDS["da"])
    return f"{words[_kind(kind)]}-{number}.{ext}"
