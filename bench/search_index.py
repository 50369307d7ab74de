"""Search at 100,000 ideas: whoosh rebuild, query latency, freshness, and SQLite FTS5 on the same corpus.

Seeds N ideas of realistic text (English words drawn with their Wikipedia
frequencies, 20 challenges, 300 tags) in a SQLite database, then:

- rebuilds the whoosh index from the database (what `flask search rebuild` runs);
- builds an FTS5 table (porter, diacritics removed) over the same titles and descriptions;
- times queries of four kinds, chosen by their real document frequency in the
  corpus: rare (3-30 ideas), mid (300-3,000), two mid words, common (> 15% of ideas).
  whoosh runs what /search runs (AND, visibility filter, four facets, top 20, time
  limit); FTS5 runs top 20 by bm25 plus the match count a results page shows;
- measures freshness: an idea is submitted through the service and committed, an rq
  worker (`flask worker`, a separate process) writes it, and we poll until search finds it.

    python -m bench.search_index                   # 100,000 ideas
    python -m bench.search_index --ideas 10000 --queries 40
"""
import argparse
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert

from app import clock
from app.extensions import db
from bench.common import RESULTS, ROOT, SECRET, Vocabulary, fresh_database, insert_members

USERS = 2_000
CHALLENGES = 20
TAGS = 300
CHUNK = 10_000
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
INDEX_DIR = RESULTS / "search-bench-index"


def make_app(database_url, redis_url=None):
    from app import create_app
    from app.config import ProductionConfig

    config = type("SearchBenchConfig", (ProductionConfig,), {
        "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": SECRET, "RATELIMIT_ENABLED": False,
        "SEARCH_INDEX_DIR": str(INDEX_DIR), "REDIS_URL": redis_url,
    })
    return create_app(config)


def seed(app, ideas, words, texts=None):
    """`texts`: an iterator of (title, description); by default random words from `words`."""

    from app.tags import Tag
    from challenges.models import Challenge, Idea, idea_tags

    rng = random.Random(ideas)
    if texts is None:
        texts = iter(lambda: (words.sentence(4, 10)[:120], words.paragraph((2, 6))), None)
    now = clock.now()
    document_frequency = Counter()
    with app.app_context():
        db.create_all()
        connection = db.session.connection()
        insert_members(connection, USERS, now)
        tag_names = sorted({words.word()[:32] for _ in range(TAGS * 3)})[:TAGS]
        connection.execute(insert(Tag), [{"id": n, "name": name} for n, name in enumerate(tag_names, 1)])
        connection.execute(insert(Challenge), [{
            "id": c, "slug": f"challenge-{c}", "title": words.sentence(4, 9)[:120], "summary": words.sentence(8, 20),
            "problem": words.paragraph(), "problem_html": "<p>…</p>", "norms": "Be kind.",
            "norms_html": "<p>Be kind.</p>", "format": "challenge", "is_open": True, "moderation_policy": "post",
            "owner_id": c, "phase": "submission", "submission_at": now - timedelta(days=30),
            "review_at": now + timedelta(days=30), "results_at": now + timedelta(days=60),
            "phase_changed_at": now - timedelta(days=30), "published_at": now - timedelta(days=30),
            "created_at": now, "updated_at": now, "idea_count": ideas // CHALLENGES, "comment_count": 0,
            "follower_count": 0,
        } for c in range(1, CHALLENGES + 1)])
        for start in range(1, ideas + 1, CHUNK):
            idea_rows, tag_rows = [], []
            for n in range(start, min(start + CHUNK, ideas + 1)):
                title, description = next(texts)
                document_frequency.update(set(f"{title} {description}".lower().replace(".", "").split()))
                supporters = int(rng.paretovariate(1.2)) - 1
                published = now - timedelta(minutes=rng.randint(0, 60 * 24 * 90))
                status = "published" if rng.random() < 0.93 else rng.choice(("pending", "hidden", "rejected"))
                idea_rows.append({
                    "id": n, "challenge_id": rng.randint(1, CHALLENGES), "author_id": rng.randint(1, USERS),
                    "title": title, "description": description, "description_html": f"<p>{description}</p>",
                    "status": status, "is_public": status == "published", "supporter_count": supporters,
                    "comment_count": 0, "follower_count": 0, "hot_score": supporters / 10,
                    "random_key": rng.randrange(2**31), "feedback": "", "feedback_html": "",
                    "comments_locked": False, "created_at": published, "published_at": published,
                    "last_activity_at": published, "status_changed_at": published,
                })
                tag_rows += [{"idea_id": n, "tag_id": t} for t in rng.sample(range(1, TAGS + 1), rng.randint(0, 3))]
            connection.execute(insert(Idea), idea_rows)
            connection.execute(insert(idea_tags), tag_rows)
        db.session.commit()
        db.session.execute(db.text("ANALYZE"))
        db.session.commit()
    return document_frequency


def pick_queries(document_frequency, ideas, count, rng):
    from whoosh.analysis import STOP_WORDS

    def words_between(low, high):
        found = sorted(w for w, n in document_frequency.items()
                       if low <= n <= high and w.isalpha() and w not in STOP_WORDS and len(w) > 2)
        return rng.sample(found, min(count, len(found)))

    mid = words_between(300 * ideas // 100_000 or 1, 3_000 * ideas // 100_000 or 10)
    return {
        "rare": words_between(3, 30),
        "mid": mid,
        "two-word": [f"{a} {b}" for a, b in zip(mid, reversed(mid), strict=True) if a != b][:count],
        "common": words_between(ideas * 15 // 100, ideas),
    }


def percentile(values, share):
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * share + 0.5) - 1)]


def stats(latencies):
    return {"p50_ms": round(statistics.median(latencies), 2), "p95_ms": round(percentile(latencies, 0.95), 2),
            "max_ms": round(max(latencies), 2)}


def timed(function, queries, repeat=2):
    for query in queries:  # warm caches once
        function(query)
    latencies = []
    for _ in range(repeat):
        for query in queries:
            started = time.perf_counter()
            function(query)
            latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def _cpu_seconds():
    """This process's CPU time and that of its finished children (whoosh's writer processes)."""
    import resource

    mine, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return mine.ru_utime + mine.ru_stime + children.ru_utime + children.ru_stime


def build_fts(database_path):
    connection = sqlite3.connect(database_path)
    started = time.perf_counter()
    connection.execute("DROP TABLE IF EXISTS ideas_fts")
    connection.execute("CREATE VIRTUAL TABLE ideas_fts USING fts5(title, description, "
                       "tokenize = 'porter unicode61 remove_diacritics 2')")
    connection.execute("INSERT INTO ideas_fts(rowid, title, description) "
                       "SELECT id, title, description FROM ideas WHERE is_public")
    connection.commit()
    return connection, time.perf_counter() - started


def fts_search(connection):
    def run(text):
        match = " ".join(f'"{w}"' for w in text.split())
        rows = connection.execute("SELECT rowid FROM ideas_fts WHERE ideas_fts MATCH ? "
                                  "ORDER BY bm25(ideas_fts, 3.0, 1.0) LIMIT 20", (match,)).fetchall()
        total = connection.execute("SELECT count(*) FROM ideas_fts WHERE ideas_fts MATCH ?", (match,)).fetchone()
        return rows, total
    return run


def start_worker(database_url):
    env = dict(os.environ, DATABASE_URL=database_url, SECRET_KEY=SECRET, KINDLING_ENV="production",
               REDIS_URL=REDIS_URL, SEARCH_INDEX_DIR=str(INDEX_DIR), FLASK_APP="app:create_app")
    return subprocess.Popen([sys.executable, "-m", "flask", "worker"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def freshness(app, samples):
    """Seconds from the commit of a new idea to search finding it, with a worker doing the writing."""
    from redis import Redis
    from rq import Queue, Worker

    from app import jobs
    from app.auth.models import User
    from challenges.models import Challenge
    from challenges.services import ideas as challenge_ideas
    from search import services
    from search.backend import SearchRequest

    connection = Redis.from_url(REDIS_URL)
    for name in jobs.queue_names():
        Queue(name, connection=connection).empty()
    worker = start_worker(app.config["SQLALCHEMY_DATABASE_URI"])
    results = []
    try:
        deadline = time.time() + 30
        while not Worker.all(connection=connection):
            if time.time() > deadline or worker.poll() is not None:
                raise RuntimeError(f"the worker did not start: {worker.stderr.read().decode()[-2000:]}")
            time.sleep(0.1)
        with app.app_context():
            author = db.session.get(User, 1)
            challenge = db.session.get(Challenge, 1)
            engine = services.backend()
            for n in range(samples):
                marker = f"freshmarker{n}x{random.randrange(10**6)}"
                challenge_ideas.submit_idea(author, challenge, title=f"Fresh idea {marker} for the benchmark",
                                            description=f"A new idea about {marker}, to be found as soon as possible.",
                                            accept_norms=True)
                db.session.commit()
                started = time.perf_counter()
                jobs.dispatch()  # what the request does after commit: the job goes to Redis
                while not engine.search(SearchRequest(marker, suggest=False)).keys:
                    if time.perf_counter() - started > 30:
                        raise RuntimeError("an idea was not indexed within 30 s")
                    time.sleep(0.005)
                results.append(time.perf_counter() - started)
                time.sleep(0.2)  # people do not post in lockstep
    finally:
        worker.terminate()
        worker.wait(timeout=20)
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ideas", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=30, help="distinct queries per kind")
    parser.add_argument("--fresh", type=int, default=30, help="freshness samples (0 skips; needs Redis)")
    args = parser.parse_args()

    import shutil

    from search import services
    from search.backend import SearchRequest

    shutil.rmtree(INDEX_DIR, ignore_errors=True)
    url = fresh_database("sqlite", f"kindling_bench_search_{args.ideas}")
    app = make_app(url)
    started = time.perf_counter()
    frequencies = seed(app, args.ideas, Vocabulary())
    print(f"seeded {args.ideas:,} ideas in {time.perf_counter() - started:.0f}s", flush=True)

    with app.app_context():
        started, cpu_started = time.perf_counter(), _cpu_seconds()
        services.rebuild()
        rebuild_seconds, rebuild_cpu = time.perf_counter() - started, _cpu_seconds() - cpu_started
    load = os.getloadavg()
    index_mb = sum(p.stat().st_size for p in INDEX_DIR.rglob("*") if p.is_file()) / 2**20
    print(f"whoosh rebuild: {rebuild_seconds:.1f}s ({args.ideas / rebuild_seconds:,.0f} ideas/s), "
          f"{rebuild_cpu:.1f}s of CPU (writer processes included), {index_mb:.0f} MB; "
          f"load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}", flush=True)
    fts, fts_seconds = build_fts(Path(url.removeprefix("sqlite:///")))
    print(f"FTS5 build: {fts_seconds:.1f}s", flush=True)

    queries = pick_queries(frequencies, args.ideas, args.queries, random.Random(3))
    rows = []
    with app.app_context():
        engine = services.backend()

        def whoosh(text):
            return engine.search(SearchRequest(text, limit=20))

        def page(text):
            with app.test_request_context():
                return services.search(None, q=text, filters={"kind": None, "challenge": None, "status": None,
                                                              "tag": None})

        fts_run = fts_search(fts)
        for kind, texts in queries.items():
            found = statistics.median(whoosh(t).total for t in texts)
            timed_out = sum(whoosh(t).timed_out for t in texts)
            w, p, f = stats(timed(whoosh, texts)), stats(timed(page, texts)), stats(timed(fts_run, texts))
            row = {"kind": kind, "queries": len(texts), "median_matches": found, "timed_out": timed_out,
                   "whoosh": w, "page_service": p, "fts5": f,
                   "ratio_p50": round(w["p50_ms"] / f["p50_ms"], 1), "ratio_p95": round(w["p95_ms"] / f["p95_ms"], 1)}
            rows.append(row)
            print(f"{kind:<9} ~{found:>7,.0f} matches  whoosh p50 {w['p50_ms']:7.2f} p95 {w['p95_ms']:7.2f} "
                  f"max {w['max_ms']:7.2f} ms | page {p['p50_ms']:7.2f}/{p['p95_ms']:7.2f} | "
                  f"FTS5 p50 {f['p50_ms']:6.2f} p95 {f['p95_ms']:6.2f} | ratio {row['ratio_p50']}x/{row['ratio_p95']}x"
                  f"{f'  ({timed_out} hit the time limit)' if timed_out else ''}", flush=True)

    fresh = []
    if args.fresh:
        app.config["REDIS_URL"] = REDIS_URL
        fresh = freshness(app, args.fresh)
        print(f"freshness over {len(fresh)} ideas: p50 {statistics.median(fresh):.2f}s "
              f"p95 {percentile(fresh, 0.95):.2f}s max {max(fresh):.2f}s", flush=True)

    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"search_index_{args.ideas}.json"
    out.write_text(json.dumps({
        "ideas": args.ideas, "rebuild_seconds": round(rebuild_seconds, 1),
        "rebuild_cpu_seconds": round(rebuild_cpu, 1), "rebuild_load_average": [round(x, 1) for x in load], "index_mb": round(index_mb),
        "fts5_build_seconds": round(fts_seconds, 1), "queries": rows,
        "freshness_s": {"p50": round(statistics.median(fresh), 3), "p95": round(percentile(fresh, 0.95), 3),
                        "max": round(max(fresh), 3)} if fresh else None,
    }, indent=2))
    print(f"figures written to {out}")


if __name__ == "__main__":
    main()
