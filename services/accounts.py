"""Billing accounts and the company's master data: the list with its filters, one account's
page, and the changes (rename, invoice settings, company master data).

Every function takes the acting membership's Scope and plain values and checks the right
itself (`accounts`; company master data: an administrator's). A change validates every
field at once (ServiceError.of), then writes the row and ONE audit event in one
transaction; a change that changes nothing writes nothing.
"""
import re

from flask_babel import gettext as _
from flask_babel import ngettext
from peewee import Case, fn
from stdnum import ean as gln
from stdnum.exceptions import ValidationError as StdnumError
from werkzeug.exceptions import Forbidden

from models import Account, Company, Invoice, Subscription, db
from models.customers import INVOICE_FORMATS
from models.subscriptions import ENDED

from . import audit, usage
from .errors import ServiceError
from .ids import parse_id
from .invoices import shown_status
from .listing import paginate
from .validation import email_address

SORTS = {"number": (Account.number,), "name": (Account.name, Account.number)}
NAME_MAX = 60
COMPANY_NAME_MAX = 100
REFERENCE_MAX = 60
ADDRESS_MAX = 100
CITY_MAX = 60
MAX_EMAILS = 10
LATEST_INVOICES = 6
POSTAL_CODE = re.compile(r"\d{4}")


# -- the list ----------------------------------------------------------------------------------

def parse_filters(args):
    """Plain, validated filter values from query arguments; bad values are dropped."""
    def text(name, limit=100):
        return str(args.get(name) or "").strip()[:limit]

    return {
        "q": text("q"),
        "invoice_format": text("format") if text("format") in INVOICE_FORMATS else "",
        "has_ean": text("ean") if text("ean") in ("yes", "no") else "",
        "company": parse_id(args.get("company")),  # only narrows the scope: a foreign id matches nothing
        "sort": text("sort") if text("sort") in SORTS else "number",
    }


def _matching(scope, q="", invoice_format="", has_ean="", company=None):
    query = scope.accounts()
    q = (q or "").strip().lower()
    if q:
        condition = fn.LOWER(Account.name).contains(q)
        digits = q.replace(" ", "")
        if digits.isascii() and digits.isdigit():
            condition |= Account.number.startswith(digits)
        query = query.where(condition)
    if invoice_format in INVOICE_FORMATS:
        query = query.where(Account.invoice_format == invoice_format)
    if has_ean == "yes":
        query = query.where(Account.ean.is_null(False) & (Account.ean != ""))
    elif has_ean == "no":
        query = query.where(Account.ean.is_null() | (Account.ean == ""))
    if company:
        query = query.where(Account.company == company)
    return query


def list_accounts(scope, q="", invoice_format="", has_ean="", company=None, sort="number", page=1):
    """One page of accounts with each one's company, subscription count and (with the
    `invoices` right) last invoice: four queries whatever the page size or the number of
    subscriptions (count, rows, counts grouped, last invoices grouped)."""
    scope.require("accounts")
    filters = {"q": q, "invoice_format": invoice_format, "has_ean": has_ean, "company": company}
    rows = (_matching(scope, **filters).select_extend(Company).join(Company)
            .order_by(*SORTS.get(sort, SORTS["number"])))
    result = paginate(rows, page, count_query=_matching(scope, **filters))
    ids = [a.id for a in result.items]
    counts = subscription_counts(ids)
    latest = last_invoices(ids) if scope.can("invoices") else {}
    for account in result.items:
        account.subscription_count = counts.get(account.id, 0)
        account.last_invoice = latest.get(account.id)
        if account.last_invoice is not None:
            account.last_invoice.shown_status = shown_status(account.last_invoice)
    return result


def companies_of(scope):
    """The companies the list offers (filter, master-data links): the membership's company and
    its subsidiaries, or for limited access those that hold one of its accounts. One query."""
    scope.require("accounts")
    return list(scope.shown_companies())


def subscription_counts(account_ids):
    """{account id: subscriptions not ended} in one grouped query (on the (account, …) index)."""
    if not account_ids:
        return {}
    return dict(Subscription.select(Subscription.account, fn.COUNT(Subscription.id))
                .where(Subscription.account.in_(account_ids), Subscription.status.not_in(ENDED))
                .group_by(Subscription.account).tuples())


def last_invoices(account_ids):
    """{account id: its latest invoice} in one query: each account's latest period, joined back
    on the unique (account, period_start) index."""
    if not account_ids:
        return {}
    latest = (Invoice.select(Invoice.account.alias("account_id"), fn.MAX(Invoice.period_start).alias("period"))
              .where(Invoice.account.in_(account_ids)).group_by(Invoice.account).alias("latest"))
    query = (Invoice.select().join(latest, on=((Invoice.account == latest.c.account_id)
                                               & (Invoice.period_start == latest.c.period))))
    return {invoice.account_id: invoice for invoice in query}


# -- one account -------------------------------------------------------------------------------

def get_account(scope, account_id):
    """One of the scope's accounts with its company.

    :raise 403: without the `accounts` right.
    :raise 404: another customer's account, one outside a limited membership's accounts, or no id.
    """
    scope.require("accounts")
    return scope.get(scope.accounts().select_extend(Company).join(Company), Account, account_id)


def count_on_account(scope, account):
    """(not ended, all): the account's subscriptions that have not ended, and all of them, which its
    link to the overview shows. One query on the (account, …) index."""
    live = fn.SUM(Case(None, [(Subscription.status.in_(ENDED), 0)], 1))
    row = (Subscription.select(live, fn.COUNT(Subscription.id))
           .where(Subscription.account == account.id).tuples().first())
    return (row[0] or 0, row[1] or 0) if row else (0, 0)


def account_page(scope, account_id, now=None):
    """What the account page shows: the account, its subscription count, and — with the
    `invoices` and `usage` rights — its latest invoices and its last six months of usage."""
    item = get_account(scope, account_id)
    live, every = count_on_account(scope, item)
    data = {"item": item, "subscription_count": live, "all_subscriptions": every, "invoices": [], "usage": None}
    if scope.can("invoices"):
        data["invoices"] = list(Invoice.select().where(Invoice.account == item.id)
                                .order_by(Invoice.period_start.desc()).limit(LATEST_INVOICES))
        for invoice in data["invoices"]:
            invoice.shown_status = shown_status(invoice)
    if scope.can("usage"):
        data["usage"] = usage.account_months(item.id, now)
    return data


# -- changes -----------------------------------------------------------------------------------

def rename(scope, account_id, name):
    """Give the account a new name; returns (account, {"name": (before, after)}), empty when the
    name is the same."""
    item = get_account(scope, account_id)
    name = " ".join((name or "").split())
    if not name:
        raise ServiceError(_("Give the account a name."), "name")
    if len(name) > NAME_MAX:
        raise ServiceError(_("The name can be at most %(num)d characters.", num=NAME_MAX), "name")
    if name == item.name:
        return item, {}
    before = item.name
    with db.atomic():
        Account.update(name=name).where(Account.id == item.id).execute()
        _record(scope, item, "account.renamed", number=item.number, name=_change(before, name))
    item.name = name
    return item, {"name": (before, name)}


def clean_emails(text):
    """The invoice e-mail addresses of a text (commas, semicolons, spaces or lines between them):
    (normalised, lower-case and without repeats, [the ones that are not addresses])."""
    found, bad = [], []
    for part in re.split(r"[\s,;]+", text or ""):
        if not part:
            continue
        address = email_address(part)
        if address is None:
            bad.append(part)
        elif address not in found:
            found.append(address)
    return found, bad


def clean_gln(text):
    """(the 13 digits, None) of a GLN (EAN location number) with a valid check digit, or (None, why)."""
    digits = re.sub(r"[\s-]", "", text or "")
    if not digits:
        return "", None
    if not (digits.isascii() and digits.isdigit()) or len(digits) != 13:
        return None, _("An EAN number (GLN) has 13 digits.")
    try:
        return gln.validate(digits), None
    except StdnumError:
        return None, _("That EAN number is not valid: the last digit (check digit) does not match. Check the digits.")


def change_invoice_settings(scope, account_id, invoice_format, emails, ean, reference, address, postal_code, city):
    """Invoice format, e-mails, EAN and reference, and the invoice address, checked together:
    PDF by e-mail needs an address to send to, EAN e-invoices an EAN number and a reference.
    The billing run copies these onto each invoice, so a change applies from the next one.
    Returns (account, {field: (before, after)}) — empty when nothing changed."""
    item = get_account(scope, account_id)
    errors = {}
    invoice_format = (invoice_format or "").strip()
    if invoice_format not in INVOICE_FORMATS:
        errors["invoice_format"] = _("Choose how the account receives its invoices.")
    addresses, bad = clean_emails(emails)
    if bad:
        errors["emails"] = _bad_addresses(bad)
    elif len(addresses) > MAX_EMAILS:
        errors["emails"] = _("Give at most %(num)d e-mail addresses.", num=MAX_EMAILS)
    elif invoice_format == "pdf_email" and not addresses:
        errors["emails"] = _("PDF by e-mail needs at least one e-mail address to send the invoices to.")
    number, why = clean_gln(ean)
    if why:
        errors["ean"] = why
    elif invoice_format == "ean" and not number:
        errors["ean"] = _("EAN e-invoices need the account's EAN number (GLN).")
    reference = " ".join((reference or "").split())
    if len(reference) > REFERENCE_MAX:
        errors["reference"] = _("The reference can be at most %(num)d characters.", num=REFERENCE_MAX)
    elif invoice_format == "ean" and not reference:
        errors["reference"] = _("EAN e-invoices need a reference, such as an order number or a contact person.")
    errors.update(_address_errors(address, postal_code, city))
    if errors:
        raise ServiceError.of(errors)
    after = {"invoice_format": invoice_format, "invoice_emails": ",".join(addresses), "ean": number or None,
             "reference": reference, "address": " ".join(address.split()), "postal_code": postal_code.strip(),
             "city": " ".join(city.split())}
    changes = {key: (getattr(item, key), value) for key, value in after.items()
               if (getattr(item, key) or "") != (value or "")}
    if not changes:
        return item, {}
    with db.atomic():
        Account.update(**{key: after[key] for key in changes}).where(Account.id == item.id).execute()
        _record(scope, item, "account.invoice_settings_changed", number=item.number,
                **{key: _change(*values) for key, values in changes.items()})
    for key, (_before, value) in changes.items():
        setattr(item, key, value)
    return item, changes


def _bad_addresses(bad):
    """The message for parts that are not e-mail addresses, naming (the first three of) them."""
    shown = ", ".join(f"“{part[:60]}”" for part in bad[:3])
    return ngettext("%(addresses)s is not a valid e-mail address.", "%(addresses)s are not valid e-mail addresses.",
                    len(bad), addresses=shown)


def _address_errors(address, postal_code, city):
    errors = {}
    address, postal_code, city = (" ".join((v or "").split()) for v in (address, postal_code, city))
    if not address:
        errors["address"] = _("Enter the street and number.")
    elif len(address) > ADDRESS_MAX:
        errors["address"] = _("The address can be at most %(num)d characters.", num=ADDRESS_MAX)
    if not POSTAL_CODE.fullmatch(postal_code) or not postal_code.isascii():
        errors["postal_code"] = _("Enter a Danish postal code with 4 digits.")
    if not city:
        errors["city"] = _("Enter the city.")
    elif len(city) > CITY_MAX:
        errors["city"] = _("The city can be at most %(num)d characters.", num=CITY_MAX)
    return errors


def _change(before, after):
    """'before → after' for the audit trail, which shows details as plain text."""
    return f"{before or '–'} → {after or '–'}"


def _record(scope, obj, action, **details):
    """The event under the object's own company, so the subsidiary's admins see it too."""
    company_id = obj.company_id if isinstance(obj, Account) else obj.id
    audit.record(action, user=scope.user_id, customer=scope.customer_id, company=company_id, obj=obj, **details)


# -- the company's master data -----------------------------------------------------------------

def get_company(scope, company_id):
    """One of the membership's companies (its own and its subsidiaries).

    :raise 403: without the `accounts` right.
    :raise 404: another customer's company, a parent company, or no id.
    """
    scope.require("accounts")
    return scope.get(scope.companies(), Company, company_id)


def can_edit_company(scope):
    return scope.is_admin and scope.can("accounts")


def company_account_count(scope, company):
    return scope.accounts().where(Account.company == company.id).count()


def change_company(scope, company_id, name, address, postal_code, city, default_invoice_format):
    """Name, address and default invoice format for new accounts; the CVR number stays.
    Returns (company, {field: (before, after)}).

    :raise 403: for a member who is not an administrator.
    """
    company = get_company(scope, company_id)
    if not can_edit_company(scope):
        raise Forbidden()
    errors = {}
    name = " ".join((name or "").split())
    if not name:
        errors["name"] = _("Enter the company's name.")
    elif len(name) > COMPANY_NAME_MAX:
        errors["name"] = _("The name can be at most %(num)d characters.", num=COMPANY_NAME_MAX)
    errors.update(_address_errors(address, postal_code, city))
    if default_invoice_format not in INVOICE_FORMATS:
        errors["default_invoice_format"] = _("Choose how new accounts receive their invoices.")
    if errors:
        raise ServiceError.of(errors)
    after = {"name": name, "address": " ".join(address.split()), "postal_code": postal_code.strip(),
             "city": " ".join(city.split()), "default_invoice_format": default_invoice_format}
    changes = {key: (getattr(company, key), value) for key, value in after.items() if getattr(company, key) != value}
    if not changes:
        return company, {}
    with db.atomic():
        Company.update(**{key: after[key] for key in changes}).where(
            Company.id == company.id, Company.customer == scope.customer_id).execute()
        _record(scope, company, "company.master_data_changed", cvr=company.cvr,
                **{key: _change(*values) for key, values in changes.items()})
    for key, (_before, value) in changes.items():
        setattr(company, key, value)
    return company, changes
