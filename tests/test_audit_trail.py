"""The company's audit trail: who did what, filters, CSV export by a job, scoping."""
import csv
import io

import pytest

from models import AuditEvent, Company, JobRecord, User


@pytest.fixture(autouse=True)
def data_dir(app, tmp_path):
    """Export files of a test go to its own folder."""
    app.config["DATA_DIR"] = str(tmp_path / "data")


def test_admin_sees_the_trail_with_login_events(admin, ctx):
    user = User.get(User.email == "begraenset@demo.dk")
    AuditEvent.create(action="auth.login", user=user.id, object_type="user", object_id=str(user.id), ip="10.0.0.7")
    page = admin.get("/users/audit").get_data(as_text=True)
    assert "auth.login" in page and "10.0.0.7" in page


def test_filters_by_kind_user_and_date(admin, ctx):
    demo_a = Company.get(Company.cvr == "12345674")
    anne = User.get(User.email == "admin@demo.dk")
    AuditEvent.create(action="ticket.create", user=anne.id, company=demo_a.id, object_type="supportticket", object_id="1")
    AuditEvent.create(action="settings.language", user=anne.id, company=demo_a.id)
    page = admin.get("/users/audit?kind=ticket", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "ticket.create" in page and "settings.language" not in page and "<html" not in page
    assert "ticket.create" not in admin.get("/users/audit?from=2000-01-01&to=2000-01-02").get_data(as_text=True)
    bent = User.get(User.email == "begraenset@demo.dk")
    assert "ticket.create" not in admin.get(f"/users/audit?user={bent.id}").get_data(as_text=True)
    # bad filter values are ignored, not a 500
    assert admin.get("/users/audit?from=yesterday&user=abc&kind=nope").status_code == 200


def test_other_customers_events_are_not_shown(admin, ctx):
    anden = Company.get(Company.cvr == "31313139")
    ane = User.get(User.email == "admin@anden.dk")
    AuditEvent.create(action="ticket.create", user=ane.id, company=anden.id, object_id="anden-secret")
    AuditEvent.create(action="auth.login", user=ane.id, object_id="anden-login")
    page = admin.get("/users/audit").get_data(as_text=True)
    assert "anden-secret" not in page and "anden-login" not in page


def test_csv_export_runs_as_a_job_and_downloads(admin, ctx):
    demo_a = Company.get(Company.cvr == "12345674")
    AuditEvent.create(action="ticket.create", company=demo_a.id, object_id="øst-1", details='{"number": "S-1"}')
    response = admin.post("/users/audit/export", data={"kind": "ticket"})
    assert response.status_code == 302
    job = JobRecord.select().order_by(JobRecord.created_at.desc()).first()
    assert job.status == "finished" and job.progress == 100
    status = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert f"/users/audit/export/{job.id}/download" in status
    download = admin.get(f"/users/audit/export/{job.id}/download")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment; filename=audit-trail-")
    rows = list(csv.reader(io.StringIO(download.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "time_utc" and any("øst-1" in r for r in rows[1:])
    assert all(r[3].startswith("ticket.") for r in rows[1:])
    assert AuditEvent.select().where(AuditEvent.action == "user.audit_export").exists()


def test_export_of_another_user_is_404(admin, other_admin, ctx):
    admin.post("/users/audit/export", data={})
    job = JobRecord.select().order_by(JobRecord.created_at.desc()).first()
    assert other_admin.get(f"/users/audit/export/{job.id}").status_code == 404
    assert other_admin.get(f"/users/audit/export/{job.id}/download").status_code == 404


def test_limited_user_without_users_right_gets_403(limited):
    assert limited.get("/users/audit").status_code == 403
    assert limited.post("/users/audit/export").status_code == 403
