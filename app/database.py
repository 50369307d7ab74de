"""One write path: how a transaction begins, for requests, jobs, the scheduler and the CLI.

SQLite has one writer at a time. A transaction that begins deferred, reads,
and then writes cannot wait for the lock when another writer has committed
since it read: SQLite answers "database is locked" at once, whatever the
busy timeout. So on SQLite every transaction that may write begins with
`BEGIN IMMEDIATE`, taking the write lock first and waiting its turn (the busy
timeout) for it; transactions that only read stay `BEGIN` (deferred) and run
beside the writer, as WAL allows.

Who may write is known from where the code runs: a request with a
state-changing method may write, a GET may not; jobs, the scheduler and CLI
commands may. `writing()` declares it where that default is wrong (a job run
in-process after a GET). PostgreSQL keeps its row locks and conditional
updates and is not touched here.
"""
import threading
from contextlib import contextmanager
from contextvars import ContextVar

from flask import has_request_context, request
from sqlalchemy import event

# How long a writer waits for SQLite's lock before giving up (seconds).
SQLITE_BUSY_TIMEOUT = 30
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_declared = ContextVar("kindling_may_write", default=None)
_HOLDS_WRITERS = "kindling.holds_writer_lock"


@contextmanager
def writing():
    """Transactions begun inside this block may write (BEGIN IMMEDIATE on SQLite)."""
    token = _declared.set(True)
    try:
        yield
    finally:
        _declared.reset(token)


@contextmanager
def reading():
    """Transactions begun inside this block only read (a plain deferred BEGIN on SQLite)."""
    token = _declared.set(False)
    try:
        yield
    finally:
        _declared.reset(token)


def may_write():
    declared = _declared.get()
    if declared is not None:
        return declared
    if has_request_context():
        return request.method not in READ_ONLY_METHODS
    return True  # a job, the scheduler or a CLI command


def sqlite_engine_options():
    return {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT}}


def configure_sqlite(engine):
    """Take over pysqlite's transaction handling (as SQLAlchemy's docs advise) and begin as `may_write()` says."""

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, connection_record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT * 1000}")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    # This process's writers queue on a lock, each woken the moment the writer before it is done,
    # rather than in SQLite's busy handler, which sleeps in growing steps and lets a burst of
    # writers pile up. Writers of other processes (a worker, a CLI command) still meet the busy timeout.
    writers = threading.Lock()

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        if not may_write():
            connection.exec_driver_sql("BEGIN")
            return
        queued = writers.acquire(timeout=SQLITE_BUSY_TIMEOUT)
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except Exception:
            if queued:
                writers.release()
            raise
        if queued:
            connection.info[_HOLDS_WRITERS] = writers

    def done(connection):
        lock = connection.info.pop(_HOLDS_WRITERS, None)
        if lock is not None:
            lock.release()

    event.listen(engine, "commit", done)
    event.listen(engine, "rollback", done)

    # A connection dropped with its transaction still open (never committed nor rolled back,
    # say garbage-collected after an error) is rolled back by the pool when it returns there;
    # its place in the queue is given up then too, or every later writer would wait the timeout.
    @event.listens_for(engine, "checkin")
    def on_checkin(dbapi_connection, connection_record):
        lock = connection_record.info.pop(_HOLDS_WRITERS, None)
        if lock is not None:
            lock.release()


def commit(work):
    """Run `work()` and commit what it did; on any error roll it all back and re-raise."""
    from app.extensions import db

    try:
        result = work()
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return result
