"""Access policies: every view declares who may call it; the app refuses views that don't.

A policy is checked before the view runs (see `enforce`), so a forgotten check
cannot leak a page: an undeclared view answers 500 and fails the policy test.
"""
from collections import namedtuple

from flask import abort, current_app, g, redirect, request, url_for
from flask_login import current_user

Policy = namedtuple("Policy", "role function")

ROLES = ("public", "signed_in", "member", "staff", "employee")


def _mark(view, role, function=None):
    if role not in ROLES:  # a typo in a decorator fails at import, not at request time
        raise ValueError(f"unknown role {role!r}")
    view.access_policy = Policy(role, function)
    return view


def public(view):
    """Anyone, signed in or not (login, apply, health)."""
    return _mark(view, "public")


def signed_in(view):
    """Any signed-in user, whatever the kind (settings, logout)."""
    return _mark(view, "signed_in")


def member(function=None):
    """A customer user with a membership in the current company, holding `function`."""
    def decorate(view):
        return _mark(view, "member", function)
    return decorate


def staff(view):
    return _mark(view, "staff")


def employee(view):
    return _mark(view, "employee")


def policy_of(endpoint):
    if endpoint == "static":
        return Policy("public", None)
    view = current_app.view_functions.get(endpoint)
    return getattr(view, "access_policy", None)


def _htmx_page():
    """The page an HTMX request came from (HX-Current-URL), as a local path, if it is this site's."""
    from urllib.parse import urlsplit

    from .auth import safe_next

    parts = urlsplit(request.headers.get("HX-Current-URL", ""))
    if parts.scheme and f"{parts.scheme}://{parts.netloc}/" != request.host_url:
        return None
    return safe_next(parts.path + (f"?{parts.query}" if parts.query else ""))


def to_login():
    """To the login page and back: an HTMX request (whose session expired) gets `HX-Redirect`
    with next= the page the user was on, not the fragment it asked for."""
    if request.headers.get("HX-Request"):
        response = current_app.response_class(status=401)
        response.headers["HX-Redirect"] = url_for("auth.login", next=_htmx_page())
        return response
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?") if request.method == "GET" else None))


_to_login = to_login


def enforce():
    """before_request hook: apply the endpoint's policy."""
    if request.endpoint is None:
        return None  # 404/405 follow
    policy = policy_of(request.endpoint)
    if policy is None:
        abort(500, description="view without access policy")
    if policy.role == "public":
        return None
    if not current_user.is_authenticated:
        return _to_login()
    kind = current_user.kind
    if policy.role == "signed_in":
        return None
    if policy.role == "staff":
        return None if kind == "staff" else abort(403)
    if policy.role == "employee":
        return None if kind == "employee" else abort(403)
    # member
    if kind != "customer" or g.get("scope") is None:
        abort(403)
    if policy.function and not g.scope.can(policy.function):
        abort(403)
    return None
