"""Insights dashboards at 100,000 ideas, ~500,000 comments and 1,000,000 supports; rollup job times.

Reuses the challenge-page seeding (bench/challenges_pages.py: one challenge,
5,000 members, ideas over 30 days, about five comments each), adds
1,000,000 supports (200 distinct ideas per member, made between the idea's
creation and now), then times `flask insights rebuild`, the periodic job
(one new day plus the recent days again) and one day's rollup, and serves
the app with gunicorn (2 workers, production settings) to measure both
dashboards for each period from 2 keep-alive clients with an admin's
session cookie (the admin also owns the challenge).

    python -m bench.insights                          # SQLite and PostgreSQL
    python -m bench.insights --db sqlite --ideas 20000 --supports 100000 --requests 200
"""
import argparse
import random
import statistics
import threading
import time
from datetime import timedelta
from http.client import HTTPConnection

from sqlalchemy import insert, select, update
from sqlalchemy.engine import make_url

from app import clock
from app.extensions import db
from bench.challenges_pages import seed as seed_pages
from bench.common import POSTGRES_ADMIN_URL, RESULTS, Vocabulary, fresh_database, gunicorn, make_app

MEMBERS = 5_000  # as seeded by challenges_pages
PAGES = [
    ("challenge, 7 days", "/challenges/big-challenge/insights?period=7"),
    ("challenge, 30 days", "/challenges/big-challenge/insights?period=30"),
    ("challenge, 90 days", "/challenges/big-challenge/insights?period=90"),
    ("challenge, all time", "/challenges/big-challenge/insights?period=all"),
    ("site, 7 days", "/admin/insights?period=7"),
    ("site, 30 days", "/admin/insights?period=30"),
    ("site, all time", "/admin/insights?period=all"),
    ("CSV (activity, 30 days)", "/challenges/big-challenge/insights/activity.csv?period=30"),
]


def seed_supports(app, supports, rng):
    from app.auth.models import User
    from challenges.models import Idea
    from voting.models import Support

    with app.app_context():
        connection = db.session.connection()
        created = dict(connection.execute(select(Idea.id, Idea.created_at)).all())
        ideas = list(created)
        now = clock.now()
        per_member = max(1, supports // MEMBERS)
        rows = []
        for user_id in range(1, MEMBERS + 1):
            for idea_id in rng.sample(ideas, min(per_member, len(ideas))):
                since = clock.aware(created[idea_id])
                rows.append({"user_id": user_id, "idea_id": idea_id, "ip_hash": None,
                             "created_at": since + (now - since) * rng.random()})
            if len(rows) >= 50_000:
                connection.execute(insert(Support), rows)
                rows = []
        if rows:
            connection.execute(insert(Support), rows)
        connection.execute(update(User).where(User.id == 1).values(is_admin=True))
        db.session.commit()
        db.session.execute(db.text("ANALYZE"))
        db.session.commit()
        db.engine.dispose()


def time_rollups(app):
    from community.models import RollupState
    from community.services import rollups

    figures = {}
    with app.app_context():
        started = time.perf_counter()
        days = rollups.rebuild()
        db.session.commit()
        figures["rebuild"] = (time.perf_counter() - started, days)
        # The periodic job on a new day: the day not rolled up yet, the recent days again, recent ideas' facts.
        state = db.session.get(RollupState, 1)
        state.rolled_through -= timedelta(days=1)
        db.session.commit()
        started = time.perf_counter()
        days = rollups.run_incremental()
        db.session.commit()
        figures["job"] = (time.perf_counter() - started, days)
        started = time.perf_counter()
        rollups.rollup_days([rollups.today() - timedelta(days=1)])
        db.session.commit()
        figures["one day"] = (time.perf_counter() - started, 1)
        db.engine.dispose()
    return figures


def catch_up(app):
    """An earlier run's database under newer code: add what the schema lacks (tables, and the rollup
    state's snapshot column), then time one run of the periodic job (it fills any new rollup table)."""
    from sqlalchemy import inspect, text

    from community.services import rollups

    with app.app_context():
        db.create_all()
        if "snapshot_at" not in {c["name"] for c in inspect(db.engine).get_columns("community_rollup_state")}:
            kind = "TIMESTAMP WITH TIME ZONE" if db.engine.dialect.name == "postgresql" else "DATETIME"
            db.session.execute(text(f"ALTER TABLE community_rollup_state ADD COLUMN snapshot_at {kind}"))
            db.session.commit()
        started = time.perf_counter()
        days = rollups.run_incremental()
        db.session.commit()
        figures = {"job": (time.perf_counter() - started, days)}
        db.engine.dispose()
    return figures


def session_headers(app):
    from app.auth.models import User

    with app.app_context():
        user_id = db.session.get(User, 1).get_id()  # the id names the session generation too
        db.engine.dispose()
    with app.test_request_context():
        cookie = app.session_interface.get_signing_serializer(app).dumps({"_user_id": user_id, "_fresh": True})
    return {"Cookie": f"session={cookie}"}


def load(port, path, requests, headers, concurrency=2, vary=False, back=0):
    latencies, errors, lock = [], [], threading.Lock()
    remaining = iter(range(requests))
    today = clock.now().date()

    def client():
        connection = HTTPConnection("127.0.0.1", port, timeout=60)
        for n in remaining:
            target = path
            if vary:  # the same length of period, ending a different day back each time: never cached
                days = {"7": 7, "30": 30, "90": 90}.get(path.rsplit("period=", 1)[-1], 365)
                end = today - timedelta(days=back + n + 1)
                target = (path.split("?")[0] + f"?period=custom&start={end - timedelta(days=days - 1)}&end={end}")
            started = time.perf_counter()
            connection.request("GET", target, headers=headers)
            response = connection.getresponse()
            response.read()
            with lock:
                if response.status == 200:
                    latencies.append((time.perf_counter() - started) * 1000)
                else:
                    errors.append(response.status)
        connection.close()

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError(f"{len(errors)} failed requests on {path}: {errors[:3]}")
    ordered = sorted(latencies)
    return {"median_ms": round(statistics.median(ordered), 1),
            "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95) - 1)], 1), "max_ms": round(ordered[-1], 1)}


def in_process(app, headers, requests=12):
    """Uncached renders through the test client, one at a time: wall time and this process's CPU time
    (on SQLite the queries run in the process, so CPU is most of the cost; on PostgreSQL the server's
    share is not in it). Less at the mercy of a shared machine's load than the served figures."""
    app.config["INSIGHTS_CACHE_SECONDS"] = 0
    client = app.test_client()
    client.set_cookie("session", headers["Cookie"].split("=", 1)[1])
    today = clock.now().date()
    figures = {}
    for name, path in PAGES[:-1]:
        days = {"7": 7, "30": 30, "90": 90}.get(path.rsplit("period=", 1)[-1], 365)
        walls, cpus = [], []
        for n in range(requests):
            end = today - timedelta(days=n + 1)
            target = path.split("?")[0] + f"?period=custom&start={end - timedelta(days=days - 1)}&end={end}"
            wall, cpu = time.perf_counter(), time.process_time()
            response = client.get(target)
            walls.append((time.perf_counter() - wall) * 1000)
            cpus.append((time.process_time() - cpu) * 1000)
            assert response.status_code == 200, (target, response.status_code)
        figures[name] = (round(statistics.median(walls), 1), round(statistics.median(cpus), 1))
        print(f"  in process, uncached: {name:<22} median wall {figures[name][0]:7.1f} ms   "
              f"CPU {figures[name][1]:7.1f} ms", flush=True)
    return figures


def measure(kind, ideas, supports, requests, words, reuse=False, name=None):
    name = name or f"kindling_bench_insights_{ideas}"
    if reuse:  # the database of an earlier run, already seeded and rolled up
        url = (f"sqlite:///{RESULTS / f'{name}.db'}" if kind == "sqlite" else
               make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False))
        app = make_app(url)
        rollup_times = catch_up(app)
    else:
        url = fresh_database(kind, name)
        seconds, comments = seed_pages(url, ideas, words)
        app = make_app(url)
        started = time.perf_counter()
        seed_supports(app, supports, random.Random(5))
        print(f"  seeded {ideas:,} ideas, {comments:,} comments in {seconds:.0f}s; {supports:,} supports in "
              f"{time.perf_counter() - started:.0f}s", flush=True)
        rollup_times = time_rollups(app)
    for name, (elapsed, days) in rollup_times.items():
        print(f"  rollup {name:<8} {elapsed:7.2f} s ({days} days)", flush=True)
    headers = session_headers(app)
    in_process(app, headers)
    rows = []
    with gunicorn(url) as port:
        # Both workers load their templates and open their connections first, on periods measured by nobody.
        for _name, path in PAGES:
            load(port, path, 4, headers, vary=True, back=400)
        for name, path in PAGES:
            # Cold: a new period each time (a distinct custom range per request), so nothing is cached.
            cold = load(port, path, max(4, requests // 10), headers, vary=True)
            load(port, path, 10, headers)  # warm up
            figures = load(port, path, requests, headers)
            rows.append({"db": kind, "page": name, **figures, "cold_median_ms": cold["median_ms"],
                         "cold_p95_ms": cold["p95_ms"]})
            print(f"  {name:<26} median {figures['median_ms']:7.1f} ms   p95 {figures['p95_ms']:7.1f} ms   "
                  f"(uncached: median {cold['median_ms']:7.1f} ms, p95 {cold['p95_ms']:7.1f} ms)", flush=True)
    return rows, rollup_times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--ideas", type=int, default=100_000)
    parser.add_argument("--supports", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--reuse", action="store_true", help="measure an earlier run's database again")
    parser.add_argument("--name", help="the database (file) name, when several people bench on one server")
    args = parser.parse_args()
    words = Vocabulary()
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    rows, jobs = [], {}
    for kind in kinds:
        print(f"{kind}, {args.ideas:,} ideas, {args.supports:,} supports:", flush=True)
        kind_rows, jobs[kind] = measure(kind, args.ideas, args.supports, args.requests, words, args.reuse,
                                             args.name)
        rows += kind_rows
    print("\n| database | dashboard | median ms | p95 ms | uncached median ms | uncached p95 ms |\n"
          "| --- | --- | ---: | ---: | ---: | ---: |")
    for row in rows:
        print(f"| {row['db']} | {row['page']} | {row['median_ms']} | {row['p95_ms']} | {row['cold_median_ms']} | "
              f"{row['cold_p95_ms']} |")
    print("\n| database | rollup | seconds | days |\n| --- | --- | ---: | ---: |")
    for kind, figures in jobs.items():
        for name, (elapsed, days) in figures.items():
            print(f"| {kind} | {name} | {elapsed:.2f} | {days} |")


if __name__ == "__main__":
    main()
