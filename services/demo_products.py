"""Demo data of the telephony products: the phone system, its users' profiles, vacation replies
and personal numbers."""
import datetime

from models import PersonalNumber, PhoneSystem, UserProfile, VacationReply

from .demo_data import DETAILED_SUBSCRIPTIONS, _at


def create_phone_system(ctx):
    """Demo A/S's phone system: its users' profiles, a vacation reply and two 70-numbers."""
    company = ctx.companies["demo"]
    mobiles = [r for r in ctx.subs["demo"][:DETAILED_SUBSCRIPTIONS]
               if r["kind"] == "mobile" and r["status"] == "active"
               and r["company"] == company.id]
    created = _at(ctx.today - datetime.timedelta(days=300))
    system = PhoneSystem.create(customer=company.customer_id, company=company,
                                name="Demo A/S hovednummer", main_number="+4570101010",
                                created_at=created)
    mobiles = [mobiles[i % len(mobiles)] for i in range(5)]  # Mette Jensen is always first
    ctx.phone_system, ctx.phone_users = system, mobiles
    mette = ctx.subs["demo"][0]
    for row, presence, forward in ((mette, "available", ""), (mobiles[1], "busy", ""),
                                   (mobiles[2], "away", mobiles[3]["number"]),
                                   (mobiles[3], "available", "")):
        UserProfile.create(phone_system=system, subscription=row["id"], name=row["holder_name"],
                           presence=presence, forward_to=forward, created_at=created)
    VacationReply.create(
        subscription=mette["id"], message="Tak for din besked. Jeg holder ferie og er tilbage "
        "om to uger. Kontakt kundeservice på 70 10 10 10 ved hastende sager.",
        starts_on=ctx.today - datetime.timedelta(days=2),
        ends_on=ctx.today + datetime.timedelta(days=12), active=True, created_at=created)
    for number, name, row in (("+4570203040", "Kundeservice", mobiles[1]),
                              ("+4570203050", "Salg", mobiles[4])):
        PersonalNumber.create(customer=company.customer_id, company=company, number=number,
                              name=name, forward_to=row["number"], created_at=created)
    ctx.count("phone_systems", 1)
    ctx.count("user_profiles", 4)
    ctx.count("personal_numbers", 2)
