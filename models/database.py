"""Connecting the database proxy: SQLite (WAL) by default, PostgreSQL by DATABASE_URL."""
import contextlib
import contextvars
import logging
import os
import threading
import time
import weakref
from pathlib import Path

import psycopg
from playhouse.db_url import connect, register_database
from playhouse.migrations import Runner
from playhouse.pool import PooledDatabase, PooledSqliteDatabase
from playhouse.postgres_ext import PooledPsycopg3Database, PostgresqlExtDatabase, ServerSide

from .base import db

MIGRATIONS_DIR = str(Path(__file__).resolve().parent.parent / "migrations")
SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "busy_timeout": 5000,
    "foreign_keys": 1,
    "synchronous": "normal",
    "cache_size": -32000,
}


# Every SQLite transaction takes the write lock when it begins. A transaction begun DEFERRED reads
# from a snapshot; if another connection commits before its first write, that write fails at once
# with "database is locked" (SQLITE_BUSY_SNAPSHOT), which no busy timeout waits out. IMMEDIATE waits
# (busy_timeout) for the lock instead. A job that read an application, then wrote, lost that race.
SQLITE_LOCK = "IMMEDIATE"
POOL = {"max_connections": 32, "stale_timeout": 300}  # per process; a connection idle for 5 minutes is closed
# "peewee" logs one DEBUG record per query, which query counters (tests, the benchmark) count; the pool's
# check-out/check-in records are no queries
logging.getLogger("peewee.pool").setLevel(logging.INFO)


class ForkSafePool:
    """A pool inherited through fork() (gunicorn's preload, RQ's work horses) is never used by the
    child: its connections belong to the parent (a PostgreSQL connection is a socket to one server
    session), so the child starts an empty pool. Two processes on one session read each other's
    results, and the second to prepare "_pg3_0" fails: found under load on PostgreSQL, where the
    gunicorn master's in-process maintenance thread had pooled a connection that every worker
    forked after it then shared."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _POOLS.add(self)

    def forget_parent(self):
        """In a forked child: drop the parent's connections, pooled, in use or held by the thread that
        forked, without touching them (kept referenced: closing one would end the parent's session)."""
        _INHERITED.extend(conn for _ts, _n, conn in self._connections)
        _INHERITED.extend(pc.connection for pc in self._in_use.values())
        if self._state.conn is not None:
            _INHERITED.append(self._state.conn)
        self._connections, self._in_use = [], {}
        self._state.reset()
        # a lock another thread of the parent held at the fork (inside connect(), opening a connection)
        # would stay held in the child for good: every thread of the child would wait on it
        self._lock = threading.Lock() if self.thread_safe else self._lock
        self._pool_lock = threading.RLock()
        self._pool_available = threading.Condition(self._pool_lock)


_POOLS = weakref.WeakSet()  # every ForkSafePool of this process
_INHERITED = []  # connections of a parent process: kept referenced, so the child never closes them


def _forget_parent_connections():
    for pool in list(_POOLS):
        pool.forget_parent()


os.register_at_fork(after_in_child=_forget_parent_connections)


class PooledSqlite(ForkSafePool, PooledSqliteDatabase):
    """SQLite connections kept open between requests, each handed back with no read snapshot left.

    A new SQLite connection reads and parses the whole schema (240 tables, indexes and triggers) on
    its first statement: about 6 ms, more than a whole page's queries. So connections are reused.
    The catch: a statement that was not read to its end (a LIMITed query peewee stopped reading, an
    `exists()`) keeps the connection's read transaction, and with it a WAL snapshot, open — a reused
    connection would then not see what other connections committed since (a job's "finished" stayed
    "queued" for the request thread). Every cursor handed out and still alive at check-in is closed
    then (weakly held: one that was dropped reset its statement already), which ends the read
    transaction; a transaction left open is rolled back. Fork-safe (ForkSafePool)."""

    def forget_parent(self):
        super().forget_parent()
        self._state.__dict__.pop("cursors", None)  # the parent's cursors, as its connections

    def cursor(self, named_cursor=None):
        cursor = super().cursor(named_cursor)
        cursors = self._state.__dict__.get("cursors")
        if cursors is None:
            cursors = self._state.cursors = weakref.WeakSet()
        cursors.add(cursor)
        return cursor

    def _close(self, conn, close_conn=False):
        for cursor in list(self._state.__dict__.pop("cursors", ())):
            with contextlib.suppress(Exception):  # a cursor of a connection closed already
                cursor.close()
        return super()._close(conn, close_conn)


PING_AFTER = 5.0  # seconds a pooled PostgreSQL connection may idle before its check-out asks the server


class PreparedCursor(psycopg.Cursor):
    """Server-side binding, the statement prepared on its first execution: PostgreSQL then skips
    parsing and, once it settles on the generic plan (after five runs), planning. psycopg keeps the
    newest 100 prepared statements per connection."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        return super().execute(query, params, prepare=True, binary=binary)


_PREPARED = contextvars.ContextVar("prepared", default=False)


def execute_prepared(sql, params):
    """db.execute_sql as a prepared statement on PostgreSQL (no change on SQLite, whose module
    caches its statements itself). Only for SQL whose best plan does not depend on the values, as
    the lookups below: a generic plan knows no value, and the overview's filters and searches need
    the planner to see them (migration 0024). The SQL names its columns (no `SELECT *`): a column
    added by a migration would otherwise change a prepared statement's result and fail it."""
    token = _PREPARED.set(True)
    try:
        return db.execute_sql(sql, params)
    finally:
        _PREPARED.reset(token)


def prepared_rows(model, sql, params):
    """The rows of fixed SQL that selects `model`'s columns in their order (`_meta.sorted_fields`, as
    `model.select()` does), as model instances, through `execute_prepared`."""
    fields = model._meta.sorted_fields
    return [instance_of(model, fields, row) for row in execute_prepared(sql, params).fetchall()]


class PooledPostgres(ForkSafePool, PooledPsycopg3Database):
    """psycopg 3 connections kept open between requests, checked out without a round trip while warm.

    Peewee's pool sends "SELECT 1" on every check-out to see that the server still holds the
    connection: on these machines a round trip costs 0.3–0.5 ms, a tenth of a small page. A connection
    handed back less than PING_AFTER seconds ago is handed out again on its local state alone
    (closed, broken, or a transaction left open); one that idled longer is asked as before.
    Inside `execute_prepared` a query runs as a prepared statement (PreparedCursor); elsewhere the
    connection's client-side binding cursor (open_database says why). Fork-safe (ForkSafePool)."""

    def cursor(self, named_cursor=None):
        if named_cursor or not _PREPARED.get():
            return super().cursor(named_cursor)
        if self.is_closed():
            self.connect()  # as peewee's autoconnect
        return PreparedCursor(self._state.conn)

    def _is_closed(self, conn):
        returned = getattr(conn, "returned_at", None)
        if (returned is not None and time.monotonic() - returned < PING_AFTER and not conn.broken
                and conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE):
            return conn.closed
        return super()._is_closed(conn)

    def _close(self, conn, close_conn=False):
        conn.returned_at = time.monotonic()
        return super()._close(conn, close_conn)


register_database(PooledPostgres, "postgresql+pool")

def _pooled(url):
    """The URL of the pooled psycopg 3 kind of a PostgreSQL database: requests reuse connections
    instead of opening one each (a TCP connection and a backend process). SQLite is pooled by
    PooledSqlite."""
    scheme, rest = url.split(":", 1)
    if "+" in scheme or scheme not in ("postgres", "postgresql"):
        return url
    return f"postgresql+pool:{rest}"


def open_database(url):
    """Initialize the proxy from a URL and return the database (connections pooled)."""
    previous = db.obj
    if isinstance(previous, PooledDatabase):
        previous.close_idle()  # another app in this process (tests): its idle connections go
    if url.startswith("sqlite"):
        path = url.split("sqlite:///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        if "+" in url.split(":", 1)[0] or path == ":memory:" or not path:
            # an in-memory database lives and dies with its connection
            database = connect(url, pragmas=SQLITE_PRAGMAS, lock_type=SQLITE_LOCK)
        else:
            # check_same_thread: a connection checked in by one thread is checked out by another
            database = PooledSqlite(path, pragmas=SQLITE_PRAGMAS, lock_type=SQLITE_LOCK, check_same_thread=False,
                                    **POOL)
    else:
        pool = POOL if _pooled(url) != url else {}
        # client-side binding, as psycopg2 did: with server-side $n parameters PostgreSQL cannot see
        # that a CASE in the SELECT list and the same CASE in GROUP BY are one expression
        database = connect(_pooled(url), cursor_factory=psycopg.ClientCursor, **pool)
    db.initialize(database)
    return database


def batches(query, size):
    """The rows of a SELECT in lists of `size`, read from the database as they are needed, so an
    export of a million rows never holds them all. SQLite's cursor reads as it goes; PostgreSQL's
    client cursor would fetch the whole result first, so there a server-side (named) cursor in a
    transaction fetches `size` rows at a time."""
    if isinstance(db.obj, PostgresqlExtDatabase):
        with db.atomic():
            yield from _in_lists(ServerSide(query, array_size=size), size)
    else:
        yield from _in_lists(query.iterator(), size)


def _in_lists(rows, size):
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def bound_cursor():
    """A cursor that sends values apart from the SQL text, for large ones (a stored file's part): the
    connections' client-side binding writes them into the statement, and psycopg keeps the text of
    recent statements (a megabyte part: 200 MiB kept after storing a 100 MB file)."""
    if isinstance(db.obj, PostgresqlExtDatabase):
        return psycopg.Cursor(db.connection())
    return contextlib.closing(db.cursor())


def migrate(database):
    """Apply pending migrations; returns their names."""
    with database.connection_context():
        return Runner(database, MIGRATIONS_DIR).up()


# Lookups on every request, without building their SQL each time ----------------------------------
# Peewee compiles a query's SQL from its expression tree on every execution: for the session, user,
# membership and company-tree lookups that every request makes, that compilation cost far more than
# the (indexed) queries themselves. These run fixed SQL and turn the columns into the fields' Python
# values; on PostgreSQL as prepared statements (`execute_prepared`), which also spares the server parsing
# and planning them.

_SQL = {}


def _sql(key, build):
    """SQL text made once per (key, database kind): the placeholder differs between SQLite and PostgreSQL."""
    full_key = (key, db.param)
    sql = _SQL.get(full_key)
    if sql is None:
        sql = _SQL[full_key] = build(db.param)
    return sql


def _quoted(name):
    return '"' + name + '"'


def related(model, column, foreign_key):
    """`column` of the row of `model` that `foreign_key` points at, as a scalar subquery for a SELECT
    list (alias it). A join would do the same, but PostgreSQL plans a four-table join with a sort and
    a LIMIT in about 3 ms, more than it takes to run; one table with scalar lookups plans in 0.3 ms."""
    return model.select(column).where(model.id == foreign_key)


def rows_where(model, field, values):
    """Every row of `model` whose `field` equals one of `values` (all columns, as model instances)."""
    values = list(values)
    if not values:
        return []
    fields = model._meta.sorted_fields
    sql = _sql(("in", model, field.name, len(values)), lambda p: "SELECT {} FROM {} WHERE {} IN ({})".format(  # nosec B608  # table and column names from the models; values are placeholders
        ", ".join(_quoted(f.column_name) for f in fields), _quoted(model._meta.table_name), _quoted(field.column_name),
        ", ".join([p] * len(values))))
    return prepared_rows(model, sql, values)


def row_where(model, field, value):
    """The row of `model` whose (unique) `field` equals `value`, or None."""
    rows = rows_where(model, field, (value,))
    return rows[0] if rows else None


def column_where(model, columns, field, value):
    """Tuples of `columns` (fields) of the rows of `model` whose `field` equals `value`."""
    sql = _sql(("cols", model, tuple(c.name for c in columns), field.name), lambda p: "SELECT {} FROM {} WHERE {} = {}".format(  # nosec B608  # table and column names from the models; values are placeholders
        ", ".join(_quoted(c.column_name) for c in columns), _quoted(model._meta.table_name), _quoted(field.column_name), p))
    return execute_prepared(sql, (value,)).fetchall()


def fixed_tuples(key, build, params):
    """The rows (tuples) of fixed SQL, `build(placeholder)` made once per `key`, through `execute_prepared`."""
    return execute_prepared(_sql(key, build), params).fetchall()


def instance_of(model, fields, values):
    """A `model` instance of database `values` for `fields` (as a SELECT of those columns read them),
    clean: no defaults filled in for the fields left out, nothing marked as changed."""
    obj = model(__no_default__=1, **{f.name: f.python_value(v) for f, v in zip(fields, values, strict=True)})
    obj._dirty.clear()
    return obj


def columns_of(model, alias):
    """The SELECT list of all of `model`'s columns, in `_meta.sorted_fields` order, on table `alias`."""
    return ", ".join(f"{alias}.{_quoted(f.column_name)}" for f in model._meta.sorted_fields)


def table_of(model):
    return _quoted(model._meta.table_name)


def joined_rows(key, build, params, models):
    """The rows of fixed SQL (`build(placeholder)`, made once per `key`) that selects the columns of
    each of `models` in turn (see `columns_of`), as tuples of model instances, through
    `execute_prepared`; a model whose primary key is NULL (a LEFT JOIN that found nothing) is None."""
    fields = [m._meta.sorted_fields for m in models]
    rows = []
    for values in execute_prepared(_sql(key, build), params).fetchall():
        row, at = [], 0
        for model, own in zip(models, fields, strict=True):
            part = values[at:at + len(own)]
            at += len(own)
            row.append(None if part[0] is None else instance_of(model, own, part))
        rows.append(tuple(row))
    return rows
