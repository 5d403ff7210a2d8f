"""Files made by jobs: the one place for the CSV dialect, the formula guard, paths and the purge.

The dialect is what a Danish Excel opens with a double click: UTF-8 with a BOM (so it
reads æøå), `;` between cells (the comma is the decimal sign), dates as dd-mm-yyyy and
decimals with a comma. Rows are written as they come from an iterator, so an export of
100,000 subscriptions never sits in memory; a half-written file is never downloadable
(it is written under another name and renamed when complete).
"""
import csv
import datetime
import decimal
import os
import time
import uuid
from pathlib import Path

from flask import current_app
from werkzeug.exceptions import NotFound

from models import JobRecord

ENCODING = "utf-8-sig"  # the BOM tells Excel the file is UTF-8
MAX_AGE = datetime.timedelta(hours=24)
PROGRESS_EVERY = 500  # rows between progress reports
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EXPIRED = "expired"  # JobRecord.message of an export whose file the purge removed


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
            for row in rows:
                writer.writerow([cell(v) for v in row])
                count += 1
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


def purge_old_exports(max_age=MAX_AGE):
    """Delete export files older than `max_age` and clear their JobRecords' results.

    Returns how many files went. Leftover partial files of crashed jobs go too.
    """
    folder = export_folder()
    cutoff = time.time() - max_age.total_seconds()
    removed = []
    for path in folder.iterdir():
        if not path.is_file() or path.stat().st_mtime >= cutoff:
            continue
        path.unlink(missing_ok=True)
        if path.suffix == ".csv":
            removed.append(path.stem)
    for start in range(0, len(removed), 500):
        (JobRecord.update(result="", message=EXPIRED)
         .where(JobRecord.id.in_(removed[start:start + 500])).execute())
    return len(removed)


def own_job(scope, job_id, name):
    """The export job `name` started by this membership's user in its company, or 404.

    :raise 404: another user's or company's job, another kind of job, or none.
    """
    record = JobRecord.get_or_none(JobRecord.id == str(job_id), JobRecord.user == scope.user_id,
                                   JobRecord.company == scope.company_id)
    if record is None or record.name != name:
        raise NotFound()
    return record


def file_of(record):
    """The finished file of an export job, or None (not yet made, failed, or purged)."""
    path = export_path(record.id)
    return path if record.status == "finished" and path.exists() else None
