"""Attachments of support tickets: which files are allowed, and where they are kept.

A file is allowed when its extension is on the list AND its content is of that type (magic
bytes, or plain text without control characters), so a renamed program is refused. Files are
kept in the database (services/stored_files.py), where every web machine finds them, under a key
the server makes; the sender's name is kept only (sanitised) as the name of the download.
"""
import io
import re
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

from flask_babel import gettext as _
from flask_babel import ngettext

from models import StoredFile, TicketAttachment

from . import stored_files

MAX_BYTES = 10 * 1024 * 1024
MAX_FILES = 3
# what one request with MAX_FILES files and the form's text may weigh (see blueprints/support.py)
REQUEST_LIMIT = MAX_FILES * MAX_BYTES + 1024 * 1024
NAME_MAX = 120
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Upload:
    """A file as the view received it: the sender's file name and a readable stream."""

    filename: str
    stream: object


@dataclass(frozen=True)
class CheckedFile:
    name: str  # sanitised
    mime_type: str
    data: bytes


def _is_pdf(data):
    return b"%PDF-" in data[:1024]


def _is_png(data):
    return data.startswith(b"\x89PNG\r\n\x1a\n")


def _is_jpeg(data):
    return data.startswith(b"\xff\xd8\xff")


_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def _is_text(data):
    """Text in UTF-8 or a Windows code page: no NUL or other control characters."""
    return not _CONTROL.search(data)


def _is_xlsx(data):
    """An Office Open XML workbook: a zip with the content-types part and an xl/ folder.
    Only the directory is read, so a zip bomb is never unpacked."""
    if not data.startswith(b"PK\x03\x04"):
        return False
    try:
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        return False
    return "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names)


# extension -> (MIME type, content check)
ALLOWED = {
    "pdf": ("application/pdf", _is_pdf),
    "png": ("image/png", _is_png),
    "jpg": ("image/jpeg", _is_jpeg),
    "jpeg": ("image/jpeg", _is_jpeg),
    "txt": ("text/plain", _is_text),
    "csv": ("text/csv", _is_text),
    "xlsx": (XLSX, _is_xlsx),
}
ALLOWED_TEXT = "PDF, PNG, JPEG, TXT, CSV, XLSX"


def sanitise_name(filename):
    """The last part of the sender's file name without control or path characters, at most
    NAME_MAX long with its extension kept."""
    name = unicodedata.normalize("NFC", str(filename or ""))
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = re.sub(r'[<>:"|?*;]', "_", name)
    name = " ".join(name.split()).lstrip(". ")
    if len(name) > NAME_MAX:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:NAME_MAX - len(ext) - 1] + dot + ext) if dot and len(ext) <= 5 else name[:NAME_MAX]
    return name


def _extension(name):
    stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot and stem else ""


def check_uploads(uploads):
    """([CheckedFile], error message or None). Every problem is named in the one message."""
    uploads = [u for u in uploads if (u.filename or "").strip()]
    if len(uploads) > MAX_FILES:
        return [], ngettext("Attach at most %(num)d file per message.", "Attach at most %(num)d files per message.",
                            MAX_FILES)
    checked, problems = [], []
    for upload in uploads:
        name = sanitise_name(upload.filename) or "file"
        ext = _extension(name)
        if ext not in ALLOWED:
            problems.append(_("“%(name)s” is not a file type we accept (%(types)s).", name=name, types=ALLOWED_TEXT))
            continue
        data = upload.stream.read(MAX_BYTES + 1)
        mime_type, is_that_type = ALLOWED[ext]
        if len(data) > MAX_BYTES:
            problems.append(_("“%(name)s” is larger than %(size)d MB.", name=name, size=MAX_BYTES // (1024 * 1024)))
        elif not data:
            problems.append(_("“%(name)s” is empty.", name=name))
        elif not is_that_type(data):
            problems.append(_("The content of “%(name)s” is not what its name says (.%(ext)s).", name=name, ext=ext))
        else:
            checked.append(CheckedFile(name, mime_type, data))
    return checked, (" ".join(problems) or None)


KEY_PREFIX = "attachment:"  # stored_files key: the prefix and the attachment's own key


def store(checked):
    """Keep the files in the database; returns their keys (the server's names). Call inside the
    transaction that records them, so a message and its files are kept together or not at all."""
    keys = []
    for item in checked:
        key = uuid.uuid4().hex
        stored_files.store(KEY_PREFIX + key, item.data, item.mime_type)
        keys.append(key)
    return keys


def file_of(key):
    """The kept file of `key` (stored_files.parts: its row and its content), or None for a file that
    is gone."""
    return stored_files.parts(KEY_PREFIX + key)


def import_folder(folder):
    """Keep in the database the attachments whose files lie in `folder` (DATA_DIR/attachments before
    migration 0028, on each web machine that received some) and are not kept yet; returns how many
    were (imported, kept already, still missing). Run on every machine that held attachments."""
    folder = Path(folder)
    imported = kept = missing = 0
    stored = StoredFile.select(StoredFile.key).where(StoredFile.key.startswith(KEY_PREFIX))
    held = {key for (key,) in stored.tuples()}  # one query, not one an attachment
    for key, mime_type in TicketAttachment.select(TicketAttachment.key, TicketAttachment.mime_type).tuples():
        if KEY_PREFIX + key in held:
            kept += 1
            continue
        path = folder / key
        if not re.fullmatch(r"[0-9a-z-]{8,40}", key) or not path.is_file():
            missing += 1
            continue
        stored_files.store(KEY_PREFIX + key, path, mime_type)
        imported += 1
    return imported, kept, missing
