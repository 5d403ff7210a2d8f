"""Demo data of the support area: tickets about subscriptions, accounts and the company, with their
threads, attachments and response-time targets met and missed; outages with services and postal
codes (one touching Demo A/S's 1620 København V); Demo A/S's outage e-mails."""
import datetime
import struct
import zlib

from models import Outage, OutageAlert, Subscription, SupportTicket, TicketAttachment, TicketMessage

from . import stored_files, ticket_files
from .demo_data import DETAILED_SUBSCRIPTIONS, EMPLOYEE_NUMBER, _at
from .working_hours import add_working_hours

# what a ticket is about: ("account", account number), ("subscription", account number): the first
# active subscription on that account (Mette's on 40120011), or None: the company in general
TICKETS = (
    # (company key, subject, category, status, concern, days ago, hour (UTC), [(from staff,
    #  working hours after creation, body, attachment key or None)])
    ("demo", "Faktura for marts er højere end forventet", "invoice", "open", ("account", "40120011"), 30, 9, [
        (False, 0, "Hej. Vores faktura er steget med ca. 2.000 kr. Kan I forklare hvorfor? Forbruget er vedhæftet.",
         "demo-forbrug-marts"),
        (True, 6, "Hej Anne. Stigningen skyldes roaming i USA på to abonnementer. Vi sender en specifikation.", None),
        (False, 9, "Tak. Kan vi få en roamingpakke på de to abonnementer?", None),
    ]),
    ("demo", "Ny medarbejder mangler eSIM", "order", "waiting", None, 26, 13, [
        (False, 0, "Vi har bestilt et eSIM til en ny kollega, men QR-koden er ikke kommet.", None),
        (True, 20, "Vi har sendt aktiveringskoden igen. Vil du bekræfte, at den er modtaget?", None),
    ]),
    ("demo", "Dårlig dækning på lageret i Brøndby", "fault", "open", ("account", "40120037"), 6, 8, [
        (False, 0, "Flere medarbejdere oplever afbrudte opkald på lageret.", None),
    ]),
    ("demo", "Flyt abonnementer til ny konto", "order", "closed", None, 20, 10, [
        (False, 0, "Vi vil gerne flytte salgsafdelingens abonnementer til kontoen Salg.", None),
        (True, 5, "Abonnementerne er nu flyttet. Ændringen slår igennem på næste faktura.", None),
        (False, 7, "Tak for hjælpen!", None),
    ]),
    ("demo", "Spørgsmål til opsigelsesvarsel", "question", "closed", None, 17, 11, [
        (False, 0, "Hvad er opsigelsesvarslet på vores fiberforbindelse?", None),
        (True, 3, "Opsigelsesvarslet er løbende måned plus 30 dage.", None),
    ]),
    ("demo", "Mobilen mister forbindelsen hele tiden", "fault_critical", "waiting", ("subscription", "40120011"), 12, 8, [
        (False, 0, "Min telefon mister forbindelsen flere gange i timen, så jeg kan ikke arbejde. Skærmbillede vedhæftet.",
         "demo-skaermbillede"),
        (True, 2, "Vi har nulstillet abonnementet i netværket. Virker det nu?", None),
    ]),
    ("demo", "Hovednummeret viderestiller forkert", "fault", "waiting", None, 9, 9, [
        (False, 0, "Når man trykker 2 i menuen, ender man i telefonsvareren.", None),
        (True, 11, "Vi har rettet menuen. Må vi lukke sagen?", None),
    ]),
    ("demo", "EAN-faktura afvist af vores økonomisystem", "invoice", "open", ("account", "40120029"), 0, None, [
        (False, 0, "Vores økonomisystem afviser e-fakturaen for konto Salg. Hvad mangler der?", None),
    ]),
    ("demo_service", "EAN-nummer på faktura", "invoice", "open", ("account", "40345012"), 8, 12, [
        (False, 0, "Vores faktura skal sendes som e-faktura. Hvordan ændrer vi det?", None),
    ]),
    ("demo_service", "Spærret SIM-kort", "fault", "closed", ("subscription", "40345012"), 15, 14, [
        (False, 0, "Et SIM-kort er spærret efter forkert PIN. Hvor finder jeg PUK-koden?", None),
        (True, 4, "PUK-koden står under abonnementet i selvbetjeningen, fanen SIM-kort.", None),
    ]),
    ("anden", "Adgang for ny kollega", "question", "open", None, 4, 10, [
        (False, 0, "Hvordan giver jeg en kollega adgang til fakturaerne?", None),
    ]),
)

# key -> (file name, MIME type)
ATTACHMENTS = {
    "demo-forbrug-marts": ("forbrug-marts.csv", "text/csv"),
    "demo-skaermbillede": ("skærmbillede.png", "image/png"),
}


def _png(width=48, height=32):
    """A small PNG: a grey phone screen with a red bar (the demo's screenshot)."""
    rows = b""
    for y in range(height):
        colour = b"\xc8\x32\x32" if 4 <= y < 10 else b"\xee\xee\xee"
        rows += b"\x00" + colour * width

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


def demo_file(key):
    """The bytes of a demo attachment, or None (kept with the demo data; migration 0028 keeps them
    for demo databases made before)."""
    if key == "demo-forbrug-marts":
        lines = ["Nummer;Navn;Roaming (kr.)", "20 00 00 01;Mette Jensen;1.204,50", "20 11 22 33;Ole Hansen;812,25"]
        return ("\r\n".join(lines) + "\r\n").encode("utf-8-sig")
    if key == "demo-skaermbillede":
        return _png()
    return None


def _concerned(ctx, concern):
    """(subscription id, account) for a concern of TICKETS; an account without a matching
    subscription (a tiny demo) makes the ticket about the account."""
    if concern is None:
        return None, None
    kind, number = concern
    account = next(a for accounts in ctx.accounts.values() for a in accounts if a.number == number)
    if kind == "account":
        return None, account
    rows = [r for r in ctx.subs["demo"][:DETAILED_SUBSCRIPTIONS]
            if r["account"] == account.id and r["status"] == "active" and r["kind"] == "mobile"]
    rows.sort(key=lambda r: r["number"] != EMPLOYEE_NUMBER)  # Mette's first where she is
    return (rows[0]["id"] if rows else None), account


def create_tickets(ctx):
    """Tickets in every status for both Demo companies and Anden Kunde ApS, with their threads."""
    staff = ctx.users["staff@operator.dk"]
    authors = {"demo": ctx.users["admin@demo.dk"], "demo_service": ctx.users["admin@demo.dk"],
               "anden": ctx.users["admin@anden.dk"]}
    messages = files = 0
    for i, (company_key, subject, category, status, concern, days, hour, thread) in enumerate(TICKETS):
        author = authors[company_key]
        subscription_id, account = _concerned(ctx, concern)
        company = ctx.companies[company_key]
        created = (_at(ctx.today - datetime.timedelta(days=days), hour) if hour is not None
                   else ctx.now - datetime.timedelta(minutes=30))
        stamps = [add_working_hours(created, offset) if offset else created + datetime.timedelta(minutes=n)
                  for n, (_staff, offset, _body, _file) in enumerate(thread)]
        answered = next((s for s, (from_staff, *_rest) in zip(stamps, thread) if from_staff), None)
        ticket = SupportTicket.create(
            customer=company.customer_id, company=company, created_by=author, number=f"S-{100001 + i}",
            subject=subject, category=category, status=status, account=account, subscription=subscription_id,
            created_at=created, updated_at=stamps[-1],
            response_due_at=add_working_hours(created, {"fault_critical": 3, "fault": 8}.get(category, 16)),
            first_response_at=answered, closed_at=stamps[-1] if status == "closed" else None)
        for (from_staff, _offset, body, key), stamp in zip(thread, stamps):
            writer = staff if from_staff else author
            message = TicketMessage.create(ticket=ticket, author=writer, from_staff=from_staff, body=body,
                                           created_at=stamp)
            messages += 1
            if key:
                name, mime_type = ATTACHMENTS[key]
                if not stored_files.exists(ticket_files.KEY_PREFIX + key):
                    stored_files.store(ticket_files.KEY_PREFIX + key, demo_file(key), mime_type)
                TicketAttachment.create(ticket=ticket, message=message, uploaded_by=writer, key=key, name=name,
                                        mime_type=mime_type, size=len(demo_file(key)), created_at=stamp)
                files += 1
    ctx.count("tickets", len(TICKETS))
    ctx.count("ticket_messages", messages)
    ctx.count("ticket_attachments", files)


def _installation_address(ctx):
    """The Lager account's internet line is installed at the warehouse in Brøndby (2605)."""
    lager = next(a for a in ctx.accounts["demo"] if a.number == "40120037")
    line = (Subscription.select().where(Subscription.account == lager.id, Subscription.kind == "internet",
                                        Subscription.status == "active", Subscription.address == "")
            .order_by(Subscription.id).first())
    if line is not None:
        Subscription.update(address=f"{lager.address}, {lager.postal_code} {lager.city}").where(
            Subscription.id == line.id).execute()


def create_outages(ctx):
    """Current, planned and resolved outages (the first current one touches Demo A/S in 1620, the
    first resolved one ended yesterday), and Demo A/S's subscription to outage e-mails."""
    now, today = ctx.now, ctx.today
    yesterday = today - datetime.timedelta(days=1)
    rows = [
        dict(title_da="Ustabil mobildata i Storkøbenhavn", title_en="Unstable mobile data in Greater Copenhagen",
             body_da="Vi arbejder på at udbedre en fejl, der giver langsom eller afbrudt mobildata. Opkald og SMS "
                     "virker normalt.",
             body_en="We are fixing a fault that makes mobile data slow or interrupted. Calls and SMS work normally.",
             area_da="Mobil data, Region Hovedstaden", area_en="Mobile data, Capital Region", severity="major",
             services="mobile", postal_codes="1000-2990", starts_at=now - datetime.timedelta(hours=2),
             expected_end_at=now + datetime.timedelta(hours=4), ends_at=None),
        dict(title_da="Planlagt vedligehold af fastnet", title_en="Planned landline maintenance",
             body_da="Fastnettelefoni i Aarhus-området kunne være utilgængelig i korte perioder.",
             body_en="Landline telephony in the Aarhus area could be unavailable for short periods.",
             area_da="Fastnet, Østjylland", area_en="Landline, East Jutland", severity="minor",
             services="landline", postal_codes="8000-8270", starts_at=_at(yesterday, 1),
             expected_end_at=_at(yesterday, 5), ends_at=_at(yesterday, 5),
             created_at=_at(yesterday - datetime.timedelta(days=5), 9)),
        dict(title_da="Fiberbrud i Odense", title_en="Fibre cut in Odense",
             body_da="Et gravearbejde har beskadiget et fiberkabel. Internet og kredsløb kan være nede.",
             body_en="Road works have damaged a fibre cable. Internet and circuits may be down.",
             severity="minor", services="internet,circuit", postal_codes="5000-5270",
             starts_at=now - datetime.timedelta(minutes=45), expected_end_at=now + datetime.timedelta(hours=6),
             ends_at=None),
        dict(title_da="Planlagt arbejde på kredsløb i Nordjylland", title_en="Planned work on circuits in North Jutland",
             body_da="Kredsløb kan være afbrudt i op til 15 minutter i løbet af natten.",
             body_en="Circuits may be interrupted for up to 15 minutes during the night.",
             severity="minor", services="circuit", postal_codes="9000-9990",
             starts_at=_at(today + datetime.timedelta(days=3), 0), expected_end_at=_at(today + datetime.timedelta(days=3), 4),
             ends_at=None),
        dict(title_da="Internet nede i Brøndby", title_en="Internet down in Brøndby",
             body_da="Internetforbindelser i Brøndby var nede efter et strømsvigt.",
             body_en="Internet connections in Brøndby were down after a power cut.",
             severity="major", services="internet", postal_codes="2600-2660",
             starts_at=_at(today - datetime.timedelta(days=10), 6), expected_end_at=None,
             ends_at=_at(today - datetime.timedelta(days=10), 9)),
        dict(title_da="Forsinkede SMS'er", title_en="Delayed text messages",
             body_da="SMS'er blev leveret med op til en times forsinkelse.",
             body_en="Text messages were delivered up to an hour late.",
             severity="minor", services="mobile", postal_codes="",
             starts_at=_at(today - datetime.timedelta(days=20), 12), expected_end_at=None,
             ends_at=_at(today - datetime.timedelta(days=20), 14)),
    ]
    for row in rows:
        row.setdefault("created_at", row["starts_at"] if row["starts_at"] <= now else now)
        Outage.create(**row, updated_at=row["created_at"])
    _installation_address(ctx)
    demo = ctx.companies["demo"]
    OutageAlert.create(customer=demo.customer_id, company=demo, emails="drift@demo.dk", language="da",
                       updated_by=ctx.users["admin@demo.dk"], created_at=now, updated_at=now)
    ctx.count("outages", len(rows))
    ctx.count("outage_alerts", 1)
