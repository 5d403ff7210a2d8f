"""All models, importable from one place; ALL_MODELS in dependency order."""
from peewee import sort_models

from .audit import AuditEvent
from .base import BaseModel, db, utcnow
from .billing import Charge, CreditNote, CreditNoteLine, Invoice, InvoiceLine, NumberSeries, PlanChange, UsageMonth
from .bulk import BulkItem, BulkRequest
from .call_flows import CallFlowVersion
from .catalogue import AddOn, Plan
from .customers import Account, Company, Customer
from .jobs import JobRecord, StoredFile, StoredFilePart
from .numbers import NumberRange, PortingNumber, PortingRequest
from .orders import Order, OrderStep
from .outbox import OutboxMessage
from .products import PersonalNumber, PersonalNumberRule, PhoneSystem, PhoneUser, UserProfile, VacationReply
from .subscriptions import SimCard, Subscription, SubscriptionAddOn
from .support import Application, Outage, OutageAlert, SupportTicket, TicketAttachment, TicketMessage
from .usage import UsageRecord
from .users import Membership, MembershipAccount, OneTimeCode, TotpDevice, User, WebSession

ALL_MODELS = sort_models([
    Customer, Company, Account, Plan, AddOn, Subscription, SubscriptionAddOn, SimCard,
    User, Membership, MembershipAccount, TotpDevice, OneTimeCode, WebSession,
    Order, OrderStep, BulkRequest, BulkItem, UsageRecord, Invoice, InvoiceLine, CreditNote, CreditNoteLine,
    Charge, PlanChange, UsageMonth, NumberSeries, Application, SupportTicket, TicketAttachment, OutageAlert,
    TicketMessage, Outage, PortingRequest, PortingNumber, NumberRange, PhoneSystem, CallFlowVersion, UserProfile,
    VacationReply, PersonalNumber, PhoneUser, PersonalNumberRule, AuditEvent, OutboxMessage, JobRecord,
    StoredFile, StoredFilePart,
])

__all__ = [m.__name__ for m in ALL_MODELS] + ["ALL_MODELS", "BaseModel", "db", "utcnow"]
