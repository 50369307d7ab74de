"""Notifications and the outbox: a burst drained by rq workers, the outbox's cost per request, the unread poll.

    .venv/bin/python bench/notifications.py [sqlite|postgresql ...] [--jobs 10000] [--members 1000]

1. Burst: 1,000 members who take moderation decisions as a daily digest
   ("digests on"); 10,000 notification jobs are recorded in the outbox in
   commits of 500 (as requests would) and handed to Redis while 1 or 2
   `flask worker` processes drain them. Measured: from the first commit to
   the last outbox row done. Then the morning's digests (one per member,
   1,000 e-mails to an aiosmtpd server) are collected and sent.
2. What recording in the outbox adds to a support request: 1,000 support /
   withdraw requests through the app (Flask's test client, in-process, so
   the figure is the application's own time), once with jobs recorded in the
   outbox and handed to Redis (now), once with jobs handed straight to Redis
   without an outbox row (before this change; the enqueue is swapped for
   the old one in this process only).
3. The unread-count poll: GET /notifications/count with If-None-Match
   (304, the usual answer) and without (200), 2,000 each.

Needs Redis (BENCH_REDIS_URL, default redis://127.0.0.1:6379/11; it is flushed).
"""
import argparse
import os
import random
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

if not __package__:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.voting_common import (  # noqa: E402
    ROOT,
    SECRET,
    WORK,
    bulk,
    database_url,
    line,
    make_app,
    percentiles,
    reset_schema,
    seed,
)

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")


class Sink:
    def __init__(self):
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        return "250 OK"


def _smtp():
    from aiosmtpd.controller import Controller

    from bench.common import free_port

    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    return sink, controller


def _app(url, smtp_port):
    from app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET, "SEARCH_INDEX_DIR": str(WORK / "index"),
                       "REDIS_URL": REDIS_URL, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_port,
                       "RATELIMIT_ENABLED": False, "SESSION_COOKIE_SECURE": False})


def _workers(url, smtp_port, count, simple=False):
    env = dict(os.environ, KINDLING_ENV="production", SECRET_KEY=SECRET, DATABASE_URL=url, REDIS_URL=REDIS_URL,
               MAIL_SERVER="127.0.0.1", MAIL_PORT=str(smtp_port), SEARCH_INDEX_DIR=str(WORK / "index"))
    processes = [subprocess.Popen([sys.executable, "-m", "flask", "--app", "app:create_app", "worker",
                                   *(["--simple"] if simple else [])], cwd=ROOT,
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                 for _ in range(count)]
    from redis import Redis
    from rq import Worker

    connection = Redis.from_url(REDIS_URL)
    deadline = time.time() + 60
    while len(Worker.all(connection=connection)) < count:
        if time.time() > deadline:
            raise RuntimeError("the workers did not start")
        time.sleep(0.1)
    return processes


def _stop(processes):
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(timeout=30)


def _wait(app, condition, timeout=1800):
    from app.extensions import db

    deadline = time.time() + timeout
    with app.app_context():
        while True:
            if db.session.scalar(condition):
                return
            db.session.rollback()
            if time.time() > deadline:
                raise RuntimeError("timed out")
            time.sleep(0.05)


def burst(backend, workers, job_count, members, simple=False):
    from redis import Redis
    from sqlalchemy import func, select

    from app import clock, jobs
    from app.extensions import db
    from app.outbox import OutboxJob
    from notifications import jobs as notification_jobs
    from notifications.models import NotificationPreference, OutgoingEmail
    from notifications.services import digests

    Redis.from_url(REDIS_URL).flushdb()
    url = database_url(backend, name="notifications")
    sink, smtp = _smtp()
    app = _app(url, smtp.port)
    reset_schema(app)
    seed(app, members=members, ideas=10, supports=0)
    with app.app_context():
        bulk(NotificationPreference.__table__,
             [{"user_id": m, "kind": "decisions", "delivery": "daily"} for m in range(1, members + 1)])
        db.session.commit()
    processes = _workers(url, smtp.port, workers, simple)
    try:
        started = time.perf_counter()
        with app.app_context():
            for n in range(job_count):
                jobs.enqueue(notification_jobs.moderation_notice, str(1 + n % members),
                             f"Decision number {n} on your idea.", f"/ideas/{1 + n % 10}")
                if n % 500 == 499 or n == job_count - 1:
                    db.session.commit()
                    jobs.dispatch()
        recorded = time.perf_counter() - started
        _wait(app, select(func.count() == 0).select_from(OutboxJob).where(OutboxJob.status != "done"))
        drained = time.perf_counter() - started
        morning = (clock.now() + timedelta(days=1)).replace(hour=8, minute=5)
        started = time.perf_counter()
        with app.app_context():
            created = digests.collect_digests(now=morning)
            db.session.commit()
            jobs.dispatch()
        _wait(app, select(func.count() == len(created)).select_from(OutgoingEmail)
              .where(OutgoingEmail.sent_at.is_not(None)))
        digest_seconds = time.perf_counter() - started
    finally:
        _stop(processes)
        smtp.stop()
    print(f"{backend:<10} workers={workers}{' (simple)' if simple else ''}  {job_count:,} notification jobs recorded in {recorded:5.1f} s, "
          f"all done after {drained:5.1f} s ({job_count / drained:6.0f} jobs/s); "
          f"{len(created):,} digests sent in {digest_seconds:5.1f} s ({sink.count:,} e-mails accepted)", flush=True)
    return drained


def _legacy_enqueue(jobs_module, db):
    """The enqueue before the outbox: remembered in memory, pushed to rq after commit, no row."""
    from rq import Queue
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    pending_key = "bench.legacy.pending"

    def enqueue(function, *ids, queue=jobs_module.DEFAULT_QUEUE, run_key=None):
        name = f"{function.__module__}:{function.__qualname__}"
        pending = db.session.info.setdefault(pending_key, [])
        if (queue, name, ids) not in pending:
            pending.append((queue, name, ids))

    def after_commit(session):
        pending = session.info.pop(pending_key, None)
        if pending:
            session.info.setdefault("bench.legacy.ready", []).extend(pending)

    def dispatch():
        ready = db.session.info.pop("bench.legacy.ready", None) or []
        connection = jobs_module.redis_connection()
        for queue, name, ids in ready:
            Queue(queue, connection=connection).enqueue(jobs_module.run_job, name, *ids)

    event.listen(Session, "after_commit", after_commit)
    return enqueue, dispatch, lambda: event.remove(Session, "after_commit", after_commit)


def support_cost(backend, requests):
    from redis import Redis

    from app import jobs
    from app.extensions import db
    from bench.voting_common import member_session

    Redis.from_url(REDIS_URL).flushdb()
    url = database_url(backend, name="notifications_support")
    sink, smtp = _smtp()
    app = _app(url, smtp.port)
    app.config["RATELIMIT_ENABLED"] = False
    reset_schema(app)
    seed(app, members=2_000, ideas=200, supports=0)
    results = {}
    original = (jobs.enqueue, jobs.dispatch)
    try:
        for label in ("without outbox (before)", "with outbox (now)", "without outbox (before) again",
                      "with outbox (now) again"):
            remove = None
            if "without" in label:
                enqueue, dispatch, remove = _legacy_enqueue(jobs, db)
                jobs.enqueue, jobs.dispatch = enqueue, dispatch
            client = app.test_client()
            rng = random.Random(7)
            supported, samples = set(), []
            for _ in range(requests):
                member, idea = rng.randrange(2, 2_001), rng.randrange(1, 201)
                action = "support/withdraw" if (member, idea) in supported else "support"
                headers = member_session(app, member)
                client.set_cookie("session", headers["Cookie"].split("=", 1)[1])
                began = time.perf_counter()
                response = client.post(f"/ideas/{idea}/{action}", headers={"X-CSRFToken": headers["X-CSRFToken"]})
                samples.append(time.perf_counter() - began)
                assert response.status_code in (200, 302, 303), response.status_code
                supported ^= {(member, idea)}
            if remove:
                remove()
                jobs.enqueue, jobs.dispatch = original
            results[label] = percentiles(samples[50:])  # after a warm-up
            print(line(f"{backend} support, {label}", results[label]), flush=True)
    finally:
        jobs.enqueue, jobs.dispatch = original
        smtp.stop()
    return results


def poll(backend, requests):
    from bench.voting_common import member_session

    url = database_url(backend, name="notifications_support")
    app = make_app(url)
    headers = member_session(app, 5)
    client = app.test_client()
    client.set_cookie("session", headers["Cookie"].split("=", 1)[1])
    first = client.get("/notifications/count")
    etag = first.headers["ETag"]
    for label, extra in (("unread poll, 304", {"If-None-Match": etag}), ("unread poll, 200", {})):
        samples = []
        for _ in range(requests):
            began = time.perf_counter()
            response = client.get("/notifications/count", headers=extra)
            samples.append(time.perf_counter() - began)
            assert response.status_code == (304 if extra else 200)
        print(line(f"{backend} {label}", percentiles(samples[100:])), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("backends", nargs="*", help="sqlite and/or postgresql (default: postgresql)")
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--members", type=int, default=1_000)
    parser.add_argument("--requests", type=int, default=1_000)
    parser.add_argument("--skip-burst", action="store_true")
    parser.add_argument("--simple", action="store_true", help="workers run jobs without forking (flask worker --simple)")
    args = parser.parse_args()
    for backend in args.backends or ["postgresql"]:
        if not args.skip_burst:
            for workers in (1, 2):
                burst(backend, workers, args.jobs, args.members, args.simple)
        support_cost(backend, args.requests)
        poll(backend, 2_000)


if __name__ == "__main__":
    main()
