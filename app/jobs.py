"""Background jobs: enqueue(function, *ids), carried by the outbox.

`enqueue` writes an outbox row (app.outbox) in the current transaction, so
the job exists exactly when the change that caused it does. After commit,
`dispatch()` hands the row to rq when REDIS_URL is set, or runs it
in-process otherwise. When Redis cannot be reached the request still
succeeds: the row waits, and `drain()` (every scheduler tick, and after
the next request that reaches Redis) hands it over again.

A runner claims a row with a lease before running it and marks it done in
the job's own transaction, so a job runs to completion once even when it is
handed over twice. A failure is retried with backoff; after MAX_ATTEMPTS
the row stays "failed", shown to admins at /admin/jobs with its error.
Jobs take ids (never objects) and must be idempotent.
"""
import importlib
import json
import logging
from datetime import timedelta

from flask import current_app, has_app_context
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from sqlalchemy import and_, event, or_, select, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app import clock
from app.database import reading, writing
from app.extensions import db
from app.outbox import OutboxJob

log = logging.getLogger(__name__)

DEFAULT_QUEUE = "kindling"
# Index writes: a queue of their own, so one worker can be the single index
# writer, and a rebuild (minutes on a large site) never holds up e-mail.
SEARCH_QUEUE = "search"
# rq kills a job after this long; the lease outlives it so a killed job is
# retried by the drain, not while it still runs.
QUEUE_TIMEOUTS = {DEFAULT_QUEUE: 300, SEARCH_QUEUE: 3600}
LEASE_MARGIN = timedelta(seconds=60)
# The drain leaves a freshly committed row alone this long: the request that
# wrote it is handing it over right now.
HANDOVER_GRACE = timedelta(seconds=30)
MAX_ATTEMPTS = 5
BACKOFF_BASE_SECONDS = 30  # 30 s, 1 min, 2 min, 4 min, then failed

_PENDING = "kindling.jobs.pending"
_PENDING_KEYS = "kindling.jobs.pending_keys"  # (queue, name, ids) recorded in this transaction
_READY = "kindling.jobs.ready"
_worker_app = None
_redis_was_down = False


def enqueue(function, *ids, queue=DEFAULT_QUEUE, run_key=None):
    """Record `function(*ids)` in the outbox; it runs once the current transaction commits.

    `run_key`: a unique name for this run (periodic jobs); a second enqueue
    with the same key, from any process, records nothing.
    """
    name, fresh = _new_entries(function, [ids], queue)
    if not fresh:
        return  # jobs are idempotent: once per transaction is enough
    values = _row_values(queue, name, ids, run_key)
    # Written at once on the session's connection (same transaction), without flushing anything else.
    table = OutboxJob.__table__
    if run_key is None:
        statement = table.insert().values(**values)
    else:
        dialect = db.session.get_bind().dialect.name
        statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table).values(**values) \
            .on_conflict_do_nothing()
    row = db.session.connection().execute(statement.returning(table.c.id)).scalar()
    if row is None:
        return  # this periodic run is recorded already
    _remember(queue, name, ids, row)


def enqueue_many(function, id_tuples, queue=DEFAULT_QUEUE):
    """`enqueue(function, *ids)` for each tuple of ids, in one multi-row INSERT (a fan-out to thousands)."""
    name, fresh = _new_entries(function, [tuple(ids) for ids in id_tuples], queue)
    if not fresh:
        return
    table = OutboxJob.__table__
    # Rows come back in any order (so SQLite can batch them too); each names its arguments.
    rows = dict(db.session.connection().execute(
        table.insert().returning(table.c.args, table.c.id), [_row_values(queue, name, ids, None) for ids in fresh],
    ).all())
    for ids in fresh:
        _remember(queue, name, ids, rows[json.dumps(list(ids))])


def _new_entries(function, id_tuples, queue):
    """The job's name, and the id tuples not recorded yet in this transaction (checked in a set, not a scan)."""
    name = f"{function.__module__}:{function.__qualname__}"
    seen = db.session.info.setdefault(_PENDING_KEYS, set())
    fresh = []
    for ids in id_tuples:
        for value in ids:
            if not isinstance(value, (int, str)):
                raise TypeError(f"jobs take ids, not {type(value).__name__}")
        if (queue, name, ids) not in seen:
            seen.add((queue, name, ids))
            fresh.append(ids)
    return name, fresh


def _row_values(queue, name, ids, run_key):
    now = clock.now()
    return dict(queue=queue, name=name, args=json.dumps(list(ids)), status="pending", attempts=0,
                available_at=now + HANDOVER_GRACE, last_error="", created_at=now, run_key=run_key)


def _remember(queue, name, ids, row):
    db.session.info.setdefault(_PENDING, []).append((queue, name, ids, row))


def _row_id(row):
    if isinstance(row, int):
        return row
    identity = sa_inspect(row).identity  # read without a query: the session has just committed
    return identity[0] if identity else None


@event.listens_for(Session, "after_commit")
def _commit_releases_jobs(session):
    pending = session.info.pop(_PENDING, None)
    session.info.pop(_PENDING_KEYS, None)
    if pending:
        ready = session.info.setdefault(_READY, [])
        for queue, _name, _ids, row in pending:
            row_id = _row_id(row)
            if row_id is not None:
                ready.append((row_id, queue))


@event.listens_for(Session, "after_soft_rollback")
def _rollback_drops_jobs(session, previous_transaction):
    session.info.pop(_PENDING, None)
    session.info.pop(_PENDING_KEYS, None)


def dispatch():
    """Hand over (or run) every job whose transaction has committed."""
    global _redis_was_down
    while True:
        ready = db.session.info.pop(_READY, None)
        if not ready:
            return
        if not current_app.config.get("REDIS_URL"):
            for row_id, _queue in ready:
                execute(row_id)
            continue
        was_down = _redis_was_down
        if _hand_over(ready) and was_down:
            _redis_was_down = False
            drain(fresh=True)  # Redis is back: what waited during the outage goes now


def _hand_over(rows):
    """Send (row id, queue) pairs to rq; False when Redis cannot be reached (the rows wait for the drain)."""
    global _redis_was_down
    try:
        connection = redis_connection()
        queues = {}
        for row_id, queue in rows:
            if queue not in queues:
                queues[queue] = Queue(queue, connection=connection)
            queues[queue].enqueue(run_job, row_id, job_timeout=QUEUE_TIMEOUTS.get(queue, 300),
                                  result_ttl=0, failure_ttl=86400)
        return True
    except RedisError as error:
        _redis_was_down = True
        log.warning("Redis unreachable (%s): %d job(s) wait in the outbox", error, len(rows))
        return False


def drain(limit=500, now=None, fresh=False):
    """Hand over every job that waits: never handed over, due for a retry, or lost with its worker.

    `fresh`: also rows committed in the last HANDOVER_GRACE (after an outage, nobody else will send them).
    Returns how many rows were handed over (or run, in-process).
    """
    db.session.commit()
    with writing():
        return _drain(limit, now or clock.now(), fresh)


def _drain(limit, now, fresh):
    due = now + HANDOVER_GRACE if fresh else now
    lost = and_(OutboxJob.status == "running", OutboxJob.lease_until < now)
    exhausted = db.session.execute(
        update(OutboxJob).where(lost, OutboxJob.attempts >= MAX_ATTEMPTS)
        .values(status="failed", lease_until=None, last_error="lost: the worker stopped or timed out on every try")
        .execution_options(synchronize_session=False)
    ).rowcount
    rows = db.session.execute(
        select(OutboxJob.id, OutboxJob.queue)
        .where(or_(and_(OutboxJob.status == "pending", OutboxJob.available_at <= due), lost))
        .order_by(OutboxJob.id).limit(limit)
    ).all()
    db.session.commit()
    if exhausted:
        log.error("%d job(s) failed for good: lost with their worker too often", exhausted)
    if not rows:
        return 0
    if current_app.config.get("REDIS_URL"):
        if not _hand_over([tuple(row) for row in rows]):
            return 0
    else:
        for row_id, _queue in rows:
            execute(row_id, now=now)
    return len(rows)


def retry(row_id):
    """Give a failed job a fresh set of attempts (admins, from /admin/jobs). Call, commit, then dispatch()."""
    row = db.session.get(OutboxJob, row_id)
    if row is None or row.status != "failed":
        return False
    row.status, row.attempts, row.available_at, row.lease_until = "pending", 0, clock.now(), None
    db.session.info.setdefault(_PENDING, []).append((row.queue, row.name, tuple(json.loads(row.args)), row))
    return True


def execute(row_id, now=None):
    """Claim the outbox row, run its job, and mark it done in the job's transaction."""
    # A job writes: it starts transactions of its own that may (BEGIN IMMEDIATE
    # on SQLite), even when it runs in-process after a read-only request.
    db.session.commit()
    with writing():
        done = _execute(row_id, now)
    if done:
        dispatch()
    return done


def _execute(row_id, now):
    claim = _claim(row_id, now or clock.now())
    if claim is None:
        return False  # done already, or running elsewhere under a live lease
    attempt, name, args = claim
    try:
        function = resolve(name)
        if getattr(function, "kindling_reads_only", False):
            # Its work is outside the database (and idempotent): done is marked in a short write after it.
            with reading():
                function(*args)
                db.session.commit()
        else:
            function(*args)
        finished = db.session.execute(
            update(OutboxJob)
            .where(OutboxJob.id == row_id, OutboxJob.status == "running", OutboxJob.attempts == attempt)
            .values(status="done", finished_at=clock.now(), lease_until=None, last_error="")
            .execution_options(synchronize_session=False)
        ).rowcount
        if finished != 1:
            # Our lease ran out and another runner took the job: its run counts, ours does not.
            db.session.rollback()
            return False
        db.session.commit()
    except Exception as error:
        db.session.rollback()
        log.exception("job %s%r failed (attempt %d)", name, tuple(args), attempt)
        _record_failure(row_id, attempt, error)
        return False
    return True


def _claim(row_id, now):
    row = db.session.execute(
        select(OutboxJob.queue).where(OutboxJob.id == row_id)
    ).first()
    if row is None:
        db.session.rollback()
        return None
    lease = timedelta(seconds=QUEUE_TIMEOUTS.get(row.queue, 300)) + LEASE_MARGIN
    claimed = db.session.execute(
        update(OutboxJob)
        .where(OutboxJob.id == row_id,
               or_(OutboxJob.status == "pending",
                   and_(OutboxJob.status == "running", OutboxJob.lease_until < now, OutboxJob.attempts < MAX_ATTEMPTS)))
        .values(status="running", attempts=OutboxJob.attempts + 1, lease_until=now + lease)
        .returning(OutboxJob.attempts, OutboxJob.name, OutboxJob.args)
        .execution_options(synchronize_session=False)
    ).first()
    db.session.commit()
    if claimed is None:
        return None
    return claimed.attempts, claimed.name, tuple(json.loads(claimed.args))


def _record_failure(row_id, attempt, error):
    message = f"{type(error).__name__}: {error}"[:2000]
    final = attempt >= MAX_ATTEMPTS
    backoff = timedelta(seconds=BACKOFF_BASE_SECONDS * 2 ** (attempt - 1))
    try:
        db.session.execute(
            update(OutboxJob).where(OutboxJob.id == row_id, OutboxJob.attempts == attempt)
            .values(status="failed" if final else "pending", lease_until=None, last_error=message,
                    available_at=clock.now() + backoff)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("could not record the failure of outbox job %s; its lease will expire", row_id)


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


def run_job(row_id):
    """Entry point rq calls in a worker: run one outbox job inside an app context."""
    if has_app_context():
        return execute(row_id)
    global _worker_app
    if _worker_app is None:
        from app import create_app

        _worker_app = create_app()
    with _worker_app.app_context():
        try:
            return execute(row_id)
        finally:
            db.session.remove()


_redis_clients = {}


def redis_connection(blocking=False):
    """Requests fail fast when Redis is down (they must not wait on it); a worker's blocking reads wait.

    A request's client (and its connection pool) is kept per URL and process: a new one per job cost a
    TCP connect (issue 13)."""
    if blocking:
        return Redis.from_url(current_app.config["REDIS_URL"])
    url = current_app.config["REDIS_URL"]
    client = _redis_clients.get(url)
    if client is None:
        client = _redis_clients[url] = Redis.from_url(url, socket_connect_timeout=1, socket_timeout=5)
    return client


def queue_names():
    return [DEFAULT_QUEUE, SEARCH_QUEUE]


def counts():
    """{status: rows} for the admin page."""
    from sqlalchemy import func

    return dict(db.session.execute(select(OutboxJob.status, func.count()).group_by(OutboxJob.status)).all())
