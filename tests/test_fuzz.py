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

The roles' sessions are rows this test writes under fixed tokens (FuzzDatabase.sign), re-written
after a restore, a logout or rotation and every two minutes (keeping what else the session holds):
each request is that role, re-authenticated within the last two minutes, however long the run. One
test client sends them all and keeps no cookies.

Inputs: hypothesis generates a pool of values once per process (FUZZ_POOL, default 4,096: text,
integers and, one value in 16, strings up to 100,001 characters; derandomized, the same every
run). Each route, method and role draws from it with its own seed, a quarter of the time from the
INTERESTING values and the short strings the route compares, one value in eight a list (a repeated
field). Generating per request cost more than the request; the pool keeps hypothesis the generator
at a fraction of that.

Budget (`FUZZ_EXAMPLES`, default 8): every field of a route gets at least that many values as each
role that the route's access policy lets in; roles refused before the view runs (403, or the login
redirect) get `FUZZ_REFUSED_EXAMPLES` (default 2). A field is left out of one example in eight (a
missing field is an input too), so a route sends FUZZ_EXAMPLES + ⌈FUZZ_EXAMPLES / 7⌉ examples,
cycling the plain and HTMX header sets, after one bare request (which tells refused from let in); a
route without fields sends each header set once. The change counters are read once per request.
`FUZZ_SHARD=i/n` takes every n-th route; scripts/fuzz.sh runs the deep mode (1,000 values per field
and role, refused roles included) shard by shard and adds up the figures. The totals (route ×
methods, fields, roles, inputs per field and role, requests, 5xx, wall time) are printed at the end
of the run, and written as JSON to `FUZZ_SUMMARY` when set.
"""
import ast
import collections
import functools
import hashlib
import inspect
import json
import os
import random
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

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))
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
# Bookkeeping that is not a change someone made: background job state and files made once (a PDF).
NOT_A_CHANGE = SESSION_TABLES | {"job_record", "stored_file", "stored_file_part"}

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


SIGN_EVERY = 120  # seconds: re-sign the roles' sessions well inside STEP_UP_MINUTES and the idle limit


class FuzzDatabase:
    """The fuzz copy, its change counters (read once per request, on a connection kept open) and
    the roles' sessions. A role's session is a row this class writes itself, under a fixed token: it
    is written again after a restore, after any request changed a session row (a logout, a rotation,
    the app's own touch) and every SIGN_EVERY seconds, so every request of a role really is that role,
    re-authenticated just now, however long the run."""

    def __init__(self, path, pristine, sessions):
        self.path, self.pristine, self.sessions = path, pristine, sessions  # sessions: {token_hash: row}
        self.con = None
        self.last = {}
        self.signed_at = 0.0
        self.signed_mark = None

    def _connect(self):
        if self.con is None:
            self.con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            self.con.execute("PRAGMA synchronous = OFF")  # this connection's own writes: no fsync
        return self.con

    def counts(self):
        """The counters after the last request (one query), kept as the next request's `before`."""
        self.last = dict(self._connect().execute("SELECT tbl, n FROM fuzz_change"))
        return self.last

    def sign(self, role=None, force=False):
        """Write a role's session row again (all roles' with force) when it may have changed: when any
        session row changed since the last look (a logout, a rotation) or SIGN_EVERY seconds went by.
        What else the session holds (a wizard's state, a flash) is kept; the login and re-authentication
        are put back if gone."""
        due = force or time.monotonic() - self.signed_at >= SIGN_EVERY
        if not due and self.last.get("web_session") == self.signed_mark:
            return
        from models import utcnow

        now, con = utcnow(), self._connect()
        wanted = {h: row for h, row in self.sessions.items() if due or row["role"] == role}
        stored = {h: json.loads(data) for h, data in con.execute(
            f"SELECT token_hash, data FROM web_session WHERE token_hash IN ({','.join('?' * len(wanted))})", list(wanted))}
        if not due:  # only the rows that lost the login or the re-authentication
            wanted = {h: row for h, row in wanted.items()
                      if h not in stored or any(stored[h].get(k) != v for k, v in dict(row["data"], reauth_at=row.get("reauth")).items())}
        if wanted:
            con.execute("BEGIN IMMEDIATE")
            for token_hash, row in wanted.items():
                row["reauth"] = now.isoformat()
                data = json.dumps(dict(stored.get(token_hash, {}), **row["data"], reauth_at=row["reauth"]))
                con.execute("DELETE FROM web_session WHERE token_hash = ?", (token_hash,))
                con.execute("INSERT INTO web_session (token_hash, user_id, data, last_seen_at, created_at, ip, user_agent) "
                            "VALUES (?, ?, ?, ?, ?, '', '')", (token_hash, row["user_id"], data, str(now), str(now)))
            con.execute("COMMIT")
        if due:
            self.signed_at = time.monotonic()
        self.signed_mark = self.counts().get("web_session")

    def save(self):
        """The pristine copy, through SQLite's backup (the app's connections may be open)."""
        target = sqlite3.connect(self.pristine)
        self._connect().backup(target)
        target.close()

    def restore(self):
        if not db.is_closed():
            db.close()
        source = sqlite3.connect(self.pristine)
        source.backup(self._connect())
        source.close()
        self.sign(force=True)

    def close(self):
        if self.con is not None:
            self.con.close()
            self.con = None


def changed_tables(before, after):
    return {t for t in set(before) | set(after) if before.get(t) != after.get(t)}


# ---------------------------------------------------------------------------------------------
# The cases (sharded by route) and the totals


def _scratch_app():
    """An app for reading the URL map and the views (no database is opened)."""
    import tempfile

    return make_app(os.path.join(tempfile.mkdtemp(prefix="fuzz-map-"), "unused.db"))


def _shard():
    """FUZZ_SHARD=i/n (1 ≤ i ≤ n): this process takes every n-th route, all its methods and roles."""
    index, _, count = os.environ.get("FUZZ_SHARD", "1/1").partition("/")
    index, count = int(index), int(count or 1)
    assert 1 <= index <= count, "FUZZ_SHARD is i/n with 1 <= i <= n"
    return index - 1, count


def _cases():
    app = _scratch_app()
    index, count = _shard()
    rules = [r for r in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)) if r.endpoint not in SKIP_ENDPOINTS]
    cases = []
    for number, rule in enumerate(rules):
        if number % count != index:
            continue
        for method in sorted(rule.methods & {"GET", "POST"}):
            cases.append(pytest.param(rule.endpoint, rule.rule, method, id=f"{method} {rule.rule}"))
    if not db.is_closed():
        db.close()
    return cases


CASES = _cases()


class Totals:
    def __init__(self):
        self.inputs = collections.Counter()  # (endpoint, method, role, field) -> values sent
        self.refused = set()  # (endpoint, method, role) refused before the view
        self.requests = 0
        self.route_seconds = collections.Counter()  # (method, rule) -> seconds in the app (the test client's calls)
        self.started = time.monotonic()
        self.statuses = collections.Counter()
        self.routes = set()
        self.roles = set()


TOTALS = Totals()


def _summary():
    fields = {(e, m, f) for (e, m, _r, f) in TOTALS.inputs}
    allowed = [n for (e, m, r, f), n in TOTALS.inputs.items() if (e, m, r) not in TOTALS.refused]
    refused = [n for (e, m, r, f), n in TOTALS.inputs.items() if (e, m, r) in TOTALS.refused]
    wall = time.monotonic() - TOTALS.started
    return {
        "shard": os.environ.get("FUZZ_SHARD", "1/1"), "examples": EXAMPLES, "refused_examples": REFUSED_EXAMPLES,
        "route_methods": len(TOTALS.routes), "fields": len(fields), "roles": len(TOTALS.roles),
        "inputs": sum(TOTALS.inputs.values()),
        "min_inputs_per_field_and_role": min(allowed, default=0),
        "min_inputs_per_field_and_refused_role": min(refused, default=0),
        "requests": TOTALS.requests, "status_5xx": TOTALS.statuses[500],
        "statuses": {str(k): v for k, v in sorted(TOTALS.statuses.items())},
        "seconds_in_app": round(sum(TOTALS.route_seconds.values()), 1), "wall_seconds": round(wall, 1),
        "requests_per_second": round(TOTALS.requests / wall, 1) if wall else 0,
        "slowest_routes": {k: round(v, 1) for k, v in TOTALS.route_seconds.most_common(15)},
    }


def _report(config):
    s = _summary()
    lines = [
        f"fuzz: {s['route_methods']} route × methods, {s['fields']} fields, {s['roles']} roles, shard {s['shard']}, "
        f"FUZZ_EXAMPLES={EXAMPLES} (refused roles {REFUSED_EXAMPLES})",
        f"fuzz: inputs per field and role: min {s['min_inputs_per_field_and_role']} (refused roles "
        f"{s['min_inputs_per_field_and_refused_role']}); {s['inputs']} inputs in {s['requests']} requests, "
        f"5xx {s['status_5xx']}, statuses {s['statuses']}; {s['wall_seconds']:.0f} s wall "
        f"({s['requests_per_second']:.0f} requests/s, {s['seconds_in_app']:.0f} s in the app)",
    ]
    capture = config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():  # past pytest's capture, so the CI log shows the figures
        for line in lines:
            print(line)
    out = os.environ.get("FUZZ_SUMMARY")
    if out:
        with open(out, "w") as handle:
            json.dump(s, handle, indent=1)


# ---------------------------------------------------------------------------------------------
# Fixture


@pytest.fixture(scope="module")
def fuzz(demo_db_file, tmp_path_factory, request):
    folder = tmp_path_factory.mktemp("fuzz")
    path, pristine = folder / "fuzz.db", folder / "pristine.db"
    shutil.copy(demo_db_file, path)
    _install_triggers(path)
    app = make_app(path)
    name = app.config["SESSION_COOKIE_NAME"]
    client = app.test_client(use_cookies=False)  # one client: the role is the Cookie header, nothing is kept
    with app.test_request_context(environ_base=client.environ_base):
        from flask_login.utils import _create_identifier

        ident = _create_identifier()  # as login_user stores it: the session is not "protected" (made stale)
    cookies, sessions = {"anonymous": {}}, {}
    for role, email in ROLES.items():
        if email is None:
            continue
        # a session as the login leaves it, then kept alive by FuzzDatabase.sign
        token = f"fuzz-{role}-" + hashlib.sha256(role.encode()).hexdigest()[:32]
        user = User.get(User.email == email)
        data = {"_user_id": str(user.id), "_fresh": True, "_id": ident}
        sessions[hashlib.sha256(token.encode()).hexdigest()] = {"role": role, "user_id": user.id, "data": data}
        cookies[role] = {"Cookie": f"{name}={token}"}
    args = _sample_args()
    if not db.is_closed():
        db.close()
    database = FuzzDatabase(path, pristine, sessions)
    database.save()
    database.sign(force=True)
    yield app, client, database, cookies, args
    database.close()
    if not db.is_closed():
        db.close()
    _report(request.config)


# ---------------------------------------------------------------------------------------------
# The inputs: hypothesis generates pools of values once (derandomized), every route draws from them

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
GENERATED = st.one_of(st.text(max_size=40), st.integers(min_value=-(2**70), max_value=2**70).map(str))
POOL_SIZE = int(os.environ.get("FUZZ_POOL", "4096"))
LONG_EVERY = 16  # one pool value in 16 is LONG: decoding 100,000 percent-escapes is most of a request's cost
POOL_BATCH = 16  # values per hypothesis example (unique within it)


def _collect(strategy, count):
    values = []

    @settings(max_examples=-(-count // POOL_BATCH), derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(st.lists(strategy, min_size=POOL_BATCH, max_size=POOL_BATCH, unique=True))
    def collect(batch):
        values.extend(batch)

    collect()
    return values[:count]


@functools.lru_cache(maxsize=None)
def _pool():
    """POOL_SIZE values (text, integers and, one in LONG_EVERY, very long strings), derandomized: the
    same every run. The long ones are spread through the pool, so every route draws its share."""
    longs = _collect(LONG, POOL_SIZE // LONG_EVERY)
    values = _collect(GENERATED, POOL_SIZE - len(longs))
    for i, value in enumerate(longs):
        values.insert(i * LONG_EVERY, value)
    return values


HEADERS = [
    {},
    {"HX-Request": "true"},
    {"HX-Request": "true", "HX-Target": "rows", "HX-Current-URL": "http://localhost/subscriptions"},
    {"HX-Request": "true", "HX-Boosted": "true"},
    {"HX-Request": "true", "HX-History-Restore-Request": "true"},
]
ABSENT_EVERY = 8  # each field is left out of one example in eight (a missing field is an input too)


def example_count(wanted, fields):
    """Examples so that every field is sent at least `wanted` values: one in ABSENT_EVERY leaves it out.
    A route without fields gets each header variant once."""
    if not fields:
        return min(wanted, len(HEADERS))
    return wanted + -(-wanted // (ABSENT_EVERY - 1))


def _examples(seed, fields, constants, wanted):
    """(values, headers) per example, deterministic for a seed; field number i is absent in example k
    when (k + i) % ABSENT_EVERY == ABSENT_EVERY - 1, so in any ABSENT_EVERY examples once."""
    rng = random.Random(seed)
    pool = _pool()
    chosen = INTERESTING + sorted(constants)
    names = sorted(fields)

    def single():
        # as st.one_of(sampled_from(INTERESTING + constants), text, integers, LONG): a quarter each
        return rng.choice(chosen) if rng.random() < 0.25 else rng.choice(pool)

    for k in range(example_count(wanted, names)):
        values = {}
        for i, name in enumerate(names):
            if (k + i) % ABSENT_EVERY == ABSENT_EVERY - 1:
                continue
            values[name] = [single() for _ in range(rng.randint(2, 3))] if rng.random() < 1 / 8 else single()
        yield values, HEADERS[k % len(HEADERS)]


def _url(app, rule_endpoint, args):
    from flask import url_for

    rule = next(r for r in app.url_map.iter_rules(endpoint=rule_endpoint))
    with app.test_request_context():
        return url_for(rule_endpoint, **{k: args[k] for k in rule.arguments})


@functools.lru_cache(maxsize=None)
def _route(app, endpoint):
    reads = route_reads(app, endpoint)
    return reads.fields, frozenset(reads.constants)


def _refused(response):
    return response.status_code == 403 or (
        response.status_code in (301, 302, 303) and "/login" in response.headers.get("Location", ""))


def _split(fields, values, method):
    """(query, form) for one example: args fields in the query string, form fields in the body."""
    query, form = {}, {}
    for name, value in values.items():
        where = fields[name]
        if method == "GET" or where == "args":
            query[name] = value
        else:
            form[name] = value
    return query, form


def _shown(values):
    return {k: (v if len(str(v)) < 80 else f"{str(v)[:40]}… ({len(str(v))} chars)") for k, v in values.items()}


@pytest.mark.fuzz
@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("endpoint,rule,method", CASES)
def test_fuzz_route(fuzz, endpoint, rule, method, role):
    app, client, database, cookies, args = fuzz
    fields, constants = _route(app, endpoint)
    url = _url(app, endpoint, args)
    TOTALS.routes.add((endpoint, method))
    TOTALS.roles.add(role)
    database.counts()
    database.sign(role)
    before_test = database.last
    send = client.get if method == "GET" else client.post

    def check(query, form, headers, values):
        database.sign(role)
        before = database.last
        started = time.perf_counter()
        response = send(url, query_string=query, data=form or None, headers={**headers, **cookies[role]})
        TOTALS.route_seconds[f"{method} {rule}"] += time.perf_counter() - started
        TOTALS.requests += 1
        TOTALS.statuses[response.status_code // 100 * 100] += 1
        for name in values:
            TOTALS.inputs[(endpoint, method, role, name)] += 1
        status = response.status_code
        where = (method, url, role, _shown(values), headers, status)
        if status >= 500:
            body = response.get_data(as_text=True)[-3000:]
            response.close()
            raise AssertionError((where, body))
        response.close()  # the body is not kept (only a 5xx shows it)
        changed = changed_tables(before, database.counts())
        if status >= 400:
            assert not changed - MAY_CHANGE_WHEN_REFUSED, ("refused but changed", sorted(changed), where)
        elif changed - NOT_A_CHANGE - {"audit_event"}:
            assert "audit_event" in changed, ("changed without an audit event", sorted(changed), where)
        return response

    # the bare request (no fields, not HTMX) tells whether the role gets past the access policy
    baseline = check({}, {}, {}, {})
    refused = _refused(baseline)
    if refused:
        TOTALS.refused.add((endpoint, method, role))
    wanted = REFUSED_EXAMPLES if refused else EXAMPLES
    for values, headers in _examples(f"{method} {endpoint} {role}", fields, constants, wanted):
        query, form = _split(fields, values, method)
        check(query, form, headers, values)
    if changed_tables(before_test, database.counts()) - SESSION_TABLES:
        database.restore()


def test_every_field_gets_the_examples_it_is_promised():
    """FUZZ_EXAMPLES=n means n values in every field as each role: count what the schedule sends."""
    for wanted in (1, 2, 6, 7, 8, 1000):
        for names in (["a"], list("abcdefghij")):
            sent = collections.Counter()
            for values, _headers in _examples("x", dict.fromkeys(names, "any"), set(), wanted):
                sent.update(values.keys())
            assert min(sent[n] for n in names) >= wanted, (wanted, names, sent)
    assert len(_pool()) == POOL_SIZE and len(set(_pool())) > POOL_SIZE / 2
    assert sum(len(v) > 200 for v in _pool()) >= POOL_SIZE // LONG_EVERY


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


def test_a_60000_digit_id_in_a_form_is_no_id_not_a_server_error(admin, ctx):
    """Found by the deep fuzz: int() refuses strings of more than 4,300 digits (ValueError, 500) and a
    form value may be 100,000 characters; a personal number's schedule read its row count so."""
    from services.ids import parse_id

    assert parse_id("9" * 60_000) is None and parse_id("0" * 60_000 + "7") == 7
    assert parse_id("0007") == 7 and parse_id(str(2**63 - 1)) == 2**63 - 1 and parse_id(str(2**63)) is None
    response = admin.post("/products/personal-numbers/1/edit", data={"rule_count": "9" * 60_000})
    assert response.status_code < 500


def test_the_ticket_forms_picker_search_is_capped_like_a_search(admin, ctx):
    """Found by the deep fuzz: the ticket form's picker text comes in the form (capped at 100,000, not
    at a query value's 500), and SQLite refuses a LIKE pattern of more than 50,000 bytes."""
    tickets = SupportTicket.select().count()
    response = admin.post("/support/new", data={"q": "æ" * 60_000, "category": "", "subject": "", "body": ""})
    assert response.status_code == 422 and SupportTicket.select().count() == tickets


def test_searches_posted_in_forms_are_capped_like_searches(staff_client, ctx):
    """Found by the deep fuzz (the staff credit form's line search), and the account pickers that post
    their search the same way: SQLite refuses LIKE patterns of more than 50,000 bytes."""
    from models import Invoice, Membership
    from services.scope import build_scope, search_accounts

    invoice = Invoice.select().first()
    response = staff_client.post(f"/staff/invoices/{invoice.id}/credit", data={"lines_q": "æ" * 60_000, "reason": ""})
    assert response.status_code < 500
    scope = build_scope(Membership.get(Membership.user == User.get(User.email == "admin@demo.dk").id))
    assert search_accounts(scope.accounts(), "a" * 100_001, 5) == ([], False)
