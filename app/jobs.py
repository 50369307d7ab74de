"""Background jobs: enqueue(function, *ids).

With REDIS_URL set a job goes to rq; otherwise it runs in-process. Either
way it leaves only after the surrounding transaction commits, so a worker
never looks for a row that is not there yet, and a rolled-back request
sends nothing. Jobs take ids (never objects) and must be idempotent.
"""
import importlib
import logging

from flask import current_app, has_app_context
from redis import Redis
from rq import Queue
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.database import reading, writing
from app.extensions import db

log = logging.getLogger(__name__)

DEFAULT_QUEUE = "kindling"
# Index writes: a queue of their own, so one worker can be the single index writer.
SEARCH_QUEUE = "search"
_PENDING = "kindling.jobs.pending"
_READY = "kindling.jobs.ready"
_worker_app = None


def enqueue(function, *ids, queue=DEFAULT_QUEUE):
    """Schedule `function(*ids)` to run once the current transaction commits."""
    for value in ids:
        if not isinstance(value, (int, str)):
            raise TypeError(f"jobs take ids, not {type(value).__name__}")
    name = f"{function.__module__}:{function.__qualname__}"
    pending = db.session.info.setdefault(_PENDING, [])
    if (queue, name, ids) not in pending:  # jobs are idempotent: once per transaction is enough
        pending.append((queue, name, ids))


@event.listens_for(Session, "after_commit")
def _commit_releases_jobs(session):
    pending = session.info.pop(_PENDING, None)
    if pending:
        session.info.setdefault(_READY, []).extend(pending)


@event.listens_for(Session, "after_soft_rollback")
def _rollback_drops_jobs(session, previous_transaction):
    session.info.pop(_PENDING, None)


def dispatch():
    """Send or run every job whose transaction has committed."""
    while True:
        ready = db.session.info.pop(_READY, None)
        if not ready:
            return
        redis_url = current_app.config.get("REDIS_URL")
        for queue, name, ids in ready:
            if redis_url:
                Queue(queue, connection=redis_connection()).enqueue(run_job, name, *ids)
            else:
                _run_inline(name, ids)


def _run_inline(name, ids):
    # A failing job must not turn the user's already-committed action into
    # an error page; it is logged, as a worker would.
    try:
        _run(resolve(name), ids)
    except Exception:
        log.exception("job %s%r failed", name, ids)


def resolve(name):
    module_name, _, attr = name.partition(":")
    target = importlib.import_module(module_name)
    for part in attr.split("."):
        target = getattr(target, part)
    return target


def reads_only(function):
    """Mark a job that only reads the database (and writes elsewhere, such as the search
    index), so it never holds SQLite's write lock while it works."""
    function.kindling_reads_only = True
    return function


def _run(function, ids):
    # A job starts a transaction of its own, which may write (BEGIN IMMEDIATE on
    # SQLite) unless the job only reads, even when it runs in-process after a GET.
    db.session.commit()
    with reading() if getattr(function, "kindling_reads_only", False) else writing():
        try:
            function(*ids)
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
    dispatch()


def run_job(name, *ids):
    """Entry point rq calls in a worker: run one job inside an app context."""
    if has_app_context():
        return _run(resolve(name), ids)
    global _worker_app
    if _worker_app is None:
        from app import create_app

        _worker_app = create_app()
    with _worker_app.app_context():
        try:
            _run(resolve(name), ids)
        finally:
            db.session.remove()


_redis_clients = {}


def redis_connection():
    """One client (and its connection pool) per URL and process: a new one per job cost a TCP connect (issue 13)."""
    url = current_app.config["REDIS_URL"]
    client = _redis_clients.get(url)
    if client is None:
        client = _redis_clients[url] = Redis.from_url(url)
    return client


def queue_names():
    return [DEFAULT_QUEUE, SEARCH_QUEUE]
