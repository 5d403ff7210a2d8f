"""Initial schema: the whole domain model."""
# Generated from a schema diff on 2026-11-22 01:32.
from peewee import *

# Python-side defaults (timestamps, dates) live in the models, not in the schema.


def up(migrator, db):
    class Customer(Model):
        created_at = DateTimeField()
        name = CharField()
        class Meta:
            database = db
            table_name = 'customer'
    db.create_tables([Customer])

    class Company(Model):
        created_at = DateTimeField()
        customer = ForeignKeyField(Customer)
        parent = ForeignKeyField('self', null=True)
        name = CharField()
        cvr = CharField(unique=True, max_length=8)
        address = CharField(default='')
        postal_code = CharField(max_length=4, default='')
        city = CharField(default='')
        class Meta:
            database = db
            table_name = 'company'
    db.create_tables([Company])

    class Account(Model):
        created_at = DateTimeField()
        customer = ForeignKeyField(Customer)
        company = ForeignKeyField(Company)
        number = CharField(unique=True, max_length=12)
        name = CharField()
        invoice_emails = TextField(default='')
        ean = CharField(null=True, max_length=13)
        invoice_format = CharField(max_length=16, default='pdf_email')
        address = CharField(default='')
        postal_code = CharField(max_length=4, default='')
        city = CharField(default='')
        reference = CharField(default='')
        active = BooleanField(default=True)
        class Meta:
            database = db
            table_name = 'account'
            indexes = ((('company', 'name'), False),)
    db.create_tables([Account])

    class AddOn(Model):
        code = CharField(unique=True)
        kind = CharField(index=True, max_length=16)
        name = CharField()
        monthly_price = IntegerField()
        active = BooleanField(default=True)
        class Meta:
            database = db
            table_name = 'add_on'
    db.create_tables([AddOn])

    class Application(Model):
        created_at = DateTimeField()
        cvr = CharField(index=True, max_length=8)
        company_name = CharField()
        admin_name = CharField()
        email = CharField()
        mobile = CharField()
        status = CharField(max_length=16, default='received')
        result = CharField(default='')
        company = ForeignKeyField(Company, null=True)
        processed_at = DateTimeField(null=True)
        ip = CharField(default='')
        class Meta:
            database = db
            table_name = 'application'
    db.create_tables([Application])

    class Plan(Model):
        code = CharField(unique=True)
        kind = CharField(index=True, max_length=16)
        name = CharField()
        monthly_price = IntegerField()
        data_gb = IntegerField(null=True)
        active = BooleanField(default=True)
        class Meta:
            database = db
            table_name = 'plan'
    db.create_tables([Plan])

    class Subscription(Model):
        created_at = DateTimeField()
        customer = ForeignKeyField(Customer)
        company = ForeignKeyField(Company)
        account = ForeignKeyField(Account)
        kind = CharField(max_length=16)
        number = CharField(index=True, max_length=32)
        holder_name = CharField()
        holder_email = CharField(default='')
        search_key = CharField(default='')
        plan = ForeignKeyField(Plan)
        status = CharField(max_length=16, default='active')
        invoice_note = CharField(default='')
        start_date = DateField()
        end_date = DateField(null=True)
        class Meta:
            database = db
            table_name = 'subscription'
            indexes = ((('customer', 'holder_name'), False), (('company', 'holder_name'), False), (('account', 'holder_name'), False), (('customer', 'kind', 'holder_name'), False), (('customer', 'status'), False))
    db.create_tables([Subscription])

    class User(Model):
        created_at = DateTimeField()
        email = CharField(unique=True)
        username = CharField(unique=True, null=True)
        name = CharField()
        mobile = CharField(default='')
        password_hash = CharField(null=True)
        kind = CharField(max_length=16, default='customer')
        status = CharField(max_length=16, default='active')
        locale = CharField(null=True, max_length=5)
        subscription = ForeignKeyField(Subscription, null=True)
        failed_logins = IntegerField(default=0)
        locked_until = DateTimeField(null=True)
        last_login_at = DateTimeField(null=True)
        last_totp_step = IntegerField(default=0)
        class Meta:
            database = db
            table_name = 'user'
    db.create_tables([User])

    class AuditEvent(Model):
        created_at = DateTimeField()
        customer = ForeignKeyField(Customer, null=True)
        company = ForeignKeyField(Company, null=True)
        user = ForeignKeyField(User, null=True)
        action = CharField(max_length=48)
        object_type = CharField(max_length=32, default='')
        object_id = CharField(max_length=32, default='')
        details = TextField(default='{}')
        ip = CharField(default='')
        class Meta:
            database = db
            table_name = 'audit_event'
            indexes = ((('company', 'created_at'), False), (('user', 'created_at'), False), (('action', 'created_at'), False))
    db.create_tables([AuditEvent])

    class PhoneSystem(Model):
        created_at = DateTimeField()
        customer = ForeignKeyField(Customer)
        company = ForeignKeyField(Company)
        name = CharField()
        main_number = CharField(max_length=32)
        class Meta:
            database = db
            table_name = 'phone_system'
    db.create_tables([PhoneSystem])

    class CallFlowStep(Model):
        created_at = DateTimeField()
        phone_system = ForeignKeyField(PhoneSystem, on_delete='CASCADE')
        position = IntegerField()
        kind = CharField(max_length=16)
        label = CharField()
        target = CharField(default='')
        settings = TextField(default='{}')
        class Meta:
            database = db
            table_name = 'call_flow_step'
            indexes = ((('phone_system', 'position'), True),)
    db.create_tables([CallFlowStep])

    class Invoice(Model):
        created_at = DateTimeField()
        customer = ForeignKeyField(Customer)
        account = ForeignKeyField(Account)
        number = CharField(unique=True, max_length=16)
        period_start = DateField()
        period_end = DateField()
        issued_on = DateField()
        due_on = DateField()
        net = IntegerField()
        vat = IntegerField()
        total = IntegerField()
        status = CharField(max_length=16, default='open')
        class Meta:
            database = db
            table_name = 'invoice'
            indexes = ((('account', 'issued_on'), False), (('customer', 'issued_on'), False))
    db.create_tables([Invoice])

    class CreditNote(Model):
        created_at = DateTimeField()
        customer = ForeignKeyField(Customer)
        account = ForeignKeyField(Account)
        invoice = ForeignKeyField(Invoice, null=True)
        number = CharField(unique=True, max_length=16)
        issued_on = DateField()
        reason = CharField()
        net = IntegerField()
        vat = IntegerField()
        total = IntegerField()
        class Meta:
            database = db
            table_name = 'credit_note'
            indexes = ((('account', 'issued_on'), False),)
    db.create_tables([CreditNote])

    class InvoiceLine(Model):
        invoice = ForeignKeyField(Invoice)
        subscription = ForeignKeyField(Subscription, null=True)
        kind = CharField(max_length=16)
        description = CharField()
        quantity = IntegerField(default=1)
        amount = IntegerField()
        class Meta:
            database = db
            table_name = 'invoice_line'
            indexes = ((('subscription',), False),)
    db.create_tables([InvoiceLine])

    class JobRecord(Model):
        id = CharField(primary_key=True, max_length=36)
        created_at = DateTimeField()
        name = CharField(max_length=64)
        status = CharField(max_length=16, default='queued')
        progress = IntegerField(default=0)
        message = CharField(default='')
        result = TextField(default='')
        user = ForeignKeyField(User, null=True)
        company = ForeignKeyField(Company, null=True)
        finished_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'job_record'
    db.create_tables([JobRecord])

    class Membership(Model):
        created_at = DateTimeField()
        user = ForeignKeyField(User)
        company = ForeignKeyField(Company)
        is_admin = BooleanField(default=False)
        full_access = BooleanField(default=True)
        functions = TextField(default='')
        class Meta:
            database = db
            table_name = 'membership'
            indexes = ((('user', 'company'), True),)
    db.create_tables([Membership])

    class MembershipAccount(Model):
        membership = ForeignKeyField(Membership, on_delete='CASCADE')
        account = ForeignKeyField(Account)
        class Meta:
            database = db
            table_name = 'membership_account'
            indexes = ((('membership', 'account'), True),)
    db.create_tables([MembershipAccount])

    class OneTimeCode(Model):
        created_at = DateTimeField()
        user = ForeignKeyField(User, on_delete='CASCADE')
        purpose = CharField(max_length=16)
        channel = CharField(max_length=16)
        code_hash = CharField()
        expires_at = DateTimeField()
        attempts = IntegerField(default=0)
        used_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'one_time_code'
            indexes = ((('user', 'purpose', 'created_at'), False),)
    db.create_tables([OneTimeCode])

    class Order(Model):
        created_at = DateTimeField()
        customer = ForeignKeyField(Customer)
        company = ForeignKeyField(Company)
        account = ForeignKeyField(Account, null=True)
        subscription = ForeignKeyField(Subscription, null=True)
        kind = CharField(max_length=24)
        status = CharField(max_length=16, default='received')
        details = TextField(default='{}')
        requested_by = ForeignKeyField(User, null=True)
        updated_at = DateTimeField()
        completed_at = DateTimeField(null=True)
        failure_reason = CharField(default='')
        class Meta:
            database = db
            table_name = 'order'
            indexes = ((('company', 'status', 'created_at'), False), (('customer', 'created_at'), False))
    db.create_tables([Order])

    class Outage(Model):
        created_at = DateTimeField()
        title_da = CharField()
        title_en = CharField()
        body_da = TextField(default='')
        body_en = TextField(default='')
        area = CharField(default='')
        severity = CharField(max_length=16, default='minor')
        starts_at = DateTimeField()
        ends_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'outage'
            indexes = ((('ends_at', 'starts_at'), False),)
    db.create_tables([Outage])

    class OutboxMessage(Model):
        created_at = DateTimeField()
        channel = CharField(max_length=16)
        recipient = CharField()
        subject = CharField(default='')
        body = TextField()
        user = ForeignKeyField(User, null=True)
        company = ForeignKeyField(Company, null=True)
        status = CharField(max_length=16, default='queued')
        attempts = IntegerField(default=0)
        error = CharField(default='')
        sent_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'outbox_message'
            indexes = ((('created_at',), False), (('status',), False))
    db.create_tables([OutboxMessage])

    class PersonalNumber(Model):
        created_at = DateTimeField()
        customer = ForeignKeyField(Customer)
        company = ForeignKeyField(Company)
        number = CharField(unique=True, max_length=32)
        name = CharField()
        forward_to = CharField(max_length=32)
        class Meta:
            database = db
            table_name = 'personal_number'
    db.create_tables([PersonalNumber])

    class PortingRequest(Model):
        created_at = DateTimeField()
        customer = ForeignKeyField(Customer)
        company = ForeignKeyField(Company)
        account = ForeignKeyField(Account)
        number = CharField(max_length=32)
        donor_operator = CharField()
        requested_date = DateField()
        status = CharField(max_length=16, default='received')
        created_by = ForeignKeyField(User, null=True)
        class Meta:
            database = db
            table_name = 'porting_request'
            indexes = ((('company', 'created_at'), False),)
    db.create_tables([PortingRequest])

    class SimCard(Model):
        created_at = DateTimeField()
        subscription = ForeignKeyField(Subscription)
        iccid = CharField(unique=True, max_length=22)
        pin = CharField(max_length=8)
        puk = CharField(max_length=8)
        form = CharField(max_length=8, default='physical')
        status = CharField(max_length=8, default='active')
        activation_code = TextField(null=True)
        class Meta:
            database = db
            table_name = 'sim_card'
            indexes = ((('subscription', 'status'), False),)
    db.create_tables([SimCard])

    class SubscriptionAddOn(Model):
        subscription = ForeignKeyField(Subscription)
        addon = ForeignKeyField(AddOn)
        start_date = DateField()
        class Meta:
            database = db
            table_name = 'subscription_add_on'
            indexes = ((('subscription', 'addon'), True),)
    db.create_tables([SubscriptionAddOn])

    class SupportTicket(Model):
        created_at = DateTimeField()
        customer = ForeignKeyField(Customer)
        company = ForeignKeyField(Company)
        created_by = ForeignKeyField(User, null=True)
        number = CharField(unique=True, max_length=12)
        subject = CharField()
        category = CharField(max_length=24, default='other')
        status = CharField(max_length=16, default='open')
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'support_ticket'
            indexes = ((('company', 'updated_at'), False),)
    db.create_tables([SupportTicket])

    class TicketMessage(Model):
        created_at = DateTimeField()
        ticket = ForeignKeyField(SupportTicket, on_delete='CASCADE')
        author = ForeignKeyField(User, null=True)
        from_staff = BooleanField(default=False)
        body = TextField()
        class Meta:
            database = db
            table_name = 'ticket_message'
    db.create_tables([TicketMessage])

    class TotpDevice(Model):
        created_at = DateTimeField()
        user = ForeignKeyField(User, on_delete='CASCADE')
        name = CharField()
        secret = CharField()
        confirmed = BooleanField(default=False)
        last_used_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'totp_device'
    db.create_tables([TotpDevice])

    class UsageRecord(Model):
        subscription = ForeignKeyField(Subscription, index=False)
        occurred_at = DateTimeField()
        kind = CharField(max_length=8)
        destination = CharField(default='')
        country = CharField(max_length=2, default='DK')
        duration_s = IntegerField(default=0)
        volume_kb = IntegerField(default=0)
        price = IntegerField(default=0)
        class Meta:
            database = db
            table_name = 'usage_record'
            indexes = ((('subscription', 'occurred_at'), False),)
    db.create_tables([UsageRecord])

    class UserProfile(Model):
        created_at = DateTimeField()
        phone_system = ForeignKeyField(PhoneSystem, on_delete='CASCADE')
        subscription = ForeignKeyField(Subscription, null=True)
        name = CharField()
        presence = CharField(max_length=16, default='available')
        forward_to = CharField(default='')
        class Meta:
            database = db
            table_name = 'user_profile'
    db.create_tables([UserProfile])

    class VacationReply(Model):
        created_at = DateTimeField()
        subscription = ForeignKeyField(Subscription)
        message = TextField()
        starts_on = DateField()
        ends_on = DateField()
        active = BooleanField(default=True)
        class Meta:
            database = db
            table_name = 'vacation_reply'
    db.create_tables([VacationReply])

    class WebSession(Model):
        created_at = DateTimeField()
        token_hash = CharField(unique=True)
        user = ForeignKeyField(User, null=True, on_delete='CASCADE')
        data = TextField(default='{}')
        last_seen_at = DateTimeField()
        ip = CharField(default='')
        user_agent = CharField(default='')
        class Meta:
            database = db
            table_name = 'web_session'
            indexes = ((('user', 'last_seen_at'), False), (('last_seen_at',), False))
    db.create_tables([WebSession])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('web_session'))
    migrator.migrate(migrator.drop_table('vacation_reply'))
    migrator.migrate(migrator.drop_table('user_profile'))
    migrator.migrate(migrator.drop_table('usage_record'))
    migrator.migrate(migrator.drop_table('totp_device'))
    migrator.migrate(migrator.drop_table('ticket_message'))
    migrator.migrate(migrator.drop_table('support_ticket'))
    migrator.migrate(migrator.drop_table('subscription_add_on'))
    migrator.migrate(migrator.drop_table('sim_card'))
    migrator.migrate(migrator.drop_table('porting_request'))
    migrator.migrate(migrator.drop_table('personal_number'))
    migrator.migrate(migrator.drop_table('outbox_message'))
    migrator.migrate(migrator.drop_table('outage'))
    migrator.migrate(migrator.drop_table('order'))
    migrator.migrate(migrator.drop_table('one_time_code'))
    migrator.migrate(migrator.drop_table('membership_account'))
    migrator.migrate(migrator.drop_table('membership'))
    migrator.migrate(migrator.drop_table('job_record'))
    migrator.migrate(migrator.drop_table('invoice_line'))
    migrator.migrate(migrator.drop_table('credit_note'))
    migrator.migrate(migrator.drop_table('invoice'))
    migrator.migrate(migrator.drop_table('call_flow_step'))
    migrator.migrate(migrator.drop_table('phone_system'))
    migrator.migrate(migrator.drop_table('audit_event'))
    migrator.migrate(migrator.drop_table('user'))
    migrator.migrate(migrator.drop_table('subscription'))
    migrator.migrate(migrator.drop_table('plan'))
    migrator.migrate(migrator.drop_table('application'))
    migrator.migrate(migrator.drop_table('add_on'))
    migrator.migrate(migrator.drop_table('account'))
    migrator.migrate(migrator.drop_table('company'))
    migrator.migrate(migrator.drop_table('customer'))
