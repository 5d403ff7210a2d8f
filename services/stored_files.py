"""Files kept in the database (StoredFile and its parts), where every machine finds what any made.

A file is stored in parts of PART_SIZE, its row and all its parts in one transaction: it is whole
whenever it is visible, and neither the worker that stores a 100 MB export nor the web process
that sends it holds more than a part in memory.
"""
import contextlib
import io
import itertools
from pathlib import Path

from models import StoredFile, StoredFilePart, db
from models.database import bound_cursor

PART_SIZE = 1 << 20
_INSERT_PART = "INSERT INTO stored_file_part (file_id, number, data) VALUES ({0}, {0}, {0})"


def store(key, content, content_type, job_id=None):
    """Keep `content` (bytes, or the path of a file) under `key`; returns its size.

    :raise peewee.IntegrityError: a file is kept under `key` already.
    """
    source = io.BytesIO(content) if isinstance(content, bytes) else Path(content).open("rb")
    with source, db.atomic():
        stored = StoredFile.create(key=key, job_id=job_id, content_type=content_type, size=0)
        number = size = 0
        while part := source.read(PART_SIZE):
            with bound_cursor() as cursor:
                cursor.execute(_INSERT_PART.format(db.param), (stored.id, number, part))
            number, size = number + 1, size + len(part)
        StoredFile.update(size=size).where(StoredFile.id == stored.id).execute()
    return size


def exists(key):
    """Whether a file is kept under `key` (its content is not read)."""
    return StoredFile.select(StoredFile.id).where(StoredFile.key == key).exists()


def parts(key):
    """The file kept under `key`: its row and an iterator of its content, read one query a part; None
    when there is no such file. Parts are read by number until one is missing, so a file deleted (or
    stored again) while it is being sent ends early, short of its Content-Length, rather than going on
    with anything else."""
    stored = StoredFile.get_or_none(StoredFile.key == key)
    if stored is None:
        return None

    def read():
        for number in itertools.count():  # the parts as stored, whatever PART_SIZE is now
            # a response's content is read after its request has ended and handed its connection back:
            # then each part on a connection of its own, back in the pool before the part is sent, so
            # nothing is held while the client reads or when it goes away
            with db.connection_context() if db.is_closed() else contextlib.nullcontext():
                # the file by its key and time as well as its id: SQLite gives a deleted row's id to the
                # next file stored, which may be another customer's
                data = (StoredFilePart.select(StoredFilePart.data).join(StoredFile)
                        .where(StoredFile.id == stored.id, StoredFile.key == key,
                               StoredFile.created_at == stored.created_at, StoredFilePart.number == number)
                        .scalar())
            if data is None:
                return
            yield bytes(data)

    return stored, read()


def content(key):
    """The whole content kept under `key` (bytes), or None: for small files (PDFs)."""
    stored = StoredFile.get_or_none(StoredFile.key == key)
    if stored is None:
        return None
    data = StoredFilePart.select(StoredFilePart.data).where(StoredFilePart.file == stored.id)
    return b"".join(bytes(part) for (part,) in data.order_by(StoredFilePart.number).tuples())


def delete(keys):
    """Delete the files kept under `keys` (their parts go with them)."""
    StoredFile.delete().where(StoredFile.key.in_(list(keys))).execute()
