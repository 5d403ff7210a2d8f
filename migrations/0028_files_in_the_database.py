"""Ticket attachments kept in the database, and e-mails that name their attachment by its key (issue 10).

Everything a second web machine needs goes through PostgreSQL and Redis. A ticket's attachment
was a file under DATA_DIR/attachments on the machine that received it (any other machine
answered 404), and an e-mail's PDF was named in the outbox by its path in a machine's cache of
the stored PDFs. Now each attachment is the stored file "attachment:<key>" (services/ticket_files.py),
read here from DATA_DIR/attachments, or for the demo data's two files from the code that makes
them. With several web machines each held the files it received: the release step imports this
machine's, says how many it did not find, and `flask import-attachments` imports the rest on each
other machine (an attachment whose file is nowhere answers 404, as before). The outbox names the
stored file ("document:v1/invoice-7-da.pdf" for "documents/v1/invoice-7-da.pdf"). The files on
disk are left where they are: the down migration writes back any that were made since. An .xlsx
type is 65 characters, so a stored file's type may now be 100 long (PostgreSQL; SQLite does not
hold a text to its declared length).
"""
import contextlib
import logging
import os
import re
from pathlib import Path

from flask import current_app, has_app_context
from peewee import PostgresqlDatabase

log = logging.getLogger(__name__)
PART_SIZE = 1 << 20  # as services/stored_files.py
PREFIX = "attachment:"


def _folder():
    data_dir = (current_app.config["DATA_DIR"] if has_app_context()
                else os.environ.get("DATA_DIR", Path(__file__).resolve().parent.parent / "instance"))
    return Path(data_dir) / "attachments"


def _content(folder, key):
    if not re.fullmatch(r"[0-9a-z-]{8,40}", key):  # the server's keys only: nothing outside the folder
        return None
    path = folder / key
    if path.is_file():
        return path.read_bytes()
    if key.startswith("demo-"):
        from services.demo_support import demo_file  # the demo data's files are made by the code

        return demo_file(key)
    return None


def _cursor(db):
    """Values bound apart from the SQL text on PostgreSQL (as models.database.bound_cursor)."""
    if isinstance(db, PostgresqlDatabase):
        import psycopg

        return psycopg.Cursor(db.connection())
    return contextlib.closing(db.cursor())


def up(migrator, db):
    if isinstance(db, PostgresqlDatabase):
        db.execute_sql("ALTER TABLE stored_file ALTER COLUMN content_type TYPE VARCHAR(100)")
    p = db.param
    folder = _folder()
    kept = {key for (key,) in db.execute_sql(f"SELECT key FROM stored_file WHERE key LIKE {p}", (PREFIX + "%",))}
    attachments = db.execute_sql("SELECT key, mime_type, created_at FROM ticket_attachment ORDER BY id").fetchall()
    missing = 0
    for key, mime_type, created_at in attachments:
        content = None if PREFIX + key in kept else _content(folder, key)
        if content is None:
            missing += PREFIX + key not in kept
            continue
        with _cursor(db) as cursor:
            cursor.execute(f"INSERT INTO stored_file (created_at, key, job_id, content_type, size) "
                           f"VALUES ({p}, {p}, NULL, {p}, {p}) RETURNING id",
                           (created_at, PREFIX + key, mime_type, len(content)))
            file_id = cursor.fetchone()[0]
            for number, at in enumerate(range(0, len(content), PART_SIZE)):
                cursor.execute(f"INSERT INTO stored_file_part (file_id, number, data) VALUES ({p}, {p}, {p})",
                               (file_id, number, content[at:at + PART_SIZE]))
    db.execute_sql(f"UPDATE outbox_message SET attachment = 'document:' || substr(attachment, 11) "
                   f"WHERE attachment LIKE {p}", ("documents/%",))
    if missing:
        log.warning("0028: %d ticket attachments are not in %s: run `flask import-attachments` on each web "
                    "machine that received attachments", missing, folder)


def down(migrator, db):
    p = db.param
    folder = _folder()
    folder.mkdir(parents=True, exist_ok=True)
    files = db.execute_sql(f"SELECT id, key FROM stored_file WHERE key LIKE {p}", (PREFIX + "%",)).fetchall()
    for file_id, key in files:
        parts = db.execute_sql(f"SELECT data FROM stored_file_part WHERE file_id = {p} ORDER BY number", (file_id,))
        path = folder / key[len(PREFIX):]
        if re.fullmatch(r"[0-9a-z-]{8,40}", path.name) and not path.exists():
            path.write_bytes(b"".join(bytes(data) for (data,) in parts))
    db.execute_sql(f"DELETE FROM stored_file_part WHERE file_id IN (SELECT id FROM stored_file WHERE key LIKE {p})",
                   (PREFIX + "%",))
    db.execute_sql(f"DELETE FROM stored_file WHERE key LIKE {p}", (PREFIX + "%",))
    db.execute_sql(f"UPDATE outbox_message SET attachment = 'documents/' || substr(attachment, 10) "
                   f"WHERE attachment LIKE {p}", ("document:%",))
    if isinstance(db, PostgresqlDatabase):
        db.execute_sql("ALTER TABLE stored_file ALTER COLUMN content_type TYPE VARCHAR(64)")
