"""Invoice and credit-note documents: the one entry point views and jobs use.

A document never changes once issued, so its PDF is made once per language and kept in the
database (services/stored_files.py, written in one transaction when complete), where every
machine finds what any worker made and nothing is kept on a web machine's disk; the key is kind +
id + language + FORMAT_VERSION (raise the version when the layout changes and every PDF is made
anew). Callers have scope-checked the document.
"""
import io

from flask import current_app
from flask_babel import force_locale
from peewee import IntegrityError
from werkzeug.exceptions import NotFound

from . import invoice_pdf, stored_files, ubl
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
    """One of the portal's languages; anything else is Danish (it goes into a key)."""
    return lang if lang in current_app.config["LANGUAGES"] else current_app.config["BABEL_DEFAULT_LOCALE"]


def pdf_key(kind, obj_id, lang):
    """'document:v1/invoice-12-da.pdf': where the PDF is kept (stored_files)."""
    return f"document:v{FORMAT_VERSION}/{_kind(kind)}-{int(obj_id)}-{language(lang)}.pdf"


def stored_pdf(kind, obj_id, lang):
    """The PDF made earlier (on any machine), as stored_files.parts gives it, or None."""
    return stored_files.parts(pdf_key(kind, obj_id, lang))


def has_pdf(kind, obj_id, lang):
    """Whether the PDF is made (its content is not read)."""
    return stored_files.exists(pdf_key(kind, obj_id, lang))


def render_pdf(kind, obj_id, lang):
    """Make the PDF in `lang` unless it is made, and return its key. :raise 404: no such document."""
    key = pdf_key(kind, obj_id, lang)
    if stored_files.exists(key):
        return key
    out = io.BytesIO()
    with force_locale(regional(language(lang))):
        invoice_pdf.write(kind, obj_id, out)
    try:
        stored_files.store(key, out.getvalue(), PDF_TYPE)
    except IntegrityError:
        pass  # made at the same time elsewhere: same content
    return key


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
