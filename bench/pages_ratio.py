"""Kindling's idea list and idea page against a bare Flask + SQLAlchemy + Jinja page, in one run.

Seeds one challenge with 100,000 ideas (as `challenges_pages` does), serves
Kindling (as deployed, and again with the visitors' page cache off, so every
request renders) and the yardstick (`bench/bare_app.py`, 20 of the same ideas with
their authors) with the same gunicorn settings (2 sync workers, production
settings), and measures, interleaved round by round so background load hits
every page alike: throughput with 2 and 16 connections, and the server's
CPU per request (user + system time of the gunicorn workers, from /proc,
divided by the requests served). Prints each page's throughput as a ratio
of the bare page's.

    python -m bench.pages_ratio                       # SQLite, 100,000 ideas
    python -m bench.pages_ratio --reuse --rounds 5    # keep an already seeded database
    python -m bench.pages_ratio --db postgresql
"""
import argparse
import itertools
import json
import os
import random
import subprocess
import sys
import threading
import time
import urllib.request
from contextlib import contextmanager
from http.client import HTTPConnection
from pathlib import Path

from bench.common import RESULTS, ROOT, SECRET, Vocabulary, free_port, fresh_database

TICK = os.sysconf("SC_CLK_TCK")
FRAGMENT = {"HX-Request": "true", "HX-Target": "idea-list", "HX-Current-URL": "/challenges/big-challenge"}


@contextmanager
def serve(app_spec, database_url, workers=2, **settings):
    """gunicorn as bench/ always runs it; yields (port, master pid)."""
    port = free_port()
    env = dict(os.environ, DATABASE_URL=database_url, SECRET_KEY=SECRET, KINDLING_ENV="production",
               SEARCH_INDEX_DIR=str(RESULTS / "bench-index"), **settings)
    env.pop("REDIS_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}", "--log-level", "warning",
         app_spec], cwd=ROOT, env=env,
    )
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/ideas/1", timeout=2).read()
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError(f"gunicorn did not start: {app_spec}")
        yield port, process.pid
    finally:
        process.terminate()
        process.wait(timeout=20)


def worker_cpu_seconds(master_pid):
    """User + system CPU of the master's children (the workers)."""
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    total = 0
    for pid in children:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / TICK


def hit(port, paths, requests, concurrency, headers=None):
    """GET `paths` (cycled) `requests` times from `concurrency` clients; returns (seconds, latencies)."""
    counter = itertools.count()
    latencies, errors = [], []
    lock = threading.Lock()

    def client():
        connection = HTTPConnection("127.0.0.1", port, timeout=60)
        while (n := next(counter)) < requests:
            started = time.perf_counter()
            connection.request("GET", paths[n % len(paths)], headers=headers or {})
            response = connection.getresponse()
            response.read()
            with lock:
                if response.status == 200:
                    latencies.append((time.perf_counter() - started) * 1000)
                else:
                    errors.append((paths[n % len(paths)], response.status))
        connection.close()

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError(f"{len(errors)} failed requests, e.g. {errors[:3]}")
    return time.perf_counter() - started, latencies


def ensure_seeded(kind, ideas, reuse):
    name = f"kindling_bench_ratio_{ideas}"
    if reuse and kind == "sqlite" and (RESULTS / f"{name}.db").exists():
        return f"sqlite:///{RESULTS / name}.db"
    from bench.challenges_pages import seed

    url = fresh_database(kind, name)
    seconds, comments = seed(url, ideas, Vocabulary())
    print(f"seeded {ideas:,} ideas and {comments:,} comments on {kind} in {seconds:.0f} s", flush=True)
    return url


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--ideas", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=300, help="per page, per round and per concurrency")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", default="2,16")
    parser.add_argument("--reuse", action="store_true", help="keep the SQLite database of an earlier run")
    args = parser.parse_args()
    url = ensure_seeded(args.db, args.ideas, args.reuse)
    rng = random.Random(1)
    idea_paths = [f"/ideas/{rng.randint(1, args.ideas)}" for _ in range(500)]
    kindling_pages = [
        ("idea list, top (page)", ["/challenges/big-challenge?sort=top"], None),
        ("idea list, hot (page)", ["/challenges/big-challenge?sort=hot"], None),
        ("idea list, top (htmx)", ["/challenges/big-challenge?sort=top"], FRAGMENT),
        ("idea list, hot (htmx)", ["/challenges/big-challenge?sort=hot"], FRAGMENT),
        ("idea page", idea_paths, None),
    ]
    # Kindling as deployed (a visitor's page kept while no write commits), and a second Kindling that
    # renders every request (VISITOR_PAGE_CACHE_SECONDS=0): what a member's page or a cache miss costs.
    pages = [("bare page (yardstick)", "bare", ["/ideas"], None)] + [
        (f"{name}{suffix}", server, paths, headers)
        for server, suffix in (("kindling", ""), ("rendered", ", rendered every time"))
        for name, paths, headers in kindling_pages
    ]
    totals = {(name, c): [0.0, 0.0, 0, []] for name, *_ in pages for c in args.connections.split(",")}
    with serve("app:create_app()", url) as kindling, serve("bench.bare_app:create_app()", url) as bare, \
            serve("app:create_app()", url, VISITOR_PAGE_CACHE_SECONDS="0") as rendered:
        servers = {"kindling": kindling, "bare": bare, "rendered": rendered}
        for _name, server, paths, headers in pages:  # warm-up: caches, compiled templates, connections
            hit(servers[server][0], paths, 60, 2, headers)
        for round_number in range(args.rounds):
            for connections in args.connections.split(","):
                for name, server, paths, headers in pages:
                    port, master = servers[server]
                    cpu = worker_cpu_seconds(master)
                    seconds, latencies = hit(port, paths, args.requests, int(connections), headers)
                    total = totals[(name, connections)]
                    total[0] += seconds
                    total[1] += worker_cpu_seconds(master) - cpu
                    total[2] += args.requests
                    total[3] += latencies
            print(f"round {round_number + 1} of {args.rounds} done", flush=True)
    rows = []
    for connections in args.connections.split(","):
        bare_rps = totals[("bare page (yardstick)", connections)][2] / totals[("bare page (yardstick)", connections)][0]
        for name, *_ in pages:
            seconds, cpu, count, latencies = totals[(name, connections)]
            latencies.sort()
            rows.append({
                "page": name, "connections": int(connections), "rps": round(count / seconds, 1),
                "ratio": round(count / seconds / bare_rps, 2), "cpu_ms": round(cpu / count * 1000, 2),
                "p50_ms": round(latencies[len(latencies) // 2], 2),
                "p95_ms": round(latencies[int(len(latencies) * 0.95) - 1], 2),
            })
    print(f"\n{args.db}, {args.ideas:,} ideas, {args.rounds} rounds × {args.requests} requests per page and "
          f"concurrency, load average {os.getloadavg()[0]:.1f} at the end")
    print("\n| page | connections | req/s | × bare | server CPU ms/request | p50 ms | p95 ms |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        print(f"| {row['page']} | {row['connections']} | {row['rps']} | {row['ratio']} | {row['cpu_ms']} | "
              f"{row['p50_ms']} | {row['p95_ms']} |")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "pages_ratio.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
