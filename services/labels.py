"""Translated labels for the codes stored in the database (statuses, kinds, channels)."""
from flask_babel import lazy_gettext as _l

LABELS = {
    "ticket_status": {"open": _l("Open"), "waiting": _l("Waiting for you"), "closed": _l("Closed")},
    # the same statuses in the operator staff's words
    "ticket_status_staff": {"open": _l("Needs an answer"), "waiting": _l("Waiting for the customer"),
                            "closed": _l("Closed")},
    "ticket_category": {"fault_critical": _l("Fault that stops work"), "fault": _l("Other fault"),
                        "invoice": _l("Invoice"), "order": _l("Order"), "question": _l("Question")},
    "sla_state": {"met": _l("Answered in time"), "missed": _l("Answered late"), "due": _l("Awaiting answer"),
                  "overdue": _l("Answer overdue"), "stopped": _l("Closed before an answer")},
    "subscription_status": {
        "pending": _l("Pending"), "active": _l("Active"), "blocked": _l("Blocked"),
        "cancelled": _l("Cancelled"), "transferred": _l("Transferred"),
    },
    "kind": {"mobile": _l("Mobile"), "landline": _l("Telephony"), "internet": _l("Internet"),
             "circuit": _l("Circuit")},
    "order_status": {"received": _l("Received"), "in_progress": _l("In progress"),
                     "completed": _l("Completed"), "failed": _l("Failed")},
    "order_kind": {
        "new_subscription": _l("New subscription"), "takeover": _l("Takeover"),
        "sim_change": _l("SIM change"), "plan_change": _l("Plan change"), "cancel": _l("Cancellation"),
        "transfer": _l("Transfer to employee"), "addon": _l("Add-on"), "block": _l("Block"),
        "unblock": _l("Lift block"), "port_in": _l("Port-in"), "account_change": _l("Account change"),
        "addon_remove": _l("Add-on cancelled"), "port_request": _l("Number port-in"),
        "vacation_reply": _l("Vacation reply"), "profile_switch": _l("Profile switch"),
        "profile_change": _l("Profile forwarding"), "personal_number": _l("Personal number forwarding"),
        "call_flow": _l("Call flow"),
    },
    "order_step": {"received": _l("Received"), "waiting_acceptance": _l("Waiting for the new holder"),
                   "accepted": _l("Accepted by the new holder"), "declined": _l("Declined by the new holder"),
                   "in_progress": _l("Sent to the network"), "completed": _l("Completed"),
                   "failed": _l("Failed"), "port_sent": _l("Sent to the current operator"),
                   "port_date_confirmed": _l("Date confirmed by the current operator"),
                   "port_corrected": _l("Corrected"),
                   "notice": _l("Notice sent to the number and the administrators"),
                   "notice_over": _l("Notice period over"), "review_held": _l("Held for staff review"),
                   "review_approved": _l("Approved by staff"), "review_rejected": _l("Rejected by staff"),
                   "fraud_stopped": _l("Stopped: this wasn't us")},
    "order_failure": {
        "fraud_stopped": _l("stopped by an administrator: this wasn't us"),
        "review_rejected": _l("rejected by our staff after a recent SIM change"),
        "network_unavailable": _l("the network did not answer; try again later"),
        "sim_not_activated": _l("the SIM card could not be activated in the network"),
        "donor_rejected": _l("the current operator rejected the takeover"),
        "number_unavailable": _l("the number is not available"),
        "addon_incompatible": _l("the add-on cannot be combined with the plan"),
        "declined": _l("the new holder declined"),
        "owner_mismatch": _l("the owner's name or CVR does not match the current operator's records"),
        "cancelled": _l("cancelled by you before it was sent"),
    },
    "invoice_status": {"open": _l("Open"), "paid": _l("Paid"), "overdue": _l("Overdue")},
    # the groups of "why did my invoice change?" (services/invoices.py explain_lines)
    "invoice_change": {
        "new": _l("New subscriptions"), "ended": _l("Ended subscriptions"),
        "plan": _l("Plan changes and part months"), "addon": _l("Add-ons added, removed or changed"),
        "usage_voice": _l("Usage: calls abroad and to special numbers"),
        "usage_sms": _l("Usage: text messages abroad"), "usage_data": _l("Usage: extra data"),
        "usage_roaming": _l("Usage: roaming outside the EU"), "fees": _l("One-off fees"),
    },
    "invoice_format": {"pdf_email": _l("PDF by e-mail"), "ean": _l("EAN e-invoice"),
                       "portal": _l("Portal only")},
    "channel": {"email": _l("E-mail"), "sms": _l("SMS"), "digital_post": _l("Digital post")},
    "message_status": {"queued": _l("Queued"), "sent": _l("Sent"), "failed": _l("Failed")},
    "sim_form": {"physical": _l("SIM card"), "esim": _l("eSIM")},
    "sim_status": {"active": _l("Active"), "old": _l("Old"), "ordered": _l("Ordered")},
    "job_status": {"queued": _l("Queued"), "running": _l("Running"), "finished": _l("Finished"),
                   "failed": _l("Failed")},
    "usage_kind": {"call": _l("Call"), "sms": _l("SMS"), "data": _l("Data")},
    "application_status": {"received": _l("Received"), "approved": _l("Approved"),
                           "rejected": _l("Rejected"), "closed": _l("Closed")},
    "application_kind": {"access": _l("Access"), "recovery": _l("New administrator")},
    "application_result": {
        "letter_sent": _l("Letter sent"), "letter_resent": _l("Letter sent again"),
        "already_sent": _l("Letter already on its way"), "has_admin": _l("Has an administrator"),
        "not_customer": _l("Not a customer"), "email_in_use": _l("E-mail already in use"),
        "recovered": _l("New administrator created"), "rejected_by_staff": _l("Rejected by staff"),
        "superseded": _l("Another letter was used"), "activated": _l("Letter used"),
    },
    "user_status": {"pending": _l("Not activated"), "active": _l("Active"), "disabled": _l("Disabled")},
    "audit_kind": {
        "auth": _l("Logins"), "2fa": _l("Two-factor devices"), "user": _l("Users and rights"),
        "application": _l("Applications"), "staff": _l("Operator staff"), "session": _l("Sessions"),
        "settings": _l("Settings"), "ticket": _l("Support tickets"), "outage": _l("Outages"),
        "subscription": _l("Subscriptions"), "order": _l("Orders"), "invoice": _l("Invoices and credit notes"),
        "account": _l("Accounts"), "company": _l("Company master data"),
        # the audit trail's kind filter lists these keys: a new prefix gets a line here
        "numbers": _l("Numbers and porting"), "call_flow": _l("Call flow"), "products": _l("Telephony products"),
    },
    # the fields whose changes the audit trail puts in words ("invoice format from … to …")
    "audit_field": {
        "name": _l("name"), "invoice_format": _l("invoice format"), "invoice_emails": _l("invoice e-mails"),
        "ean": _l("EAN number"), "reference": _l("reference"), "address": _l("address"),
        "postal_code": _l("postal code"), "city": _l("city"),
        "default_invoice_format": _l("invoice format of new accounts"),
    },
    "porting_status": {"received": _l("Received"), "sent": _l("Sent to the current operator"),
                       "date_confirmed": _l("Date confirmed"), "completed": _l("Completed"),
                       "rejected": _l("Rejected"), "cancelled": _l("Cancelled")},
    "number_type": {"mobile": _l("Mobile"), "landline": _l("Landline"), "main": _l("Main number"),
                    "personal": _l("Personal number"), "series": _l("Number series")},
}


def label(group, code):
    """The translated label, or the code itself when none is known."""
    return LABELS.get(group, {}).get(code, code)
