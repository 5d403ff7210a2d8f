"""TOTP secrets encrypted at rest: seal the plain secrets already stored (services/two_factor.py).

Idempotent: sealed values (`fernet:…`) are recognised and left alone. The key comes from the app
that runs the migration (`flask migrate`); run without an app (no key), it changes nothing, and
`flask rotate-totp-key` seals what is left.
"""
import logging

log = logging.getLogger(__name__)


def up(migrator, db):
    from flask import current_app, has_app_context

    from services.two_factor import PREFIX, secret_box

    if not has_app_context() or not current_app.config.get("SECRET_KEY"):
        log.warning("0016: no app, so no SECRET_KEY: plain TOTP secrets stay plain until `flask rotate-totp-key`")
        return
    box = secret_box()
    p = db.param
    rows = db.execute_sql(f"SELECT id, secret FROM totp_device WHERE secret NOT LIKE {p}", (PREFIX + "%",)).fetchall()
    for device_id, secret in rows:
        sealed = PREFIX + box.encrypt(secret.encode()).decode()
        db.execute_sql(f"UPDATE totp_device SET secret = {p} WHERE id = {p}", (sealed, device_id))


def down(migrator, db):
    pass  # the sealed secrets stay readable by the app; nothing to undo in the schema
