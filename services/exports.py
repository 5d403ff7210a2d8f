"""Files made by jobs: the one place for the CSV dialect, the formula guard, paths and the purge.

The dialect is what a Danish Excel opens with a double click: UTF-8 with a BOM (so it
reads æøå), `;` between cells (the comma is the decimal sign), dates as dd-mm-yyyy and
decimals with a comma. Rows are written as they come from an iterator, so an export of
100,000 subscriptions never sits in memory; a half-written file is never downloadable
(it is written under another name and renamed when complete).

The finished file is kept in the database (services/stored_files.py: in parts, written in one
transaction, so it is whole whenever it is visible): any web machine serves what any worker made.
The worker's own copy under DATA_DIR/exports is scratch, purged with the stored file after MAX_AGE.
"""
import csv
import datetime
import decimal
import os
import time
import uuid
from pathlib import Path

from flask import current_app
from flask_babel import ngettext
from werkzeug.exceptions import NotFound, TooManyRequests

from models import JobRecord, StoredFile, db, utcnow

from . import stored_files

ENCODING = "utf-8-sig"  # the BOM tells Excel the file is UTF-8
MAX_AGE = datetime.timedelta(hours=24)
PROGRESS_EVERY = 500  # rows between progress reports
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EXPIRED = "expired"  # JobRecord.message of an export whose file the purge removed
MAX_RUNNING = 3  # exports one user may have queued or running at a time
EXPORT_KEY = "export:"


class TooManyJobs(TooManyRequests):
    """The user already has as many exports under way as allowed (429, translated)."""

    def __init__(self, limit=MAX_RUNNING):
        super().__init__(ngettext(
            "You already have %(num)s export under way. Wait until it is ready, then try again.",
            "You already have %(num)s exports under way. Wait until one of them is ready, then try again.",
            limit))


class DanishExcel(csv.excel):
    delimiter = ";"
    lineterminator = "\r\n"


DIALECT = "danish-excel"
csv.register_dialect(DIALECT, DanishExcel)


def spreadsheet_safe(cell):
    """A cell Excel will not run as a formula: names, notes and details are typed by users
    (OWASP CSV injection). Text starting with = + - @ TAB or CR gets a leading apostrophe."""
    text = "" if cell is None else str(cell)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def danish_date(value):
    return value.strftime("%d-%m-%Y") if value else ""


def danish_datetime(value):
    return value.strftime("%d-%m-%Y %H:%M:%S") if value else ""


def danish_decimal(value, places=2):
    """12.5 -> '12,50' (numbers written as text, so Danish Excel reads them as numbers)."""
    quantized = decimal.Decimal(str(value)).quantize(decimal.Decimal(1).scaleb(-places))
    return f"{quantized}".replace(".", ",")


def cell(value):
    """One value as the text of a cell: dates and decimals the Danish way, text guarded."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime.datetime):
        return danish_datetime(value)
    if isinstance(value, datetime.date):
        return danish_date(value)
    if isinstance(value, int):
        return str(value)  # our own numbers; a negative amount is not a formula
    if isinstance(value, (float, decimal.Decimal)):
        return danish_decimal(value)
    return spreadsheet_safe(value)


def write_csv(path, header, rows, total=None, progress=None):
    """Stream `rows` (an iterator of sequences of plain values) into `path`; returns the row count.

    `progress(percent)` is called every PROGRESS_EVERY rows when `total` is known.
    """
    path = Path(path)
    partial = path.with_name(path.name + ".part")
    count = 0
    try:
        with open(partial, "w", newline="", encoding=ENCODING) as fh:
            writer = csv.writer(fh, dialect=DIALECT)
            writer.writerow([spreadsheet_safe(h) for h in header])
            pause = _item_pause()
            for row in rows:
                writer.writerow([cell(v) for v in row])
                count += 1
                if pause:
                    pause()
                if progress and total and count % PROGRESS_EVERY == 0:
                    progress(min(99, count * 100 // total))
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return count


def export_folder():
    folder = Path(current_app.config["DATA_DIR"]) / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def export_path(job_id):
    """`DATA_DIR/exports/<job_id>.csv`; the id must be a UUID (it comes from URLs)."""
    return export_folder() / f"{uuid.UUID(str(job_id))}.csv"


def _item_pause():
    """Inside a job in testing mode, the per-row pause that makes an export slow enough to kill."""
    from jobs import context, current_job_id, item_delay, pause_for_item  # jobs import services

    return pause_for_item if current_job_id() and item_delay(context.get_app()) else None


def keep(job_id, path, content_type="text/csv"):
    """Store the finished file of an export job in the database (a part at a time); returns its size."""
    with db.atomic():
        stored_files.delete([EXPORT_KEY + str(job_id)])  # a retried job's
        return stored_files.store(EXPORT_KEY + str(job_id), path, content_type, job_id=str(job_id))


def discard_partial(job_id):
    """A job that gave up: its half-written scratch file goes at once (on the machine that ran it)."""
    path = export_path(job_id)
    path.with_name(path.name + ".part").unlink(missing_ok=True)


def purge_old_exports(max_age=MAX_AGE):
    """Delete export files older than `max_age` (stored ones, and this machine's scratch copies)
    and clear their JobRecords' results.

    Returns how many files went. Leftover partial files of crashed jobs go too.
    """
    folder = export_folder()
    cutoff = time.time() - max_age.total_seconds()
    removed = set()
    for path in folder.iterdir():
        if not path.is_file() or path.stat().st_mtime >= cutoff:
            continue
        path.unlink(missing_ok=True)
        if path.suffix == ".csv":
            removed.add(path.stem)
    stored = (StoredFile.select(StoredFile.job_id)
              .where(StoredFile.key.startswith(EXPORT_KEY), StoredFile.created_at < utcnow() - max_age))
    removed.update(job_id for (job_id,) in stored.tuples() if job_id)
    removed = sorted(removed)
    for start in range(0, len(removed), 500):
        chunk = removed[start:start + 500]
        stored_files.delete(EXPORT_KEY + job_id for job_id in chunk)
        JobRecord.update(result="", message=EXPIRED).where(JobRecord.id.in_(chunk)).execute()
    return len(removed)


def own_job(scope, job_id, name):
    """The export job `name` started by this membership's user in its company, or 404.

    :raise 404: another user's or company's job, another kind of job, or none.
    """
    record = JobRecord.get_or_none(JobRecord.id == str(job_id), JobRecord.user == scope.user_id,
                                   JobRecord.company == scope.company_id)
    if record is None or record.name != name:
        raise NotFound()
    return reconciled(record)


def has_file(record):
    """Whether the export job's finished file can be downloaded (not yet made, failed, or purged)."""
    return record.status == "finished" and stored_files.exists(EXPORT_KEY + str(record.id))


def file_of(record):
    """The finished file of an export job from the database: (its row, an iterator of its content),
    or None (not yet made, failed, or purged). Nothing is read from this machine's disk."""
    return stored_files.parts(EXPORT_KEY + str(record.id)) if record.status == "finished" else None


def reconciled(record):
    """The job's record after checking that its worker is still there (jobs/state.py): a job
    whose worker is gone ends failed, or is queued again when it may run twice."""
    from jobs import state  # jobs import services

    if record.status in state.ACTIVE and state.reconcile([record]):
        return JobRecord.get_by_id(record.id)
    return record
