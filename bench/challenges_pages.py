"""Challenge idea list and idea page under gunicorn, at 1,000 and 100,000 ideas.

Seeds one challenge with N ideas (realistic text, 5,000 authors, 300 tags,
five comments per idea on average: 500,000 at 100,000 ideas), serves the
app with gunicorn (2 workers, production settings), and measures GET
latency from 2 keep-alive clients (one per worker) on the same machine.

    python -m bench.challenges_pages                     # SQLite and PostgreSQL, 1,000 and 100,000 ideas
    python -m bench.challenges_pages --db sqlite --ideas 1000 --requests 500
"""
import argparse
import json
import random
import time
from datetime import timedelta

from sqlalchemy import insert

from app import clock
from app.extensions import db
from bench.common import RESULTS, Vocabulary, fresh_database, gunicorn, insert_members, load, make_app, summary

USERS = 5_000
TAGS = 300
COMMENTS_PER_IDEA = 5
CHUNK = 10_000


def seed(database_url, ideas, words):
    from app.tags import Tag
    from challenges.models import Challenge, Comment, Idea, idea_tags

    started = time.perf_counter()
    app = make_app(database_url)
    rng = random.Random(ideas)
    now = clock.now()
    with app.app_context():
        db.create_all()
        connection = db.session.connection()
        insert_members(connection, USERS, now, display_name=lambda n: words.sentence(1, 2)[:60])
        tag_names = sorted({words.word()[:32] for _ in range(TAGS * 3)})[:TAGS]
        connection.execute(insert(Tag), [{"id": n, "name": name} for n, name in enumerate(tag_names, 1)])
        connection.execute(insert(Challenge), [{
            "id": 1, "slug": "big-challenge", "title": "How might we make our city greener?", "summary": "Ideas wanted.",
            "problem": words.paragraph(), "problem_html": "<p>Ideas wanted.</p>", "norms": "Be kind.",
            "norms_html": "<p>Be kind.</p>", "format": "challenge", "is_open": True, "moderation_policy": "post",
            "owner_id": 1, "phase": "submission", "submission_at": now - timedelta(days=30),
            "review_at": now + timedelta(days=30), "results_at": now + timedelta(days=60),
            "phase_changed_at": now - timedelta(days=30), "published_at": now - timedelta(days=30),
            "created_at": now, "updated_at": now, "idea_count": ideas, "comment_count": ideas * COMMENTS_PER_IDEA,
            "follower_count": 0,
        }])
        comment_id = 1
        for start in range(1, ideas + 1, CHUNK):
            batch = range(start, min(start + CHUNK, ideas + 1))
            idea_rows, tag_rows, comment_rows = [], [], []
            for n in batch:
                description = words.paragraph((3, 8))
                supporters = int(rng.paretovariate(1.2)) - 1
                published = now - timedelta(minutes=rng.randint(0, 60 * 24 * 30))
                comments = rng.randint(0, COMMENTS_PER_IDEA * 2)
                idea_rows.append({
                    "id": n, "challenge_id": 1, "author_id": rng.randint(1, USERS),
                    "title": words.sentence(4, 10)[:120], "description": description,
                    "description_html": f"<p>{description}</p>", "status": "published",
                    "is_public": True, "supporter_count": supporters, "comment_count": comments, "follower_count": 0,
                    "hot_score": supporters / 10 + published.timestamp() / 45_000,
                    "random_key": rng.randrange(2**31), "feedback": "", "feedback_html": "",
                    "comments_locked": False, "created_at": published, "published_at": published,
                    "last_activity_at": published, "status_changed_at": published,
                })
                tag_rows += [{"idea_id": n, "tag_id": t} for t in rng.sample(range(1, TAGS + 1), 2)]
                for _ in range(comments):
                    body = words.sentence(5, 30)
                    comment_rows.append({
                        "id": comment_id, "idea_id": n, "author_id": rng.randint(1, USERS), "parent_id": None,
                        "depth": 0, "body": body, "body_html": f"<p>{body}</p>", "status": "published",
                        "created_at": published,
                    })
                    comment_id += 1
            connection.execute(insert(Idea), idea_rows)
            connection.execute(insert(idea_tags), tag_rows)
            for chunk in range(0, len(comment_rows), CHUNK):
                connection.execute(insert(Comment), comment_rows[chunk:chunk + CHUNK])
        db.session.commit()
        if database_url.startswith("postgresql"):
            db.session.execute(db.text("ANALYZE"))
            db.session.commit()
        else:
            db.session.execute(db.text("ANALYZE"))
            db.session.commit()
        db.engine.dispose()
    return time.perf_counter() - started, comment_id - 1


def measure(kind, ideas, requests, words):
    url = fresh_database(kind, f"kindling_bench_pages_{ideas}")
    seconds, comments = seed(url, ideas, words)
    print(f"  seeded {ideas:,} ideas and {comments:,} comments on {kind} in {seconds:.0f}s", flush=True)
    rng = random.Random(1)
    pages = {
        "idea list (top)": ["/challenges/big-challenge?sort=top"],
        "idea list (hot)": ["/challenges/big-challenge?sort=hot"],
        "idea list (random)": ["/challenges/big-challenge?sort=random"],
        "idea page": [f"/ideas/{rng.randint(1, ideas)}" for _ in range(500)],
    }
    rows = []
    with gunicorn(url) as port:
        for name, paths in pages.items():
            load(port, paths, 50)  # warm up
            latencies, rps = load(port, paths, requests)
            row = {"db": kind, "ideas": ideas, "page": name, **summary(latencies), "rps": round(rps)}
            rows.append(row)
            print(f"  {name:<20} median {row['median_ms']:6.2f} ms   p95 {row['p95_ms']:6.2f} ms   "
                  f"{row['rps']:5d} req/s", flush=True)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--ideas", default="1000,100000")
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    words = Vocabulary()
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    rows = []
    for kind in kinds:
        for ideas in [int(n) for n in args.ideas.split(",")]:
            print(f"{kind}, {ideas:,} ideas:", flush=True)
            rows += measure(kind, ideas, args.requests, words)
    print("\n| database | ideas | page | median ms | p95 ms | req/s |\n| --- | ---: | --- | ---: | ---: | ---: |")
    for row in rows:
        print(f"| {row['db']} | {row['ideas']:,} | {row['page']} | {row['median_ms']} | {row['p95_ms']} | {row['rps']} |")
    for kind in kinds:
        for page in {r["page"] for r in rows}:
            by_size = sorted((r for r in rows if r["db"] == kind and r["page"] == page), key=lambda r: r["ideas"])
            if len(by_size) > 1:
                print(f"{kind} {page}: p95 at {by_size[-1]['ideas']:,} is "
                      f"{by_size[-1]['p95_ms'] / by_size[0]['p95_ms']:.2f}x p95 at {by_size[0]['ideas']:,}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "challenges_pages.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
