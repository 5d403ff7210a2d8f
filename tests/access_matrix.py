"""The access matrix: every route x every method it accepts, with who may call it and what
everyone else gets. tests/test_access_policy.py walks it for every role with both customers' ids.

A route or method without an entry here fails the test, so a new route has to say who may call it.
The table is written out by hand on purpose: it is checked against the decorator the view declares
(blueprints/access.py), and the decorator against what the app does.
"""
from dataclasses import dataclass, field

# The roles the matrix walks (users in tests/test_access_policy.py's `world` fixture):
ANONYMOUS = "anonymous"
ADMIN = "admin"  # the customer's admin, with the customer's own ids (admin@demo.dk, admin@anden.dk)
LACKING = "lacking"  # a colleague without the function the route needs (per route)
LIMITED = "limited"  # a colleague with every function, limited to another account than the ids'
EMPLOYEE = "employee"  # the employee of /me (mette.jensen@demo.dk)
STAFF = "staff"  # operator staff (staff@operator.dk)
ROLES = (ANONYMOUS, ADMIN, LACKING, LIMITED, EMPLOYEE, STAFF)

# What a role gets
ANSWERS = "answers"  # a public route: anything but a server error (its flow may send the visitor elsewhere)
OK = "ok"  # the view runs: 2xx, 3xx (not to the login), or a form error (400, 409, 422, 429)
LOGIN = "login"  # 302 to /login
DENIED = 403
GONE = 404

# URL parameters that name an object of one customer: the other customer's id must answer 404.
OBJECT_ARGS = frozenset({
    "subscription_id", "account_id", "company_id", "invoice_id", "note_id", "order_id", "bulk_id",
    "ticket_id", "attachment_id", "porting_id", "system_id", "phone_user_id", "personal_number_id",
    "user_id", "job_id", "device_id",
})


@dataclass(frozen=True)
class Entry:
    role: str  # the policy the view must declare
    function: str | None
    allowed: frozenset  # the roles that may call it (with their own customer's ids)
    refused: dict = field(default_factory=dict)  # role -> LOGIN, DENIED or GONE
    allowed_gets: str = OK  # what the allowed roles get: OK, or ANSWERS for public routes

    def outcome(self, role):
        return self.allowed_gets if role in self.allowed else self.refused[role]


def _entry(role, function, outcomes):
    return Entry(role, function, frozenset(r for r, o in outcomes.items() if o == OK),
                 {r: o for r, o in outcomes.items() if o != OK})


def public():
    """Anyone, signed in or not."""
    return Entry("public", None, frozenset(ROLES), {}, ANSWERS)


def signed_in(owner=False):
    """Any signed-in user; with `owner`, only the user the object belongs to (the admin's device)."""
    other = GONE if owner else OK
    return _entry("signed_in", None, {ANONYMOUS: LOGIN, ADMIN: OK, LACKING: other, LIMITED: other,
                                      EMPLOYEE: other, STAFF: other})


def staff():
    return _entry("staff", None, {ANONYMOUS: LOGIN, ADMIN: DENIED, LACKING: DENIED, LIMITED: DENIED,
                                  EMPLOYEE: DENIED, STAFF: OK})


def employee():
    return _entry("employee", None, {ANONYMOUS: LOGIN, ADMIN: DENIED, LACKING: DENIED, LIMITED: DENIED,
                                     EMPLOYEE: OK, STAFF: DENIED})


def member(function, limited=OK, owner=False, admins=False):
    """A member of the customer holding `function` (None: any member). `limited` is what a colleague
    limited to another account gets (DENIED: company-wide changes need every account); `owner`: the
    object is the starting user's own (jobs, bulk requests): a colleague who may use the route still
    gets 404; `admins`: the service lets administrators only."""
    if admins:
        return _entry("member", function, {ANONYMOUS: LOGIN, ADMIN: OK, LACKING: DENIED, LIMITED: DENIED,
                                           EMPLOYEE: DENIED, STAFF: DENIED})
    if function == "users":
        limited = DENIED  # admins only; the limited colleague is no admin
    elif owner:
        limited = GONE
    return _entry("member", function, {
        ANONYMOUS: LOGIN, ADMIN: OK, LACKING: DENIED if function else OK, LIMITED: limited,
        EMPLOYEE: DENIED, STAFF: DENIED})


TABLE = {
    ("home.index", "GET"): public(),  # /
    ("accounts.index", "GET"): member("accounts"),  # /accounts
    ("accounts.detail", "GET"): member("accounts", limited=404),  # /accounts/<account_id>
    ("accounts.invoicing", "POST"): member("accounts", limited=404),  # /accounts/<account_id>/invoicing
    ("accounts.rename", "POST"): member("accounts", limited=404),  # /accounts/<account_id>/name
    ("accounts.company", "GET"): member("accounts"),  # /accounts/companies/<company_id>
    ("accounts.company_post", "POST"): member("accounts", limited=DENIED),  # /accounts/companies/<company_id>
    ("onboarding.activate", "GET"): public(),  # /activate
    ("onboarding.activate", "POST"): public(),  # /activate
    ("onboarding.details", "GET"): public(),  # /activate/details
    ("onboarding.details", "POST"): public(),  # /activate/details
    ("onboarding.password", "GET"): public(),  # /activate/password
    ("onboarding.password", "POST"): public(),  # /activate/password
    ("onboarding.two_factor", "GET"): public(),  # /activate/two-factor
    ("onboarding.two_factor", "POST"): public(),  # /activate/two-factor
    ("onboarding.apply", "GET"): public(),  # /apply
    ("onboarding.apply", "POST"): public(),  # /apply
    ("onboarding.recovery", "GET"): public(),  # /apply/recovery
    ("onboarding.recovery", "POST"): public(),  # /apply/recovery
    ("onboarding.submitted", "GET"): public(),  # /apply/sent
    ("home.switch_company", "POST"): member(None),  # /company
    ("dev.outbox", "GET"): public(),  # /dev/outbox
    ("health.healthz", "GET"): public(),  # /healthz
    ("invoices.index", "GET"): member("invoices"),  # /invoices
    ("invoices.detail", "GET"): member("invoices", limited=404),  # /invoices/<invoice_id>
    ("invoices.invoice_pdf", "GET"): member("invoices", limited=404),  # /invoices/<invoice_id>.pdf
    ("invoices.invoice_xml", "GET"): member("invoices", limited=404),  # /invoices/<invoice_id>.xml
    ("invoices.changes", "GET"): member("invoices", limited=404),  # /invoices/<invoice_id>/changes
    ("invoices.invoice_pdf_status", "GET"): member("invoices", owner=True),  # /invoices/<invoice_id>/pdf/<job_id>
    ("invoices.credit_note", "GET"): member("invoices", limited=404),  # /invoices/credit-notes/<note_id>
    ("invoices.credit_note_pdf", "GET"): member("invoices", limited=404),  # /invoices/credit-notes/<note_id>.pdf
    ("invoices.credit_note_xml", "GET"): member("invoices", limited=404),  # /invoices/credit-notes/<note_id>.xml
    ("invoices.credit_note_pdf_status", "GET"): member("invoices", owner=True),  # /invoices/credit-notes/<note_id>/pdf/<job_id>
    ("auth.login", "GET"): public(),  # /login
    ("auth.login", "POST"): public(),  # /login
    ("auth.forgot", "GET"): public(),  # /login/forgot
    ("auth.forgot", "POST"): public(),  # /login/forgot
    ("auth.forgot_code", "GET"): public(),  # /login/forgot/code
    ("auth.forgot_code", "POST"): public(),  # /login/forgot/code
    ("auth.forgot_password", "GET"): public(),  # /login/forgot/password
    ("auth.forgot_password", "POST"): public(),  # /login/forgot/password
    ("auth.forgot_send_code", "POST"): public(),  # /login/forgot/send-code
    ("auth.forgot_verify", "GET"): public(),  # /login/forgot/verify
    ("auth.forgot_verify", "POST"): public(),  # /login/forgot/verify
    ("auth.mobile", "GET"): public(),  # /login/mobile
    ("auth.mobile", "POST"): public(),  # /login/mobile
    ("auth.send_code", "POST"): public(),  # /login/send-code
    ("auth.verify", "GET"): public(),  # /login/verify
    ("auth.verify", "POST"): public(),  # /login/verify
    ("auth.logout", "POST"): signed_in(),  # /logout
    ("me.index", "GET"): employee(),  # /me
    ("me.codes", "POST"): employee(),  # /me/codes
    ("me.roaming", "GET"): employee(),  # /me/roaming
    ("me.roaming", "POST"): employee(),  # /me/roaming
    ("me.sim", "GET"): employee(),  # /me/sim
    ("me.sim", "POST"): employee(),  # /me/sim
    ("health.metrics_view", "GET"): public(),  # /metrics
    ("numbers.index", "GET"): member("numbers"),  # /numbers
    ("numbers.port_lock", "POST"): member("numbers", limited=DENIED),  # /numbers/<subscription_id>/port-lock
    ("call_flow.index", "GET"): member("numbers"),  # /numbers/call-flow
    ("call_flow.system", "GET"): member("numbers"),  # /numbers/call-flow/<system_id>
    ("call_flow.edit", "GET"): member("numbers", limited=DENIED),  # /numbers/call-flow/<system_id>/edit
    ("call_flow.edit", "POST"): member("numbers", limited=DENIED),  # /numbers/call-flow/<system_id>/edit
    ("call_flow.version", "GET"): member("numbers"),  # /numbers/call-flow/<system_id>/versions/<version>
    ("call_flow.restore", "POST"): member("numbers", limited=DENIED),  # /numbers/call-flow/<system_id>/versions/<version>/restore
    ("numbers.port_in", "GET"): member("numbers"),  # /numbers/port-in
    ("numbers.port_in_post", "POST"): member("numbers"),  # /numbers/port-in
    ("numbers.tracker", "GET"): member("numbers", limited=404),  # /numbers/port-in/<porting_id>
    ("numbers.cancel", "POST"): member("numbers", limited=404),  # /numbers/port-in/<porting_id>/cancel
    ("numbers.correct", "GET"): member("numbers", limited=404),  # /numbers/port-in/<porting_id>/correct
    ("numbers.correct_post", "POST"): member("numbers", limited=404),  # /numbers/port-in/<porting_id>/correct
    ("numbers.check", "POST"): member("numbers"),  # /numbers/port-in/check
    ("numbers.porting", "GET"): member("numbers"),  # /numbers/porting
    ("pwa.offline", "GET"): public(),  # /offline
    ("orders.index", "GET"): member("orders"),  # /orders
    ("orders.detail", "GET"): member("orders", limited=404),  # /orders/<order_id>
    ("orders.stop", "POST"): member("orders", limited=404),  # /orders/<order_id>/stop
    ("outages.index", "GET"): member(None),  # /outages
    ("outages.alerts", "POST"): member(None, admins=True),  # /outages/alerts
    ("products.index", "GET"): member("products"),  # /products
    ("products.personal_number", "GET"): member("products"),  # /products/personal-numbers/<personal_number_id>
    ("products.edit_personal_number", "GET"): member("products", limited=DENIED),  # /products/personal-numbers/<personal_number_id>/edit
    ("products.edit_personal_number", "POST"): member("products", limited=DENIED),  # /products/personal-numbers/<personal_number_id>/edit
    ("products.user", "GET"): member("products", limited=404),  # /products/users/<phone_user_id>
    ("products.switch", "POST"): member("products", limited=404),  # /products/users/<phone_user_id>/profile
    ("products.profile", "GET"): member("products", limited=404),  # /products/users/<phone_user_id>/profiles/<profile>
    ("products.profile", "POST"): member("products", limited=404),  # /products/users/<phone_user_id>/profiles/<profile>
    ("products.vacation", "GET"): member("products", limited=404),  # /products/users/<phone_user_id>/vacation
    ("products.vacation", "POST"): member("products", limited=404),  # /products/users/<phone_user_id>/vacation
    ("health.readyz", "GET"): public(),  # /readyz
    ("home.search", "GET"): member(None),  # /search
    ("home.search_suggestions", "GET"): member(None),  # /search/suggestions
    ("settings.index", "GET"): signed_in(),  # /settings/
    ("settings.add_authenticator", "POST"): signed_in(),  # /settings/authenticator
    ("settings.confirm_authenticator", "GET"): signed_in(owner=True),  # /settings/authenticator/<device_id>
    ("settings.confirm_authenticator", "POST"): signed_in(owner=True),  # /settings/authenticator/<device_id>
    ("settings.remove_authenticator", "POST"): signed_in(owner=True),  # /settings/authenticator/<device_id>/delete
    ("settings.language", "POST"): public(),  # /settings/language
    ("settings.change_password", "POST"): signed_in(),  # /settings/password
    ("settings.update_profile", "POST"): signed_in(),  # /settings/profile
    ("settings.confirm_contact", "GET"): signed_in(),  # /settings/profile/confirm
    ("settings.confirm_contact", "POST"): signed_in(),  # /settings/profile/confirm
    ("settings.end_other_sessions", "POST"): signed_in(),  # /settings/sessions/end-others
    ("staff.index", "GET"): staff(),  # /staff/
    ("staff.applications", "GET"): staff(),  # /staff/applications
    ("staff.application", "GET"): staff(),  # /staff/applications/<application_id>
    ("staff.application", "POST"): staff(),  # /staff/applications/<application_id>
    ("staff.companies", "GET"): staff(),  # /staff/companies
    ("staff.fraud_reviews", "GET"): staff(),  # /staff/fraud
    ("staff.fraud_decide", "POST"): staff(),  # /staff/fraud/<order_id>
    ("staff.invoices", "GET"): staff(),  # /staff/invoices
    ("staff.invoice", "GET"): staff(),  # /staff/invoices/<invoice_id>
    ("staff.credit_invoice", "POST"): staff(),  # /staff/invoices/<invoice_id>/credit
    ("staff.outages", "GET"): staff(),  # /staff/outages
    ("staff.outages", "POST"): staff(),  # /staff/outages
    ("staff.outage", "GET"): staff(),  # /staff/outages/<outage_id>
    ("staff.outage", "POST"): staff(),  # /staff/outages/<outage_id>
    ("staff.end_outage", "POST"): staff(),  # /staff/outages/<outage_id>/end
    ("staff.tickets", "GET"): staff(),  # /staff/tickets
    ("staff.ticket", "GET"): staff(),  # /staff/tickets/<ticket_id>
    ("staff.ticket", "POST"): staff(),  # /staff/tickets/<ticket_id>
    ("staff.ticket_attachment", "GET"): staff(),  # /staff/tickets/<ticket_id>/attachments/<attachment_id>
    ("staff.disable_admin", "POST"): staff(),  # /staff/users/<user_id>/disable
    ("pwa.start", "GET"): signed_in(),  # /start
    ("subscriptions.index", "GET"): member("subscriptions"),  # /subscriptions
    ("subscriptions.detail", "GET"): member("subscriptions", limited=404),  # /subscriptions/<subscription_id>
    ("subscriptions.action", "GET"): member("subscriptions", limited=404),  # /subscriptions/<subscription_id>/<action>
    ("subscriptions.action", "POST"): member("subscriptions", limited=404),  # /subscriptions/<subscription_id>/<action>
    ("subscriptions.codes", "POST"): member("sim", limited=404),  # /subscriptions/<subscription_id>/codes
    ("subscriptions.note", "POST"): member("manage", limited=404),  # /subscriptions/<subscription_id>/note
    ("subscriptions.bulk", "GET"): member("manage"),  # /subscriptions/bulk
    ("subscriptions.bulk_start", "POST"): member("manage"),  # /subscriptions/bulk
    ("subscriptions.bulk_detail", "GET"): member("manage", owner=True),  # /subscriptions/bulk/<bulk_id>
    ("subscriptions.bulk_discard", "POST"): member("manage", owner=True),  # /subscriptions/bulk/<bulk_id>/discard
    ("subscriptions.bulk_result", "GET"): member("manage", owner=True),  # /subscriptions/bulk/<bulk_id>/result.csv
    ("subscriptions.bulk_confirm", "POST"): member("manage", owner=True),  # /subscriptions/bulk/confirm
    ("subscriptions.bulk_preview", "POST"): member("manage"),  # /subscriptions/bulk/preview
    ("subscriptions.export", "POST"): member("subscriptions"),  # /subscriptions/export
    ("subscriptions.export_status", "GET"): member("subscriptions", owner=True),  # /subscriptions/export/<job_id>
    ("subscriptions.export_download", "GET"): member("subscriptions", owner=True),  # /subscriptions/export/<job_id>/download
    ("subscriptions.new", "GET"): member("order"),  # /subscriptions/new
    ("subscriptions.new_post", "POST"): member("order"),  # /subscriptions/new
    ("support.index", "GET"): member("support"),  # /support/
    ("support.detail", "GET"): member("support", limited=404),  # /support/<ticket_id>
    ("support.detail", "POST"): member("support", limited=404),  # /support/<ticket_id>
    ("support.attachment", "GET"): member("support", limited=404),  # /support/<ticket_id>/attachments/<attachment_id>
    ("support.close", "POST"): member("support", limited=404),  # /support/<ticket_id>/close
    ("support.reopen", "POST"): member("support", limited=404),  # /support/<ticket_id>/reopen
    ("support.new", "GET"): member("support"),  # /support/new
    ("support.new", "POST"): member("support"),  # /support/new
    ("support.concerns", "GET"): member("support"),  # /support/new/concerns
    ("pwa.service_worker", "GET"): public(),  # /sw.js
    ("transfers.answer", "GET"): public(),  # /transfer/<token>
    ("transfers.answer", "POST"): public(),  # /transfer/<token>
    ("users.index", "GET"): member("users"),  # /users
    ("users.detail", "GET"): member("users"),  # /users/<user_id>
    ("users.account_options", "GET"): member("users"),  # /users/<user_id>/accounts
    ("users.delete", "POST"): member("users"),  # /users/<user_id>/delete
    ("users.disable", "POST"): member("users"),  # /users/<user_id>/disable
    ("users.enable", "POST"): member("users"),  # /users/<user_id>/enable
    ("users.resend", "POST"): member("users"),  # /users/<user_id>/resend
    ("users.rights", "POST"): member("users"),  # /users/<user_id>/rights
    ("users.end_sessions", "POST"): member("users"),  # /users/<user_id>/sessions/end
    ("audit_trail.index", "GET"): member("users"),  # /users/audit
    ("audit_trail.export", "POST"): member("users"),  # /users/audit/export
    ("audit_trail.export_status", "GET"): member("users", owner=True),  # /users/audit/export/<job_id>
    ("audit_trail.download", "GET"): member("users", owner=True),  # /users/audit/export/<job_id>/download
    ("users.new", "GET"): member("users"),  # /users/new
    ("users.new_post", "POST"): member("users"),  # /users/new
    ("step_up.verify", "GET"): signed_in(),  # /verify
    ("step_up.verify", "POST"): signed_in(),  # /verify
}
