"""Writing the audit trail. Details are plain values; never passwords, codes or PUKs."""
import json

from flask import has_request_context, request

from models import AuditEvent

FORBIDDEN_KEYS = frozenset({"password", "code", "otp", "puk", "pin", "secret", "token"})


def client_ip():
    return (request.remote_addr or "") if has_request_context() else ""


def record(action, *, user=None, customer=None, company=None, obj=None, object_type="",
           object_id="", **details):
    """Write one audit event. `obj` fills object type and id from a model instance."""
    leaked = FORBIDDEN_KEYS & set(details)
    if leaked:
        raise ValueError(f"refusing to audit secret fields: {sorted(leaked)}")
    if obj is not None:
        obj = getattr(obj, "_get_current_object", lambda: obj)()  # current_user is a proxy
        object_type = object_type or type(obj).__name__.lower()
        object_id = object_id or str(obj.id)
    return AuditEvent.create(
        action=action, user=user, customer=customer, company=company,
        object_type=object_type, object_id=str(object_id),
        details=json.dumps(details, default=str, ensure_ascii=False), ip=client_ip(),
    )


def record_for_scope(scope, action, **kwargs):
    """An event done by a membership, in its company."""
    return record(action, user=scope.user_id, customer=scope.customer_id,
                  company=scope.company_id, **kwargs)
