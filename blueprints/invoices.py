"""Invoices and credit notes: the list, details per user, "why did it change", PDF and e-invoice XML.

Every read goes through services/invoices.py, which checks the right and the scope (404 for an
id outside it) before anything else happens; documents are made and kept by
services/documents.py and its job.
"""
import io

from flask import Blueprint, g, request, send_file, url_for
from flask_babel import get_locale

from services import documents, exports, invoice_text
from services import invoices as svc

from .access import member
from .downloads import send_stored
from .rendering import navigate, render, wants_fragment

bp = Blueprint("invoices", __name__, url_prefix="/invoices")


@bp.route("")
@member("invoices")
def index():
    args = request.args
    filters = svc.parse_filters(args)
    page = svc.list_invoices(g.scope, page=args.get("page", 1), **filters)
    options = None if wants_fragment() else svc.filter_options(g.scope)  # the form is not in the fragment
    return render("invoices/index.html", "rows", page=page, filters=filters, options=options,
                  show_company=g.scope.spans_companies)


@bp.route("/<int:invoice_id>")
@member("invoices")
def detail(invoice_id):
    """The invoice: header, totals by category, credit notes and a page of details per user.
    An HTMX request (search or paging in the details) gets the details block only."""
    invoice = svc.get_invoice(g.scope, invoice_id)
    q = request.args.get("q", "")[:100]
    page = svc.details(invoice, q, request.args.get("page", 1))
    context = {"invoice": invoice, "q": q, "page": page, "detail_totals": svc.detail_totals(invoice),
               "text": invoice_text,
               # the account's own lines open the first page of the unfiltered details
               "account_lines": svc.account_lines(invoice) if page.number == 1 and not q else []}
    if not wants_fragment():
        context.update(summary=svc.summary(invoice), payment_line=svc.payment_line(invoice),
                       changes_url=url_for(".changes", invoice_id=invoice.id))
    return render("invoices/detail.html", "details", **context)


@bp.route("/<int:invoice_id>/changes")
@member("invoices")
def changes(invoice_id):
    """Why the invoice differs from last month's: a fragment for the invoice page, or a page."""
    return render("invoices/changes.html", "changes", explanation=svc.explain(g.scope, invoice_id),
                  text=invoice_text)


@bp.route("/credit-notes/<int:note_id>")
@member("invoices")
def credit_note(note_id):
    note = svc.get_credit_note(g.scope, note_id)
    lines, vat = svc.credit_note_lines(note)
    return render("invoices/credit_note.html", note=note, lines=lines, vat=vat, text=invoice_text)


# -- documents --------------------------------------------------------------------------------

def _language():
    return get_locale().language


def _object(kind, obj_id):
    """The invoice or credit note, scope-checked (403/404) before any document is touched."""
    if kind == "invoice":
        return svc.get_invoice(g.scope, obj_id)
    return svc.get_credit_note(g.scope, obj_id)


def _pdf(kind, obj_id):
    """The stored PDF, opened in the browser; when not made yet, a job makes it and a page waits."""
    obj = _object(kind, obj_id)  # first: nothing is touched before the scope check
    found = documents.stored_pdf(kind, obj.id, _language())
    if found is not None:
        # inline: it opens in the browser; app.py marks every non-static response no-store
        return send_stored(found, documents.download_name(kind, obj, "pdf", _language()), inline=True)
    job_id = svc.start_document(g.scope, kind, obj.id, _language())
    return _waiting(kind, obj, exports.own_job(g.scope, job_id, svc.DOCUMENT_JOB))


def _pdf_status(kind, obj_id, job_id):
    """The waiting page polls here; once the PDF is there, the browser goes to it."""
    obj = _object(kind, obj_id)
    record = exports.own_job(g.scope, job_id, svc.DOCUMENT_JOB)
    if record.status == "finished" and documents.has_pdf(kind, obj.id, _language()):
        return navigate(_pdf_url(kind, obj.id))
    return _waiting(kind, obj, record)


def _pdf_url(kind, obj_id):
    if kind == "invoice":
        return url_for(".invoice_pdf", invoice_id=obj_id)
    return url_for(".credit_note_pdf", note_id=obj_id)


def _waiting(kind, obj, record):
    if kind == "invoice":
        status_url = url_for(".invoice_pdf_status", invoice_id=obj.id, job_id=record.id)
    else:
        status_url = url_for(".credit_note_pdf_status", note_id=obj.id, job_id=record.id)
    return render("invoices/pdf.html", "status", kind=kind, obj=obj, job=record, status_url=status_url,
                  pdf_url=_pdf_url(kind, obj.id))


def _xml(kind, obj_id):
    """The Peppol BIS 3 e-invoice of an EAN account's document; 404 for other accounts."""
    obj = _object(kind, obj_id)
    data = documents.xml_bytes(kind, obj)
    return send_file(io.BytesIO(data), mimetype=documents.XML_TYPE, as_attachment=True,
                     download_name=documents.download_name(kind, obj, "xml", _language()))


@bp.route("/<int:invoice_id>.pdf")
@member("invoices")
def invoice_pdf(invoice_id):
    return _pdf("invoice", invoice_id)


@bp.route("/<int:invoice_id>/pdf/<job_id>")
@member("invoices")
def invoice_pdf_status(invoice_id, job_id):
    return _pdf_status("invoice", invoice_id, job_id)


@bp.route("/<int:invoice_id>.xml")
@member("invoices")
def invoice_xml(invoice_id):
    return _xml("invoice", invoice_id)


@bp.route("/credit-notes/<int:note_id>.pdf")
@member("invoices")
def credit_note_pdf(note_id):
    return _pdf("credit_note", note_id)


@bp.route("/credit-notes/<int:note_id>/pdf/<job_id>")
@member("invoices")
def credit_note_pdf_status(note_id, job_id):
    return _pdf_status("credit_note", note_id, job_id)


@bp.route("/credit-notes/<int:note_id>.xml")
@member("invoices")
def credit_note_xml(note_id):
    return _xml("credit_note", note_id)
