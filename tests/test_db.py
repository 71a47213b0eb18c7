"""The records data-access layer: the same SQL and migrations on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from assistant.db import SCHEMA_VERSION, connect_postgresql, connect_sqlite, redact
from assistant.errors import IndexError_, IndexLocked

from .conftest import drop_postgres_database, fresh_postgres_database


@pytest.fixture
def both(tmp_path):
    url = fresh_postgres_database()
    dbs = {"sqlite": connect_sqlite(str(tmp_path / "records.sqlite")), "postgresql": connect_postgresql(url)}
    dbs["postgresql"].url = url  # for a second connection
    yield dbs
    for db in dbs.values():
        db.close()
    drop_postgres_database(url)


def _columns(db, table: str) -> list[str]:
    cursor = db.execute(f"SELECT * FROM {table} WHERE 1=0")
    return [d[0] for d in cursor.description]


def test_migrations_give_both_engines_the_same_tables_and_columns(both):
    for db in both.values():
        db.begin_write()
        assert db.migrate() == SCHEMA_VERSION
        db.commit()
    for table in ("meta", "articles", "sentences", "chunks", "statements", "dedup_bands", "ingest_log", "vector_outbox"):
        assert _columns(both["sqlite"], table) == _columns(both["postgresql"], table), table


def test_the_same_query_text_runs_on_both_engines(both):
    for db in both.values():
        db.begin_write()
        db.migrate()
        db.executemany('INSERT INTO sentences (article_id, idx, start, "end") VALUES (?,?,?,?)',
                       [("a", 0, 0, 10), ("a", 1, 11, 25), ("b", 0, 0, 5)])
        rowid = db.one('INSERT INTO chunks (id, article_id, idx, start, "end", text_hash, vector) '
                       "VALUES (?,?,?,?,?,?,?) RETURNING rowid", ("a:0", "a", 0, 0, 25, "h", b"\x00" * 8))[0]
        db.commit()
        assert rowid == 1
        assert db.execute('SELECT idx, start, "end" FROM sentences WHERE article_id=? ORDER BY idx', ("a",)).fetchall() == [
            (0, 0, 10), (1, 11, 25)]
        assert db.one("SELECT COUNT(*) FROM sentences WHERE article_id LIKE 'a%'")[0] == 2  # a literal % survives
        assert bytes(db.one("SELECT vector FROM chunks WHERE rowid=?", (rowid,))[0]) == b"\x00" * 8


def test_a_rolled_back_write_leaves_nothing(both):
    for db in both.values():
        db.begin_write()
        db.migrate()
        db.commit()
        db.begin_write()
        db.execute("INSERT INTO meta (key, value) VALUES (?, ?)", ("k", "v"))
        db.rollback()
        assert db.one("SELECT value FROM meta WHERE key='k'") is None


def test_the_postgresql_writer_lock_is_exclusive_across_connections(both):
    url_db = both["postgresql"]
    other = connect_postgresql(url_db.url)  # a second worker on the same database
    try:
        url_db.hold_writer_lock(1)
        with pytest.raises(IndexLocked, match="another ingest worker"):
            other.hold_writer_lock(0.3)
        url_db.release_writer_lock()
        other.hold_writer_lock(1)  # free again
        other.release_writer_lock()
    finally:
        other.close()


def test_an_unreachable_database_is_named_without_its_password():
    with pytest.raises(IndexError_) as failure:
        connect_postgresql("postgresql://newsdesk:s3cret@127.0.0.1:1/nothing")
    message = str(failure.value)
    assert "postgresql://newsdesk:***@127.0.0.1:1/nothing" in message and "s3cret" not in message
    assert "NEWSDESK_RECORDS_URL" in message


def test_redact_keeps_urls_without_credentials():
    assert redact("postgresql://localhost/db") == "postgresql://localhost/db"
    assert redact("postgresql://u:p@h/db") == "postgresql://u:***@h/db"


def _database_exists(name: str) -> bool:
    import psycopg

    from .conftest import POSTGRES_URL

    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        return admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


def test_a_database_is_dropped_while_a_session_is_still_connected_to_it():
    url = fresh_postgres_database()
    left_open = connect_postgresql(url)
    drop_postgres_database(url)
    assert not _database_exists(url.rsplit("/", 1)[1])


class _ForceRefused:
    """An admin connection on which DROP ... WITH (FORCE) is refused, as PostgreSQL 15 refuses it
    to a plain user while an autovacuum worker is on the database (seen in CI)."""

    def __init__(self, connection):
        self.connection = connection

    def execute(self, query, params=None):
        import psycopg

        if "WITH (FORCE)" in query:
            raise psycopg.errors.InsufficientPrivilege("must be a member of the role whose process is being terminated")
        return self.connection.execute(query, params)


def test_a_refused_forced_drop_ends_our_own_sessions_and_drops_without_force():
    import psycopg

    from assistant.db import _drop_if_exists

    from .conftest import POSTGRES_URL

    url = fresh_postgres_database()
    name = url.rsplit("/", 1)[1]
    left_open = connect_postgresql(url)
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        _drop_if_exists(_ForceRefused(admin), name)
    assert not _database_exists(name)
