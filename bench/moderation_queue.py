"""Seed a busy moderation desk and time its pages.

    .venv/bin/python bench/moderation_queue.py [--pending 10000] [--requests 200] [--database-url URL]

Defaults to a fresh SQLite file in a temporary folder; pass a PostgreSQL URL
(an empty, throwaway database: the script creates and drops its tables) to
measure there. Prints p50/p95/p99 per page in milliseconds.
"""
import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert  # noqa: E402

from app import create_app  # noqa: E402
from app.auth.models import User  # noqa: E402
from app.extensions import db  # noqa: E402
from challenges.models import Challenge, Comment, Idea  # noqa: E402
from moderation.models import AuditEntry, Flag, ModerationCase  # noqa: E402

TEXT = "A shared fridge in each building, stocked by bakeries at closing time. " * 4


def seed(pending, authors=2_000, challenges=20, log_entries=50_000):
    now = datetime.now(UTC)
    db.session.execute(insert(User), [
        {"id": i, "username": f"m{i}", "username_key": f"m{i}", "email": f"m{i}@bench.test", "password_hash": "x",
         "is_moderator": i == 1, "created_at": now - timedelta(days=i % 400)} for i in range(1, authors + 1)])
    db.session.execute(insert(Challenge), [
        {"id": c, "slug": f"c{c}", "title": f"How might we cut waste in district {c}?", "summary": "s",
         "problem": "p", "problem_html": "<p>p</p>", "norms": "n", "norms_html": "<p>n</p>", "owner_id": 2,
         "phase": "submission", "submission_at": now, "review_at": now, "results_at": now, "published_at": now,
         "moderation_policy": "pre_new"} for c in range(1, challenges + 1)])
    ideas, comments, cases, flags = [], [], [], []
    for n in range(1, pending + 1):
        challenge_id, author = n % challenges + 1, n % (authors - 10) + 10
        opened = now - timedelta(minutes=pending - n)
        if n % 5:
            ideas.append({"id": n, "challenge_id": challenge_id, "author_id": author, "status": "pending",
                          "title": f"Idea {n}: share leftover bread", "description": TEXT,
                          "description_html": f"<p>{TEXT}</p>", "random_key": random.randrange(2**31),
                          "created_at": opened})
            cases.append({"item_kind": "idea", "item_id": n, "challenge_id": challenge_id, "author_id": author,
                          "reason": "pending", "opened_at": opened, "flag_count": 0})
        else:
            comments.append({"id": n, "idea_id": n - 1, "author_id": author, "body": "What about Sundays?",
                             "body_html": "<p>What about Sundays?</p>", "status": "hidden", "created_at": opened})
            cases.append({"item_kind": "comment", "item_id": n, "challenge_id": challenge_id, "author_id": author,
                          "reason": "flagged", "opened_at": opened, "flag_count": 3})
            flags += [{"item_kind": "comment", "item_id": n, "user_id": 3 + k, "reason": "spam", "created_at": opened}
                      for k in range(3)]
    db.session.execute(insert(Idea), ideas)
    db.session.execute(insert(Comment), comments)
    db.session.execute(insert(ModerationCase), cases)
    db.session.execute(insert(Flag), flags)
    db.session.execute(insert(AuditEntry), [
        {"actor_id": 1, "action": random.choice(("approve", "reject", "hide")), "item_kind": "idea",
         "item_id": 10_000_000 + n, "challenge_id": n % challenges + 1, "subject_id": n % (authors - 10) + 10,
         "created_at": now - timedelta(minutes=n), "case_opened_at": now - timedelta(minutes=n + 30),
         "wait_seconds": 1800 + n % 7200,
         "before_json": '{"status": "pending"}', "after_json": '{"status": "published"}'}
        for n in range(log_entries)])
    db.session.commit()


def percentiles(samples):
    samples = sorted(samples)
    return [statistics.median(samples), samples[int(len(samples) * .95) - 1], samples[int(len(samples) * .99) - 1]]


def timed(client, url, requests, headers=None):
    """Wall-clock and CPU milliseconds per request (CPU time is what the page
    costs; wall time also counts whatever else the machine is doing)."""
    client.get(url, headers=headers)  # warm caches and templates
    wall, cpu = [], []
    for _ in range(requests):
        start, start_cpu = time.perf_counter(), time.process_time()
        response = client.get(url, headers=headers)
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return percentiles(wall), percentiles(cpu)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pending", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="kindling-bench-")
    url = args.database_url or f"sqlite:///{folder}/bench.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
                      "SEARCH_INDEX_DIR": f"{folder}/index", "RATELIMIT_ENABLED": False})
    with app.app_context():
        db.drop_all()
        db.create_all()
        started = time.perf_counter()
        seed(args.pending)
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("VACUUM ANALYZE")
        print(f"seeded {args.pending:,} waiting items, 50,000 log entries on {db.engine.dialect.name} "
              f"in {time.perf_counter() - started:.1f} s")
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "1"
        session["_fresh"] = True
    pages = {
        "queue, oldest first": "/moderation/",
        "queue, most flagged": "/moderation/?sort=flags",
        "queue, one challenge, comments": "/moderation/?challenge=3&kind=comment",
        "queue, page 100": "/moderation/?page=100",
        "queue, filtered (htmx fragment)": "/moderation/?reason=pending",
        "log": "/moderation/log",
        "log, one member": "/moderation/log?member=m42",
    }
    print(f"{'page':34} {'wall p50':>9} {'p95':>7} {'p99':>7} {'cpu p50':>9} {'p95':>7}  "
          f"(ms, {args.requests} requests each)")
    for name, path in pages.items():
        headers = {"HX-Request": "true", "HX-Target": "queue-list"} if "htmx" in name else None
        wall, cpu = timed(client, path, args.requests, headers)
        print(f"{name:34} {wall[0]:9.1f} {wall[1]:7.1f} {wall[2]:7.1f} {cpu[0]:9.1f} {cpu[1]:7.1f}")
    with app.app_context():
        if args.database_url:
            db.drop_all()
        db.engine.dispose()


if __name__ == "__main__":
    main()
