"""CPU per request of Kindling's pages and of the bare page, in-process (no gunicorn, no network).

On a machine shared with other work, wall time mostly measures the queue for
the cores; the CPU time a process spends on a request does not. This script
serves each page through the WSGI test client (Kindling's pages as served to a
visitor, from the page cache while nothing was written, and again rendered
on every request), `--requests` times per round,
and keeps the best round's `time.process_time()` per request (the best is the
one least disturbed by caches the neighbours evicted). `--profile PAGE` prints
cProfile's top functions for one page instead.

    python -m bench.page_cpu                        # reuses pages_ratio's SQLite database, else seeds 2,000 ideas
    python -m bench.page_cpu --profile "idea list, top (page)"
"""
import argparse
import cProfile
import os
import pstats
import time

from bench.common import RESULTS, Vocabulary, fresh_database, make_app

FRAGMENT = {"HX-Request": "true", "HX-Target": "idea-list", "HX-Current-URL": "/challenges/big-challenge"}
KINDLING_PAGES = [
    ("idea list, top (page)", "/challenges/big-challenge?sort=top", None),
    ("idea list, hot (page)", "/challenges/big-challenge?sort=hot", None),
    ("idea list, top (htmx)", "/challenges/big-challenge?sort=top", FRAGMENT),
    ("idea page", "/ideas/{idea}", None),
]
# Each Kindling page twice: as served (a visitor's page kept while no write commits, app/page_cache.py),
# and rendered on every request (VISITOR_PAGE_CACHE_SECONDS=0), what a member's page or a miss costs.
PAGES = [("bare page (yardstick)", "bare", "/ideas", None)] + [
    (f"{name}{suffix}", server, path, headers)
    for server, suffix in (("kindling", ""), ("rendered", ", rendered every time"))
    for name, path, headers in KINDLING_PAGES
]


def database():
    existing = RESULTS / "kindling_bench_ratio_100000.db"
    if existing.exists():
        return f"sqlite:///{existing}", 100_000
    from bench.challenges_pages import seed

    url = fresh_database("sqlite", "kindling_bench_page_cpu")
    seed(url, 2_000, Vocabulary())
    return url, 2_000


def clients(url):
    from bench import bare_app

    os.environ["DATABASE_URL"] = url
    return {"kindling": make_app(url).test_client(), "rendered": make_app(url, VISITOR_PAGE_CACHE_SECONDS=0).test_client(),
            "bare": bare_app.create_app().test_client()}


def cpu_per_request(client, path, headers, requests):
    started = time.process_time()
    for _ in range(requests):
        response = client.get(path, headers=headers or {})
        assert response.status_code == 200, (path, response.status_code)
        response.close()
    return (time.process_time() - started) / requests * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", help="a page name from the table: print its cProfile instead")
    args = parser.parse_args()
    url, ideas = database()
    servers = clients(url)
    pages = [(name, server, path.format(idea=ideas // 2), headers) for name, server, path, headers in PAGES]
    for _name, server, path, headers in pages:  # warm-up: compiled templates, caches, connections
        cpu_per_request(servers[server], path, headers, 20)
    if args.profile:
        _name, server, path, headers = next(p for p in pages if p[0] == args.profile)
        profile = cProfile.Profile()
        profile.runcall(cpu_per_request, servers[server], path, headers, args.requests)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(45)
        pstats.Stats(profile).sort_stats("tottime").print_stats(30)
        return
    best = {}
    for _ in range(args.rounds):  # round by round, so a burst of background load falls on every page alike
        for name, server, path, headers in pages:
            ms = cpu_per_request(servers[server], path, headers, args.requests)
            best[name] = min(best.get(name, ms), ms)
    calls = {name: python_calls(servers[server], path, headers) for name, server, path, headers in pages}
    bare = best["bare page (yardstick)"]
    print(f"\nin-process CPU per request, SQLite, {ideas:,} ideas, best of {args.rounds} rounds × "
          f"{args.requests} requests, load average {os.getloadavg()[0]:.1f}")
    print("\n| page | CPU ms/request | bare ÷ page | Python calls/request |")
    print("| --- | ---: | ---: | ---: |")
    for name, ms in best.items():
        print(f"| {name} | {ms:.2f} | {bare / ms:.2f} | {calls[name]:,} |")


def python_calls(client, path, headers, requests=20):
    """Function calls per request: unlike time, the same on a busy machine as on a quiet one."""
    profile = cProfile.Profile()
    profile.runcall(cpu_per_request, client, path, headers, requests)
    return round(pstats.Stats(profile).total_calls / requests)


if __name__ == "__main__":
    main()
