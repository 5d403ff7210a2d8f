"""Demo data of the telephony products: Demo A/S's phone system with its users (extensions 201…)
and their profiles, a vacation reply, and two 70-numbers with forwarding schedules."""
import datetime

from models import PersonalNumber, PersonalNumberRule, PhoneSystem, PhoneUser, UserProfile, VacationReply
from models.products import PROFILE_KINDS

from .demo_data import DETAILED_SUBSCRIPTIONS, _at, _rng

EXTRA_USERS = 12  # beyond the four with set profiles: users on the other accounts too
FIRST_EXTENSION = 201
# The profiles' forwarding unless a user's own says otherwise: (forward kind, target).
DEFAULT_FORWARDS = {"available": ("none", None), "meeting": ("voicemail", None), "lunch": ("none", None),
                    "away": ("voicemail", None)}


def create_phone_system(ctx):
    """Demo A/S's phone system, its users with their profiles, a vacation reply and two 70-numbers."""
    company = ctx.companies["demo"]
    rows = [r for r in ctx.subs["demo"][:DETAILED_SUBSCRIPTIONS]
            if r["company"] == company.id and r["status"] == "active" and r["kind"] in ("mobile", "landline")]
    mobiles = [r for r in rows if r["kind"] == "mobile"]
    created = _at(ctx.today - datetime.timedelta(days=300))
    system = PhoneSystem.create(customer=company.customer_id, company=company,
                                name="Demo A/S hovednummer", main_number="+4570101010",
                                created_at=created)
    mobiles = [mobiles[i % len(mobiles)] for i in range(5)]  # Mette Jensen is always first
    ctx.phone_system, ctx.phone_users = system, mobiles  # the call flow's queue uses these rows
    mette = ctx.subs["demo"][0]

    # Mette, then three colleagues with set profiles, then colleagues on any Demo A/S account.
    chosen, seen = [], set()
    for row in [mette, *mobiles[1:4], *rows]:
        if row["id"] not in seen and len(chosen) < 4 + EXTRA_USERS:
            seen.add(row["id"])
            chosen.append(row)
    rng = _rng("products")
    users = {}
    for offset, row in enumerate(chosen):
        extension = str(FIRST_EXTENSION + offset)
        active = ("available", "meeting", "away", "available")[offset] if offset < 4 else rng.choices(
            PROFILE_KINDS, weights=(6, 2, 1, 1))[0]
        users[row["id"]] = PhoneUser.create(
            phone_system=system, subscription=row["id"], extension=extension, name=row["holder_name"],
            search_key=PhoneUser.make_search_key(row["holder_name"], extension), active_profile=active,
            created_at=created)
    ordered = [users[row["id"]] for row in chosen]
    # What the first four's profiles do beyond the defaults.
    special = {(0, "lunch"): ("number", mobiles[4]["number"])}
    if len(ordered) > 3:
        special[(2, "away")] = ("colleague", ordered[3])
    profiles = []
    for offset, user in enumerate(ordered):
        for kind in PROFILE_KINDS:
            forward, target = special.get((offset, kind), DEFAULT_FORWARDS[kind])
            profiles.append({
                "created_at": created, "phone_system": system.id, "phone_user": user.id,
                "subscription": user.subscription_id, "kind": kind, "forward_kind": forward,
                "forward_user": target.id if forward == "colleague" else None,
                "forward_to": target if forward == "number" else ""})
    UserProfile.insert_many(profiles).execute()

    VacationReply.create(
        subscription=mette["id"], message="Tak for din besked. Jeg holder ferie og er tilbage "
        "om to uger. Kontakt kundeservice på 70 10 10 10 ved hastende sager.",
        starts_on=ctx.today - datetime.timedelta(days=2),
        ends_on=ctx.today + datetime.timedelta(days=12), active=True, created_at=created)

    # Kundeservice: weekdays 08–16 to a colleague's extension, Friday until 15; otherwise the on-call phone.
    # Salg: to the sales phone, at weekends to voicemail.
    service = PersonalNumber.create(customer=company.customer_id, company=company, number="+4570203040",
                                    name="Kundeservice", forward_to=mobiles[3]["number"], created_at=created)
    sales = PersonalNumber.create(customer=company.customer_id, company=company, number="+4570203050",
                                  name="Salg", forward_to=mobiles[4]["number"], created_at=created)
    desk = users[mobiles[1]["id"]].id
    schedules = ((service, (("0123", "08:00", "16:00", "user", desk), ("4", "08:00", "15:00", "user", desk))),
                 (sales, (("56", "00:00", "23:59", "voicemail", None),)))
    for number, rules in schedules:
        for position, (days, starts, ends, kind, user_id) in enumerate(rules, 1):
            PersonalNumberRule.create(personal_number=number, position=position, days=days, starts=starts,
                                      ends=ends, target_kind=kind, target_user=user_id)
    ctx.count("phone_systems", 1)
    ctx.count("phone_users", len(ordered))
    ctx.count("user_profiles", len(profiles))
    ctx.count("personal_numbers", 2)
    ctx.count("personal_number_rules", sum(len(rules) for _number, rules in schedules))
