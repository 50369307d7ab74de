"""Search engines side by side: whoosh, PostgreSQL full-text and SQLite FTS5 on the same 100,000 ideas.

Two corpora, each seeded in SQLite (for whoosh and FTS5) and in PostgreSQL:
- prose: paragraphs of Debian's manual pages (bench/prose.py), with the
  realistic queries written there before any result was seen;
- random: words drawn with their Wikipedia frequencies (bench/search_index.py),
  with two-word queries of mid-frequency words chosen by their real counts.

For each engine: p50/p95/max of the engine's answer to a results page (top 20
by relevance, the total and four facets, public ideas only) after one warm-up
pass, and the time to (re)build the index. whoosh and PostgreSQL run through
search.backend's interface exactly as /search calls them; FTS5 runs top 20 by
bm25 and the match count.

    python -m bench.search_compare                       # both corpora, 100,000 ideas
    python -m bench.search_compare --corpus prose --ideas 20000
"""
import argparse
import json
import os
import random
import resource
import shutil
import time
from pathlib import Path

from bench.common import RESULTS, Vocabulary, fresh_database
from bench.search_index import INDEX_DIR, build_fts, fts_search, make_app, pick_queries, seed, stats, timed
from search.services import COUNT_LIMIT


def cpu_seconds():
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def corpus(name, ideas):
    from bench import prose

    if name == "prose":
        texts = ((title, text) for title, text, _ in prose.documents(ideas))
        return texts, {"realistic": prose.QUERIES}
    return None, None


def run(corpus_name, ideas, queries_per_kind, reuse=False):
    from search.backend import SearchRequest
    from search.postgres import PostgresBackend

    results = {"corpus": corpus_name, "ideas": ideas}
    texts, queries = corpus(corpus_name, ideas)
    index_dir = INDEX_DIR.with_name(f"{INDEX_DIR.name}-{corpus_name}")
    sqlite_path = RESULTS / f"kindling_bench_compare_{corpus_name}.db"
    previous = RESULTS / f"search_compare_{ideas}.json"
    reuse = reuse and sqlite_path.exists() and index_dir.exists() and previous.exists()
    if reuse:
        # Queries only: the SQLite rows, FTS5 table and whoosh index of the last run; rebuild figures from it.
        last = next(c for c in json.loads(previous.read_text()) if c["corpus"] == corpus_name)
        results.update({k: v for k, v in last.items() if k.endswith("_seconds")}, reused=True)
        queries = {row["kind"]: list(row["totals"]) for row in last["queries"]}
        sqlite_url = f"sqlite:///{sqlite_path}"
        sqlite_app = make_app(sqlite_url)
    else:
        sqlite_url = fresh_database("sqlite", f"kindling_bench_compare_{corpus_name}")
        sqlite_app = make_app(sqlite_url)
        started = time.perf_counter()
        frequencies = seed(sqlite_app, ideas, Vocabulary(), texts)
        print(f"[{corpus_name}] seeded {ideas:,} ideas in SQLite in {time.perf_counter() - started:.0f}s", flush=True)
    sqlite_app.config["SEARCH_INDEX_DIR"] = str(index_dir)
    if queries is None:
        picked = pick_queries(frequencies, ideas, queries_per_kind, random.Random(3))
        queries = {"two-word": picked["two-word"], "rare": picked["rare"], "common": picked["common"]}

    # PostgreSQL: the same rows; inserting computes the generated tsvector columns and fills the GIN indexes.
    texts, _ = corpus(corpus_name, ideas)
    pg_url = fresh_database("postgresql", os.environ.get("BENCH_SEARCH_DATABASE", "bench_search"))
    pg_app = make_app(pg_url)
    started = time.perf_counter()
    seed(pg_app, ideas, Vocabulary(), texts)
    results["postgres_seed_seconds"] = round(time.perf_counter() - started, 1)
    print(f"[{corpus_name}] seeded PostgreSQL (tsvector and GIN included) in {results['postgres_seed_seconds']}s",
          flush=True)

    from search import services

    if not reuse:
        shutil.rmtree(index_dir, ignore_errors=True)
        with sqlite_app.app_context():
            cpu, started = cpu_seconds(), time.perf_counter()
            services.rebuild()
            results["whoosh_rebuild_seconds"] = round(time.perf_counter() - started, 1)
            results["whoosh_rebuild_cpu_seconds"] = round(cpu_seconds() - cpu, 1)
        fts, results["fts5_build_seconds"] = build_fts(Path(sqlite_url.removeprefix("sqlite:///")))
    else:
        import sqlite3

        fts = sqlite3.connect(sqlite_path)
    print(f"[{corpus_name}] whoosh rebuild: {results['whoosh_rebuild_seconds']}s wall, "
          f"{results['whoosh_rebuild_cpu_seconds']}s CPU{' (last run)' if reuse else ''}", flush=True)
    fts_run = fts_search(fts)

    with pg_app.app_context():
        from app.extensions import db

        started = time.perf_counter()
        db.session.execute(db.text("REINDEX INDEX ix_ideas_search_vector"))
        db.session.commit()
        results["postgres_reindex_seconds"] = round(time.perf_counter() - started, 1)

    rows = []
    for kind, texts_ in queries.items():
        with sqlite_app.app_context():
            engine = services.backend()

            def whoosh(text, engine=engine):
                return engine.search(SearchRequest(text, limit=20, time_limit=0.2, count_limit=COUNT_LIMIT))
            w = timed(whoosh, texts_)
            w_cpu = timed_cpu(whoosh, texts_)
            w_exact = sum(whoosh(t).exact for t in texts_)
            w_totals = {t: whoosh(t).total for t in texts_}
        with pg_app.app_context():
            from app.extensions import db

            pg_engine = PostgresBackend(db.session)

            def postgres(text, pg_engine=pg_engine):
                hits = pg_engine.search(SearchRequest(text, limit=20, count_limit=COUNT_LIMIT))
                db.session.rollback()
                return hits
            p = timed(postgres, texts_)
            p_totals = {t: postgres(t).total for t in texts_}
        f = timed(fts_run, texts_)
        f_totals = {t: fts_run(t)[1][0] for t in texts_}
        row = {"kind": kind, "queries": len(texts_), "whoosh": stats(w), "whoosh_cpu": stats(w_cpu),
               "postgres": stats(p), "fts5": stats(f),
               "whoosh_exact_totals": w_exact, "median_matches_fts5": sorted(f_totals.values())[len(f_totals) // 2],
               "totals": {t: [w_totals[t], p_totals[t], f_totals[t]] for t in texts_}}
        rows.append(row)
        print(f"[{corpus_name}] {kind:<9} ({len(texts_)} queries, median {row['median_matches_fts5']:,} matches) "
              f"p50/p95/max ms — whoosh {fmt(row['whoosh'])} (CPU {fmt(row['whoosh_cpu'])}) | "
              f"PostgreSQL {fmt(row['postgres'])} | "
              f"FTS5 {fmt(row['fts5'])} | whoosh exact totals {w_exact}/{len(texts_)}", flush=True)
    results["queries"] = rows
    return results


def timed_cpu(function, queries, repeat=2):
    """CPU time of this process per query: what a query costs whatever else the machine is running."""
    latencies = []
    for _ in range(repeat):
        for query in queries:
            started = time.process_time()
            function(query)
            latencies.append((time.process_time() - started) * 1000)
    return latencies


def fmt(figures):
    return f"{figures['p50_ms']:.1f}/{figures['p95_ms']:.1f}/{figures['max_ms']:.1f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ideas", type=int, default=100_000)
    parser.add_argument("--corpus", choices=("prose", "random", "both"), default="both")
    parser.add_argument("--queries", type=int, default=30, help="queries per kind for the random corpus")
    parser.add_argument("--reuse", action="store_true",
                        help="time the queries again on the last run's SQLite rows and whoosh index "
                             "(PostgreSQL is seeded again: one database holds one corpus)")
    args = parser.parse_args()
    figures = []
    for name in (("prose", "random") if args.corpus == "both" else (args.corpus,)):
        figures.append(run(name, args.ideas, args.queries, args.reuse))
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"search_compare_{args.ideas}.json"
    out.write_text(json.dumps(figures, indent=2))
    print(f"figures written to {out}")


if __name__ == "__main__":
    main()
