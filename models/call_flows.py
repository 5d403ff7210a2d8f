"""The main number's call flow, kept as versions: saving writes a new one, never edits an old one."""
import json

from peewee import DateTimeField, ForeignKeyField, IntegerField, TextField

from .base import TimestampedModel
from .orders import Order
from .products import PhoneSystem
from .users import User


class CallFlowVersion(TimestampedModel):
    """One version of a phone system's call flow: number 1, 2, 3… per system.

    `document` is the whole flow as JSON (services/call_flow.py describes it); `changes` what
    differs from the version it replaced, as codes with plain values, worded when shown so
    each reader gets their own language. A version is active on the switch from
    `activated_at` (set when its order completes); the newest activated one is the current flow.
    """

    phone_system = ForeignKeyField(PhoneSystem, backref="call_flow_versions", on_delete="CASCADE")
    number = IntegerField()
    document = TextField()
    changes = TextField(default="[]")
    created_by = ForeignKeyField(User, null=True)
    order = ForeignKeyField(Order, null=True)  # the order that carries it out; none for the first demo versions
    restored_from = IntegerField(null=True)  # the version number it copies ("Gendan")
    activated_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("phone_system", "number"), True),)

    @property
    def flow(self):
        return json.loads(self.document or "{}")

    @property
    def change_list(self):
        return json.loads(self.changes or "[]")
