"""Support tickets (scope, categories, attachments, close/reopen, SLA in Danish working hours, staff
answers by e-mail) and outages (staff publish/update/resolve, the company's addresses first, outage
e-mails); the working-hours functions on their own."""
import datetime
import email
import email.policy
import io
import json
import random
import re
import shutil
import socket
import zipfile
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from models import (
    Account,
    AuditEvent,
    Company,
    Membership,
    Outage,
    OutageAlert,
    OutboxMessage,
    StoredFile,
    Subscription,
    SupportTicket,
    TicketAttachment,
    TicketMessage,
    User,
    db,
    utcnow,
)
from services import stored_files
from services.working_hours import add_working_hours, closed_days, easter_sunday, is_working_day, working_time_between
from tests.conftest import count_queries, make_app, sign_in

CPH = ZoneInfo("Europe/Copenhagen")
UTC = datetime.timezone.utc
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40


def local(*args):
    """A Copenhagen wall-clock time as naive UTC (what the database holds)."""
    return datetime.datetime(*args, tzinfo=CPH).astimezone(UTC).replace(tzinfo=None)


def hours(delta):
    return delta.total_seconds() / 3600


# -- working hours -----------------------------------------------------------------------------------

@pytest.mark.parametrize("year,day", [(2000, (4, 23)), (2019, (4, 21)), (2024, (3, 31)), (2025, (4, 20)),
                                      (2026, (4, 5)), (2027, (3, 28)), (2038, (4, 25))])
def test_easter_sunday(year, day):
    assert easter_sunday(year) == datetime.date(year, *day)


def test_danish_closed_days():
    days = closed_days(2026)
    for month, day in ((1, 1), (4, 2), (4, 3), (4, 5), (4, 6), (5, 14), (5, 24), (5, 25), (6, 5), (12, 24),
                       (12, 25), (12, 26), (12, 31)):
        assert datetime.date(2026, month, day) in days, (month, day)
    assert datetime.date(2023, 5, 5) in closed_days(2023)  # Great Prayer Day until 2023
    assert datetime.date(2024, 4, 26) not in closed_days(2024)  # abolished from 2024
    assert is_working_day(datetime.date(2026, 11, 20))  # a Friday
    assert not is_working_day(datetime.date(2026, 11, 21))  # Saturday
    assert not is_working_day(datetime.date(2026, 4, 3))  # Good Friday


def test_working_time_within_a_day_and_across_the_night():
    assert hours(working_time_between(local(2026, 11, 18, 9), local(2026, 11, 18, 11, 30))) == 2.5
    # 14:00 Wednesday to 10:00 Thursday: 2 hours + 2 hours; the night does not count
    assert hours(working_time_between(local(2026, 11, 18, 14), local(2026, 11, 19, 10))) == 4
    # before opening and after closing count nothing
    assert hours(working_time_between(local(2026, 11, 18, 5), local(2026, 11, 18, 7, 59))) == 0
    assert hours(working_time_between(local(2026, 11, 18, 16), local(2026, 11, 19, 8))) == 0
    assert working_time_between(local(2026, 11, 19), local(2026, 11, 18)) == datetime.timedelta(0)


def test_working_time_across_a_weekend_and_holidays():
    # Friday 15:00 to Monday 09:00: one hour on Friday, one on Monday
    assert hours(working_time_between(local(2026, 11, 20, 15), local(2026, 11, 23, 9))) == 2
    # Wednesday before Easter 2026 at 12:00 to the Tuesday after at 12:00: Thursday to Monday are closed
    assert hours(working_time_between(local(2026, 4, 1, 12), local(2026, 4, 7, 12))) == 8
    # Christmas 2026: 23 Dec (Wed) at 15:00 to 28 Dec (Mon) at 09:00
    assert hours(working_time_between(local(2026, 12, 23, 15), local(2026, 12, 28, 9))) == 2
    # a whole week: five days of eight hours
    assert hours(working_time_between(local(2026, 11, 16), local(2026, 11, 23))) == 40


def test_working_time_across_summer_time_changes():
    # Summer time starts on Sunday 29 March 2026; Friday 14:00 CET to Monday 10:00 CEST
    assert hours(working_time_between(local(2026, 3, 27, 14), local(2026, 3, 30, 10))) == 4
    # and ends on Sunday 25 October 2026
    assert hours(working_time_between(local(2026, 10, 23, 14), local(2026, 10, 26, 10))) == 4


def test_add_working_hours():
    # Friday 15:00 + 3 working hours = Monday 10:00
    assert add_working_hours(local(2026, 11, 20, 15), 3) == local(2026, 11, 23, 10)
    # at night the count starts at 08:00 the next working day
    assert add_working_hours(local(2026, 11, 18, 22), 3) == local(2026, 11, 19, 11)
    assert add_working_hours(local(2026, 11, 21, 12), 8) == local(2026, 11, 23, 16)  # Saturday
    # two working days from the Wednesday before Easter at 10:00: 6 h, Thursday to Monday closed, 8 h, 2 h
    assert add_working_hours(local(2026, 4, 1, 10), 16) == local(2026, 4, 8, 10)
    # across the start of summer time: Friday 15:00 CET + 3 h = Monday 10:00 CEST (08:00 UTC)
    assert add_working_hours(local(2026, 3, 27, 15), 3) == datetime.datetime(2026, 3, 30, 8)
    # exactly at closing time
    assert add_working_hours(local(2026, 11, 18, 8), 8) == local(2026, 11, 18, 16)
    assert add_working_hours(local(2026, 11, 18, 9), 0) == local(2026, 11, 18, 9)


def test_add_working_hours_keeps_aware_times_aware():
    start = datetime.datetime(2026, 11, 20, 15, tzinfo=CPH)
    due = add_working_hours(start, 3)
    assert due.tzinfo is not None and due == datetime.datetime(2026, 11, 23, 10, tzinfo=CPH)


def test_add_and_between_agree():
    rng = random.Random(8)
    for _ in range(300):
        start = datetime.datetime(2026, 1, 1) + datetime.timedelta(minutes=rng.randrange(365 * 24 * 60))
        target = rng.choice((1, 3, 8, 16, 40))
        due = add_working_hours(start, target)
        assert working_time_between(start, due) == datetime.timedelta(hours=target), start
        assert due > start


# -- SLA ---------------------------------------------------------------------------------------------

def test_sla_states():
    from services.support import sla_of

    created = local(2026, 11, 18, 9)
    ticket = SupportTicket(category="fault_critical", created_at=created, status="open")
    sla = sla_of(ticket, now=local(2026, 11, 18, 10))
    assert (sla.state, sla.hours, sla.due_at, hours(sla.left)) == ("due", 3, local(2026, 11, 18, 12), 2)
    sla = sla_of(ticket, now=local(2026, 11, 19, 9))
    assert sla.state == "overdue" and hours(sla.late) == 5
    ticket.first_response_at = local(2026, 11, 18, 11, 59)
    assert sla_of(ticket).state == "met"
    ticket.first_response_at = local(2026, 11, 19, 8, 30)
    sla = sla_of(ticket)
    assert sla.state == "missed" and hours(sla.late) == 4.5
    assert sla_of(SupportTicket(category="question", created_at=created, status="closed")).state == "stopped"
    # 8 hours from 09:00: seven today, one tomorrow
    assert sla_of(SupportTicket(category="fault", created_at=created, status="open"), now=created).due_at == \
        local(2026, 11, 19, 9)
    assert sla_of(SupportTicket(category="invoice", created_at=created, status="open"), now=created).hours == 16


# -- helpers -----------------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def english(request):
    """The signed-in clients read English (the messages checked below are the English source)."""
    for name in ("admin", "limited", "other_admin", "staff_client"):
        if name in request.fixturenames:
            request.getfixturevalue(name).set_cookie("lang", "en")

@pytest.fixture
def data_dir(app, tmp_path):
    app.config["DATA_DIR"] = str(tmp_path / "data")
    return Path(app.config["DATA_DIR"])


DEMO_FILES = {"attachment:demo-forbrug-marts", "attachment:demo-skaermbillede"}


def _stored_attachments():
    return {key for (key,) in StoredFile.select(StoredFile.key).where(StoredFile.key.startswith("attachment:")).tuples()}


def ticket(number):
    return SupportTicket.get(SupportTicket.number == number)


def mette():
    return Subscription.get(Subscription.number == "+4520000001")


def new_ticket_data(**overrides):
    data = {"category": "fault", "concern": f"subscription:{mette().id}", "subject": "Telefonen genstarter",
            "body": "Telefonen genstarter flere gange om dagen."}
    data.update(overrides)
    return data


def post_ticket(client, files=(), **overrides):
    data = new_ticket_data(**overrides)
    data["attachments"] = [(io.BytesIO(content), name) for name, content in files]
    return client.post("/support/new", data=data, content_type="multipart/form-data")


def xlsx_bytes():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
    return buffer.getvalue()


# -- creating, reading, downloading ------------------------------------------------------------------

def test_admin_creates_a_ticket_about_a_subscription_with_attachments(admin, ctx, data_dir):
    sheet = xlsx_bytes()  # once: a zip carries the time it was made
    response = post_ticket(admin, files=[("fejl.pdf", PDF), ("Skærmbillede 1.png", PNG), ("liste.xlsx", sheet)])
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    item = SupportTicket.select().order_by(SupportTicket.id.desc()).first()
    assert response.headers["Location"] == f"/support/{item.id}"
    assert (item.category, item.subscription_id, item.account_id) == ("fault", mette().id, mette().account_id)
    assert item.company_id == mette().company_id and item.status == "open"
    assert item.response_due_at == add_working_hours(item.created_at, 8)
    files = list(TicketAttachment.select().where(TicketAttachment.ticket == item.id).order_by(TicketAttachment.id))
    assert [(f.name, f.mime_type) for f in files] == [
        ("fejl.pdf", "application/pdf"), ("Skærmbillede 1.png", "image/png"),
        ("liste.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")]
    for f, content in zip(files, (PDF, PNG, sheet), strict=True):  # in the database, under a server-made key
        assert re.fullmatch(r"[0-9a-f]{32}", f.key) and f.size == len(content)
        assert stored_files.content(f"attachment:{f.key}") == content
        assert StoredFile.get(StoredFile.key == f"attachment:{f.key}").content_type == f.mime_type
    assert not data_dir.exists() and not list(Path("static").rglob(files[0].key))  # on no machine's disk
    event = AuditEvent.get(AuditEvent.action == "ticket.create", AuditEvent.object_id == str(item.id))
    assert json.loads(event.details)["attachments"] == 3

    page = admin.get(f"/support/{item.id}").get_data(as_text=True)
    assert "Telefonen genstarter" in page and "fejl.pdf" in page and "20 00 00 01" in page
    assert "sla-due" in page  # the response-time target, not answered yet
    download = admin.get(f"/support/{item.id}/attachments/{files[0].id}")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Length"] == str(len(PDF))
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.mimetype == "application/pdf"
    disposition = admin.get(f"/support/{item.id}/attachments/{files[1].id}").headers["Content-Disposition"]
    assert "filename*=UTF-8''Sk%C3%A6rmbillede%201.png" in disposition  # the name kept, encoded


def test_a_general_ticket_and_one_about_an_account(admin, ctx, data_dir):
    assert post_ticket(admin, concern="", category="question").status_code == 302
    general = SupportTicket.select().order_by(SupportTicket.id.desc()).first()
    assert general.subscription_id is None and general.account_id is None
    salg = Account.get(Account.number == "40120029")
    assert post_ticket(admin, concern=f"account:{salg.id}", category="invoice").status_code == 302
    about_account = SupportTicket.select().order_by(SupportTicket.id.desc()).first()
    assert about_account.account_id == salg.id and about_account.subscription_id is None
    # numbered on from the demo's S-100001…, by the ticket's own id
    assert (general.number, about_account.number) == (f"S-{100000 + general.id}", f"S-{100001 + general.id}")


def test_the_response_time_reads_the_same_on_the_form_the_message_and_the_ticket(admin, ctx, data_dir):
    form = admin.get("/support/new").get_data(as_text=True)  # the admin reads English (see the fixture)
    assert "We answer within 3 working hours." in form and "We answer within 2 working days." in form
    response = post_ticket(admin, concern="", category="invoice")
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "We answer within 2 working days." in page  # the message after sending
    assert "Response time: 2 working days (Invoice)." in page and "16 working hours" not in page


def test_bad_input_shows_every_error_and_creates_nothing(admin, ctx, data_dir):
    before = SupportTicket.select().count()
    response = post_ticket(admin, category="", concern="subscription:999999999", subject="", body="  ")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    for text in ("Choose what the ticket is about.", "Choose a subscription or an account",
                 "Write a subject.", "Write your message."):
        assert text in page, text
    assert 'href="#f-subject"' in page  # the summary links to the field
    assert post_ticket(admin, subject="x" * 121).status_code == 422
    assert post_ticket(admin, concern="garbage:1").status_code == 422
    assert SupportTicket.select().count() == before


@pytest.mark.parametrize("name,content,message", [
    ("program.exe", b"MZ\x90\x00", "is not a file type we accept"),
    ("faktura.pdf", b"MZ\x90\x00 not a pdf", "is not what its name says"),
    ("billede.png", PDF, "is not what its name says"),
    ("tal.csv", b"a;b\x00\x01", "is not what its name says"),
    ("ark.xlsx", b"PK\x03\x04broken", "is not what its name says"),
    ("tom.txt", b"", "is empty"),
])
def test_attachments_are_checked_by_type_and_content(admin, ctx, data_dir, name, content, message):
    before = (SupportTicket.select().count(), TicketAttachment.select().count())
    response = post_ticket(admin, files=[(name, content)])
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert (SupportTicket.select().count(), TicketAttachment.select().count()) == before
    assert _stored_attachments() == DEMO_FILES


def test_a_form_sent_back_names_the_files_to_choose_again(admin, ctx, data_dir):
    """A browser never fills a file input again: a form that comes back (an error, or the search
    without JavaScript) says which files were chosen; with JavaScript the search sends no form."""
    back = post_ticket(admin, files=[("fejl.pdf", PDF), ("skærm.png", PNG)], subject="")
    page = back.get_data(as_text=True)
    assert back.status_code == 422 and "Choose the files again: they are not kept when the form has errors." in page
    assert "Choose the files again: fejl.pdf" not in page  # the field's own error says it once
    searched = post_ticket(admin, files=[("fejl.pdf", PDF)], nav="search", q="mette").get_data(as_text=True)
    assert "Choose the file again: fejl.pdf." in searched
    assert "again:" not in admin.get("/support/new").get_data(as_text=True)
    # a file refused for itself says so in its own error, not twice
    refused = post_ticket(admin, files=[("program.exe", b"MZ")]).get_data(as_text=True)
    assert "is not a file type we accept" in refused and "again:" not in refused
    # the search button fetches the matches alone when htmx runs
    form = admin.get("/support/new").get_data(as_text=True)
    assert re.search(r'<button type="submit" name="nav" value="search"[^>]*hx-get="/support/new/concerns"', form)


def test_attachment_size_and_count_limits(admin, ctx, data_dir):
    big = b"a" * (10 * 1024 * 1024 + 1)
    response = post_ticket(admin, files=[("stor.txt", big)])
    assert response.status_code == 422 and "larger than 10 MB" in response.get_data(as_text=True)
    response = post_ticket(admin, files=[(f"{i}.txt", b"ok") for i in range(4)])
    assert response.status_code == 422 and "at most 3 files" in response.get_data(as_text=True)
    # other errors: the valid files must be chosen again, and nothing is kept
    response = post_ticket(admin, files=[("ok.txt", b"ok")], subject="")
    assert "Choose the files again" in response.get_data(as_text=True)
    assert TicketAttachment.select().where(TicketAttachment.key.not_in(["demo-forbrug-marts", "demo-skaermbillede"])).count() == 0
    assert _stored_attachments() == DEMO_FILES


def test_a_message_and_its_files_are_kept_together_or_not_at_all(admin, ctx, data_dir, monkeypatch):
    created = TicketAttachment.create

    def second_fails(**fields):  # the second file's row cannot be written: its message is rolled back
        if TicketAttachment.select().where(TicketAttachment.ticket == fields["ticket"]).exists():
            raise RuntimeError("disk full")
        return created(**fields)

    monkeypatch.setattr(TicketAttachment, "create", second_fails)
    before = (SupportTicket.select().count(), TicketMessage.select().count())
    with pytest.raises(RuntimeError):
        post_ticket(admin, files=[("a.txt", b"first"), ("b.txt", b"second")])
    assert (SupportTicket.select().count(), TicketMessage.select().count()) == before
    assert _stored_attachments() == DEMO_FILES  # neither file is kept


def test_an_attachment_is_found_from_another_machine(admin, ctx, data_dir, app):
    assert post_ticket(admin, files=[("log.txt", b"line 1\n")]).status_code == 302
    item = TicketAttachment.select().order_by(TicketAttachment.id.desc()).first()
    app.config["DATA_DIR"] = str(data_dir.parent / "another-machine")  # a web machine with a disk of its own
    download = admin.get(f"/support/{item.ticket_id}/attachments/{item.id}")
    assert download.status_code == 200 and download.data == b"line 1\n"
    stored_files.delete([f"attachment:{item.key}"])  # gone: not found, on any machine
    assert admin.get(f"/support/{item.ticket_id}/attachments/{item.id}").status_code == 404


def test_attachments_held_on_a_machines_disk_are_imported_once(app, ctx, tmp_path):
    """Before migration 0028 each web machine kept the files it received: `flask import-attachments`
    on each keeps its files in the database; a file found nowhere stays missing."""
    message = TicketMessage.select().first()
    for key in ("0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210"):
        TicketAttachment.create(ticket=message.ticket_id, message=message.id, key=key, name=f"{key[:4]}.txt",
                                mime_type="text/plain", size=5)
    (tmp_path / "0123456789abcdef0123456789abcdef").write_bytes(b"held\n")  # on this machine only
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import-attachments", "--folder", str(tmp_path)])
    assert result.exit_code == 0 and result.output.startswith("1 imported"), result.output
    assert "2 kept already, 1 not found here" in result.output  # the demo's two are kept with the demo data
    assert stored_files.content("attachment:0123456789abcdef0123456789abcdef") == b"held\n"
    again = runner.invoke(args=["import-attachments", "--folder", str(tmp_path)])
    assert again.output.startswith("0 imported") and "3 kept already, 1 not found here" in again.output


def test_a_request_over_the_upload_limit_is_refused_with_a_message(admin, ctx, data_dir, monkeypatch):
    from services import ticket_files

    monkeypatch.setattr(ticket_files, "REQUEST_LIMIT", 50_000)
    before = SupportTicket.select().count()
    response = post_ticket(admin, files=[("a.txt", b"a" * 60_000)])
    assert response.status_code == 413 and "too large" in response.get_data(as_text=True)
    assert SupportTicket.select().count() == before


def test_attachment_names_are_sanitised(admin, ctx, data_dir):
    response = post_ticket(admin, files=[("..\\../etc/pa<ss>wd:?\x07.txt", b"hello")])
    assert response.status_code == 302
    item = TicketAttachment.select().order_by(TicketAttachment.id.desc()).first()
    assert item.name == "pa_ss_wd__.txt"
    download = admin.get(f"/support/{item.ticket_id}/attachments/{item.id}")
    assert '"' not in download.headers["Content-Disposition"].split("filename=")[1].strip('"')


def test_demo_attachments_download_for_those_in_scope(admin, limited, ctx, data_dir):
    screenshot = TicketAttachment.get(TicketAttachment.key == "demo-skaermbillede")
    response = limited.get(f"/support/{screenshot.ticket_id}/attachments/{screenshot.id}")
    assert response.status_code == 200 and response.data.startswith(b"\x89PNG")
    usage = TicketAttachment.get(TicketAttachment.key == "demo-forbrug-marts")
    assert admin.get(f"/support/{usage.ticket_id}/attachments/{usage.id}").status_code == 200
    # an attachment id under another ticket's id is not found
    assert admin.get(f"/support/{usage.ticket_id}/attachments/{screenshot.id}").status_code == 404


# -- scope ------------------------------------------------------------------------------------------

def test_limited_user_sees_only_tickets_of_their_account_and_general_ones(limited, admin, ctx):
    listing = limited.get("/support/").get_data(as_text=True)
    visible = set(re.findall(r"S-\d{6}", listing))
    assert {"S-100001", "S-100006"} <= visible  # account 40120011, and Mette's subscription on it
    assert {"S-100002", "S-100004", "S-100005", "S-100007"} <= visible  # general
    assert not visible & {"S-100003", "S-100008", "S-100009", "S-100010", "S-100011"}
    for number in ("S-100003", "S-100008", "S-100009", "S-100010"):
        item = ticket(number)
        assert limited.get(f"/support/{item.id}").status_code == 404, number
        assert limited.post(f"/support/{item.id}/close").status_code == 404
        assert ticket(number).status == item.status
    front = limited.get("/").get_data(as_text=True)
    assert "S-100001" in front or "Faktura for marts" in front
    assert "Dårlig dækning på lageret" not in front and "EAN-faktura afvist" not in front
    admin_visible = set(re.findall(r"S-\d{6}", admin.get("/support/").get_data(as_text=True)))
    assert {"S-100003", "S-100008", "S-100009", "S-100010"} <= admin_visible


def test_a_ticket_follows_its_subscription_to_another_account(limited, ctx):
    salg = Account.get(Account.number == "40120029")
    item = ticket("S-100006")
    assert limited.get(f"/support/{item.id}").status_code == 200
    Subscription.update(account=salg.id).where(Subscription.id == item.subscription_id).execute()
    assert limited.get(f"/support/{item.id}").status_code == 404


def test_limited_picker_and_create_stay_in_scope(limited, ctx, data_dir):
    page = limited.get("/support/new/concerns?q=salg", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "40120029" not in page and "<html" not in page
    page = limited.get("/support/new/concerns?q=hovedkonto", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "40120011" in page and "40345012" not in page
    salg = Account.get(Account.number == "40120029")
    response = post_ticket(limited, concern=f"account:{salg.id}")
    assert response.status_code == 422 and "Choose a subscription or an account" in response.get_data(as_text=True)
    other = Subscription.select().where(Subscription.account == salg.id).first()
    assert post_ticket(limited, concern=f"subscription:{other.id}").status_code == 422
    assert post_ticket(limited, concern=f"subscription:{mette().id}").status_code == 302


def test_picker_finds_by_name_and_number_and_prefills_from_a_link(admin, ctx):
    page = admin.get("/support/new/concerns?q=20000001", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert f'value="subscription:{mette().id}"' in page and "Mette Jensen" in page
    page = admin.get("/support/new/concerns?q=mette jensen", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Mette Jensen" in page
    page = admin.get(f"/support/new?subscription={mette().id}").get_data(as_text=True)
    assert re.search(rf'value="subscription:{mette().id}" checked', page)
    # without JavaScript the search button posts the form back with the matches
    response = admin.post("/support/new", data={"nav": "search", "q": "Mette", "subject": "Kept"})
    assert response.status_code == 200 and "Mette Jensen" in response.get_data(as_text=True)
    assert 'value="Kept"' in response.get_data(as_text=True)


def test_other_customer_gets_404_for_every_demo_ticket_and_attachment(other_admin, ctx):
    demo = Company.get(Company.cvr == "12345674").customer_id
    tickets = list(SupportTicket.select().where(SupportTicket.customer == demo))
    assert len(tickets) >= 10
    for item in tickets:
        assert other_admin.get(f"/support/{item.id}").status_code == 404
        assert other_admin.get(f"/support/{item.id}", headers={"HX-Request": "true"}).status_code == 404
        assert other_admin.post(f"/support/{item.id}", data={"body": "hej"}).status_code == 404
        assert other_admin.post(f"/support/{item.id}/close").status_code == 404
        assert other_admin.post(f"/support/{item.id}/reopen").status_code == 404
    for item in list(TicketAttachment.select().join(SupportTicket).where(SupportTicket.customer == demo)):
        assert other_admin.get(f"/support/{item.ticket_id}/attachments/{item.id}").status_code == 404
    assert TicketMessage.select().where(TicketMessage.body == "hej").count() == 0
    assert post_ticket(other_admin, concern=f"subscription:{mette().id}").status_code == 422


def test_without_the_support_right_everything_is_403(app, ctx):
    bent = User.get(User.email == "begraenset@demo.dk")
    membership = Membership.get(Membership.user == bent.id)
    membership.functions = " ".join(f for f in membership.functions.split() if f != "support")
    membership.save()
    client = app.test_client()
    sign_in(client, "begraenset@demo.dk")
    item = ticket("S-100001")
    attachment = TicketAttachment.get(TicketAttachment.key == "demo-forbrug-marts")
    for url in ("/support/", "/support/new", "/support/new/concerns?q=me", f"/support/{item.id}",
                f"/support/{item.id}/attachments/{attachment.id}"):
        assert client.get(url).status_code == 403, url
    for url in ("/support/new", f"/support/{item.id}", f"/support/{item.id}/close", f"/support/{item.id}/reopen"):
        assert client.post(url, data=new_ticket_data()).status_code == 403, url
    assert "My support tickets" not in client.get("/").get_data(as_text=True)


# -- replying, closing, reopening --------------------------------------------------------------------

def test_reply_with_a_file_makes_it_the_operators_turn(admin, ctx, data_dir):
    item = ticket("S-100002")  # waiting for the customer
    response = admin.post(f"/support/{item.id}", data={"body": "Ja, den er modtaget.",
                                                       "attachments": [(io.BytesIO(b"log"), "log.txt")]},
                          content_type="multipart/form-data")
    assert response.status_code == 302
    assert ticket("S-100002").status == "open"
    message = TicketMessage.select().where(TicketMessage.ticket == item.id).order_by(TicketMessage.id.desc()).first()
    assert message.body == "Ja, den er modtaget." and message.attachments.count() == 1
    assert AuditEvent.select().where(AuditEvent.action == "ticket.reply", AuditEvent.object_id == str(item.id)).exists()
    assert admin.post(f"/support/{item.id}", data={"body": ""}).status_code == 422


def test_close_and_reopen_are_audited_and_a_closed_ticket_takes_no_reply(admin, ctx):
    item = ticket("S-100001")
    assert admin.post(f"/support/{item.id}/close").status_code == 302
    closed = ticket("S-100001")
    assert closed.status == "closed" and closed.closed_at is not None
    response = admin.post(f"/support/{item.id}", data={"body": "Og en ting mere"})
    assert response.status_code == 422 and "Reopen it" in response.get_data(as_text=True)
    page = admin.get(f"/support/{item.id}").get_data(as_text=True)
    assert f"/support/{item.id}/reopen" in page and 'name="body"' not in page
    assert admin.post(f"/support/{item.id}/close", follow_redirects=True).status_code == 200  # already closed
    assert admin.post(f"/support/{item.id}/reopen").status_code == 302
    reopened = ticket("S-100001")
    assert reopened.status == "open" and reopened.closed_at is None
    actions = [e.action for e in AuditEvent.select().where(AuditEvent.object_id == str(item.id),
                                                          AuditEvent.action.startswith("ticket."))]
    assert actions.count("ticket.close") == 1 and actions.count("ticket.reopen") == 1
    asked = admin.get(f"/support/{item.id}/close")  # no GET changes state: it goes back to the ticket
    assert asked.status_code == 303 and asked.headers["Location"] == f"/support/{item.id}"
    assert SupportTicket.get_by_id(item.id).status == "open"


# -- the front page ----------------------------------------------------------------------------------

def test_front_page_show_more_unfolds_and_folds_again(admin, ctx):
    item = ticket("S-100006")  # Mette's, with a screenshot
    page = admin.get("/").get_data(as_text=True)
    assert f'id="more-toggle-{item.id}" aria-expanded="false"' in page
    unfolded = admin.get(f"/support/{item.id}?more=open", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in unfolded and "ticket-detail" in unfolded
    assert 'aria-expanded="true"' in unfolded and "Show less" in unfolded and "skærmbillede.png" in unfolded
    assert "more=closed" in unfolded
    folded = admin.get(f"/support/{item.id}?more=closed", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'aria-expanded="false"' in folded and "Show more" in folded and "ticket-detail" not in folded
    assert f'id="more-toggle-{item.id}"' in folded  # the same id: htmx gives the focus back


# -- operator staff ----------------------------------------------------------------------------------

@pytest.fixture
def staff_en(staff_client):
    staff_client.set_cookie("lang", "en")
    return staff_client


def test_staff_see_the_sla_in_staff_wording(staff_en, admin, ctx):
    item = ticket("S-100002")  # waiting for the customer, answered late
    page = staff_en.get(f"/staff/tickets/{item.id}").get_data(as_text=True)
    assert "Waiting for the customer" in page and "Waiting for you" not in page
    assert "Answered late" in page and "Response time: 2 working days" in page  # 16 working hours
    admin.set_cookie("lang", "en")
    customer_page = admin.get(f"/support/{item.id}").get_data(as_text=True)
    assert "Waiting for you" in customer_page and "Answered late" in customer_page
    queue = staff_en.get("/staff/tickets").get_data(as_text=True)
    assert "Needs an answer" in queue and "Answered in time" in queue and "Answer overdue" in queue


def test_staff_queue_sorted_by_time_left(staff_en, ctx):
    page = staff_en.get("/staff/tickets?sort=due").get_data(as_text=True)
    numbers = re.findall(r"S-\d{6}", page)
    waiting = [n for n in numbers if ticket(n).first_response_at is None and ticket(n).status != "closed"]
    assert numbers[:len(waiting)] == waiting  # the unanswered first
    dues = [ticket(n).response_due_at for n in waiting]
    assert dues == sorted(dues) and len(waiting) >= 3
    assert 'aria-current="page"' in page
    assert staff_en.get("/staff/tickets?sort=bogus&status=bogus").status_code == 200


def test_staff_answer_with_bad_input_changes_nothing(staff_en, ctx):
    item = ticket("S-100003")
    response = staff_en.post(f"/staff/tickets/{item.id}", data={"body": "x", "status": "bogus"})
    assert response.status_code == 422 and "Choose a status." in response.get_data(as_text=True)
    response = staff_en.post(f"/staff/tickets/{item.id}", data={"body": "x" * 5001, "status": "waiting"})
    assert response.status_code == 422
    # Save with nothing written: the form's suggested "waiting" would leave an unanswered ticket waiting for nothing
    response = staff_en.post(f"/staff/tickets/{item.id}", data={"body": " ", "status": "waiting"})
    assert response.status_code == 422 and "Write the answer first" in response.get_data(as_text=True)
    response = staff_en.post(f"/staff/tickets/{item.id}", data={"body": "", "status": item.status})
    assert response.status_code == 422 and "Write an answer, or choose another status." in response.get_data(as_text=True)
    after = ticket("S-100003")
    assert (after.status, after.first_response_at) == (item.status, None)
    assert TicketMessage.select().where(TicketMessage.ticket == item.id).count() == 1
    assert staff_en.get("/staff/tickets/999999").status_code == 404
    attachment = TicketAttachment.get(TicketAttachment.key == "demo-forbrug-marts")
    assert staff_en.get(f"/staff/tickets/{attachment.ticket_id}/attachments/{attachment.id}").status_code == 200
    assert staff_en.get(f"/staff/tickets/{item.id}/attachments/{attachment.id}").status_code == 404


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(demo_db_file, tmp_path):
    """The demo data on an app that mails through a real SMTP server (aiosmtpd)."""
    from aiosmtpd.controller import Controller

    class Collector:
        def __init__(self):
            self.envelopes = []

        async def handle_DATA(self, server, session, envelope):
            self.envelopes.append(envelope)
            return "250 Message accepted"

    handler = Collector()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    path = tmp_path / "smtp.db"
    shutil.copy(demo_db_file, path)
    app = make_app(path, SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, DATA_DIR=tmp_path / "data")
    yield app, handler
    controller.stop()
    if not db.is_closed():
        db.close()


def test_done_when_ticket_with_attachment_answered_by_staff_arrives_by_email(smtp):
    app, handler = smtp
    customer = app.test_client()
    sign_in(customer, "admin@demo.dk")
    customer.post("/settings/language", data={"language": "en", "next": "/"})
    assert post_ticket(customer, files=[("fejl.pdf", PDF)], category="fault_critical").status_code == 302
    item = SupportTicket.select().order_by(SupportTicket.id.desc()).first()
    assert "Awaiting answer" in customer.get(f"/support/{item.id}").get_data(as_text=True)

    staff = app.test_client()
    sign_in(staff, "staff@operator.dk")
    answer = "Vi har genstartet din forbindelse i netværket."
    assert staff.post(f"/staff/tickets/{item.id}", data={"body": answer, "status": "waiting"}).status_code == 302
    assert len(handler.envelopes) == 1
    envelope = handler.envelopes[0]
    assert envelope.rcpt_tos == ["admin@demo.dk"]
    mail = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    assert item.number in str(mail["Subject"]) and "Answer on support ticket" in str(mail["Subject"])
    body = mail.get_content()
    assert f"/support/{item.id}" in body and "Telefonen genstarter" in body  # the subject and the link
    assert answer not in body and "fejl.pdf" not in body  # nothing of the answer or the files
    assert OutboxMessage.select().order_by(OutboxMessage.id.desc()).first().status == "sent"

    after = ticket(item.number)
    assert after.status == "waiting" and after.first_response_at is not None
    page = customer.get(f"/support/{item.id}").get_data(as_text=True)
    assert answer in page and "Answered in time" in page and "Waiting for you" in page
    assert AuditEvent.select().where(AuditEvent.action == "ticket.staff_answer").exists()
    # a status change alone sends nothing
    assert staff.post(f"/staff/tickets/{item.id}", data={"body": "", "status": "closed"}).status_code == 302
    assert len(handler.envelopes) == 1 and ticket(item.number).status == "closed"


def test_the_danish_customer_gets_the_email_in_danish(staff_client, ctx):
    item = ticket("S-100003")
    assert staff_client.post(f"/staff/tickets/{item.id}", data={"body": "Vi kigger på det.", "status": "waiting"}).status_code == 302
    message = OutboxMessage.select().order_by(OutboxMessage.id.desc()).first()
    assert message.recipient == "admin@demo.dk" and item.number in message.subject
    assert "Vi kigger på det." not in message.body


# -- lists stay cheap --------------------------------------------------------------------------------

def _more_tickets(n):
    demo = Company.get(Company.cvr == "12345674")
    anne = User.get(User.email == "admin@demo.dk")
    salg = Account.get(Account.number == "40120029")
    now = utcnow()
    for i in range(n):
        SupportTicket.create(customer=demo.customer_id, company=demo.id, created_by=anne.id, number=f"S-9{i:05d}",
                             subject=f"Sag {i}", category="question", account=salg.id if i % 2 else None,
                             subscription=mette().id if i % 3 == 0 else None, created_at=now, updated_at=now,
                             response_due_at=add_working_hours(now, 16))


def test_ticket_lists_cost_the_same_few_queries_whatever_the_size(admin, staff_client, limited, ctx):
    for client in (admin, staff_client, limited):  # the first page of a session also stores its CSRF token
        client.get("/support/" if client is not staff_client else "/staff/tickets")
    admin.get("/")  # and the first front page reads the outages it then keeps (services/outages.py _Kept)
    before = (count_queries(admin, "/support/"), count_queries(staff_client, "/staff/tickets"),
              count_queries(staff_client, "/staff/tickets?sort=due"), count_queries(limited, "/support/"),
              count_queries(admin, "/"))
    _more_tickets(120)
    after = (count_queries(admin, "/support/"), count_queries(staff_client, "/staff/tickets"),
             count_queries(staff_client, "/staff/tickets?sort=due"), count_queries(limited, "/support/"),
             count_queries(admin, "/"))
    assert before == after and max(after) < 20, (before, after)
    assert count_queries(admin, "/support/?page=3") == after[0]


# -- outages -----------------------------------------------------------------------------------------

def outage_data(**overrides):
    data = {"title_da": "Nedbrud på 5G", "title_en": "5G down", "body_da": "Vi arbejder på det.",
            "body_en": "We are on it.", "severity": "major", "services": ["mobile"],
            "postal_codes": "1500-1699, 8000"}
    data.update(overrides)
    return data


def alerts_to(address):
    return OutboxMessage.select().where(OutboxMessage.recipient == address).order_by(OutboxMessage.id)


def test_staff_publish_update_and_resolve_an_outage_and_subscribers_are_told(staff_en, admin, ctx):
    before = alerts_to("drift@demo.dk").count()
    response = staff_en.post("/staff/outages", data=outage_data())
    assert response.status_code == 302
    outage = Outage.get(Outage.title_da == "Nedbrud på 5G")
    assert (outage.services, outage.postal_codes) == ("mobile", "1500-1699,8000")
    assert abs((outage.starts_at - utcnow()).total_seconds()) < 120 and outage.ends_at is None
    mails = list(alerts_to("drift@demo.dk"))
    assert len(mails) == before + 1 and "Nedbrud på 5G" in mails[-1].subject  # Demo A/S is in 1620
    assert "/outages" in mails[-1].body
    assert AuditEvent.select().where(AuditEvent.action == "outage.create").exists()
    front = admin.get("/").get_data(as_text=True)
    assert "5G down" in front

    response = staff_en.post(f"/staff/outages/{outage.id}", data=outage_data(
        title_da="Nedbrud på 5G i København", expected_end_at="2030-01-01T12:00", starts_at="2026-01-01T10:00"))
    assert response.status_code == 302
    updated = Outage.get_by_id(outage.id)
    assert updated.title_da == "Nedbrud på 5G i København"
    assert updated.expected_end_at == local(2030, 1, 1, 12) and updated.starts_at == local(2026, 1, 1, 10)
    assert AuditEvent.select().where(AuditEvent.action == "outage.update").exists()
    assert alerts_to("drift@demo.dk").count() == before + 1  # updates send nothing
    assert 'value="2030-01-01T12:00"' in staff_en.get(f"/staff/outages/{outage.id}").get_data(as_text=True)

    assert staff_en.post(f"/staff/outages/{outage.id}/end").status_code == 302
    assert Outage.get_by_id(outage.id).ends_at is not None
    assert "Resolved" in alerts_to("drift@demo.dk").order_by(OutboxMessage.id.desc()).first().subject or \
        "Løst" in alerts_to("drift@demo.dk").order_by(OutboxMessage.id.desc()).first().subject
    assert "5G down" not in admin.get("/").get_data(as_text=True)
    assert staff_en.post(f"/staff/outages/{outage.id}/end", follow_redirects=True).status_code == 200
    assert alerts_to("drift@demo.dk").count() == before + 2
    assert AuditEvent.select().where(AuditEvent.action == "outage.end").exists()


def test_an_outage_elsewhere_sends_no_email(staff_en, ctx):
    before = OutboxMessage.select().count()
    assert staff_en.post("/staff/outages", data=outage_data(postal_codes="9000-9990")).status_code == 302
    assert OutboxMessage.select().count() == before
    # the whole country touches everyone
    assert staff_en.post("/staff/outages", data=outage_data(title_da="Landsdækkende", postal_codes="")).status_code == 302
    assert alerts_to("drift@demo.dk").order_by(OutboxMessage.id.desc()).first().subject.endswith("Landsdækkende")


def test_outage_bad_input_shows_every_error(staff_en, ctx):
    before = Outage.select().count()
    response = staff_en.post("/staff/outages", data=outage_data(
        title_da="", services=[], postal_codes="12a, 9999-1000, 0500", starts_at="i morgen",
        expected_end_at="2020-01-01T10:00"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    for text in ("Write a title.", "Choose the services", "12a, 9999-1000, 0500", "Enter a date and time"):
        assert text in page, text
    response = staff_en.post("/staff/outages", data=outage_data(starts_at="2026-01-01T10:00",
                                                                 expected_end_at="2026-01-01T09:00"))
    assert response.status_code == 422 and "must be after the start" in response.get_data(as_text=True)
    assert staff_en.post("/staff/outages", data=outage_data(services=["mobile", "tv"])).status_code == 422
    assert Outage.select().count() == before
    assert staff_en.get("/staff/outages/999999").status_code == 404
    assert staff_en.post("/staff/outages/999999/end").status_code == 404


def test_parse_postal_codes():
    from services.outages import parse_postal_codes, postal_code_in

    assert parse_postal_codes("8000, 1000-1499;1500 - 1600 2100") == ("1000-1600,2100,8000", None)
    assert parse_postal_codes("") == ("", None)
    assert parse_postal_codes("0800")[0] == "0800"
    assert parse_postal_codes("123, 99999")[1]
    assert postal_code_in("Vesterbrogade 149, 1620 København V") == "1620"
    assert postal_code_in("Nørregade 1000, 8000 Aarhus C") == "8000"
    assert postal_code_in("Ingen kode") is None


def test_front_page_shows_outages_touching_the_company_first(staff_en, admin, ctx):
    # a newer outage elsewhere is still shown after the one in Demo A/S's area
    assert staff_en.post("/staff/outages", data=outage_data(title_da="Nedbrud i Skagen", title_en="Down in Skagen",
                                                              postal_codes="9990")).status_code == 302
    page = admin.get("/").get_data(as_text=True)
    copenhagen, skagen = page.index("Unstable mobile data in Greater Copenhagen"), page.index("Down in Skagen")
    assert copenhagen < skagen
    flag = page[copenhagen:skagen]
    assert "Affects your addresses" in flag


def test_postal_codes_of_the_company_in_one_query(app, ctx):
    from services.outages import postal_codes_of
    from services.scope import build_scope
    from tests.conftest import _QueryLog

    anne = User.get(User.email == "admin@demo.dk")
    membership = Membership.get(Membership.user == anne.id, Membership.company == Company.get(Company.cvr == "12345674"))
    scope = build_scope(membership)
    import logging

    counter, log = _QueryLog(), logging.getLogger("peewee")
    log.addHandler(counter)
    log.setLevel(logging.DEBUG)
    try:
        codes = postal_codes_of(scope)
    finally:
        log.removeHandler(counter)
        log.setLevel(logging.INFO)
    assert len(counter.sql) == 1
    assert {"1620", "2605", "8000"} <= codes  # the company, the Lager line's installation address, the subsidiary
    bent = Membership.get(Membership.user == User.get(User.email == "begraenset@demo.dk").id)
    assert "2605" not in postal_codes_of(build_scope(bent))  # not the limited user's account


def test_outages_page_lists_current_planned_and_recent_and_filters_by_service(admin, other_admin, ctx):
    page = admin.get("/outages").get_data(as_text=True)
    for title in ("Unstable mobile data in Greater Copenhagen", "Fibre cut in Odense", "Planned work on circuits",
                  "Internet down in Brøndby", "Planned landline maintenance"):
        assert title in page, title
    assert "Delayed text messages" not in page  # resolved 20 days ago
    assert page.index("Internet down in Brøndby") > page.index("Fibre cut in Odense")
    internet = admin.get("/outages?service=internet", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in internet and "Fibre cut in Odense" in internet and "Unstable mobile data" not in internet
    other = other_admin.get("/outages").get_data(as_text=True)
    # Odense touches Anden Kunde ApS (5000), so it comes first there
    assert other.index("Fibre cut in Odense") < other.index("Unstable mobile data")
    assert "drift@demo.dk" not in other


def test_admin_subscribes_the_company_to_outage_emails(admin, limited, ctx):
    response = admin.post("/outages/alerts", data={"emails": "drift@demo.dk, it@demo.dk", "language": "en"})
    assert response.status_code == 302
    alert = OutageAlert.get(OutageAlert.company == Company.get(Company.cvr == "12345674"))
    assert (alert.emails, alert.language) == ("drift@demo.dk,it@demo.dk", "en")
    assert AuditEvent.select().where(AuditEvent.action == "outage.alerts").exists()
    response = admin.post("/outages/alerts", data={"emails": "drift@demo.dk, ikke-en-adresse", "language": "da"})
    assert response.status_code == 422 and "ikke-en-adresse" in response.get_data(as_text=True)
    assert OutageAlert.get_by_id(alert.id).emails == "drift@demo.dk,it@demo.dk"
    assert admin.post("/outages/alerts", data={"emails": "a@demo.dk", "language": "xx"}).status_code == 422
    assert "f-emails" in admin.get("/outages").get_data(as_text=True)
    assert limited.post("/outages/alerts", data={"emails": "x@demo.dk", "language": "da"}).status_code == 403
    assert 'id="alerts"' not in limited.get("/outages").get_data(as_text=True)
    assert admin.post("/outages/alerts", data={"emails": "", "language": "da"}).status_code == 302
    assert OutageAlert.get_by_id(alert.id).emails == ""


def test_outage_emails_in_the_chosen_language(staff_en, admin, ctx):
    admin.post("/outages/alerts", data={"emails": "it@demo.dk", "language": "en"})
    assert staff_en.post("/staff/outages", data=outage_data()).status_code == 302
    mail = alerts_to("it@demo.dk").first()
    assert mail.subject == "Outage: 5G down" and "Mobile" in mail.body and "1500-1699, 8000" in mail.body


def test_customers_cannot_reach_the_staff_outage_and_ticket_views(admin, ctx):
    outage = Outage.select().first()
    item = ticket("S-100001")
    for url in ("/staff/outages", f"/staff/outages/{outage.id}", f"/staff/tickets/{item.id}"):
        assert admin.get(url).status_code == 403
    assert admin.post(f"/staff/outages/{outage.id}/end").status_code == 403
    assert Outage.get_by_id(outage.id).ends_at == outage.ends_at


def test_staff_answer_over_the_upload_limit_is_refused_with_a_message(staff_en, ctx, monkeypatch):
    from services import ticket_files

    monkeypatch.setattr(ticket_files, "REQUEST_LIMIT", 50_000)
    item = ticket("S-100003")
    response = staff_en.post(f"/staff/tickets/{item.id}", data={
        "body": "Se vedhæftet", "status": "waiting", "attachments": [(io.BytesIO(b"a" * 60_000), "a.txt")]},
        content_type="multipart/form-data")
    assert response.status_code == 413 and "too large" in response.get_data(as_text=True)
    assert ticket("S-100003").first_response_at is None


def test_a_files_size_is_written_in_bytes_kilobytes_or_megabytes(admin, ctx, data_dir):
    response = post_ticket(admin, files=[("note.txt", b"hello"), ("lang.txt", b"x" * 1500)])
    item = SupportTicket.select().order_by(SupportTicket.id.desc()).first()
    page = admin.get(f"/support/{item.id}").get_data(as_text=True)
    assert response.status_code == 302 and "(5 bytes)" in page and "(2 kB)" in page
