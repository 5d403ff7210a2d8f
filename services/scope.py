"""The scoped-query layer: the only way to reach tenant data.

A Scope is built from a membership. It carries the customer, the membership's
company with its subsidiaries, and, for limited access, the chosen accounts.
Every query helper filters by all three, so a view cannot forget to.
"""
from dataclasses import dataclass

from peewee import fn
from werkzeug.exceptions import Forbidden, NotFound

from models import (
    Account,
    Company,
    Invoice,
    Membership,
    MembershipAccount,
    Order,
    PersonalNumber,
    PhoneSystem,
    Plan,
    PortingRequest,
    Subscription,
    SupportTicket,
    User,
)
from models.database import column_where, columns_of, fixed_tuples, joined_rows, table_of
from models.subscriptions import SubscriptionTally

from .ids import parse_id
from .rights import effective_functions
from .search import clean_query


@dataclass(frozen=True)
class Scope:
    user_id: int
    membership_id: int
    customer_id: int
    company_id: int
    company_ids: tuple  # the company and its subsidiaries
    account_ids: tuple | None  # None: every account of those companies
    functions: frozenset
    is_admin: bool
    # limited access: the companies that hold its accounts (None: every company of company_ids)
    account_company_ids: tuple | None = None

    # rights -------------------------------------------------------------
    def can(self, function):
        return function in self.functions

    def require(self, function):
        if not self.can(function):
            raise Forbidden()

    @property
    def limited(self):
        return self.account_ids is not None

    @property
    def shown_company_ids(self):
        """The companies whose data the scope reaches: for limited access only those holding its
        accounts (a list's Company column and filter offer no company that can only show nothing)."""
        return self.company_ids if self.account_company_ids is None else self.account_company_ids

    # queries ------------------------------------------------------------
    def _in_companies(self, query, model):
        """The customer's rows in the membership's companies: company-wide data."""
        return query.where(model.customer == self.customer_id, model.company.in_(self.company_ids))

    def _in_accounts(self, query, model, account_field=None):
        """Company-wide filter, narrowed to the chosen accounts for limited access."""
        if hasattr(model, "company"):
            query = self._in_companies(query, model)
        else:  # invoices know their account, not their company
            query = query.where(model.customer == self.customer_id, model.account.in_(
                Account.select(Account.id).where(Account.company.in_(self.company_ids))))
        if self.account_ids is not None:
            query = query.where((account_field or model.account).in_(self.account_ids))
        return query

    def companies(self):
        return (Company.select().where(Company.customer == self.customer_id,
                                       Company.id.in_(self.company_ids))
                .order_by(Company.name))

    @property
    def spans_companies(self):
        """The scope reaches rows of more than one company: its lists get a Company column and filter."""
        return len(self.shown_company_ids) > 1

    def shown_companies(self):
        """The companies a list offers in its Company filter (see shown_company_ids)."""
        return self.companies().where(Company.id.in_(self.shown_company_ids))

    def accounts(self):
        return self._in_accounts(Account.select(), Account, account_field=Account.id)

    def subscriptions(self, details=True):
        """With details, the account and plan come along (for display); without, it's cheap to count."""
        query = Subscription.select()
        if details:
            query = Subscription.select(Subscription, Account, Plan).join(Account).switch(Subscription).join(Plan)
        return self._in_accounts(query, Subscription)

    def subscription_tallies(self):
        """How many subscriptions the scope's companies have per kind and status, kept by the database
        (migration 0026). Whole companies only: a limited scope's accounts are not in it."""
        if self.limited:
            raise Forbidden()
        return self._in_companies(SubscriptionTally.select(), SubscriptionTally)

    def invoices(self):
        return self._in_accounts(Invoice.select(Invoice, Account).join(Account), Invoice)

    def orders(self):
        return self._in_accounts(Order.select(), Order)

    def porting_requests(self):
        return self._in_accounts(PortingRequest.select(), PortingRequest)

    def phone_systems(self):
        """Company-wide products: limited users see them when they hold the function."""
        return self._in_companies(PhoneSystem.select(), PhoneSystem)

    def personal_numbers(self):
        return self._in_companies(PersonalNumber.select(), PersonalNumber)

    def number_ranges(self):
        """Series and ported numbers; limited users see those billed on their accounts only."""
        from models import NumberRange  # models/numbers.py's; kept out of the import list others edit

        return self._in_accounts(NumberRange.select(), NumberRange)

    def tickets(self):
        """A ticket about a subscription follows the subscription's account (wherever it is now), one
        about an account that account; general tickets (neither) are seen by the whole company."""
        query = self._in_companies(SupportTicket.select(), SupportTicket)
        if self.account_ids is not None:
            # one lookup of the ticket's own subscription, not a list of every line on the accounts
            owned = Subscription.select(Subscription.id).where(Subscription.id == SupportTicket.subscription,
                                                               Subscription.account.in_(self.account_ids))
            query = query.where(
                (SupportTicket.subscription.is_null() & (SupportTicket.account.is_null()
                                                          | SupportTicket.account.in_(self.account_ids)))
                | fn.EXISTS(owned))
        return query

    def account(self, account_id):
        """One of the scope's accounts, or None (another customer's, outside the chosen ones, not an id)."""
        account_id = parse_id(account_id)
        return self.accounts().where(Account.id == account_id).first() if account_id else None

    def get(self, query, model, object_id):
        """One object of a scoped query, or 404 (other customer, other account, or none)."""
        object_id = parse_id(object_id)
        if object_id is None:
            raise NotFound()
        obj = query.where(model.id == object_id).first()
        if obj is None:
            raise NotFound()
        return obj


def search_accounts(query, q, limit):
    """(up to `limit` accounts of `query` matching `q` by number or name, more?) for account pickers."""
    q = clean_query(q)  # pickers post it in their forms: capped as a search, not as a form value
    if q:
        query = query.where(Account.number.contains(q) | fn.LOWER(Account.name).contains(q))
    rows = list(query.order_by(Account.number).limit(limit + 1))
    return rows[:limit], len(rows) > limit


def company_tree(customer_id, company_id, links=None):
    """The company and all its subsidiaries, walking the parent links of the customer's companies
    (`links`: their (id, parent id) pairs when the caller has them, else read here)."""
    if links is None:
        links = column_where(Company, (Company.id, Company.parent), Company.customer, customer_id)
    children = {}
    for cid, parent_id in links:
        children.setdefault(parent_id, []).append(cid)
    tree, todo = [], [company_id]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, ()))
    return tuple(sorted(tree))


def memberships_of(user_id):
    return (Membership.select(Membership, Company).join(Company)
            .where(Membership.user == user_id).order_by(Company.name))


def memberships_join(user_id_sql):
    """The FROM-clause tail that brings every company of the customers the user (`user_id_sql`, an
    SQL expression) belongs to, as `c`, each with the user's membership of it as `m` (NULLs where
    there is none): a LEFT JOIN, so a user without memberships still has their row."""
    company, membership = table_of(Company), table_of(Membership)
    return (f"LEFT JOIN {company} c ON c.customer_id IN (SELECT c2.customer_id FROM {membership} m2 "  # nosec B608  # names from the models
            f"JOIN {company} c2 ON c2.id = m2.company_id WHERE m2.user_id = {user_id_sql}) "
            f"LEFT JOIN {membership} m ON m.company_id = c.id AND m.user_id = {user_id_sql}")


MEMBERSHIP_MODELS = (Company, Membership)  # the tables memberships_join adds, as memberships_columns lists them


def memberships_columns():
    """The SELECT list of the columns memberships_join brings (c, then m)."""
    return f"{columns_of(Company, 'c')}, {columns_of(Membership, 'm')}"


def memberships_from(pairs):
    """(memberships, links) from the (company, membership) pairs of memberships_join: the user's
    memberships as memberships_of gives them (company attached, by company name), and per customer
    the (id, parent id) pairs of its companies, from which build_scope takes the company tree."""
    memberships, links = [], {}
    for company, membership in pairs:
        if company is None:
            continue
        links.setdefault(company.customer_id, []).append((company.id, company.parent_id))
        if membership is not None:
            membership.company = company
            membership._dirty.clear()
            memberships.append(membership)
    return sorted(memberships, key=lambda m: (m.company.name, m.id)), links


def _memberships_sql(p):
    return (f"SELECT {memberships_columns()} FROM {table_of(User)} u "  # nosec B608  # names from the models; values are placeholders
            f"{memberships_join('u.id')} WHERE u.id = {p}")


def user_memberships(user_id):
    """(memberships, links) of memberships_from, in one fixed query. Every request has them from the
    session's own query (services/sessions.py `memberships_of`); this is for when it does not."""
    return memberships_from(joined_rows("user_memberships", _memberships_sql, (user_id,), MEMBERSHIP_MODELS))


def _chosen_accounts_sql(p):
    return (f"SELECT ma.account_id, a.company_id FROM {table_of(MembershipAccount)} ma "  # nosec B608  # names from the models; values are placeholders
            f"JOIN {table_of(Account)} a ON a.id = ma.account_id WHERE ma.membership_id = {p} ORDER BY ma.account_id")


def build_scope(membership, links=None):
    company = membership.company
    company_ids = company_tree(company.customer_id, company.id, links)
    account_ids = account_company_ids = None
    if not membership.full_access:  # the chosen accounts and their companies, in one fixed query
        chosen = fixed_tuples("chosen_accounts", _chosen_accounts_sql, (membership.id,))
        account_ids = tuple(account for account, _company in chosen)
        held = {company for _account, company in chosen}
        account_company_ids = tuple(c for c in company_ids if c in held)
    return Scope(
        user_id=membership.user_id, membership_id=membership.id,
        customer_id=company.customer_id, company_id=company.id, company_ids=company_ids,
        account_ids=account_ids, functions=effective_functions(membership),
        is_admin=membership.is_admin, account_company_ids=account_company_ids,
    )
