"""Files kept in the database in parts: stored whole or not at all, sent a part at a time, their
parts deleted with them, and the files of before the parts carried over by the migration."""
import pytest
from peewee import IntegrityError, SqliteDatabase
from playhouse.migrations import Runner

from jobs import enqueue
from jobs.exports import export_subscriptions_csv
from models import JobRecord, Membership, StoredFile, StoredFilePart, User, db, utcnow
from models.database import MIGRATIONS_DIR
from services import exports, stored_files


@pytest.fixture(autouse=True)
def small_parts(app, tmp_path, monkeypatch):
    """Parts of 1 KiB, so that a demo export spans many; export scratch files in the test's folder."""
    monkeypatch.setattr(stored_files, "PART_SIZE", 1024)
    app.config["DATA_DIR"] = str(tmp_path / "data")


def _parts(key):
    stored = StoredFile.get(StoredFile.key == key)
    return [len(bytes(data)) for (data,) in StoredFilePart.select(StoredFilePart.data)
            .where(StoredFilePart.file == stored.id).order_by(StoredFilePart.number).tuples()]


def test_a_file_is_kept_in_parts_and_read_back_whole(ctx, tmp_path, monkeypatch):
    data = bytes(range(256)) * 20 + b"end"  # 5,123 bytes: five whole parts and a short one
    path = tmp_path / "file.bin"
    path.write_bytes(data)
    assert stored_files.store("test:path", path, "application/octet-stream", job_id="j1") == len(data)
    assert stored_files.store("test:bytes", data, "application/pdf") == len(data)
    assert _parts("test:path") == [1024] * 5 + [3]
    stored, content = stored_files.parts("test:path")
    assert stored.size == len(data) and stored.job_id == "j1" and stored.content_type == "application/octet-stream"
    assert b"".join(content) == data
    assert stored_files.content("test:bytes") == data
    monkeypatch.setattr(stored_files, "PART_SIZE", 4096)  # a later release's part size reads it whole too
    assert b"".join(stored_files.parts("test:path")[1]) == data
    assert stored_files.exists("test:bytes") and not stored_files.exists("test:none")
    assert stored_files.parts("test:none") is None and stored_files.content("test:none") is None
    assert stored_files.store("test:empty", b"", "text/csv") == 0
    assert stored_files.content("test:empty") == b""


def test_a_second_file_under_a_key_is_refused_and_leaves_no_parts(ctx):
    stored_files.store("test:once", b"a" * 3000, "text/csv")
    before = StoredFilePart.select().count()
    with pytest.raises(IntegrityError):
        stored_files.store("test:once", b"b" * 3000, "text/csv")
    assert StoredFilePart.select().count() == before
    assert stored_files.content("test:once") == b"a" * 3000


def test_deleting_a_file_deletes_its_parts_and_ends_a_send_under_way(ctx):
    stored_files.store("test:gone", b"x" * 5000, "text/csv")
    stored_files.store("test:other", b"y" * 5000, "text/csv")
    _stored, content = stored_files.parts("test:gone")
    assert next(content) == b"x" * 1024
    stored_files.delete(["test:gone"])
    assert list(content) == []  # nothing more, and nothing of another file
    assert not StoredFilePart.select().join(StoredFile).where(StoredFile.key == "test:gone").exists()
    assert stored_files.content("test:other") == b"y" * 5000


def test_a_send_after_its_request_holds_no_connection_between_parts(app):
    """A response's content is read after the request gave its connection back: each part then takes
    a connection of its own and gives it back before the part is sent."""
    with app.app_context():
        with db.connection_context():
            stored_files.store("test:held", b"z" * 3000, "text/csv")
            _stored, content = stored_files.parts("test:held")
        assert db.is_closed()
        assert next(content) == b"z" * 1024
        assert db.is_closed()  # not held while the client reads the part
        content.close()  # the client went away: nothing to give back
        with db.connection_context():
            stored_files.delete(["test:held"])


def test_a_send_under_way_never_goes_on_with_a_file_stored_after_it(ctx):
    """SQLite gives the id of a deleted newest row to the next one: the purge of a file being sent,
    then another customer's export, or a retried job storing its file again."""
    for key, stored_again in (("export:a", "export:b"), ("export:c", "export:c")):
        stored_files.store(key, b"x" * 5000, "text/csv")
        first, content = stored_files.parts(key)
        assert next(content) == b"x" * 1024
        stored_files.delete([key])
        stored_files.store(stored_again, b"y" * 5000, "text/csv")
        assert StoredFile.get(StoredFile.key == stored_again).id == first.id  # the id came back
        assert list(content) == []
        stored_files.delete([stored_again])


def test_a_file_that_fails_while_stored_leaves_nothing(ctx, monkeypatch):
    """The row and every part in one transaction: a failure at the third part keeps none of them."""
    real, calls = stored_files.bound_cursor, []

    def failing_third():
        calls.append(1)
        if len(calls) == 3:
            raise OSError("disk full")
        return real()

    monkeypatch.setattr(stored_files, "bound_cursor", failing_third)
    with pytest.raises(OSError):
        stored_files.store("test:half", b"z" * 5000, "application/pdf")
    assert len(calls) == 3
    assert not stored_files.exists("test:half")
    assert not StoredFilePart.select().join(StoredFile, on=(StoredFilePart.file == StoredFile.id)).where(
        StoredFile.key == "test:half").exists()
    assert StoredFilePart.select().count() == StoredFilePart.select().join(StoredFile).count()  # no orphan parts


def test_an_export_is_downloaded_from_its_parts(app, admin, ctx):
    user = User.get(User.email == "admin@demo.dk")
    membership = Membership.get(Membership.user == user)
    with app.app_context():
        job_id = enqueue(export_subscriptions_csv, membership.id, {}, track=True, user_id=user.id,
                         company_id=membership.company_id)
    assert JobRecord.get_by_id(job_id).status == "finished"
    key = exports.EXPORT_KEY + job_id
    with app.app_context():
        scratch = exports.export_path(job_id).read_bytes()
    assert len(_parts(key)) > 3  # the demo export is several KiB
    status = admin.get(f"/subscriptions/export/{job_id}")
    assert f"/subscriptions/export/{job_id}/download".encode() in status.data
    download = admin.get(f"/subscriptions/export/{job_id}/download")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert download.headers["Content-Length"] == str(len(scratch))
    assert download.headers["Content-Disposition"] == f"attachment; filename=abonnementer-{utcnow():%Y-%m-%d}.csv"
    assert download.data == scratch
    stored_files.delete([key])  # purged: the status says so and the download is gone
    assert f"/subscriptions/export/{job_id}/download".encode() not in admin.get(f"/subscriptions/export/{job_id}").data
    assert admin.get(f"/subscriptions/export/{job_id}/download").status_code == 404


def test_the_migration_moves_each_stored_file_into_one_part(tmp_path):
    database = SqliteDatabase(str(tmp_path / "old.db"), pragmas={"foreign_keys": 1})
    runner = Runner(database, MIGRATIONS_DIR)
    with database.connection_context():
        runner.up("0026_subscription_tally")
        database.execute_sql("INSERT INTO stored_file (created_at, key, job_id, content_type, size, data) "
                             "VALUES ('2026-11-01 10:00:00', 'document:v1/invoice-7-da.pdf', NULL, "
                             "'application/pdf', 4, ?)", (b"%PDF",))
        runner.up()
        columns = [column.name for column in database.get_columns("stored_file")]
        assert "data" not in columns
        rows = database.execute_sql("SELECT f.key, p.number, p.data FROM stored_file_part p "
                                    "JOIN stored_file f ON f.id = p.file_id").fetchall()
        assert rows == [("document:v1/invoice-7-da.pdf", 0, b"%PDF")]
        file_id = database.execute_sql("SELECT id FROM stored_file").fetchone()[0]
        database.execute_sql("INSERT INTO stored_file (created_at, key, job_id, content_type, size) "
                             "VALUES ('2026-11-01 10:00:00', 'export:two-parts', NULL, 'text/csv', 4)")
        database.execute_sql("INSERT INTO stored_file_part (file_id, number, data) SELECT id, n, ? FROM stored_file, "
                             "(SELECT 0 AS n UNION SELECT 1) WHERE key = 'export:two-parts'", (b"ab",))
        runner.down("0027_stored_file_parts")  # back: a file of one part whole, longer ones dropped
        rows = database.execute_sql("SELECT id, key, data FROM stored_file").fetchall()
        assert rows == [(file_id, "document:v1/invoice-7-da.pdf", b"%PDF")]
        assert "stored_file_part" not in database.get_tables()
    database.close()


def test_the_migration_keeps_ticket_attachments_in_the_database_and_outbox_keys(tmp_path, monkeypatch, caplog):
    """0028: an attachment on this machine's disk, a demo one made by the code, one whose file was
    gone, and an e-mail naming its PDF by path; and back."""
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))  # no app: the migration reads the environment
    folder = tmp_path / "data" / "attachments"
    folder.mkdir(parents=True)
    (folder / "0123456789abcdef0123456789abcdef").write_bytes(b"x" * 2_500_000)  # three parts
    database = SqliteDatabase(str(tmp_path / "old.db"), pragmas={"foreign_keys": 0})  # rows without parents
    runner = Runner(database, MIGRATIONS_DIR)
    with database.connection_context():
        runner.up("0027_stored_file_parts")
        for n, key in enumerate(("0123456789abcdef0123456789abcdef", "demo-skaermbillede", "fedcba9876543210fedcba9876543210")):
            database.execute_sql("INSERT INTO ticket_attachment (created_at, ticket_id, message_id, key, name, mime_type, size) "
                                 "VALUES ('2026-11-01 10:00:00', 1, ?, ?, 'f', 'text/plain', 1)", (n + 1, key))
        database.execute_sql("INSERT INTO outbox_message (created_at, channel, recipient, subject, body, status, attempts, "
                             "error, sensitive, attachment, attachment_name, attachment_type) VALUES ('2026-11-01 10:00:00', "
                             "'email', 'a@demo.dk', 's', 'b', 'sent', 1, '', 0, 'documents/v1/invoice-7-da.pdf', "
                             "'faktura.pdf', 'application/pdf')")
        runner.up()
        assert "0028: 1 ticket attachments are not in" in caplog.text and "flask import-attachments" in caplog.text

        def kept():
            rows = database.execute_sql("SELECT f.key, f.size, p.number, length(p.data) FROM stored_file f "
                                        "JOIN stored_file_part p ON p.file_id = f.id ORDER BY f.key, p.number").fetchall()
            return [(key[len("attachment:"):], size, number, length) for key, size, number, length in rows]

        assert kept() == [("0123456789abcdef0123456789abcdef", 2_500_000, 0, 1 << 20),
                          ("0123456789abcdef0123456789abcdef", 2_500_000, 1, 1 << 20),
                          ("0123456789abcdef0123456789abcdef", 2_500_000, 2, 2_500_000 - (2 << 20)),
                          ("demo-skaermbillede", kept()[3][1], 0, kept()[3][1])]  # the gone one stays gone
        assert database.execute_sql("SELECT attachment FROM outbox_message").fetchone() == ("document:v1/invoice-7-da.pdf",)
        (folder / "0123456789abcdef0123456789abcdef").unlink()  # a machine with an empty disk
        runner.down("0028_files_in_the_database")
        assert (folder / "0123456789abcdef0123456789abcdef").read_bytes() == b"x" * 2_500_000
        assert (folder / "demo-skaermbillede").read_bytes().startswith(b"\x89PNG")
        assert database.execute_sql("SELECT count(*) FROM stored_file").fetchone() == (0,)
        assert database.execute_sql("SELECT count(*) FROM stored_file_part").fetchone() == (0,)
        assert database.execute_sql("SELECT attachment FROM outbox_message").fetchone() == ("documents/v1/invoice-7-da.pdf",)
    database.close()
