"""Connecting the database proxy: SQLite (WAL) by default, PostgreSQL by DATABASE_URL."""
from pathlib import Path

from playhouse.db_url import connect
from playhouse.migrations import Runner

from .base import db

MIGRATIONS_DIR = str(Path(__file__).resolve().parent.parent / "migrations")
SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "busy_timeout": 5000,
    "foreign_keys": 1,
    "synchronous": "normal",
    "cache_size": -32000,
}


def open_database(url):
    """Initialize the proxy from a URL and return the database."""
    if url.startswith("sqlite:"):
        path = url.split("sqlite:///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        database = connect(url, pragmas=SQLITE_PRAGMAS)
    else:
        database = connect(url)
    db.initialize(database)
    return database


def migrate(database):
    """Apply pending migrations; returns their names."""
    with database.connection_context():
        return Runner(database, MIGRATIONS_DIR).up()
