"""The front page, the top bar's search and the company switcher."""
from flask import Blueprint, current_app, g, redirect, request, url_for
from flask_babel import get_locale
from flask_login import current_user
from jinja2_fragments.flask import render_block
from markupsafe import Markup

from services import frontpage
from services import search as searching
from services.shell import switch_company as switch

from .access import member, public
from .rendering import render

bp = Blueprint("home", __name__)

_FIXED_PARTS = {}  # (language, address, script root, functions, admin, limited) -> the front page's shortcuts and links
_FIXED_PARTS_MAX = 512  # rights combinations in use are few; a bound all the same


def fixed_parts(scope):
    """The front page's shortcuts and links as HTML, made once per language, address and set of
    rights (and whether the accounts are limited) and reused: they depend on nothing else, and rendering them (some forty translations and
    URLs) was a third of the page's own work. None in debug mode, where templates change."""
    if current_app.debug:
        return None
    key = (str(get_locale()), request.host_url, request.script_root, scope.functions, scope.is_admin, scope.limited)
    parts = _FIXED_PARTS.get(key)
    if parts is None:
        if len(_FIXED_PARTS) >= _FIXED_PARTS_MAX:
            _FIXED_PARTS.clear()
        # the template's own autoescaped output, not outside input
        parts = {name: Markup(render_block("home/index.html", name)) for name in ("shortcuts", "links")}  # nosec B704
        _FIXED_PARTS[key] = parts
    return parts


@bp.route("/")
@public
def index():
    """Signed-in users land on their own start page; visitors on the login."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    if current_user.kind == "staff":
        return redirect(url_for("staff.index"))
    if current_user.kind == "employee":
        return redirect(url_for("me.index"))
    if g.scope is None:
        return render("home/no_membership.html")
    tickets = frontpage.recent_tickets(g.scope) if g.scope.can("support") else []
    return render("home/index.html", outages=frontpage.current_outages(g.scope), tickets=tickets,
                  fixed_parts=fixed_parts(g.scope))


@bp.route("/search")
@member()
def search():
    """The full result page; `kind` and `page` page through one kind of result."""
    args = request.args
    results = searching.result_page(g.scope, args.get("q", ""), args.get("kind", ""), args.get("page", 1))
    return render("home/search.html", "results", results=results)


@bp.route("/search/suggestions")
@member()
def search_suggestions():
    """The top bar's list under the search field (a listbox the search field controls)."""
    return render("home/search_suggestions.html", "suggestions",
                  found=searching.suggestions(g.scope, request.args.get("q", "")))


@bp.route("/company", methods=["POST"])
@member()
def switch_company():
    switch(request.form.get("company_id"))
    return redirect(url_for("home.index"))
