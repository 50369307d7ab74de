"""Shared pieces of the benchmarks: realistic text, databases, a gunicorn server, a load loop."""
import bisect
import itertools
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from contextlib import contextmanager
from http.client import HTTPConnection
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
# Production settings refuse a short key; a fixed one keeps the bench's signed session cookie valid.
SECRET = "kindling-bench-secret-key-0123456789abcdef"
POSTGRES_ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


class Vocabulary:
    """English words with their real frequencies (zxcvbn's Wikipedia list), drawn Zipf-like."""

    def __init__(self, seed=7):
        from zxcvbn.frequency_lists import FREQUENCY_LISTS

        self.words = [w for w in FREQUENCY_LISTS["english_wikipedia"] if w.isalpha() and len(w) > 1][:20_000]
        weights = [1 / (rank + 10) for rank in range(len(self.words))]
        self.cumulative = list(itertools.accumulate(weights))
        self.random = random.Random(seed)

    def word(self):
        return self.words[bisect.bisect(self.cumulative, self.random.random() * self.cumulative[-1])]

    def sentence(self, low, high):
        words = [self.word() for _ in range(self.random.randint(low, high))]
        return " ".join(words).capitalize()

    def paragraph(self, sentences=(2, 6)):
        return ". ".join(self.sentence(6, 16) for _ in range(self.random.randint(*sentences))) + "."


def fresh_database(kind, name):
    """A new empty database URL: a SQLite file under bench/results, or a PostgreSQL database."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    if kind == "sqlite":
        path = RESULTS / f"{name}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def make_app(database_url, **settings):
    from app import create_app
    from app.config import ProductionConfig

    config = type("BenchConfig", (ProductionConfig,), {
        "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": SECRET, "SESSION_COOKIE_SECURE": False,
        "RATELIMIT_ENABLED": False, "SEARCH_INDEX_DIR": str(RESULTS / "bench-index"), **settings,
    })
    return create_app(config)


def insert_members(connection, count, now, display_name=lambda n: f"Member {n}"):
    """`count` members with ids 1…count and one shared password hash, in one bulk insert."""
    from sqlalchemy import insert
    from werkzeug.security import generate_password_hash

    from app.auth.models import User

    password = generate_password_hash("bench-password-1")
    connection.execute(insert(User), [
        {"id": n, "username": f"member{n}", "username_key": f"member{n}", "email": f"member{n}@example.org",
         "password_hash": password, "display_name": display_name(n), "bio": "", "is_moderator": False,
         "is_admin": False, "created_at": now, "suspension_reason": ""}
        for n in range(1, count + 1)])


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def gunicorn(database_url, workers=2):
    port = free_port()
    env = dict(os.environ, DATABASE_URL=database_url, SECRET_KEY=SECRET, KINDLING_ENV="production",
               RATELIMIT_ENABLED="0", SEARCH_INDEX_DIR=str(RESULTS / "bench-index"))
    env.pop("REDIS_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}", "--log-level", "warning",
         "app:create_app()"], cwd=ROOT, env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/login", timeout=2).read()
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("gunicorn did not start")
        yield port
    finally:
        process.terminate()
        process.wait(timeout=20)


def load(port, paths, requests, concurrency=2):
    """GET `paths` (cycled) `requests` times from `concurrency` keep-alive clients.

    Returns latencies in milliseconds and requests per second."""
    latencies, errors = [], []
    lock = threading.Lock()
    counter = itertools.count()

    def client():
        connection = HTTPConnection("127.0.0.1", port, timeout=30)
        while (n := next(counter)) < requests:
            path = paths[n % len(paths)]
            started = time.perf_counter()
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                (latencies if response.status == 200 else errors).append(elapsed if response.status == 200 else
                                                                         (path, response.status))
        connection.close()

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{len(errors)} failed requests, e.g. {errors[:3]}")
    return latencies, len(latencies) / wall


def summary(latencies):
    ordered = sorted(latencies)
    return {
        "median_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1], 2),
        "max_ms": round(ordered[-1], 2),
    }
