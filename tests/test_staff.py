"""The staff side of access: applications, finding a company's admins, disabling an
orphaned admin, approving or rejecting recovery requests."""
import pytest

from models import (
    Application,
    AuditEvent,
    Company,
    Membership,
    OutboxMessage,
    User,
    WebSession,
)
from services.rights import FUNCTIONS
from tests.conftest import sign_in
from tests.test_onboarding import (
    activate_with_letter,
    application_data,
    choose_password,
    letters,
)

FJERDE = "25313763"
ORPHAN = "tidligere.admin@fjerde.dk"


@pytest.fixture
def staff(staff_client):
    staff_client.set_cookie("lang", "en")
    return staff_client


def fjerde():
    return Company.get(Company.cvr == FJERDE)


def ask_for_recovery(client, **overrides):
    data = application_data(cvr=FJERDE, company_name="Fjerde Handel ApS", admin_name="Nina Ny",
                            email="nina@fjerde.dk", mobile="30 40 50 60",
                            reason="Jens har forladt firmaet, og ingen kender hans login.")
    data.update(overrides)
    response = client.post("/apply/recovery", data=data)
    assert response.status_code == 302, response.data[:300]
    return Application.select().order_by(Application.id.desc()).first()


def audited(action):
    return AuditEvent.select().where(AuditEvent.action == action)


# -- who may come in -------------------------------------------------------------------------

@pytest.mark.parametrize("method, path", [
    ("GET", "/staff/applications"), ("GET", "/staff/applications/1"), ("POST", "/staff/applications/1"),
    ("GET", "/staff/companies?cvr=25313763"), ("POST", "/staff/users/1/disable"),
])
def test_customer_admin_gets_403_on_staff_routes(admin, method, path):
    assert admin.open(path, method=method).status_code == 403


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get("/staff/applications")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


# -- applications ----------------------------------------------------------------------------

def test_staff_list_applications_newest_first_and_filtered(staff, client, ctx):
    client.post("/apply", data=application_data())  # Tredje: approved
    client.post("/apply", data=application_data(cvr="12345674", company_name="Demo A/S", email="ny@demo.dk"))
    ask_for_recovery(client)
    page = staff.get("/staff/applications").get_data(as_text=True)
    assert page.index("Fjerde Handel ApS") < page.index("Tredje Firma A/S")  # newest first
    assert "3 applications" in page
    rejected = staff.get("/staff/applications?status=rejected").get_data(as_text=True)
    assert "Has an administrator" in rejected and "Demo A/S" in rejected and "Tredje Firma A/S" not in rejected
    recovery = staff.get("/staff/applications?kind=recovery").get_data(as_text=True)
    assert "Fjerde Handel ApS" in recovery and "Tredje Firma A/S" not in recovery
    fragment = staff.get("/staff/applications?kind=recovery", headers={"HX-Request": "true"})
    assert "<html" not in fragment.get_data(as_text=True) and "HX-Request" in fragment.headers["Vary"]
    assert staff.get("/staff/applications/999999").status_code == 404


def test_find_company_by_cvr_shows_admins_status_and_last_login(staff, ctx):
    page = staff.get(f"/staff/companies?cvr={FJERDE}").get_data(as_text=True)
    assert "Fjerde Handel ApS" in page and ORPHAN in page and "Disable login" in page
    assert "never" in page  # the orphaned admin has never logged in
    bad = staff.get("/staff/companies?cvr=12345675").get_data(as_text=True)
    assert "not a valid CVR number" in bad
    unknown = staff.get("/staff/companies?cvr=20000007").get_data(as_text=True)
    assert "No customer company has CVR number 20000007" in unknown


# -- the orphaned admin ---------------------------------------------------------------------

def test_staff_disable_orphaned_admin(staff, app, ctx):
    orphan_client = app.test_client()
    orphan = sign_in(orphan_client, ORPHAN)  # a live session to end
    assert WebSession.select().where(WebSession.user == orphan.id).exists()
    response = staff.post(f"/staff/users/{orphan.id}/disable",
                          data={"company_id": fjerde().id, "reason": "Has left the company"})
    assert response.status_code == 302 and response.headers["Location"] == f"/staff/companies?cvr={FJERDE}"
    orphan = User.get_by_id(orphan.id)
    assert orphan.status == "disabled" and orphan.disabled_reason == "Has left the company"
    assert not WebSession.select().where(WebSession.user == orphan.id).exists()
    assert orphan_client.get("/").status_code == 302  # signed out
    assert OutboxMessage.select().where(OutboxMessage.channel == "email", OutboxMessage.recipient == ORPHAN).exists()
    assert letters(FJERDE) and "Jens Tidligere" in letters(FJERDE)[-1].body
    event = audited("staff.disable_admin").get()
    assert event.user.email == "staff@operator.dk" and event.object_id == str(orphan.id)
    assert event.company_id == fjerde().id


def test_after_the_orphan_is_disabled_a_new_admin_can_apply(staff, client, ctx):
    orphan = User.get(User.email == ORPHAN)
    client.post("/apply", data=application_data(cvr=FJERDE, company_name="Fjerde Handel ApS",
                                                email="nina@fjerde.dk"))
    assert Application.get(Application.cvr == FJERDE).result == "has_admin"
    staff.post(f"/staff/users/{orphan.id}/disable", data={"company_id": fjerde().id, "reason": "Gone"})
    client.post("/apply", data=application_data(cvr=FJERDE, company_name="Fjerde Handel ApS",
                                                email="nina@fjerde.dk"))
    latest = Application.select().order_by(Application.id.desc()).first()
    assert latest.result == "letter_sent" and latest.login.status == "pending"  # its details wait for the letter


def test_disable_needs_a_reason_and_the_right_company(staff, ctx):
    orphan = User.get(User.email == ORPHAN)
    staff.post(f"/staff/users/{orphan.id}/disable", data={"company_id": fjerde().id, "reason": " "})
    assert User.get_by_id(orphan.id).status == "active"
    demo_admin = User.get(User.email == "admin@demo.dk")
    response = staff.post(f"/staff/users/{demo_admin.id}/disable",
                          data={"company_id": fjerde().id, "reason": "wrong company"})
    assert response.status_code == 404 and User.get_by_id(demo_admin.id).status == "active"
    assert staff.post(f"/staff/users/{orphan.id}/disable", data={"reason": "x"}).status_code == 302
    assert not audited("staff.disable_admin").exists()


# -- recovery requests ------------------------------------------------------------------------

def test_staff_approve_recovery_replaces_the_admin_and_sends_the_letter(staff, client, app, ctx):
    application = ask_for_recovery(client)
    detail = staff.get(f"/staff/applications/{application.id}").get_data(as_text=True)
    assert "Jens har forladt firmaet" in detail and ORPHAN in detail and "Approve" in detail

    response = staff.post(f"/staff/applications/{application.id}", data={"decision": "approve", "note": "OK"})
    assert response.status_code == 302
    application = Application.get_by_id(application.id)
    assert (application.status, application.result) == ("approved", "recovered")
    history = staff.get(f"/staff/applications/{application.id}").get_data(as_text=True)
    history = history[history.index('id="app-history"'):]
    assert "application." not in history and "staff." not in history  # sentences, not the events' codes
    assert "approved the application" in history
    assert application.processed_by.email == "staff@operator.dk" and application.processed_at
    assert User.get(User.email == ORPHAN).status == "disabled"
    new_admin = User.get(User.email == "nina@fjerde.dk")
    assert new_admin.status == "pending" and new_admin.name == "Nina Ny"
    membership = Membership.get(Membership.user == new_admin)
    assert membership.is_admin and membership.company.cvr == FJERDE
    assert membership.function_set == frozenset(FUNCTIONS)
    assert new_admin.username in letters(FJERDE)[-1].body
    assert OutboxMessage.select().where(OutboxMessage.recipient == "nina@fjerde.dk").exists()
    for action in ("staff.approve_application", "staff.disable_admin", "application.approved",
                   "user.activation_sent"):
        assert audited(action).exists(), action

    # the new admin activates with the fresh letter
    newcomer = app.test_client()
    activate_with_letter(newcomer, FJERDE)
    assert choose_password(newcomer).headers["Location"] == "/activate/two-factor"

    # approving again changes nothing
    again = staff.post(f"/staff/applications/{application.id}", data={"decision": "approve"}, follow_redirects=True)
    assert "already been processed" in again.get_data(as_text=True)
    assert User.select().where(User.email == "nina@fjerde.dk").count() == 1


def test_staff_reject_recovery_needs_a_note_and_tells_the_applicant(staff, client, ctx):
    application = ask_for_recovery(client)
    response = staff.post(f"/staff/applications/{application.id}", data={"decision": "reject", "note": ""})
    assert response.status_code == 422 and "Write why the application is rejected" in response.get_data(as_text=True)
    assert Application.get_by_id(application.id).status == "received"

    staff.post(f"/staff/applications/{application.id}",
               data={"decision": "reject", "note": "We could not confirm who you are."})
    application = Application.get_by_id(application.id)
    assert (application.status, application.result) == ("rejected", "rejected_by_staff")
    mail = OutboxMessage.select().where(OutboxMessage.recipient == "nina@fjerde.dk").get()
    assert "We could not confirm who you are." in mail.body
    assert User.get(User.email == ORPHAN).status == "active"
    assert not User.select().where(User.email == "nina@fjerde.dk").exists()
    event = audited("staff.reject_application").get()
    assert "could not confirm" in event.details


def test_approving_with_an_email_in_use_changes_nothing(staff, client, ctx):
    application = ask_for_recovery(client, email="admin@anden.dk")
    response = staff.post(f"/staff/applications/{application.id}", data={"decision": "approve"},
                          follow_redirects=True)
    assert "exists already" in response.get_data(as_text=True)
    assert Application.get_by_id(application.id).status == "received"
    assert User.get(User.email == ORPHAN).status == "active"
    assert not audited("staff.approve_application").exists()


def test_staff_publish_an_outage_in_both_languages_and_end_it(staff_client, admin, ctx):
    from models import AuditEvent, Outage

    response = staff_client.post("/staff/outages", data={
        "title_da": "Nedbrud på 5G", "title_en": "5G down", "body_da": "Vi arbejder på det.",
        "body_en": "We are on it.", "area_da": "Fyn", "area_en": "Funen", "severity": "major",
        "services": ["mobile"], "postal_codes": "5000-5999"})
    assert response.status_code == 302
    outage = Outage.get(Outage.title_da == "Nedbrud på 5G")
    assert "Nedbrud på 5G" in admin.get("/").get_data(as_text=True)
    admin.post("/settings/language", data={"language": "en", "next": "/"})
    english = admin.get("/").get_data(as_text=True)
    assert "5G down" in english and "Funen" in english
    staff_client.post(f"/staff/outages/{outage.id}/end")
    assert "5G down" not in admin.get("/").get_data(as_text=True)
    assert AuditEvent.select().where(AuditEvent.action == "outage.end").exists()


def test_the_staff_overview_tells_planned_current_and_resolved_outages_apart(staff, ctx):
    import datetime
    import re

    from models import Outage, utcnow

    Outage.delete().execute()
    now = utcnow()
    for title, starts, ends in (("Planned work", now + datetime.timedelta(days=3), None),
                                ("Down now", now - datetime.timedelta(hours=1), None),
                                ("Over", now - datetime.timedelta(days=1), now - datetime.timedelta(hours=2))):
        Outage.create(title_da=title, title_en=title, starts_at=starts, ends_at=ends, severity="minor")
    for path in ("/staff/", "/staff/outages"):
        page = staff.get(path).get_data(as_text=True)
        for title, state in (("Planned work", "Planned"), ("Down now", "Current"), ("Over", "Resolved")):
            assert re.search(re.escape(title) + r"[^<]*(<[^>]*>[^<]*){0,2}<span class=\"badge[^\"]*\">" + state, page), (path, title)
        assert "Ongoing" not in page


def test_outage_needs_titles(staff_client, ctx):
    from models import Outage

    before = Outage.select().count()
    response = staff_client.post("/staff/outages", data={"title_da": "", "title_en": "", "severity": "minor"})
    assert response.status_code == 422
    assert Outage.select().count() == before


def test_staff_answer_a_ticket_and_the_customer_is_told(staff_client, admin, ctx):
    from models import AuditEvent, Company, OutboxMessage, SupportTicket, TicketMessage

    ticket = (SupportTicket.select().join(Company).where(Company.cvr == "12345674",
                                                          SupportTicket.status == "open").first())
    page = staff_client.get(f"/staff/tickets/{ticket.id}").get_data(as_text=True)
    assert ticket.subject in page
    response = staff_client.post(f"/staff/tickets/{ticket.id}", data={"body": "Vi har rettet fejlen.",
                                                                       "status": "waiting"})
    assert response.status_code == 302
    assert SupportTicket.get_by_id(ticket.id).status == "waiting"
    assert TicketMessage.select().where(TicketMessage.ticket == ticket.id, TicketMessage.from_staff == True).exists()  # noqa: E712
    assert AuditEvent.select().where(AuditEvent.action == "ticket.staff_answer").exists()
    if ticket.created_by_id:
        assert OutboxMessage.select().where(OutboxMessage.subject.contains(ticket.number)).exists()
    detail = admin.get(f"/support/{ticket.id}").get_data(as_text=True)
    assert "Vi har rettet fejlen." in detail


def test_staff_ticket_bad_status_and_missing_ticket(staff_client, ctx):
    from models import SupportTicket

    ticket = SupportTicket.select().first()
    assert staff_client.post(f"/staff/tickets/{ticket.id}", data={"body": "x", "status": "bogus"}).status_code == 422
    assert SupportTicket.get_by_id(ticket.id).status == ticket.status
    assert staff_client.get("/staff/tickets/999999").status_code == 404
