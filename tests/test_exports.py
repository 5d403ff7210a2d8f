"""The one export module: the Danish-Excel dialect, the formula guard, streaming with
progress, file paths, the purge of old files, and the audit trail's export on top of it."""
import csv
import datetime
import decimal
import io
import os
import time

import pytest

from jobs import enqueue
from jobs.exports import export_audit_csv
from jobs.maintenance import purge_expired
from models import AuditEvent, Company, JobRecord, Membership, User
from services import exports


@pytest.fixture(autouse=True)
def data_dir(app, tmp_path):
    """Export files of a test go to its own folder."""
    app.config["DATA_DIR"] = str(tmp_path / "data")



def test_spreadsheet_safe_neutralises_formula_starts():
    for text in ('=HYPERLINK("http://evil.example","x")', "+45 20 00 00 01", "-1+2", "@SUM(A1)",
                 "\tx", "\rx"):
        assert exports.spreadsheet_safe(text) == "'" + text
    assert exports.spreadsheet_safe("Mette Jensen") == "Mette Jensen"
    assert exports.spreadsheet_safe(None) == ""


def test_cells_are_written_the_danish_way():
    assert exports.cell(datetime.date(2024, 3, 7)) == "07-03-2024"
    assert exports.cell(datetime.datetime(2024, 3, 7, 9, 5, 1)) == "07-03-2024 09:05:01"
    assert exports.cell(decimal.Decimal("1234.5")) == "1234,50"
    assert exports.cell(12.25) == "12,25"
    assert exports.cell(-3) == "-3"  # our own numbers are not formulas
    assert exports.cell(None) == ""
    assert exports.cell("=1+1") == "'=1+1"


def test_write_csv_streams_rows_with_bom_semicolons_and_progress(app, tmp_path):
    seen = []

    def rows():  # a generator: the writer never needs the whole list
        for i in range(1200):
            yield (f"Navn {i}", datetime.date(2024, 1, 2), decimal.Decimal("9.5"), "=evil")

    path = tmp_path / "out.csv"
    with app.app_context():
        count = exports.write_csv(path, ("name", "date", "amount", "note"), rows(), total=1200,
                                  progress=seen.append)
    assert count == 1200
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw.decode("utf-8-sig").split("\r\n")
    assert lines[0] == "name;date;amount;note"
    assert lines[1] == "Navn 0;02-01-2024;9,50;'=evil"
    assert seen == [41, 83] and all(0 < p < 100 for p in seen)
    assert not (tmp_path / "out.csv.part").exists()


def test_a_failed_write_leaves_no_file(app, tmp_path):
    def rows():
        yield ("a",)
        raise RuntimeError("database went away")

    path = tmp_path / "out.csv"
    with pytest.raises(RuntimeError):
        exports.write_csv(path, ("x",), rows())
    assert not path.exists() and not (tmp_path / "out.csv.part").exists()


def test_export_path_is_under_data_dir_and_takes_only_uuids(app):
    with app.app_context():
        path = exports.export_path("6f1c2a3b-0000-4000-8000-000000000001")
        assert path.parent == exports.export_folder() and path.name.endswith(".csv")
        assert str(path).startswith(str(app.config["DATA_DIR"]))
        with pytest.raises(ValueError):
            exports.export_path("../../app")


def _old(path, hours=25):
    stamp = time.time() - hours * 3600
    os.utime(path, (stamp, stamp))


def test_purge_removes_files_older_than_a_day_and_their_results(admin, app, ctx):
    admin.post("/subscriptions/export", data={})
    old_job = JobRecord.select().order_by(JobRecord.created_at.desc()).first()
    admin.post("/subscriptions/export", data={"kind": "mobile"})
    new_job = JobRecord.select().order_by(JobRecord.created_at.desc()).first()
    assert old_job.id != new_job.id
    with app.app_context():
        old_path, new_path = exports.export_path(old_job.id), exports.export_path(new_job.id)
        orphan = exports.export_folder() / "leftover.csv.part"
    orphan.write_text("half")
    _old(old_path)
    _old(orphan)
    with app.app_context():
        job_id = enqueue(purge_expired, track=True)
    record = JobRecord.get_by_id(job_id)
    assert record.status == "finished" and "1 export files" in record.result
    assert not old_path.exists() and not orphan.exists() and new_path.exists()
    purged = JobRecord.get_by_id(old_job.id)
    assert purged.result == "" and purged.message == exports.EXPIRED
    assert JobRecord.get_by_id(new_job.id).result != ""
    # the page says the file is gone; the download is 404
    page = admin.get(f"/subscriptions/export/{old_job.id}", headers={"Accept-Language": "en"})
    assert "The file has been deleted" in page.get_data(as_text=True)
    assert admin.get(f"/subscriptions/export/{old_job.id}/download").status_code == 404
    assert admin.get(f"/subscriptions/export/{new_job.id}/download").status_code == 200


def test_audit_trail_export_runs_on_the_export_module(admin, ctx):
    demo_a = Company.get(Company.cvr == "12345674")
    AuditEvent.create(action="ticket.create", company=demo_a.id, object_id="=cmd|' /C calc'!A0")
    response = admin.post("/users/audit/export", data={"kind": "ticket"})
    job = JobRecord.select().order_by(JobRecord.created_at.desc()).first()
    assert response.headers["Location"] == f"/users/audit/export/{job.id}"
    assert job.name == "export_audit_csv" and job.status == "finished"
    download = admin.get(f"/users/audit/export/{job.id}/download")
    assert download.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(download.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Tidspunkt"  # the page's language (Danish); times are local
    assert any(r[6] == "'=cmd|' /C calc'!A0" for r in rows[1:])
    assert all(len(r[0]) == 19 and r[0][2] == "-" and r[0][5] == "-" for r in rows[1:])  # dd-mm-yyyy hh:mm:ss
    status = admin.get(f"/users/audit/export/{job.id}").get_data(as_text=True)
    assert f"/users/audit/export/{job.id}/download" in status
    # a subscription export page does not open an audit job
    assert admin.get(f"/subscriptions/export/{job.id}").status_code == 404


def test_audit_export_job_takes_the_membership_and_checks_the_right(app, ctx):
    user = User.get(User.email == "begraenset@demo.dk")  # no `users` right
    membership = Membership.get(Membership.user == user)
    with app.app_context():
        job_id = enqueue(export_audit_csv, membership.id, {}, track=True, user_id=user.id,
                         company_id=membership.company_id)
    assert JobRecord.get_by_id(job_id).status == "failed"


def test_an_export_job_of_a_removed_membership_fails(app, ctx):
    user = User.get(User.email == "admin@demo.dk")
    membership = Membership.get(Membership.user == user)
    membership_id, company_id = membership.id, membership.company_id
    Membership.delete().where(Membership.id == membership_id).execute()
    with app.app_context():
        job_id = enqueue(export_audit_csv, membership_id, {}, track=True, user_id=user.id, company_id=company_id)
    assert JobRecord.get_by_id(job_id).status == "failed"
