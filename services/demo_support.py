"""Demo data of the support area: tickets with their threads, and outages."""
import datetime

from models import Outage, SupportTicket, TicketMessage

from .demo_data import _at

TICKETS = (
    # (company key, subject, category, status, [(from staff, body)])
    ("demo", "Faktura for marts er højere end forventet", "invoice", "open", [
        (False, "Hej. Vores faktura er steget med ca. 2.000 kr. Kan I forklare hvorfor?"),
        (True, "Hej Anne. Stigningen skyldes roaming i USA på to abonnementer. Vi sender en "
               "specifikation."),
    ]),
    ("demo", "Ny medarbejder mangler eSIM", "sim", "waiting", [
        (False, "Vi har bestilt et eSIM til en ny kollega, men QR-koden er ikke kommet."),
        (True, "Vi har sendt aktiveringskoden igen. Vil du bekræfte, at den er modtaget?"),
    ]),
    ("demo", "Dårlig dækning på lageret i Brøndby", "technical", "open", [
        (False, "Flere medarbejdere oplever afbrudte opkald på lageret."),
    ]),
    ("demo", "Flyt abonnementer til ny konto", "subscription", "closed", [
        (False, "Vi vil gerne flytte salgsafdelingens abonnementer til kontoen Salg."),
        (True, "Abonnementerne er nu flyttet. Ændringen slår igennem på næste faktura."),
        (False, "Tak for hjælpen!"),
    ]),
    ("demo", "Spørgsmål til opsigelsesvarsel", "other", "closed", [
        (False, "Hvad er opsigelsesvarslet på vores fiberforbindelse?"),
        (True, "Opsigelsesvarslet er løbende måned plus 30 dage."),
    ]),
    ("demo", "Hovednummeret viderestiller forkert", "technical", "waiting", [
        (False, "Når man trykker 2 i menuen, ender man i telefonsvareren."),
        (True, "Vi har rettet menuen. Må vi lukke sagen?"),
    ]),
    ("demo_service", "EAN-nummer på faktura", "invoice", "open", [
        (False, "Vores faktura skal sendes som e-faktura. Hvordan ændrer vi det?"),
    ]),
    ("demo_service", "Spærret SIM-kort", "sim", "closed", [
        (False, "Et SIM-kort er spærret efter forkert PIN. Hvor finder jeg PUK-koden?"),
        (True, "PUK-koden står under abonnementet i selvbetjeningen, fanen SIM-kort."),
    ]),
    ("anden", "Adgang for ny kollega", "other", "open", [
        (False, "Hvordan giver jeg en kollega adgang til fakturaerne?"),
    ]),
)


def create_tickets(ctx):
    """Tickets in every status for both Demo companies and Anden Kunde ApS, with their threads."""
    staff = ctx.users["staff@operator.dk"]
    authors = {"demo": ctx.users["admin@demo.dk"], "demo_service": ctx.users["admin@demo.dk"],
               "anden": ctx.users["admin@anden.dk"]}
    messages = 0
    for i, (company_key, subject, category, status, thread) in enumerate(TICKETS):
        company = ctx.companies[company_key]
        created = ctx.now - datetime.timedelta(days=3 * (len(TICKETS) - i) + 1)
        stamps = [created + datetime.timedelta(hours=5 * n) for n in range(len(thread))]
        ticket = SupportTicket.create(
            customer=company.customer_id, company=company, created_by=authors[company_key],
            number=f"S-{100001 + i}", subject=subject, category=category, status=status,
            created_at=created, updated_at=stamps[-1])
        for (from_staff, body), stamp in zip(thread, stamps):
            TicketMessage.create(ticket=ticket, author=staff if from_staff else
                                 authors[company_key], from_staff=from_staff, body=body,
                                 created_at=stamp)
            messages += 1
    ctx.count("tickets", len(TICKETS))
    ctx.count("ticket_messages", messages)


def create_outages(ctx):
    """One current outage and one resolved yesterday."""
    Outage.create(
        title_da="Ustabil mobildata i Storkøbenhavn", title_en="Unstable mobile data in "
        "Greater Copenhagen", body_da="Vi arbejder på at udbedre en fejl, der giver langsom "
        "eller afbrudt mobildata. Opkald og SMS virker normalt.", body_en="We are fixing a "
        "fault that makes mobile data slow or interrupted. Calls and SMS work normally.",
        area_da="Mobil data, Region Hovedstaden", area_en="Mobile data, Capital Region", severity="major",
        starts_at=ctx.now - datetime.timedelta(hours=2), ends_at=None,
        created_at=ctx.now - datetime.timedelta(hours=2))
    yesterday = ctx.today - datetime.timedelta(days=1)
    Outage.create(
        title_da="Planlagt vedligehold af fastnet", title_en="Planned landline maintenance",
        body_da="Fastnettelefoni i Aarhus-området kunne være utilgængelig i korte perioder.",
        body_en="Landline telephony in the Aarhus area could be unavailable for short periods.",
        area_da="Fastnet, Østjylland", area_en="Landline, East Jutland", severity="minor", starts_at=_at(yesterday, 1),
        ends_at=_at(yesterday, 5), created_at=_at(yesterday - datetime.timedelta(days=5), 9))
    ctx.count("outages", 2)
