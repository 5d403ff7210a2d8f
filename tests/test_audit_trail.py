"""The company's audit trail: events as sentences in both languages, local times, filters,
a CSV export by a job that follows the filters on screen, bounded queries, scoping."""
import ast
import csv
import datetime
import io
import json
import re
import warnings
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask_babel import force_locale

from extensions import babel
from models import (
    Account,
    AuditEvent,
    Company,
    CreditNote,
    Invoice,
    JobRecord,
    Membership,
    Subscription,
    User,
    db,
)
from services import audit_text
from services.scope import build_scope
from tests.conftest import count_queries, reauthenticate

ROOT = Path(__file__).resolve().parent.parent
PENDING = ROOT / "locales" / "pending" / "audit_words.po"


@pytest.fixture(autouse=True)
def data_dir(app, tmp_path):
    """Export files of a test go to its own folder."""
    app.config["DATA_DIR"] = str(tmp_path / "data")


@pytest.fixture(autouse=True)
def words(app, tmp_path):
    """This part's Danish sentences, compiled from locales/pending/audit_words.po until the lead
    merges it into locales/da (after that the file is gone and the real catalogue answers)."""
    config = app.extensions["babel"]
    added = None
    if PENDING.exists():
        folder = tmp_path / "pending-locales" / "da" / "LC_MESSAGES"
        folder.mkdir(parents=True)
        with open(PENDING, "rb") as fh:
            catalog = read_po(fh)
        with open(folder / "messages.mo", "wb") as fh:
            write_mo(fh, catalog)
        added = str(tmp_path / "pending-locales")
        config.translation_directories.append(added)
    with app.app_context():
        cache = babel.domain_instance.cache  # translations are cached per locale, for every app
    cache.clear()
    yield
    if added:
        config.translation_directories.remove(added)
    cache.clear()


def _user(email):
    return User.get(User.email == email)


def _scope(email, cvr="12345674"):
    membership = (Membership.select().join(Company).switch(Membership).join(User)
                  .where(User.email == email, Company.cvr == cvr).get())
    return build_scope(membership)


def _english(email="admin@demo.dk"):
    User.update(locale="en").where(User.email == email).execute()


def _page(client, url="/users/audit", **headers):
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.data[:300]
    return response.get_data(as_text=True)


def _text(html):
    """The page's text without tags, whitespace squeezed (sentences are checked as people read them)."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).replace("&#34;", '"').replace("&#39;", "'").split())


def _demo_a():
    return Company.get(Company.cvr == "12345674")


# -- every action the code records reads as a sentence --------------------------------------------

RECORDERS = {"record": 0, "record_for_scope": 1, "_record": None}
# f-strings: the values their placeholder takes (order kinds are read from services/orders.py)
EXPANSIONS = {"application.": ("received", "approved", "rejected"), "fraud.": ("sim_burst", "puk_burst")}


def _module_constants(tree):
    return {target.id: node.value.value for node in tree.body if isinstance(node, ast.Assign)
            for target in node.targets if isinstance(target, ast.Name)
            and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)}


def _actions_of(node, constants, order_kinds):
    """The action strings an argument expression can be."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and re.fullmatch(r"[a-z0-9_]+\.[a-z0-9_]+",
                                                                                      node.value):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _actions_of(node.body, constants, order_kinds) | _actions_of(node.orelse, constants, order_kinds)
    if isinstance(node, ast.Name) and node.id in constants:
        return _actions_of(ast.Constant(constants[node.id]), constants, order_kinds)
    if isinstance(node, ast.JoinedStr) and isinstance(node.values[0], ast.Constant):
        prefix = node.values[0].value
        values = order_kinds if prefix == "order." else EXPANSIONS.get(prefix)
        assert values is not None, f"teach the test the values of f'{prefix}{{…}}'"
        return {prefix + value for value in values}
    return set()


def recorded_actions():
    """Every action string passed to audit.record / record_for_scope / an area's _record helper."""
    from services import orders

    order_kinds = orders.kinds()
    found = {}
    for path in sorted([*ROOT.glob("services/**/*.py"), *ROOT.glob("blueprints/**/*.py"), *ROOT.glob("jobs/**/*.py")]):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = _module_constants(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            if name not in RECORDERS:
                continue
            position = RECORDERS[name]
            args = node.args if position is None else node.args[position:position + 1]
            for arg in args:
                for action in _actions_of(arg, constants, order_kinds):
                    found.setdefault(action, str(path.relative_to(ROOT)))
    return found


# The actions the code recorded when the sentences were written: each has its own sentence.
WRITTEN_FOR = {
    "2fa.device_added", "2fa.device_removed", "2fa.enrolment_started",
    "account.invoice_settings_changed", "account.renamed",
    "application.approved", "application.received", "application.rejected",
    "auth.code_sent", "auth.failure", "auth.locked", "auth.login", "auth.logout", "auth.password_ok",
    "auth.password_reset", "auth.password_reset_code_wrong", "auth.password_reset_refused",
    "auth.password_reset_requested", "auth.password_reset_throttled", "auth.password_reset_unknown",
    "auth.refused_locked",
    "company.master_data_changed",
    "invoice.credited", "invoice.sent",
    "order.account_change", "order.addon", "order.addon_remove", "order.block", "order.call_flow", "order.cancel",
    "order.completed", "order.failed", "order.new_subscription", "order.personal_number", "order.plan_change",
    "order.port_in", "order.port_request", "order.port_request_cancelled", "order.port_request_corrected",
    "order.profile_change", "order.profile_switch", "order.sim_change", "order.takeover", "order.transfer",
    "order.transfer_accepted", "order.transfer_declined", "order.unblock", "order.vacation_reply",
    "outage.alerts", "outage.create", "outage.end", "outage.update",
    "session.end_others", "session.switch_company",
    "settings.contact", "settings.language", "settings.name", "settings.password", "settings.password_failed",
    "staff.approve_application", "staff.disable_admin", "staff.reject_application",
    "subscription.bulk_confirmed", "subscription.bulk_discarded", "subscription.bulk_finished",
    "subscription.bulk_started", "subscription.codes_revealed", "subscription.export", "subscription.invoice_note",
    "subscription.offboarded", "subscription.port_lock",
    "ticket.close", "ticket.create", "ticket.reopen", "ticket.reply", "ticket.staff_answer",
    "user.activated", "user.activation_2fa_failed", "user.activation_2fa_restarted", "user.activation_code_accepted",
    "user.activation_failed", "user.activation_sent", "user.audit_export", "user.create", "user.created",
    "user.delete", "user.disable", "user.enable", "user.password_set", "user.rights_change", "user.sessions_end",
}


def test_the_collector_finds_the_actions_the_code_records(app, ctx):
    with app.app_context():
        found = recorded_actions()
    # spot checks of each way an action is written: literal, helper, f-string, constant, conditional
    for action, where in {"auth.login": "services/auth.py", "account.renamed": "services/accounts.py",
                          "ticket.close": "services/support.py", "order.sim_change": "services/orders.py",
                          "application.approved": "services/applications.py", "invoice.sent": "jobs/documents.py",
                          "order.transfer_declined": "services/orders.py"}.items():
        assert found.get(action) == where, action


def test_every_recorded_action_reads_as_a_sentence_in_both_languages(app, ctx):
    """Each action the code records has its own sentence; an action added since (another area's
    new event) may read through the fallback, and is listed as a warning until it gets one."""
    anne = _user("admin@demo.dk")
    with app.test_request_context():
        found = recorded_actions()
        new = sorted(action for action in found if not audit_text.known(action))
        assert not (WRITTEN_FOR & set(new)), sorted(WRITTEN_FOR & set(new))
        for action in sorted(found):
            event = AuditEvent(action=action, user=anne.id, company=_demo_a().id, object_type="user",
                               object_id=str(anne.id), details="{}", created_at=datetime.datetime(2025, 3, 1, 12))
            for locale in ("da_DK", "en_GB"):
                with force_locale(locale):
                    text = audit_text.describe(event)
                assert text and "%(" not in text and "None" not in text and "{" not in text, (action, text)
                assert action not in text, (action, text)
    if new:
        warnings.warn(f"audit actions read by the fallback sentence (give them one in services/audit_text.py): {new}",
                      stacklevel=1)


ODD_DETAILS = [
    {"before": "x", "after": 3, "functions": "usage invoices", "accounts": "12", "recipients": "a@x.dk, b@y.dk",
     "parts": "all", "emails": 5, "total": "abc", "until": "soon", "end_date": "31/12", "count": "many",
     "companies": "2", "subscription": "abc", "language": "xx-not-a-locale", "name": 7, "changes": None},
    {"before": {"functions": None, "accounts": None}, "after": {"functions": ["usage"], "full_access": False,
                                                                "accounts": ["x", 1]},
     "invoice_format": "odd", "how": "esim", "locked": 1, "answered": True, "status": "nope", "reason": None},
]


def test_sentences_survive_details_of_unexpected_shapes(app, ctx):
    """A sentence function is called directly (describe() would hide an exception behind the fallback)."""
    anne = _user("admin@demo.dk")
    with app.test_request_context():
        found = recorded_actions()
        for action in sorted(a for a in found if audit_text.known(a)):
            for details in ODD_DETAILS:
                event = AuditEvent(action=action, user=anne.id, object_type="order", object_id="1",
                                   details=json.dumps(details))
                view = audit_text.View(event, audit_text.Names([event]))
                for locale in ("da_DK", "en_GB"):
                    with force_locale(locale):
                        text = audit_text.sentence_for(action)(view)
                    assert isinstance(text, str) and text, (action, details)


def test_an_unknown_action_reads_as_its_kind_and_object(app, ctx):
    anne = _user("admin@demo.dk")
    sub = Subscription.get(Subscription.number == "+4520000001")
    with app.test_request_context():
        event = AuditEvent(action="numbers.range_added", user=anne.id, object_type="subscription",
                           object_id=str(sub.id), details="{}")
        with force_locale("da_DK"):
            assert audit_text.describe(event) == (
                "Anne Admin: en hændelse under Numre og nummerflytning vedrørende Mette Jensen (20 00 00 01)")
        with force_locale("en_GB"):
            assert audit_text.describe(event) == (
                "Anne Admin: an event under Numbers and porting concerning Mette Jensen (20 00 00 01)")
        odd = AuditEvent(action="voicemail.greeting_set", details="{}")
        with force_locale("en_GB"):
            assert audit_text.describe(odd) == "An event under Voicemail"
        assert not audit_text.known("numbers.range_added") and audit_text.known("order.sim_change")


# -- the examples of the issue, made by the real services -----------------------------------------

def _make_examples(app, admin):
    """A rights change, a SIM order, a credit note and an account rename, as the services write them."""
    from services import credit_notes, subscription_changes

    bent = _user("begraenset@demo.dk")
    membership = Membership.get(Membership.user == bent.id)
    functions = [f for f in membership.functions.split() if f != "invoices"]
    Membership.update(functions=" ".join(functions)).where(Membership.id == membership.id).execute()
    accounts_of_bent = [str(a.account_id) for a in membership.account_links]
    reauthenticate(admin)  # granting rights needs a re-authentication within five minutes
    response = admin.post(f"/users/{bent.id}/rights", data={
        "membership_id": membership.id, "functions": [*functions, "invoices"], "access": "limited",
        "account_ids": accounts_of_bent})
    assert response.status_code == 302 and "/verify" not in response.headers["Location"], response.data[:500]
    sales = Account.get(Account.number == "40120029")
    Account.update(name="Salg").where(Account.id == sales.id).execute()
    assert admin.post(f"/accounts/{sales.id}/name", data={"name": "Salg og marketing"}).status_code == 302
    invoice = Invoice.get(Invoice.number == "F10000016")
    with app.test_request_context():
        subscription_changes.change_sim(_scope("admin@demo.dk"), Subscription.get(Subscription.number == "+4520000001").id,
                                        "physical", address="Vestergade 1, 8000 Aarhus C", reason="lost")
        line = credit_notes.creditable_lines(invoice)[0]
        note = credit_notes.credit(_user("staff@operator.dk"), invoice.id, "Fejl i prisen", [line.id])
    if not db.is_closed():
        db.close()
    return note


def test_the_issue_examples_read_as_sentences_in_danish(app, admin, ctx):
    note = _make_examples(app, admin)
    amount = f"{note.total / 100:.2f}".replace(".", ",")
    text = _text(_page(admin))
    assert "Anne Admin gav Bent Begrænset adgang til Fakturaer" in text
    assert "Anne Admin bestilte nyt simkort til Mette Jensen (20 00 00 01)" in text
    assert f"Sofie Support krediterede faktura F10000016 med {amount}\xa0kr. (kreditnota {note.number})" in text \
        or f"Sofie Support krediterede faktura F10000016 med {amount} kr. (kreditnota {note.number})" in text
    assert "Anne Admin omdøbte konto 40120029 fra «Salg» til «Salg og marketing»" in text
    assert "order.sim_change" not in text and "{&#34;" not in text and "{'" not in text


def test_the_issue_examples_read_as_sentences_in_english(app, admin, ctx):
    note = _make_examples(app, admin)
    _english()
    text = _text(_page(admin))
    assert "Anne Admin gave Bent Begrænset access to Invoices" in text
    assert "Anne Admin ordered a new SIM card for Mette Jensen (20 00 00 01)" in text
    assert "Sofie Support credited invoice F10000016 with DKK" in text and f"(credit note {note.number})" in text
    assert "Anne Admin renamed account 40120029 from “Salg” to “Salg og marketing”" in text


def test_codes_in_details_are_shown_as_their_labels(app, ctx):
    anne = _user("admin@demo.dk")
    account = Account.get(Account.number == "40120029")
    with app.test_request_context():
        event = AuditEvent(action="account.invoice_settings_changed", user=anne.id, object_type="account",
                           object_id=str(account.id), details=json.dumps(
                               {"number": "40120029", "invoice_format": "pdf_email → ean", "reference": "– → PO 12"}))
        with force_locale("da_DK"):
            assert audit_text.describe(event) == (
                "Anne Admin ændrede fakturaindstillingerne for konto 40120029: fakturaformat fra «PDF på e-mail» "
                "til «E-faktura via EAN» og reference sat til «PO 12»")
        with force_locale("en_GB"):
            assert audit_text.describe(event) == (
                "Anne Admin changed the invoice settings of account 40120029: invoice format from “PDF by e-mail” "
                "to “EAN e-invoice” and reference set to “PO 12”")
        bent = _user("begraenset@demo.dk")
        limited = AuditEvent(action="user.rights_change", user=anne.id, object_type="user", object_id=str(bent.id),
                             details=json.dumps({"before": {"is_admin": False, "full_access": True,
                                                            "functions": ["usage"], "accounts": []},
                                                 "after": {"is_admin": False, "full_access": False,
                                                           "functions": ["usage", "orders"],
                                                           "accounts": [account.id]}}))
        with force_locale("da_DK"):
            assert audit_text.describe(limited) == (
                "Anne Admin ændrede rettighederne for Bent Begrænset: adgang til Ordrestatus tilføjet og kun konto "
                "40120029")


# -- local time -----------------------------------------------------------------------------------

def test_times_are_shown_in_copenhagen_time(admin, ctx):
    anne = _user("admin@demo.dk")
    AuditEvent.create(action="auth.logout", user=anne.id, company=_demo_a().id,
                      created_at=datetime.datetime(2024, 1, 15, 23, 30))  # UTC, winter: 00:30 the next day
    page = _page(admin, "/users/audit?kind=auth&from=2024-01-16&to=2024-01-16")
    assert "16. jan. 2024 kl. 00.30" in page and "Anne Admin loggede ud" in _text(page)
    assert "15. jan. 2024" not in page and 'datetime="2024-01-15T23:30:00Z"' in page
    # the date filter means local days: the event belongs to the 16th, not the 15th
    assert "Anne Admin loggede ud" not in _text(_page(admin, "/users/audit?kind=auth&from=2024-01-15&to=2024-01-15"))
    _english()
    assert "16 Jan 2024, 00:30" in _page(admin, "/users/audit?kind=auth&from=2024-01-16&to=2024-01-16")


# -- filters, paging and queries ------------------------------------------------------------------

def test_filters_by_kind_user_and_date(admin, ctx):
    demo_a = _demo_a()
    anne = _user("admin@demo.dk")
    AuditEvent.create(action="ticket.create", user=anne.id, company=demo_a.id, object_type="supportticket",
                      object_id="1", details=json.dumps({"number": "S-77", "category": "invoice"}))
    AuditEvent.create(action="settings.language", user=anne.id, company=demo_a.id, details='{"language": "en"}')
    page = _page(admin, "/users/audit?kind=ticket", **{"HX-Request": "true"})
    assert "supportsagen S-77" in page and "valgte engelsk som sprog" not in page and "<html" not in page
    assert "S-77" not in _page(admin, "/users/audit?from=2000-01-01&to=2000-01-02")
    bent = _user("begraenset@demo.dk")
    assert "S-77" not in _page(admin, f"/users/audit?user={bent.id}")
    # bad filter values are ignored, not a 500
    assert admin.get("/users/audit?from=yesterday&user=abc&kind=nope").status_code == 200
    # dates the wrong way round say so, rather than "no events"
    reversed_page = _page(admin, "/users/audit?from=2026-11-30&to=2026-11-01", **{"HX-Request": "true"})
    assert "Til-datoen ligger før fra-datoen" in reversed_page and "Ingen hændelser" not in reversed_page


def test_changes_ordered_for_a_subscription_are_under_subscriptions_and_orders(app, ctx):
    from services.audit_trail import filtered

    demo_a = _demo_a()
    for action in ("order.block", "order.plan_change", "order.vacation_reply", "subscription.codes_revealed"):
        AuditEvent.create(action=action, company=demo_a.id, object_type="order", object_id="1", details="{}")

    def actions(kind):
        return {e.action for e in filtered([demo_a.id], kind=kind)}

    assert {"order.block", "order.plan_change", "subscription.codes_revealed"} <= actions("subscription")
    assert "order.vacation_reply" not in actions("subscription")  # a phone-system user's, not a subscription's
    assert {"order.block", "order.plan_change", "order.vacation_reply"} <= actions("order")
    assert "subscription.codes_revealed" not in actions("order")


def test_kinds_of_the_filter_come_from_the_labels(app, ctx):
    from services import audit_trail
    from services.labels import LABELS

    assert audit_trail.kinds() == tuple(LABELS["audit_kind"])
    LABELS["audit_kind"]["voicemail"] = "Voicemail"
    try:
        assert "voicemail" in audit_trail.kinds()
        assert audit_trail.parse_filters({"kind": "voicemail"})["kind"] == "voicemail"
    finally:
        del LABELS["audit_kind"]["voicemail"]


def _many_events(count):
    """`count` events of many kinds, each naming its own objects."""
    demo_a = _demo_a()
    anne = _user("admin@demo.dk")
    bent = _user("begraenset@demo.dk")
    subs = list(Subscription.select().where(Subscription.company == demo_a.id).order_by(Subscription.id).limit(count))
    accounts = list(Account.select().where(Account.company == demo_a.id))
    note = CreditNote.select().first()
    rows = []
    for i in range(count):
        sub = subs[i % len(subs)]
        account = accounts[i % len(accounts)]
        kind = i % 5
        if kind == 0:
            rows.append(dict(action="order.sim_change", object_type="order", object_id="999999",
                             details=json.dumps({"subscription": sub.id, "how": "physical"})))
        elif kind == 1:
            rows.append(dict(action="user.rights_change", object_type="user", object_id=str(bent.id),
                             details=json.dumps({"before": {"functions": []}, "after": {
                                 "functions": ["usage"], "full_access": False, "accounts": [account.id]}})))
        elif kind == 2:
            rows.append(dict(action="invoice.credited", object_type="creditnote", object_id=str(note.id),
                             details=json.dumps({"invoice": "F1", "total": 100})))
        elif kind == 3:
            rows.append(dict(action="subscription.codes_revealed", object_type="subscription", object_id=str(sub.id)))
        else:
            rows.append(dict(action="session.switch_company", object_type="company", object_id=str(demo_a.id)))
    for row in rows:
        AuditEvent.create(user=anne.id, company=demo_a.id, **row)


def test_a_page_costs_the_same_queries_for_few_or_many_events(admin, ctx):
    AuditEvent.delete().execute()
    _many_events(5)
    _page(admin)  # the session's first request writes the session row
    few = count_queries(admin, "/users/audit")
    _many_events(45)
    many = count_queries(admin, "/users/audit")
    assert many == few, (few, many)
    assert many <= 20, many


# -- the export -----------------------------------------------------------------------------------

def _export(admin, data):
    response = admin.post("/users/audit/export", data=data)
    assert response.status_code == 302, response.data[:500]
    job = JobRecord.select().order_by(JobRecord.created_at.desc()).first()
    assert job.status == "finished" and job.progress == 100
    download = admin.get(f"/users/audit/export/{job.id}/download")
    assert download.status_code == 200
    return list(csv.reader(io.StringIO(download.data.decode("utf-8-sig")), delimiter=";")), job


def test_csv_export_runs_as_a_job_with_translated_headers_sentences_and_local_times(admin, ctx):
    demo_a = _demo_a()
    anne = _user("admin@demo.dk")
    AuditEvent.create(action="ticket.create", user=anne.id, company=demo_a.id, object_type="supportticket",
                      object_id="øst-1", details='{"number": "S-1", "category": "invoice"}', ip="10.0.0.9",
                      created_at=datetime.datetime(2024, 1, 15, 23, 30))
    response = admin.post("/users/audit/export", data={"kind": "ticket"})
    assert response.status_code == 302
    job = JobRecord.select().order_by(JobRecord.created_at.desc()).first()
    status = _page(admin, response.headers["Location"])
    assert f"/users/audit/export/{job.id}/download" in status
    download = admin.get(f"/users/audit/export/{job.id}/download")
    assert download.headers["Content-Disposition"].startswith("attachment; filename=aktivitetslog-")
    english = admin.get(f"/users/audit/export/{job.id}/download", headers={"Accept-Language": "en"})
    assert english.headers["Content-Disposition"].startswith("attachment; filename=audit-trail-")
    rows = list(csv.reader(io.StringIO(download.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Tidspunkt", "Bruger", "E-mail", "Hændelse", "Handlingskode", "Objekttype", "Objekt-id",
                       "IP-adresse"]
    row = next(r for r in rows[1:] if r[6] == "øst-1")
    assert row[0] == "16-01-2024 00:30:00"  # local time
    assert row[1:6] == ["Anne Admin", "admin@demo.dk", "Anne Admin oprettede supportsagen S-1 (Faktura)",
                        "ticket.create", "supportticket"]
    assert all(r[4].startswith("ticket.") for r in rows[1:])
    assert AuditEvent.select().where(AuditEvent.action == "user.audit_export").exists()


def test_csv_headers_follow_the_users_language(admin, ctx):
    _english()
    rows, _job = _export(admin, {"kind": "user"})
    assert rows[0] == ["Time", "User", "E-mail", "Event", "Action code", "Object type", "Object id", "IP address"]
    assert any(r[3] == "Anne Admin exported the audit trail" for r in rows[1:])


def test_the_export_follows_the_filters_changed_after_the_page_loaded(admin, ctx):
    demo_a = _demo_a()
    anne = _user("admin@demo.dk")
    AuditEvent.create(action="ticket.close", user=anne.id, company=demo_a.id, details='{"number": "S-5"}',
                      created_at=datetime.datetime(2024, 3, 10, 9))
    AuditEvent.create(action="ticket.close", user=anne.id, company=demo_a.id, details='{"number": "S-6"}',
                      created_at=datetime.datetime(2024, 5, 10, 9))
    AuditEvent.create(action="settings.name", user=anne.id, company=demo_a.id,
                      created_at=datetime.datetime(2024, 3, 10, 9))
    # the page loads without filters: its export form carries none
    page = _page(admin)
    form = page[page.index('action="/users/audit/export"'):]
    form = form[:form.index("</form>")]
    assert 'name="kind"' not in form and 'name="from"' not in form
    # the user filters (HTMX swaps the rows): the rows bring an export form with those filters
    fragment = _page(admin, "/users/audit?kind=ticket&from=2024-03-01&to=2024-03-31&user=", **{"HX-Request": "true"})
    assert "<html" not in fragment and 'action="/users/audit/export"' in fragment
    for name, value in (("kind", "ticket"), ("from", "2024-03-01"), ("to", "2024-03-31")):
        assert f'<input type="hidden" name="{name}" value="{value}">' in fragment
    assert 'name="csrf_token"' in fragment
    # posting that form exports only the matching rows
    rows, _job = _export(admin, {"kind": "ticket", "from": "2024-03-01", "to": "2024-03-31"})
    assert [r[3] for r in rows[1:]] == ["Anne Admin lukkede supportsagen S-5"]


def test_export_with_a_value_the_form_cannot_send_is_422_with_every_error(admin, ctx):
    before = JobRecord.select().count()
    response = admin.post("/users/audit/export", data={"kind": "nope", "from": "yesterday", "user": "abc"})
    assert response.status_code == 422
    text = _text(response.get_data(as_text=True))
    assert "Vælg en type fra listen." in text and "Skriv en dato, for eksempel 2025-01-31." in text
    assert "Vælg en bruger fra listen." in text
    response = admin.post("/users/audit/export", data={"from": "2024-03-02", "to": "2024-03-01"})
    assert response.status_code == 422 and "Til-datoen kan ikke ligge før fra-datoen." in response.get_data(as_text=True)
    assert JobRecord.select().count() == before


def test_export_keeps_the_formula_guard(admin, ctx):
    demo_a = _demo_a()
    sly = User.create(email="sly@demo.dk", name="=HYPERLINK(\"http://x\")", kind="customer")
    Membership.create(user=sly.id, company=demo_a.id, functions="usage")
    AuditEvent.create(action="auth.logout", user=sly.id, company=demo_a.id)
    rows, _job = _export(admin, {"user": str(sly.id)})
    assert rows[1][1] == "'=HYPERLINK(\"http://x\")"
    assert rows[1][3].startswith("'=HYPERLINK")


def test_export_of_another_user_is_404(admin, other_admin, ctx):
    admin.post("/users/audit/export", data={})
    job = JobRecord.select().order_by(JobRecord.created_at.desc()).first()
    assert other_admin.get(f"/users/audit/export/{job.id}").status_code == 404
    assert other_admin.get(f"/users/audit/export/{job.id}/download").status_code == 404


# -- scoping and rights ---------------------------------------------------------------------------

def test_other_customers_events_are_not_shown(admin, ctx):
    anden = Company.get(Company.cvr == "31313139")
    ane = _user("admin@anden.dk")
    AuditEvent.create(action="ticket.create", user=ane.id, company=anden.id, details='{"number": "anden-secret"}')
    AuditEvent.create(action="auth.login", user=ane.id, object_id="anden-login")
    page = _page(admin)
    assert "anden-secret" not in page and ane.name not in page


def test_names_of_another_customers_objects_are_not_read(app, ctx):
    """An event that named another customer's subscription would not show its holder."""
    anden = Company.get(Company.cvr == "31313139")
    theirs = Subscription.get(Subscription.company == anden.id)
    anne = _user("admin@demo.dk")
    with app.test_request_context():
        event = AuditEvent(action="subscription.codes_revealed", user=anne.id, object_type="subscription",
                           object_id=str(theirs.id), details="{}")
        [text] = audit_text.describe_all([event], customer_id=_demo_a().customer_id)
    assert theirs.holder_name not in text


def test_limited_user_without_users_right_gets_403(limited):
    assert limited.get("/users/audit").status_code == 403
    assert limited.post("/users/audit/export").status_code == 403


def test_employee_and_staff_cannot_read_the_trail(employee_client, staff_client):
    for client in (employee_client, staff_client):
        assert client.get("/users/audit").status_code in (302, 403)
        assert client.post("/users/audit/export", data={}).status_code in (302, 403)
