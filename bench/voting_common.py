"""Shared pieces of the voting benchmarks: a database, bulk seeding, a real server, forged sessions.

Not a test: scripts in bench/ seed realistic volumes and print figures.
"""
import http.client
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SECRET = "bench-secret-key-not-for-production"
PG_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/bench_voting")
WORK = Path(os.environ.get("BENCH_DIR", Path(tempfile.gettempdir()) / "kindling-voting-bench"))


def database_url(backend, name="bench"):
    """A database of its own for each data set: `name` is appended to the PostgreSQL database name."""
    if backend == "postgresql":
        return PG_URL if name == "bench" else f"{PG_URL}_{name}"
    WORK.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{WORK / (name + '.db')}"


def make_app(url):
    from app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET, "SEARCH_INDEX_DIR": str(WORK / "index"),
                       "KINDLING_ENV": "production"})


def reset_schema(app):
    from app.extensions import db

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        _ensure_pg_database(app.config["SQLALCHEMY_DATABASE_URI"])
    with app.app_context():
        db.drop_all()
        db.create_all()


def _ensure_pg_database(url):
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def bulk(table, rows, chunk=20_000):
    """Plain executemany in chunks: fast on both backends (psycopg batches, SQLite one transaction)."""
    from app.extensions import db

    for start in range(0, len(rows), chunk):
        db.session.execute(table.insert(), rows[start:start + chunk])
    db.session.commit()


def seed(app, *, members, ideas, supports, rng=None):
    """An open challenge with `ideas` ideas, `members` members, `supports` supports spread over them.

    Counts are set from the rows, as the services would have left them.
    Returns (challenge slug, idea ids, member ids).
    """
    from sqlalchemy import func, select, update

    from app import clock
    from app.auth.models import User
    from app.extensions import db
    from challenges.models import Challenge, Idea
    from voting.models import Support

    rng = rng or random.Random(42)
    now = clock.now()
    with app.app_context():
        password = "pbkdf2:sha256:600000$bench$" + "0" * 64  # nobody logs in with it
        bulk(User.__table__, [
            {"id": i, "username": f"m{i}", "username_key": f"m{i}", "email": f"m{i}@bench.test",
             "password_hash": password, "display_name": f"Member {i}", "bio": "", "is_moderator": False,
             "is_admin": False, "created_at": now - timedelta(days=400), "suspension_reason": ""}
            for i in range(1, members + 1)
        ])
        db.session.execute(Challenge.__table__.insert(), [{
            "id": 1, "slug": "bench", "title": "How might we benchmark voting?", "summary": "Figures.",
            "problem": "p", "problem_html": "<p>p</p>", "norms": "n", "norms_html": "<p>n</p>",
            "format": "challenge", "is_open": True, "moderation_policy": "post", "owner_id": 1,
            "phase": "submission", "submission_at": now - timedelta(days=30), "voting_at": None,
            "review_at": now + timedelta(days=300), "results_at": now + timedelta(days=330),
            "phase_changed_at": now - timedelta(days=30), "published_at": now - timedelta(days=30),
            "created_at": now - timedelta(days=31), "updated_at": now, "idea_count": ideas,
            "comment_count": 0, "follower_count": 0,
        }])
        bulk(Idea.__table__, [
            {"id": i, "challenge_id": 1, "author_id": 1 + (i * 7919) % members,
             "title": f"Benchmark idea number {i}", "description": "A description long enough to be real.",
             "description_html": "<p>A description long enough to be real.</p>", "status": "published",
             "comments_locked": False, "supporter_count": 0, "comment_count": 0, "follower_count": 0,
             "hot_score": rng.random() * 10, "random_key": rng.randrange(2**31), "feedback": "",
             "feedback_html": "", "is_public": True, "created_at": now - timedelta(days=20), "published_at": now - timedelta(days=20),
             "last_activity_at": now - timedelta(days=1), "status_changed_at": now - timedelta(days=20)}
            for i in range(1, ideas + 1)
        ])
        # Supports: member m supports a run of consecutive ideas from a random start, so pairs are unique.
        per_member, extra = divmod(supports, members)
        rows = []
        for m in range(1, members + 1):
            count = per_member + (1 if m <= extra else 0)
            start = rng.randrange(ideas)
            for k in range(count):
                rows.append({"user_id": m, "idea_id": 1 + (start + k) % ideas,
                             "created_at": now - timedelta(minutes=rng.randrange(60 * 24 * 20))})
                if len(rows) >= 50_000:
                    bulk(Support.__table__, rows)
                    rows = []
        bulk(Support.__table__, rows)
        actual = select(func.count()).where(Support.idea_id == Idea.id).scalar_subquery()
        db.session.execute(update(Idea).values(supporter_count=actual))
        db.session.commit()
        if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
            db.session.execute(select(func.setval("users_id_seq", members)))
            db.session.execute(select(func.setval("ideas_id_seq", ideas)))
            db.session.execute(select(func.setval("challenges_id_seq", 1)))
            db.session.commit()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
        else:
            db.session.execute(db.text("ANALYZE"))
            db.session.commit()
        db.session.remove()
    return "bench", list(range(1, ideas + 1)), list(range(1, members + 1))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def server(url, workers=2, threads=8):
    """Kindling under gunicorn, as in production.

    Jobs go to rq when BENCH_REDIS_URL is set (as production runs them: a
    support's search reindex leaves the request), else in-process."""
    port = free_port()
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY=SECRET, KINDLING_ENV="production",
               SEARCH_INDEX_DIR=str(WORK / "index"), PYTHONPATH=str(ROOT))
    env.pop("REDIS_URL", None)
    if os.environ.get("BENCH_REDIS_URL"):
        env["REDIS_URL"] = os.environ["BENCH_REDIS_URL"]
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-w", str(workers), "-k", "gthread", "--threads", str(threads),
         "-b", f"127.0.0.1:{port}", "--log-level", "warning", "app:create_app()"],
        cwd=ROOT, env=env,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=20)


def member_session(app, user_id):
    """A signed session cookie and CSRF token for a member, as a login would leave (no password hashing)."""
    from itsdangerous import URLSafeTimedSerializer

    raw = f"bench-csrf-{user_id}"
    with app.test_request_context():
        cookie = app.session_interface.get_signing_serializer(app).dumps(
            # User.get_id(): "<id>:<session generation>"; the members a bench creates are in their first one.
            {"_user_id": f"{user_id}:0", "_fresh": True, "csrf_token": raw})
    token = URLSafeTimedSerializer(SECRET, salt="wtf-csrf-token").dumps(raw)
    return {"Cookie": f"session={cookie}", "X-CSRFToken": token}


class Client:
    def __init__(self, port):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def request(self, method, path, headers=None, body=None):
        started = time.perf_counter()
        self.conn.request(method, path, body=body, headers=headers or {})
        response = self.conn.getresponse()
        response.read()
        return response.status, time.perf_counter() - started


def percentiles(samples):
    ordered = sorted(samples)

    def at(q):
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return {"n": len(ordered), "mean": statistics.fmean(ordered) * 1000, "p50": at(0.50), "p95": at(0.95),
            "p99": at(0.99)}


def line(label, stats):
    return (f"{label:<34} n={stats['n']:>6}  mean={stats['mean']:7.1f} ms  p50={stats['p50']:7.1f} ms  "
            f"p95={stats['p95']:7.1f} ms  p99={stats['p99']:7.1f} ms")


def main():
    """`python -m bench` runs every module of bench/; this one only holds helpers."""
    print("helpers for bench/voting_list.py and bench/voting_support.py")
