"""Every named block renders on its own, as HTMX asks for it (jinja2_fragments' render_block).

Two checks, each shown to fail on a deliberately broken template:

- statically, no block uses a name bound at its template's top level (`{% set %}`, `{% from … import %}`,
  `{% macro %}` outside every block): a full page runs those lines, render_block does not, so such a
  block works as a page and breaks as a fragment;
- dynamically, every GET route is called as an HTMX request (as the role its policy names, with the
  sample ids of the access-policy test, and with each block of its module's templates as HX-Target):
  no 500, and a fragment answer is not empty. The blocks rendered on the way are recorded.
"""
import re
from pathlib import Path

import pytest
from jinja2 import DictLoader, Environment, UndefinedError, nodes
from jinja2_fragments import render_block
from jinja2_fragments.flask import template_block_rendered

from tests.conftest import sign_in
from tests.sample_ids import sample_args as _sample_args
from tests.sample_ids import url_for_rule as _url
from tests.test_access_policy import _rules

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
BLUEPRINTS = ROOT / "blueprints"
# The blocks base.html lays the page out with. They are filled by every page and rendered only as
# part of it (test_layout_blocks_are_never_fragments), so they may use the page's top-level imports.
LAYOUT_BLOCKS = {"title", "head", "content"}
JINJA_NAMES = {"self", "loop", "caller", "varargs", "kwargs", "super"}
ROLE_USERS = {"member": "admin@demo.dk", "signed_in": "admin@demo.dk", "staff": "staff@operator.dk",
              "employee": "mette.jensen@demo.dk", "public": None}
# Fragments that are rightly empty for the sample request: (endpoint, HX-Target) -> why.
EMPTY_OK = {
    ("staff.companies", None): "nothing searched yet",
    ("support.concerns", None): "no account or subscription chosen yet",
    ("products.user", "pending"): "no order under way: the poll swaps in nothing",
    ("products.personal_number", "pending"): "no order under way: the poll swaps in nothing",
}
RENDER_CALL = re.compile(r"""render\(\s*([A-Z_]+|"[^"]+")\s*,\s*"([a-z_]+)\"""")


# -- the static check -------------------------------------------------------------------------

def _binds(node):
    """The names one node binds itself (not its children)."""
    if isinstance(node, (nodes.Assign, nodes.AssignBlock, nodes.For)):
        return {n.name for n in node.target.find_all(nodes.Name)} | (
            {node.target.name} if isinstance(node.target, nodes.Name) else set())
    if isinstance(node, nodes.FromImport):
        return {name[1] if isinstance(name, tuple) else name for name in node.names}
    if isinstance(node, nodes.Import):
        return {node.target}
    if isinstance(node, nodes.Macro):
        return {node.name} | {arg.name for arg in node.args}
    if isinstance(node, nodes.With):
        return {t.name for t in node.targets if isinstance(t, nodes.Name)}
    if isinstance(node, nodes.CallBlock):
        return {arg.name for arg in node.args}
    return set()


def _bound(node, into_blocks=True):
    names = set(_binds(node))
    for child in node.iter_child_nodes():
        if into_blocks or not isinstance(child, nodes.Block):
            names |= _bound(child, into_blocks)
    return names


def block_dependencies(env, source):
    """{block name: names it uses that only the template's top level binds}.

    A name bound inside another block is no dependency: blocks never see each other's names,
    on the page or alone (a nested block does not see its outer block's `set` either)."""
    tree = env.parse(source)
    top_level = _bound(tree, into_blocks=False)
    found = {}
    for block in tree.find_all(nodes.Block):
        used = {n.name for n in block.find_all(nodes.Name) if n.ctx == "load"}
        missing = (used - _bound(block) - JINJA_NAMES) & top_level
        if missing:
            found[block.name] = sorted(missing)
    return found


def _templates():
    return sorted(p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*.html"))


BROKEN = {
    "base.html": "<main>{% block content %}{% endblock %}</main>",
    "page.html": """{% extends "base.html" %}
{% from "macros.html" import badge %}
{% set title = "Orders" %}
{% block content %}<h1>{{ title }}</h1><div id="rows">{{ self.rows() }}</div>{% endblock %}
{% block rows %}{{ badge(rows|length) }}{% for r in rows %}{{ r }}{% endfor %}{% endblock %}
{% block fine %}{% from "macros.html" import badge %}{{ badge(1) }}{% set title = "x" %}{{ title }}{% endblock %}
""",
    "macros.html": "{% macro badge(n) %}<b>{{ n }}</b>{% endmacro %}",
}


def test_the_check_finds_a_block_that_leans_on_its_page():
    env = Environment(loader=DictLoader(BROKEN), extensions=["jinja2.ext.i18n"])
    assert block_dependencies(env, BROKEN["page.html"]) == {"content": ["title"], "rows": ["badge"]}
    # and the danger is real: the page renders, the fragment does not
    assert "<b>2</b>" in env.get_template("page.html").render(rows=["a", "b"])
    with pytest.raises(UndefinedError):
        render_block(env, "page.html", "rows", rows=["a", "b"])
    assert render_block(env, "page.html", "fine") == "<b>1</b>x"


@pytest.mark.parametrize("template", _templates())
def test_every_fragment_block_stands_alone(app, template):
    found = block_dependencies(app.jinja_env, (TEMPLATES / template).read_text(encoding="utf-8"))
    fragments = {block: names for block, names in found.items() if block not in LAYOUT_BLOCKS}
    assert fragments == {}, f"{template}: these blocks use names bound outside them: {fragments}"


def _render_calls():
    """(template, block) of every `render(template, "block", …)` in the blueprints."""
    calls = set()
    for path in BLUEPRINTS.rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        constants = dict(re.findall(r'^([A-Z_]+) = "([^"]+\.html)"', source, re.M))
        for template, block in RENDER_CALL.findall(source):
            calls.add((constants.get(template, template.strip('"')), block))
    return calls


def test_layout_blocks_are_never_fragments():
    calls = _render_calls()
    assert len(calls) > 40  # the pattern still finds the render calls
    assert [call for call in calls if call[1] in LAYOUT_BLOCKS] == []


# -- the dynamic check --------------------------------------------------------------------------

def _block_names(template):
    source = (TEMPLATES / template).read_text(encoding="utf-8")
    return set(re.findall(r"{%-?\s*block\s+(\w+)", source)) - LAYOUT_BLOCKS


def _targets_of(view):
    """Views that choose their fragment by HX-Target: the blocks of their module's templates."""
    import inspect

    source = inspect.getsource(inspect.getmodule(view))
    if "HX-Target" not in source:
        return [None]
    constants = dict(re.findall(r'^([A-Z_]+) = "([^"]+\.html)"', source, re.M))
    templates = {constants.get(t, t.strip('"')) for t, _b in RENDER_CALL.findall(source)}
    templates |= set(re.findall(r'render\(\s*"([^"]+\.html)"', source))
    return [None, *sorted({b for t in templates if (TEMPLATES / t).exists() for b in _block_names(t)})]


def test_every_get_route_answers_htmx_and_plain_requests(app, ctx):
    rendered = set()

    def record(sender, template_name, block_name, **extra):
        rendered.add((template_name, block_name))

    clients = {}
    for role, email in ROLE_USERS.items():
        clients[role] = app.test_client()
        if email:
            sign_in(clients[role], email)
    args = _sample_args()
    failures = []
    with template_block_rendered.connected_to(record, app):
        for rule in _rules(app):
            if "GET" not in rule.methods or rule.endpoint in ("auth.logout",):
                continue
            view = app.view_functions[rule.endpoint]
            client = clients[view.access_policy.role]
            url = _url(app, rule, args)
            plain = client.get(url)
            if plain.status_code >= 500:
                failures.append(("plain", url, plain.status_code))
            for target in _targets_of(view):
                headers = {"HX-Request": "true", "HX-Current-URL": f"http://localhost{url}"}
                if target:
                    headers["HX-Target"] = target
                response = client.get(url, headers=headers)
                html = response.mimetype == "text/html"
                body = response.get_data(as_text=True) if html else "-"
                if response.status_code >= 500:
                    failures.append(("htmx", url, target, response.status_code))
                elif response.status_code == 200 and not body.strip() and (rule.endpoint, target) not in EMPTY_OK:
                    failures.append(("empty fragment", url, target))
                elif response.status_code == 200 and html:
                    assert "HX-Request" in response.headers.get("Vary", ""), url
    assert failures == [], "\n".join(map(str, failures))
    # the walk did render fragments of most pages (GET-reachable blocks; the rest answer POSTs)
    calls = _render_calls()
    assert len(rendered & calls) >= len(calls) // 2, sorted(calls - rendered)
