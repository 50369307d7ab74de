"""Periodic jobs: a feature registers `every(seconds, function)`; something runs them.

In production one `flask scheduler` process enqueues each periodic job when
it is due (to rq with REDIS_URL, in-process otherwise). In development
(`make run`) a background thread in the web process does the same, so
phases move on time without any other process.

Each due run is one outbox row keyed by the job's name and its time slot
(`name@slot`, slot = seconds since the epoch // interval): a tick run twice,
or two schedulers at once, record the run once. Every tick also drains the
outbox, so jobs that waited for Redis, or were lost with a worker, go again.
"""
import logging
import threading
import time

from app import clock, jobs
from app.extensions import db

log = logging.getLogger(__name__)
PERIODIC = {}  # dotted name -> (seconds, function)


def every(seconds, function):
    PERIODIC[f"{function.__module__}:{function.__qualname__}"] = (seconds, function)
    return function


def run_due(last_runs, now=None):
    """Enqueue every periodic job whose interval has passed; returns their names."""
    now = (now or clock.now()).timestamp()
    due = [name for name, (seconds, _) in PERIODIC.items() if now - last_runs.get(name, 0) >= seconds]
    for name in due:
        seconds, function = PERIODIC[name]
        jobs.enqueue(function, run_key=f"{name}@{int(now // seconds)}")
        last_runs[name] = now
    db.session.commit()
    jobs.dispatch()
    jobs.drain()
    return due


def run_forever(app, poll_seconds=5, stop=None):
    last_runs = {}
    while not (stop and stop.is_set()):
        with app.app_context():
            try:
                run_due(last_runs)
            except Exception:
                log.exception("periodic jobs failed; retrying")
                db.session.rollback()
            finally:
                db.session.remove()
        time.sleep(poll_seconds)


def start_in_background(app):
    thread = threading.Thread(target=run_forever, args=(app,), name="kindling-scheduler", daemon=True)
    thread.start()
    return thread
