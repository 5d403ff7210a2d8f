"""Managing a user's authenticator apps (TOTP devices)."""
import base64
import datetime
import io

import segno
from peewee import fn
from werkzeug.exceptions import NotFound

from models import TotpDevice, User, db, utcnow

from . import audit
from .auth import (
    new_totp_secret,
    provisioning_uri,
    second_factor_methods,
)


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
    import pyotp

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

