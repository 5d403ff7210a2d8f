"""All models, importable from one place; ALL_MODELS in dependency order."""
from peewee import sort_models

from .audit import AuditEvent
from .base import BaseModel, db, utcnow
from .billing import Charge, CreditNote, CreditNoteLine, Invoice, InvoiceLine, NumberSeries, PlanChange, UsageMonth
from .bulk import BulkItem, BulkRequest
from .catalogue import AddOn, Plan
from .customers import Account, Company, Customer
from .jobs import JobRecord
from .numbers import PortingRequest
from .orders import Order, OrderStep
from .outbox import OutboxMessage
from .products import CallFlowStep, PersonalNumber, PhoneSystem, UserProfile, VacationReply
from .subscriptions import SimCard, Subscription, SubscriptionAddOn
from .support import Application, Outage, SupportTicket, TicketMessage
from .usage import UsageRecord
from .users import Membership, MembershipAccount, OneTimeCode, TotpDevice, User, WebSession

ALL_MODELS = sort_models([
    Customer, Company, Account, Plan, AddOn, Subscription, SubscriptionAddOn, SimCard,
    User, Membership, MembershipAccount, TotpDevice, OneTimeCode, WebSession,
    Order, OrderStep, BulkRequest, BulkItem, UsageRecord, Invoice, InvoiceLine, CreditNote, CreditNoteLine,
    Charge, PlanChange, UsageMonth, NumberSeries, Application, SupportTicket,
    TicketMessage, Outage, PortingRequest, PhoneSystem, CallFlowStep, UserProfile,
    VacationReply, PersonalNumber, AuditEvent, OutboxMessage, JobRecord,
])

__all__ = [m.__name__ for m in ALL_MODELS] + ["ALL_MODELS", "BaseModel", "db", "utcnow"]
