"""URL parameters pointing at Demo A/S objects that admin@demo.dk can see, and URLs built from them:
for tests that walk every route once (template blocks); tests/test_access_policy.py builds a
world of its own with both customers' objects."""
from models import (
    Company,
    Order,
    Outage,
    PersonalNumber,
    PhoneUser,
    PortingRequest,
    Subscription,
    SupportTicket,
    TotpDevice,
    User,
)


def sample_args(ctx_user_email="admin@demo.dk"):
    """URL parameters pointing at Demo A/S objects, all visible to admin@demo.dk."""
    mette = Subscription.get(Subscription.number == "+4520000001")
    admin = User.get(User.email == ctx_user_email)
    demo_a = Company.get(Company.cvr == "12345674")
    return {
        "subscription_id": mette.id,
        "account_id": mette.account_id,
        "ticket_id": SupportTicket.select().where(SupportTicket.company == demo_a).first().id,
        "device_id": TotpDevice.get(TotpDevice.user == admin).id,
        "outage_id": Outage.select().first().id,
        # a colleague in Demo A/S (routes about another user of the company)
        "user_id": User.get(User.email == "begraenset@demo.dk").id,
        "application_id": 1,  # staff-only routes: refused before any lookup
        "job_id": "00000000-0000-0000-0000-000000000000",
        "order_id": Order.select().where(Order.company == demo_a).first().id,
        "company_id": demo_a.id,  # company master data under /accounts
        # Mette's account (40120011) has six invoices and the demo credit note
        "invoice_id": mette.account.invoices.first().id,
        "note_id": mette.account.credit_notes.first().id,
        "action": "plan",  # every action answers the same way (see test_subscription_actions)
        "bulk_id": 1,  # none in the demo data: 404 for everyone
        "attachment_id": 1,  # the demo's first attachment, on Demo A/S's first ticket
        "porting_id": PortingRequest.select().where(PortingRequest.company == demo_a).first().id,
        "token": "not-a-token",  # transfer acceptance links are public
        # Mette Jensen's extension on the phone system, one of its profiles, and a 70-number
        "phone_user_id": PhoneUser.get(PhoneUser.subscription == mette.id).id, "profile": "meeting",
        "personal_number_id": PersonalNumber.get(PersonalNumber.company == demo_a).id,
        "system_id": demo_a.phone_systems.first().id,  # the call flow on the main number
        "version": 1,
    }


def url_for_rule(app, rule, args):
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **{k: args[k] for k in rule.arguments})


