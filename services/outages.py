"""Outages, written by operator staff in both languages."""
from models import Outage, db, utcnow

from . import audit


def list_outages(limit=50):
    return list(Outage.select().order_by(Outage.ends_at.is_null(False), Outage.starts_at.desc()).limit(limit))


def create_outage(staff_user, title_da, title_en, body_da, body_en, area_da, area_en, severity):
    with db.atomic():
        outage = Outage.create(title_da=title_da, title_en=title_en, body_da=body_da, body_en=body_en,
                               area_da=area_da, area_en=area_en, severity=severity, starts_at=utcnow())
        audit.record("outage.create", user=staff_user.id, obj=outage)
    return outage


def end_outage(staff_user, outage_id):
    with db.atomic():
        outage = Outage.get_or_none(Outage.id == outage_id)
        if outage is None or outage.ends_at is not None:
            return None
        outage.ends_at = utcnow()
        outage.save()
        audit.record("outage.end", user=staff_user.id, obj=outage)
    return outage
