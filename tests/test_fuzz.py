"""Fuzzing every route (hypothesis): every method of every rule in app.url_map, as each role, with
generated values in every form field and query parameter the route reads, as an HTMX request and
as a plain one. The portal must never answer 5xx; a refused request (4xx) must leave the data as it
was; a request that changes data (2xx/3xx) must write its audit event.

Which fields a route reads is found, not listed by hand: the view's source and the blueprint and
service functions it calls (followed a few levels down) are parsed for `request.args/form/values`
keys, `.get("…")` on the argument dicts the services take, loops over field-name tuples, and the
fields of any WTForms class they use. `FUZZ_LIST=1` prints the list per route.

What changed is counted by SQLite triggers that this test adds to its own copy of the demo
database: one row per table in `fuzz_change`, bumped by every insert, delete and real update (an
UPDATE that sets the same values is no change). A rolled-back transaction rolls its counts back
too, so a half-applied change shows up and a refused-then-rolled-back one does not.

CSRF: the fuzz app runs with WTF_CSRF_ENABLED False (as every other app fixture does). A valid token
would pass the same check and reach the same code; refusing forged and missing tokens has its own
tests (test_hardening.py), and switching the check off saves a GET per example.

Budget (`FUZZ_EXAMPLES`, default 6): examples per route, method and role that the route's access
policy lets in; roles refused before the view runs (403, or the login redirect) get
`FUZZ_REFUSED_EXAMPLES` (default 2). Each example sends one generated value to every field of the
route (or leaves it out, one time in eight). The totals (routes, fields, inputs, requests per
second) are printed at the end of the run. Examples are derandomized: CI runs the same inputs
every time.
"""
import ast
import collections
import inspect
import json
import os
import shutil
import sqlite3
import textwrap
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models import SupportTicket, TotpDevice, User, db
from tests.conftest import make_app
from tests.sample_ids import sample_args as _sample_args

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6"))
REFUSED_EXAMPLES = int(os.environ.get("FUZZ_REFUSED_EXAMPLES", "2"))

ROLES = {
    "anonymous": None,
    "admin": "admin@demo.dk",
    "limited": "begraenset@demo.dk",
    "other_admin": "admin@anden.dk",
    "employee": "mette.jensen@demo.dk",
    "staff": "staff@operator.dk",
}

# Rows that a refused request may write: the session (last seen, a flash message), the audit trail
# (a refused login or re-authentication is recorded) and the rows that slow down guessing.
SESSION_TABLES = {"web_session"}
MAY_CHANGE_WHEN_REFUSED = SESSION_TABLES | {"audit_event"}
# Bookkeeping that is not a change someone made: background job state.
NOT_A_CHANGE = SESSION_TABLES | {"job_record", "stored_file"}

SKIP_ENDPOINTS = {"static"}
READERS = ("args", "form", "values")
DICT_NAMES = {"args", "form", "values", "data", "filters", "params", "raw", "v", "typed", "fields"}


# ---------------------------------------------------------------------------------------------
# Which fields a route reads


def _dotted(node):
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _resolve(name, namespace):
    if not name:
        return None
    head, *rest = name.split(".")
    obj = namespace.get(head)
    for part in rest:
        try:
            obj = inspect.getattr_static(obj, part, None)
        except Exception:  # noqa: BLE001 - a proxy (request, g) has nothing to follow
            return None
    return obj


def _is_project_function(obj):
    module = getattr(obj, "__module__", "") or ""
    return inspect.isfunction(obj) and module.split(".")[0] in ("blueprints", "services")


def _form_fields(cls):
    from wtforms.fields.core import UnboundField

    return [name for name in dir(cls) if isinstance(getattr(cls, name, None), UnboundField)]


class Reads:
    """The keys a view reads: {name: "args" | "form" | "any"}, and the short strings it compares."""

    def __init__(self):
        self.fields = {}
        self.constants = set()

    def add(self, name, where):
        if not name or len(name) > 40 or name == "csrf_token":
            return
        old = self.fields.get(name)
        self.fields[name] = where if old in (None, where) else "any"


def _where(receiver):
    receiver = receiver or ""
    for reader in ("args", "form"):
        if receiver.endswith(reader) or f".{reader}" in receiver:
            return reader
    return "any"


def _reader(receiver):
    """Whether `receiver.get(…)` reads a request input: request.args/form/values/files, or the dict a
    view hands on (`args`, `form`, `values`… by the names this code gives them)."""
    if not receiver:
        return False
    if receiver.startswith("request."):
        return receiver.split(".")[1] in READERS + ("files",)
    return receiver.rsplit(".", 1)[-1] in DICT_NAMES


def _scan(fn, reads, seen, depth=0):
    fn = inspect.unwrap(fn)
    if fn in seen or depth > 3:
        return
    seen.add(fn)
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):
        return
    namespace = dict(fn.__globals__)
    loops = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.For, ast.comprehension)) and isinstance(node.target, ast.Name):
            values = _resolve(_dotted(node.iter), namespace)
            if isinstance(values, (tuple, list, frozenset, set, dict)) and all(isinstance(v, str) for v in values):
                loops[node.target.id] = list(values)
    # small readers defined inside: def text(name): return args.get(name)
    helpers = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.args.args:
            param = node.args.args[0].arg
            for inner in ast.walk(node):
                if isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute) and inner.args \
                        and inner.func.attr in ("get", "getlist") and isinstance(inner.args[0], ast.Name) \
                        and inner.args[0].id == param and _reader(_dotted(inner.func.value)):
                    helpers[node.name] = _where(_dotted(inner.func.value))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in helpers and node.args \
                and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            reads.add(node.args[0].value, helpers[node.func.id])
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and 0 < len(node.value) <= 30:
            reads.constants.add(node.value)
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
            receiver = _dotted(node.value)
            if _reader(receiver):
                reads.add(node.slice.value, _where(receiver))
        if not isinstance(node, ast.Call):
            continue
        callee = _dotted(node.func)
        if isinstance(node.func, ast.Attribute) and node.func.attr in ("get", "getlist") and node.args:
            receiver = _dotted(node.func.value)
            if _reader(receiver):
                key = node.args[0]
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    reads.add(key.value, _where(receiver))
                elif isinstance(key, ast.Name) and key.id in loops:
                    for name in loops[key.id]:
                        reads.add(name, _where(receiver))
        target = _resolve(callee, namespace)
        if inspect.isclass(target):
            from wtforms import Form

            if issubclass(target, Form):
                for name in _form_fields(target):
                    reads.add(name, "any")
        elif _is_project_function(target):
            _scan(target, reads, seen, depth + 1)
    # a form class named but not called here (form = FORMS[step](...))
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            target = namespace.get(node.id)
            if inspect.isclass(target):
                from wtforms import Form

                if issubclass(target, Form):
                    for name in _form_fields(target):
                        reads.add(name, "any")


def route_reads(app, endpoint):
    reads = Reads()
    _scan(app.view_functions[endpoint], reads, set())
    return reads


# ---------------------------------------------------------------------------------------------
# The database: a copy of the demo data with change counters, restored after a route changed it


def _install_triggers(path):
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE fuzz_change (tbl TEXT PRIMARY KEY, n INTEGER NOT NULL)")
    rows = con.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'").fetchall()
    virtual = [name for name, sql in rows if (sql or "").upper().startswith("CREATE VIRTUAL")]
    for name, sql in rows:
        if name in ("fuzz_change",) or name.startswith("sqlite_") or name in virtual \
                or any(name.startswith(v + "_") for v in virtual):
            continue
        bump = f"INSERT INTO fuzz_change (tbl, n) VALUES ('{name}', 1) ON CONFLICT (tbl) DO UPDATE SET n = n + 1"
        columns = [row[1] for row in con.execute(f'PRAGMA table_info("{name}")')]
        changed = " OR ".join(f'OLD."{c}" IS NOT NEW."{c}"' for c in columns)
        con.execute(f'CREATE TRIGGER "fz_i_{name}" AFTER INSERT ON "{name}" BEGIN {bump}; END')
        con.execute(f'CREATE TRIGGER "fz_d_{name}" AFTER DELETE ON "{name}" BEGIN {bump}; END')
        con.execute(f'CREATE TRIGGER "fz_u_{name}" AFTER UPDATE ON "{name}" WHEN {changed} BEGIN {bump}; END')
    con.commit()
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()


class FuzzDatabase:
    def __init__(self, path, pristine):
        self.path, self.pristine = path, pristine

    def counts(self):
        con = sqlite3.connect(self.path, timeout=30)
        try:
            return dict(con.execute("SELECT tbl, n FROM fuzz_change"))
        finally:
            con.close()

    def restore(self):
        if not db.is_closed():
            db.close()
        for suffix in ("-wal", "-shm"):
            if os.path.exists(str(self.path) + suffix):
                os.remove(str(self.path) + suffix)
        shutil.copy(self.pristine, self.path)


def changed_tables(before, after):
    return {t for t in set(before) | set(after) if before.get(t) != after.get(t)}


# ---------------------------------------------------------------------------------------------
# Fixtures


class Totals:
    def __init__(self):
        self.inputs = collections.Counter()  # (endpoint, method, field) -> values sent
        self.requests = 0
        self.seconds = 0.0
        self.statuses = collections.Counter()
        self.routes = set()


TOTALS = Totals()


@pytest.fixture(scope="module")
def fuzz(demo_db_file, tmp_path_factory, request):
    folder = tmp_path_factory.mktemp("fuzz")
    path, pristine = folder / "fuzz.db", folder / "pristine.db"
    shutil.copy(demo_db_file, path)
    _install_triggers(path)
    app = make_app(path)
    cookies = {}
    for role, email in ROLES.items():
        if email is None:
            continue
        client = app.test_client()
        user = User.get(User.email == email)
        with client.session_transaction() as session:
            session["_user_id"] = str(user.id)
            session["_fresh"] = True
            # re-authenticated just now, so the step-up guard lets the fuzzed values through to the
            # service (it lasts REAUTH minutes; the module re-signs if it runs longer, see _client)
            from models import utcnow

            session["reauth_at"] = utcnow().isoformat()
        cookies[role] = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    args = _sample_args()
    if not db.is_closed():
        db.close()
    shutil.copy(path, pristine)
    yield app, FuzzDatabase(path, pristine), cookies, args
    if not db.is_closed():
        db.close()
    _report(request.config)


def _report(config):
    fields = {(e, m, f) for (e, m, f) in TOTALS.inputs}
    per_field = list(TOTALS.inputs.values())
    rate = TOTALS.requests / TOTALS.seconds if TOTALS.seconds else 0
    lines = [
        f"fuzz: {len(TOTALS.routes)} route-methods, {len(fields)} fields, {sum(per_field)} inputs in "
        f"{TOTALS.requests} requests ({rate:.0f} requests/s), FUZZ_EXAMPLES={EXAMPLES}",
        f"fuzz: inputs per field (summed over roles): min {min(per_field, default=0)}, "
        f"max {max(per_field, default=0)}; statuses {dict(sorted(TOTALS.statuses.items()))}",
    ]
    capture = config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():  # past pytest's capture, so the CI log shows the figures
        for line in lines:
            print(line)
    out = os.environ.get("FUZZ_SUMMARY")
    if out:
        with open(out, "w") as handle:
            json.dump({"route_methods": len(TOTALS.routes), "fields": len(fields), "inputs": sum(per_field),
                       "requests": TOTALS.requests, "requests_per_second": round(rate, 1),
                       "min_inputs_per_field": min(per_field, default=0)}, handle, indent=1)


# ---------------------------------------------------------------------------------------------
# The cases and the inputs


def _scratch_app():
    """An app for reading the URL map and the views (no database is opened)."""
    import tempfile

    return make_app(os.path.join(tempfile.mkdtemp(prefix="fuzz-map-"), "unused.db"))


def _cases():
    app = _scratch_app()
    cases = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint in SKIP_ENDPOINTS:
            continue
        for method in sorted(rule.methods & {"GET", "POST"}):
            cases.append(pytest.param(rule.endpoint, rule.rule, method, id=f"{method} {rule.rule}"))
    if not db.is_closed():
        db.close()
    return cases


CASES = _cases()

INTERESTING = [
    "", " ", "0", "1", "-1", "2", "10", "1000000", "9" * 25, "-9" * 10, "1.5", "1e9", "NaN", "inf", "true",
    "false", "null", "None", "[]", "{}", "on", "off", "yes", "\x00", "\ufeff", "🙂", "æøå ÆØÅ", "‮",
    "<script>alert(1)</script>", "' OR 1=1 --", '"', "%", "_", "%_%", "\\", "../../etc/passwd", "//evil.example",
    "http://evil.example/", "javascript:alert(1)", "12345674", "31313139", "+4520000001", "20000001",
    "+45 20 00 00 01", "4520000001", "admin@demo.dk", "a@b", "2024-02-30", "2026-01-01", "1970-01-01",
    "9999-12-31", "00:00", "25:61", "40120011", "1,2,3", "a" * 101, "a" * 257,
]
LONG = st.builds(lambda ch, n: ch * n, st.sampled_from(["a", "9", " ", "æ", "<", "%", "1,"]),
                 st.sampled_from([201, 1001, 10_001, 60_000, 100_001]))


def _value(constants):
    single = st.one_of(
        st.sampled_from(INTERESTING + sorted(constants)),
        st.text(max_size=40),
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        LONG,
    )
    return st.one_of(single, single, single, single, single, single, single, st.lists(single, min_size=2, max_size=3))


HEADERS = [
    {},
    {"HX-Request": "true"},
    {"HX-Request": "true", "HX-Target": "rows", "HX-Current-URL": "http://localhost/subscriptions"},
    {"HX-Request": "true", "HX-Boosted": "true"},
    {"HX-Request": "true", "HX-History-Restore-Request": "true"},
]


def _inputs(fields, constants):
    value = _value(constants)
    present = st.one_of(value, value, value, value, value, value, value, st.none())
    return st.fixed_dictionaries({name: present for name in sorted(fields)})


def _client(app, cookies, role):
    client = app.test_client()
    if role != "anonymous":
        client.set_cookie(app.config["SESSION_COOKIE_NAME"], cookies[role])
    return client


def _url(app, rule_endpoint, args):
    from flask import url_for

    rule = next(r for r in app.url_map.iter_rules(endpoint=rule_endpoint))
    with app.test_request_context():
        return url_for(rule_endpoint, **{k: args[k] for k in rule.arguments})


def _refused(response):
    return response.status_code == 403 or (
        response.status_code in (301, 302, 303) and "/login" in response.headers.get("Location", ""))


def _split(fields, values, method):
    """(query, form) for one example: args fields in the query string, form fields in the body."""
    query, form = {}, {}
    for name, value in values.items():
        if value is None:
            continue
        where = fields[name]
        if method == "GET" or where == "args":
            query[name] = value
        else:
            form[name] = value
    return query, form


def _send(client, method, url, query, form, headers):
    if method == "GET":
        return client.get(url, query_string=query, headers=headers)
    return client.post(url, query_string=query, data=form, headers=headers)


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("endpoint,rule,method", CASES)
def test_fuzz_route(fuzz, endpoint, rule, method, role):
    app, database, cookies, args = fuzz
    reads = route_reads(app, endpoint)
    fields = reads.fields
    url = _url(app, endpoint, args)
    TOTALS.routes.add((endpoint, method))
    before_test = database.counts()

    baseline = _send(_client(app, cookies, role), method, url, {}, {}, {})
    assert baseline.status_code < 500, (method, url, role, baseline.get_data(as_text=True)[-2000:])
    examples = REFUSED_EXAMPLES if _refused(baseline) else EXAMPLES

    @settings(max_examples=examples, derandomize=True, deadline=None, database=None, print_blob=False,
              suppress_health_check=list(HealthCheck))
    @given(values=_inputs(fields, reads.constants), headers=st.sampled_from(HEADERS))
    def run(values, headers):
        client = _client(app, cookies, role)
        query, form = _split(fields, values, method)
        before = database.counts()
        started = time.perf_counter()
        response = _send(client, method, url, query, form, headers)
        TOTALS.seconds += time.perf_counter() - started
        TOTALS.requests += 1
        TOTALS.statuses[response.status_code // 100 * 100] += 1
        for name in query.keys() | form.keys():
            TOTALS.inputs[(endpoint, method, name)] += 1
        shown = {k: (v if len(str(v)) < 80 else f"{str(v)[:40]}… ({len(str(v))} chars)") for k, v in values.items()}
        where = (method, url, role, shown, headers, response.status_code)
        assert response.status_code < 500, (where, response.get_data(as_text=True)[-3000:])
        changed = changed_tables(before, database.counts())
        if response.status_code >= 400:
            assert not changed - MAY_CHANGE_WHEN_REFUSED, ("refused but changed", sorted(changed), where)
        elif changed - NOT_A_CHANGE - {"audit_event"}:
            assert "audit_event" in changed, ("changed without an audit event", sorted(changed), where)

    # fields without a name still get the HTMX and plain variants of the bare request
    run()
    if changed_tables(before_test, database.counts()) - SESSION_TABLES:
        database.restore()


def test_the_field_finder_sees_the_fields_of_forms_and_services():
    """The finder must see what the views read, or the fuzzing is blind: spot checks across its
    ways of finding a field (request.args in the view, a service's args dict, a WTForms class,
    a loop over a field-name tuple)."""
    app = _scratch_app()
    assert {"q", "page", "sort"} <= set(route_reads(app, "subscriptions.index").fields)
    assert {"email", "password"} <= set(route_reads(app, "auth.login").fields)
    assert {"body", "subject"} <= set(route_reads(app, "support.new").fields)
    assert "numbers" in route_reads(app, "numbers.port_in_post").fields
    if not db.is_closed():
        db.close()


if os.environ.get("FUZZ_LIST") == "1":  # the fields per route, for the README and for review
    _app = _scratch_app()
    for _case in CASES:
        _endpoint, _rule, _method = _case.values
        print(_method, _rule, sorted(route_reads(_app, _endpoint).fields.items()))


# ---------------------------------------------------------------------------------------------
# The caps themselves (services/validation.py, blueprints/input_limits.py)


def test_a_60000_character_search_is_cut_not_a_server_error(admin):
    from services.validation import QUERY_VALUE_MAX

    for url in ("/subscriptions", "/search", "/search/suggestions", "/users", "/products", "/staff/invoices"):
        response = admin.get(url, query_string={"q": "hansen" * 10_000}, headers={"HX-Request": "true"})
        assert response.status_code in (200, 403), (url, response.status_code)
    with admin.application.test_request_context("/subscriptions", query_string={"q": "x" * 60_000, "page": "2"}):
        from flask import request

        assert len(request.args["q"]) == QUERY_VALUE_MAX and request.args["page"] == "2"


def test_query_bytes_that_are_not_utf8_are_read_not_refused_with_500(admin):
    response = admin.get("/subscriptions", environ_overrides={"QUERY_STRING": "q=\xe6\xf8\xe5&page=1"})
    assert response.status_code == 200


def test_an_over_long_form_value_is_refused_with_a_translated_422_and_changes_nothing(admin, ctx):
    from models import AuditEvent
    from services.validation import FORM_VALUE_MAX

    tickets, events = SupportTicket.select().count(), AuditEvent.select().count()
    data = {"category": "other", "subject": "Hjælp", "body": "x" * (FORM_VALUE_MAX + 1)}
    response = admin.post("/support/new", data=data)
    assert response.status_code == 422
    assert "Shorten it" in response.get_data(as_text=True) or "Forkort" in response.get_data(as_text=True)
    fragment = admin.post("/support/new", data=data, headers={"HX-Request": "true"})
    assert fragment.status_code == 422 and 'role="alert"' in fragment.get_data(as_text=True)
    assert "HX-Request" in fragment.headers.get("Vary", "")
    assert (SupportTicket.select().count(), AuditEvent.select().count()) == (tickets, events)


def test_a_field_over_its_own_cap_gets_the_fields_message(admin, ctx):
    """Below the outer cap, the form's own cap answers, next to the field (support: subject 120)."""

    tickets = SupportTicket.select().count()
    response = admin.post("/support/new", data={"category": "other", "subject": "x" * 5000, "body": "Hjælp"})
    assert response.status_code == 422
    assert SupportTicket.select().count() == tickets


# ---------------------------------------------------------------------------------------------
# What the fuzzer found, kept as plain tests


def test_a_blank_authenticator_name_is_a_message_not_a_server_error(admin, ctx):
    """Found by the fuzzer: WTForms' lazy error text could not be joined (TypeError, 500)."""
    from tests.conftest import reauthenticate

    reauthenticate(admin)
    devices = TotpDevice.select().count()
    response = admin.post("/settings/authenticator", data={"name": ""})
    assert response.status_code == 302
    assert TotpDevice.select().count() == devices
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "Giv enheden et navn." in page
