"""Demo data of the main number's call flow."""
import datetime
import json

from models import CallFlowStep

from .demo_data import _at


def create_call_flow(ctx):
    """The call flow of the phone system that demo_products made."""
    system, mobiles = ctx.phone_system, ctx.phone_users
    created = _at(ctx.today - datetime.timedelta(days=300))
    queue = [r["number"] for r in mobiles[1:4]]
    steps = (
        ("greeting", "Velkomst", "", {"text": "Velkommen til Demo A/S."}),
        ("opening_hours", "Åbningstid", "voicemail",
         {"days": "man-fre", "open": "08:00", "close": "16:00"}),
        ("menu", "Hovedmenu", "", {"prompt": "Tryk 1 for salg, tryk 2 for kundeservice.",
                                   "options": {"1": "Salg", "2": "Kundeservice"}}),
        ("queue", "Kundeservice", "", {"members": queue, "ring_strategy": "simultaneous",
                                       "max_wait_s": 120}),
        ("voicemail", "Telefonsvarer", "reception@demo.dk",
         {"greeting": "Vi har lukket. Læg en besked, så ringer vi tilbage."}),
    )
    for position, (kind, label, target, settings) in enumerate(steps, 1):
        CallFlowStep.create(phone_system=system, position=position, kind=kind, label=label,
                            target=target, settings=json.dumps(settings, ensure_ascii=False),
                            created_at=created)
    ctx.count("call_flow_steps", len(steps))
