"""Support throughput and latency over HTTP: 16 concurrent members clicking support / withdraw.

    .venv/bin/python bench/voting_support.py [sqlite|postgresql ...] [--seconds 30]

A gunicorn server (2 workers x 8 threads, as on the 2-core target) serves
the requests; 16 client threads each play a slice of 2,000 members (a
member's 60-a-minute allowance is never the limit) and toggle supports on
200 ideas. At the end every stored count is compared with its rows.
"""
import argparse
import random
import sys
import threading
import time
from pathlib import Path

if not __package__:  # run as a script: bench/voting_x.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.voting_common import (  # noqa: E402
    Client,
    database_url,
    line,
    make_app,
    member_session,
    percentiles,
    reset_schema,
    seed,
    server,
)

CONCURRENCY, MEMBERS, IDEAS = 16, 2_000, 200


def run(backend, seconds, concurrency=CONCURRENCY):
    url = database_url(backend)
    app = make_app(url)
    reset_schema(app)
    slug, ideas, members = seed(app, members=MEMBERS, ideas=IDEAS, supports=20_000)
    sessions = {m: member_session(app, m) for m in members}
    latencies, statuses = [], {}
    lock = threading.Lock()
    with server(url) as port:
        stop = time.perf_counter() + seconds

        def worker(index):
            rng = random.Random(index)
            client = Client(port)
            mine = members[index::concurrency]
            supported = set()
            local, codes = [], {}
            while time.perf_counter() < stop:
                member, idea = rng.choice(mine), rng.choice(ideas)
                action = "support/withdraw" if (member, idea) in supported else "support"
                headers = dict(sessions[member], **{"Content-Type": "application/x-www-form-urlencoded"})
                status, took = client.request("POST", f"/ideas/{idea}/{action}", headers, f"next=/challenges/{slug}")
                codes[status] = codes.get(status, 0) + 1
                local.append(took)
                supported ^= {(member, idea)}
            with lock:
                latencies.extend(local)
                for code, n in codes.items():
                    statuses[code] = statuses.get(code, 0) + n

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
    with app.app_context():
        from voting.services.supports import recount_supports

        drift = recount_supports(fix=False)
    stats = percentiles(latencies)
    print(f"\n[{backend}] support/withdraw over HTTP, {concurrency} concurrent members, {seconds}s")
    print(f"  throughput: {len(latencies) / elapsed:,.0f} requests/s   statuses: {statuses}")
    print("  " + line("latency", stats))
    print(f"  stored counts that differ from their rows afterwards: {len(drift)}")
    return len(latencies) / elapsed, stats, drift


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("backends", nargs="*", default=["sqlite", "postgresql"])
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--clients", default=f"1,{CONCURRENCY}", help="concurrent members, one run each")
    args = parser.parse_args()
    for backend in args.backends:
        for clients in args.clients.split(","):
            run(backend, args.seconds, int(clients))


if __name__ == "__main__":
    main()
