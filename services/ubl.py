"""Peppol BIS Billing 3.0 e-invoices (UBL 2.1) for the invoices and credit notes of EAN accounts.

The seller is named by its CVR (scheme 0184), the buyer by the account's GLN (scheme 0088).
Amounts are written from integer øre as decimals with two places, never through a float. Each
line is its real quantity at a price for that quantity (BaseQuantity = quantity), so the line
amount is exactly the price and every calculation rule holds to the øre. The VAT breakdown is
the billing run's own (`billing.vat_by_rate`: one rounding per rate), so the totals are the
document's. Elements are written in the order the UBL schema demands.
Checked by ../shared/einvoice/validate.py (XSD, EN 16931 and Peppol rules) and by the tests.
"""
import xml.etree.ElementTree as ET  # nosec B405  # builds our own XML; nothing is parsed
from types import SimpleNamespace

from flask_babel import gettext as _

from models import Invoice

from . import billing, invoice_text
from .formatting import phone
from .invoice_pdf import line_rows

CUSTOMIZATION = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
CURRENCY = "DKK"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
ROOT_NS = {"Invoice": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
           "CreditNote": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"}
SCHEME_CVR, SCHEME_GLN = "0184", "0088"
# UN/ECE Recommendation 20 units of a line's quantity
UNITS = {"usage_voice": "MIN", "usage_data": "4L"}  # minutes, megabytes; the rest are pieces
PIECE = "C62"
PAYMENT_SEPA = "58"  # credit transfer to the IBAN

ET.register_namespace("cac", CAC)
ET.register_namespace("cbc", CBC)


def amount(ore):
    """Integer øre as a decimal with two places: 123456 -> '1234.56', -5 -> '-0.05'."""
    sign = "-" if ore < 0 else ""
    return f"{sign}{abs(ore) // 100}.{abs(ore) % 100:02d}"


def _sub(parent, tag, text=None, **attrs):
    """A child in the cac or cbc namespace: _sub(party, 'cbc:Name', 'Nordtele A/S')."""
    prefix, name = tag.split(":")
    element = ET.SubElement(parent, f"{{{CAC if prefix == 'cac' else CBC}}}{name}", attrs)
    if text is not None:
        element.text = str(text)
    return element


def _money(parent, tag, ore):
    return _sub(parent, tag, amount(ore), currencyID=CURRENCY)


def _address(party, street, postal_code, city):
    address = _sub(party, "cac:PostalAddress")
    if street:
        _sub(address, "cbc:StreetName", street)
    if city:
        _sub(address, "cbc:CityName", city)
    if postal_code:
        _sub(address, "cbc:PostalZone", postal_code)
    _sub(_sub(address, "cac:Country"), "cbc:IdentificationCode", "DK")


def _seller(root, seller):
    party = _sub(_sub(root, "cac:AccountingSupplierParty"), "cac:Party")
    _sub(party, "cbc:EndpointID", seller["cvr"], schemeID=SCHEME_CVR)
    _sub(_sub(party, "cac:PartyName"), "cbc:Name", seller["name"])
    _address(party, seller["address"], seller["postal_code"], seller["city"])
    tax = _sub(party, "cac:PartyTaxScheme")
    _sub(tax, "cbc:CompanyID", f"DK{seller['cvr']}")
    _sub(_sub(tax, "cac:TaxScheme"), "cbc:ID", "VAT")
    legal = _sub(party, "cac:PartyLegalEntity")
    _sub(legal, "cbc:RegistrationName", seller["name"])
    _sub(legal, "cbc:CompanyID", seller["cvr"], schemeID=SCHEME_CVR)
    contact = _sub(party, "cac:Contact")
    _sub(contact, "cbc:Telephone", seller["phone"])
    _sub(contact, "cbc:ElectronicMail", seller["email"])


def _buyer(root, doc):
    """The buyer as the document's snapshot names it; its endpoint is the account's GLN."""
    party = _sub(_sub(root, "cac:AccountingCustomerParty"), "cac:Party")
    _sub(party, "cbc:EndpointID", doc.ean, schemeID=SCHEME_GLN)
    _sub(_sub(party, "cac:PartyIdentification"), "cbc:ID", doc.ean, schemeID=SCHEME_GLN)
    _sub(_sub(party, "cac:PartyName"), "cbc:Name", doc.buyer_name)
    _address(party, doc.buyer_address, doc.buyer_postal_code, doc.buyer_city)
    legal = _sub(party, "cac:PartyLegalEntity")
    _sub(legal, "cbc:RegistrationName", doc.buyer_name)
    if doc.buyer_cvr:
        _sub(legal, "cbc:CompanyID", doc.buyer_cvr, schemeID=SCHEME_CVR)


def _period(parent, start, end):
    if start and end:
        period = _sub(parent, "cac:InvoicePeriod")
        _sub(period, "cbc:StartDate", start.isoformat())
        _sub(period, "cbc:EndDate", end.isoformat())


def _category(parent, tag, rate):
    """S 25 % or E (exempt) 0 % with its reason: the reminder fee is compensation, not a supply."""
    category = _sub(parent, tag)
    _sub(category, "cbc:ID", "E" if rate == 0 else "S")
    _sub(category, "cbc:Percent", rate)
    if rate == 0 and tag == "cac:TaxCategory":
        _sub(category, "cbc:TaxExemptionReason", _("Compensation outside the scope of VAT (reminder fee)"))
    _sub(_sub(category, "cac:TaxScheme"), "cbc:ID", "VAT")


def _payment(root, doc, seller):
    """A credit transfer to the IBAN with the payment id. (EN 16931 allows one means code per
    document, so the FI-kort line of the PDF, code 93, is not repeated here.)"""
    transfer = _sub(root, "cac:PaymentMeans")
    _sub(transfer, "cbc:PaymentMeansCode", PAYMENT_SEPA)
    _sub(transfer, "cbc:PaymentID", doc.payment_id)
    account = _sub(transfer, "cac:PayeeFinancialAccount")
    _sub(account, "cbc:ID", seller["iban"])
    _sub(account, "cbc:Name", seller["name"])
    _sub(_sub(account, "cac:FinancialInstitutionBranch"), "cbc:ID", seller["bic"])
    terms = _sub(root, "cac:PaymentTerms")
    _sub(terms, "cbc:Note", _("Net %(days)s days. Please state the reference %(number)s when you pay.",
                              days=billing.PAYMENT_DAYS, number=doc.number))


def _totals(root, doc, lines):
    """The VAT per category and the document totals; the totals are the document's stored ones,
    which the billing run computed from the same lines the same way."""
    by_rate = billing.vat_by_rate((line.amount, line.vat_rate) for line in lines)
    tax = _sub(root, "cac:TaxTotal")
    _money(tax, "cbc:TaxAmount", doc.vat)
    for rate, (net, vat) in by_rate.items():
        subtotal = _sub(tax, "cac:TaxSubtotal")
        _money(subtotal, "cbc:TaxableAmount", net)
        _money(subtotal, "cbc:TaxAmount", vat)
        _category(subtotal, "cac:TaxCategory", rate)
    monetary = _sub(root, "cac:LegalMonetaryTotal")
    _money(monetary, "cbc:LineExtensionAmount", sum(line.amount for line in lines))
    _money(monetary, "cbc:TaxExclusiveAmount", doc.net)
    _money(monetary, "cbc:TaxInclusiveAmount", doc.total)
    _money(monetary, "cbc:PayableAmount", doc.total)


def _line(root, tag, quantity_tag, number, line):
    element = _sub(root, tag)
    _sub(element, "cbc:ID", number)
    note = [f"{line.holder_name} ({phone(line.sub_number)})" if line.subscription else "", line.note or ""]
    if any(note):
        _sub(element, "cbc:Note", " – ".join(part for part in note if part))
    unit = UNITS.get(line.kind, PIECE)
    quantity = max(line.quantity or 1, 1)
    _sub(element, quantity_tag, quantity, unitCode=unit)
    _money(element, "cbc:LineExtensionAmount", line.amount)
    _period(element, line.period_start, line.period_end)
    item = _sub(element, "cac:Item")
    details = [part for part in invoice_text.line_details(line) if part]
    if details:
        _sub(item, "cbc:Description", " · ".join(details))
    _sub(item, "cbc:Name", invoice_text.line_title(line))
    _category(item, "cac:ClassifiedTaxCategory", line.vat_rate)
    price = _sub(element, "cac:Price")
    _money(price, "cbc:PriceAmount", line.amount)  # the price of `quantity` units: exact to the øre
    _sub(price, "cbc:BaseQuantity", quantity, unitCode=unit)


def _head(kind, doc):
    # The root's namespace is the default one, as Peppol's examples write it. ElementTree's
    # default_namespace refuses unqualified attributes (currencyID…), so it is declared here.
    root = ET.Element(kind, xmlns=ROOT_NS[kind])
    _sub(root, "cbc:CustomizationID", CUSTOMIZATION)
    _sub(root, "cbc:ProfileID", PROFILE)
    _sub(root, "cbc:ID", doc.number)
    _sub(root, "cbc:IssueDate", doc.issued_on.isoformat())
    return root


def _lines(kind, doc_id):
    return [SimpleNamespace(**row) for row in line_rows(kind, doc_id).dicts()]


def _serialise(kind, root):
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def invoice_xml(invoice):
    """The UBL Invoice of an invoice (in the current language: item names and terms)."""
    seller, lines = billing.seller(), _lines("invoice", invoice.id)
    root = _head("Invoice", invoice)
    _sub(root, "cbc:DueDate", invoice.due_on.isoformat())
    _sub(root, "cbc:InvoiceTypeCode", "380")
    _sub(root, "cbc:DocumentCurrencyCode", CURRENCY)
    _sub(root, "cbc:BuyerReference", invoice.reference or invoice.account.number)
    _period(root, invoice.period_start, invoice.period_end)
    _seller(root, seller)
    _buyer(root, invoice)
    _payment(root, invoice, seller)
    _totals(root, invoice, lines)
    for number, line in enumerate(lines, start=1):
        _line(root, "cac:InvoiceLine", "cbc:InvoicedQuantity", number, line)
    return _serialise("Invoice", root)


def credit_note_xml(note):
    """The UBL CreditNote of a credit note, referring to the invoice it credits."""
    seller, lines = billing.seller(), _lines("credit_note", note.id)
    credited = Invoice.get_or_none(Invoice.id == note.invoice_id) if note.invoice_id else None
    root = _head("CreditNote", note)
    _sub(root, "cbc:CreditNoteTypeCode", "381")
    if note.reason:
        _sub(root, "cbc:Note", note.reason)
    _sub(root, "cbc:DocumentCurrencyCode", CURRENCY)
    _sub(root, "cbc:BuyerReference", note.reference or note.account.number)
    if credited:
        _period(root, credited.period_start, credited.period_end)
        reference = _sub(_sub(root, "cac:BillingReference"), "cac:InvoiceDocumentReference")
        _sub(reference, "cbc:ID", credited.number)
        _sub(reference, "cbc:IssueDate", credited.issued_on.isoformat())
    _seller(root, seller)
    _buyer(root, note)
    terms = _sub(root, "cac:PaymentTerms")
    _sub(terms, "cbc:Note", _("Credit note for invoice %(number)s.", number=credited.number) if credited
         else _("Credit note."))
    _totals(root, note, lines)
    for number, line in enumerate(lines, start=1):
        _line(root, "cac:CreditNoteLine", "cbc:CreditedQuantity", number, line)
    return _serialise("CreditNote", root)
