"""Managing a user's authenticator apps (TOTP devices), and their secrets encrypted at rest.

The secret column holds `fernet:<token>`: Fernet (AES-128-CBC + HMAC-SHA256) under a key derived
from SECRET_KEY with HKDF; the keys of SECRET_KEY_FALLBACKS still decrypt (MultiFernet), so the
key can be rotated: set the new SECRET_KEY, move the old one to SECRET_KEY_FALLBACKS, run
`flask rotate-totp-key`. Models see plain secrets (`models.users.SecretField` calls `seal` and
`unseal`). A secret no key opens fails closed: it reads as an `UnreadableSecret`, a random secret
no code matches, and the error is logged; it is never a 500.
"""
import base64
import datetime
import functools
import io
import logging

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app, has_app_context
from peewee import fn
from werkzeug.exceptions import NotFound

from models import TotpDevice, User, db, utcnow

from . import audit
from .auth import (
    new_totp_secret,
    provisioning_uri,
    second_factor_methods,
)

log = logging.getLogger(__name__)

PREFIX = "fernet:"
HKDF_INFO = b"selvbetjening totp-secret v1"


class SecretKeyError(Exception):
    """Some secrets cannot be decrypted with SECRET_KEY or any of SECRET_KEY_FALLBACKS."""


class OpenedSecret(str):
    """A decrypted secret that remembers its stored value: saving the device again keeps it."""

    def __new__(cls, plain, stored):
        value = super().__new__(cls, plain)
        value.stored = stored
        return value


class UnreadableSecret(OpenedSecret):
    """What an undecryptable secret reads as: a random secret, so no code matches it (fails
    closed); saving the device again keeps the ciphertext."""

    def __new__(cls, stored):
        return super().__new__(cls, pyotp.random_base32(32), stored)


@functools.lru_cache(maxsize=8)
def _box(keys):
    def fernet(key):
        raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO).derive(key.encode())
        return Fernet(base64.urlsafe_b64encode(raw))

    return MultiFernet([fernet(key) for key in keys])


def secret_box(config=None):
    """The MultiFernet of the app: SECRET_KEY first (encrypts), then SECRET_KEY_FALLBACKS."""
    config = config if config is not None else current_app.config
    keys = (config["SECRET_KEY"], *(config.get("SECRET_KEY_FALLBACKS") or ()))
    return _box(tuple(str(k) for k in keys if k))


def is_sealed(value):
    return isinstance(value, str) and value.startswith(PREFIX)


def seal(value):
    """A secret as the column stores it. Outside an app there is no key: the value stays as it is
    (the test fixtures' demo builder); migration 0016 and `flask rotate-totp-key` seal those."""
    if value is None or is_sealed(value):
        return value
    if isinstance(value, OpenedSecret):
        return value.stored
    if not has_app_context():
        return value
    return PREFIX + secret_box().encrypt(value.encode()).decode()


def unseal(value):
    """The plain secret of a stored value; a plain (not yet sealed) value reads as itself."""
    if not is_sealed(value):
        return value
    if has_app_context():
        try:
            return OpenedSecret(secret_box().decrypt(value[len(PREFIX):].encode()).decode(), value)
        except InvalidToken:
            pass
    log.error("A TOTP secret cannot be decrypted with SECRET_KEY or SECRET_KEY_FALLBACKS: its authenticator "
              "is refused. Put the previous key in SECRET_KEY_FALLBACKS, then run `flask rotate-totp-key`.")
    return UnreadableSecret(value)


def rotate_secrets():
    """Seal plain secrets and re-encrypt sealed ones with the current key, all or nothing.
    Returns (sealed, rotated); raises SecretKeyError, changing nothing, if a secret is unreadable."""
    box = secret_box()
    rows = db.execute_sql("SELECT id, secret FROM totp_device").fetchall()
    updates, sealed, unreadable = [], 0, []
    for device_id, stored in rows:
        if is_sealed(stored):
            try:
                token = box.rotate(stored[len(PREFIX):].encode()).decode()
            except InvalidToken:
                unreadable.append(device_id)
                continue
        else:
            token = box.encrypt(stored.encode()).decode()
            sealed += 1
        updates.append((PREFIX + token, device_id))
    if unreadable:
        raise SecretKeyError(f"{len(unreadable)} of {len(rows)} TOTP secrets cannot be decrypted with SECRET_KEY "
                             f"or SECRET_KEY_FALLBACKS (devices {', '.join(map(str, unreadable[:10]))}); "
                             "nothing was changed. Put the key they were encrypted with in SECRET_KEY_FALLBACKS.")
    with db.atomic():
        for value, device_id in updates:
            # raw SQL past the field, which would seal the sealed value again; only placeholders vary
            db.execute_sql(f"UPDATE totp_device SET secret = {db.param} WHERE id = {db.param}",  # nosec B608  # only the placeholder varies
                           (value, device_id))
        audit.record("2fa.secrets_rotated", sealed=sealed, rotated=len(updates) - sealed)
    return sealed, len(updates) - sealed


def start_enrolment(user, name):
    with db.atomic():
        device = TotpDevice.create(user=user.id, name=name, secret=new_totp_secret())
        audit.record("2fa.enrolment_started", user=user.id, obj=device)
    return device


def qr_svg_data_uri(user, device):
    """The provisioning URI as a QR code, as a data: URI for an <img> (the CSP forbids inline styles)."""
    out = io.BytesIO()
    segno.make(provisioning_uri(user, device.secret), error="m").save(
        out, kind="svg", scale=5, border=2, svgclass=None, lineclass=None, xmldecl=False)
    return "data:image/svg+xml;base64," + base64.b64encode(out.getvalue()).decode()


def device_of(user, device_id, confirmed=None):
    """The user's own device with that id, or None."""
    query = TotpDevice.select().where(TotpDevice.user == user.id, TotpDevice.id == (device_id or 0))
    if confirmed is not None:
        query = query.where(TotpDevice.confirmed == confirmed)
    return query.first()


def own_device(user, device_id, confirmed=None):
    """As device_of, but 404 for someone else's or a missing device."""
    device = device_of(user, device_id, confirmed)
    if device is None:
        raise NotFound()
    return device


def confirm_enrolment(user, device, code):
    """Confirm with the first code from the app; False when it is wrong."""
    if not pyotp.TOTP(device.secret).verify("".join(c for c in code if c.isdigit()), valid_window=1):
        return False
    with db.atomic():
        device.confirmed = True
        device.save()
        # the code just used must not also open the next login
        step = pyotp.TOTP(device.secret).timecode(utcnow().replace(tzinfo=datetime.timezone.utc))
        User.update(last_totp_step=fn.MAX(User.last_totp_step, step + 1)).where(User.id == user.id).execute()
        audit.record("2fa.device_added", user=user.id, obj=device, name=device.name)
    return True


def remove_device(user, device):
    """Remove an authenticator, unless it is the user's last way to sign in."""
    remaining = [m for m in second_factor_methods(user) if m != "totp"]
    others = TotpDevice.select().where(TotpDevice.user == user.id, TotpDevice.confirmed == True,  # noqa: E712
                                       TotpDevice.id != device.id).exists()
    if not remaining and not others:
        return False
    with db.atomic():
        device.delete_instance()
        audit.record("2fa.device_removed", user=user.id, object_type="totpdevice", object_id=device.id)
    return True

