"""List latency with 10,000 and with 1,000,000 supports (target: p95 at 1M within 1.2x of 10k).

    .venv/bin/python bench/voting_list.py [sqlite|postgresql ...] [--requests 300]

Two databases with the same 20,000 members and 2,000 ideas, one holding
10,000 supports and the other 1,000,000, each behind its own gunicorn
(2 workers). A member who supports some of the ideas shown requests the
challenge page sorted by top and by hot, and the page of the most
supported idea, one request at a time, alternating between the two
servers so that load from anything else on the machine hits both alike.
"""
import argparse
import sys
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

MEMBERS, IDEAS = 20_000, 2_000
SIZES = {"10k": 10_000, "1m": 1_000_000}
PAGES = {"challenge page, top": "/challenges/bench?sort=top", "challenge page, hot": "/challenges/bench?sort=hot",
         "idea page (most supported)": "/ideas/{top}"}


def prepare(backend, name, supports):
    url = database_url(backend, f"voting_list_{name}")
    app = make_app(url)
    reset_schema(app)
    started = time.perf_counter()
    seed(app, members=MEMBERS, ideas=IDEAS, supports=supports)
    print(f"[{backend}] seeded {supports:,} supports in {time.perf_counter() - started:.0f}s")
    with app.app_context():
        from sqlalchemy import select

        from app.extensions import db
        from challenges.models import Idea

        top = db.session.scalar(select(Idea.id).order_by(Idea.supporter_count.desc(), Idea.id).limit(1))
        db.session.remove()
    return url, member_session(app, 1), top


def run(backend, requests):
    prepared = {name: prepare(backend, name, supports) for name, supports in SIZES.items()}
    samples = {(name, label): [] for name in SIZES for label in PAGES}
    with server(prepared["10k"][0]) as port_small, server(prepared["1m"][0]) as port_large:
        clients = {"10k": Client(port_small), "1m": Client(port_large)}
        for label, path in PAGES.items():
            for round_ in range(requests + 20):  # the first 20 warm up
                for name in SIZES:
                    _, headers, top = prepared[name]
                    status, took = clients[name].request("GET", path.format(top=top), headers)
                    assert status == 200, (name, path, status)
                    if round_ >= 20:
                        samples[(name, label)].append(took)
    print(f"\n[{backend}] latency, {requests} requests per page and size")
    for label in PAGES:
        small, large = percentiles(samples[("10k", label)]), percentiles(samples[("1m", label)])
        print("  " + line(f"{label} @ 10k", small))
        print("  " + line(f"{label} @ 1M", large))
        ratio = large["p95"] / small["p95"]
        print(f"  {'':<34} p95 ratio {ratio:.2f}x  {'ok' if ratio <= 1.2 else 'ABOVE the 1.2x target'}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("backends", nargs="*", default=["sqlite", "postgresql"])
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    for backend in args.backends:
        run(backend, args.requests)


if __name__ == "__main__":
    main()
