"""Search with PostgreSQL's full-text search (SEARCH_BACKEND=postgres).

For deployments with more than one web host, where a whoosh directory cannot
be shared: the database is the index. Ideas, challenges and comments each
carry a generated, weighted `search_vector` (title A, text B, challenge
problem C) with a GIN index, so every committed change is searchable at
once and nothing needs rebuilding. Queries go through websearch_to_tsquery,
which reads the same syntax as search.syntax. Text is folded with
`unaccent` where the server has it (the `kindling` text search
configuration), and stemmed in English.

The columns exist on PostgreSQL only: migration 0003 adds them, and tests
that build the schema with create_all get them from the DDL below. The
models do not declare them (SQLite has no tsvector); `include_object`
keeps Alembic from proposing to drop them.

Not offered here: "did you mean" (PostgreSQL has no spelling corrector;
Hits.suggestion stays None) and matching on tag names (tags filter and
count as facets, but are not searched as words).
"""
from contextlib import contextmanager

from markupsafe import Markup, escape
from sqlalchemy import DDL, event, text

from search.backend import FACETS, Hits, SearchBackend

CONFIG = "kindling"
COLUMN = "search_vector"
# Weighted text per table: (weight, SQL expression).
VECTORS = {
    "ideas": (("A", "title"), ("B", "description")),
    "challenges": (("A", "title"), ("B", "summary"), ("C", "problem")),
    "comments": (("B", "body"),),
}
PG_ONLY_NAMES = frozenset({COLUMN, *(f"ix_{table}_{COLUMN}" for table in VECTORS)})

CREATE_CONFIG = f"""
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = '{CONFIG}') THEN
    CREATE TEXT SEARCH CONFIGURATION {CONFIG} (COPY = english);
    IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'unaccent') THEN
      BEGIN
        CREATE EXTENSION IF NOT EXISTS unaccent;
        ALTER TEXT SEARCH CONFIGURATION {CONFIG}
          ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem;
      EXCEPTION WHEN insufficient_privilege THEN
        RAISE NOTICE 'unaccent is not installed: accents are not folded';
      END;
    END IF;
  END IF;
END
$$
"""
DROP_CONFIG = f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {CONFIG}"


def vector_sql(table):
    return " || ".join(f"setweight(to_tsvector('{CONFIG}'::regconfig, coalesce({column}, '')), '{weight}')"
                       for weight, column in VECTORS[table])


def add_column_sql(table):
    return (f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {COLUMN} tsvector "
            f"GENERATED ALWAYS AS ({vector_sql(table)}) STORED")


def add_index_sql(table):
    return f"CREATE INDEX IF NOT EXISTS ix_{table}_{COLUMN} ON {table} USING gin ({COLUMN})"


def statements():
    """The DDL that gives a PostgreSQL database full-text search, in order."""
    yield CREATE_CONFIG
    for table in VECTORS:
        yield add_column_sql(table)
        yield add_index_sql(table)


def include_object(obj, name, type_, reflected, compare_to):
    """For Alembic: the search columns and indexes live in the database only."""
    return not (reflected and compare_to is None and name in PG_ONLY_NAMES)


def install_ddl(metadata):
    """create_all (tests, benchmarks) adds the columns on PostgreSQL, as migration 0003 does."""
    for table in VECTORS:
        target = metadata.tables[table]
        if getattr(target, "_kindling_search_ddl", False):
            continue
        target._kindling_search_ddl = True
        for sql in (CREATE_CONFIG, add_column_sql(table), add_index_sql(table)):
            event.listen(target, "after_create", DDL(sql.replace("%", "%%")).execute_if(dialect="postgresql"))


# Markers ts_headline puts around matches: control characters, which user text
# cannot contain (they are refused on input), so the text is escaped whole and
# only the markers become <mark>.
START, STOP = "\x02", "\x03"
HEADLINE = (f"StartSel={START}, StopSel={STOP}, MaxWords=40, MinWords=20, ShortWord=2, "
            "MaxFragments=2, FragmentDelimiter=\" … \"")
HEADLINE_ALL = f"StartSel={START}, StopSel={STOP}, HighlightAll=true"

_SORTS = {
    "relevance": "rank DESC, kind, id",
    "supporters": "supporters DESC, rank DESC, kind, id",
    "newest": "published DESC, kind, id",
}


class PostgresBackend(SearchBackend):
    keeps_index = False  # the database is the index: nothing to write or rebuild

    def __init__(self, session):
        self.session = session

    def available(self):
        return True

    def rebuilding(self):
        return False

    @contextmanager
    def writer(self):
        yield _NoWrites()

    def rebuild(self, documents, reload, progress=None, **options):
        return None

    # Reading

    def _matches(self, request, params, ranked=True):
        """SQL for every visible match: kind, id, challenge, status, rank, supporters, published."""
        from challenges.models import IDEA_PUBLIC

        params["public_ideas"] = list(IDEA_PUBLIC)
        private = request.private_challenges
        if private is None:
            visible = {"idea": "TRUE", "challenge": "TRUE", "comment": "TRUE"}
        else:
            params["private"] = sorted(private)
            extra = " OR {challenge} = ANY(:private)" if private else ""
            visible = {
                "idea": "((i.status = ANY(:public_ideas) AND c.phase <> 'draft')" + extra.format(challenge="i.challenge_id") + ")",
                "challenge": "(c.phase <> 'draft'" + extra.format(challenge="c.id") + ")",
                "comment": ("((m.status = 'published' AND i.status = ANY(:public_ideas) AND c.phase <> 'draft')"
                            + extra.format(challenge="i.challenge_id") + ")"),
            }
        match = "{vector} @@ q.query" if request.text.strip() else "TRUE"
        # Counting needs no rank: computing it reads every match's whole vector.
        rank = "ts_rank({vector}, q.query)" if request.text.strip() and ranked else "0::real"
        filters = request.filters or {}
        parts = {
            "idea": f"""
                SELECT 'idea' AS kind, i.id, i.challenge_id, i.status, {rank.format(vector='i.search_vector')} AS rank,
                       i.supporter_count AS supporters, coalesce(i.published_at, i.created_at) AS published
                FROM ideas i JOIN challenges c ON c.id = i.challenge_id, q
                WHERE {match.format(vector='i.search_vector')} AND {visible['idea']}""",
            "challenge": f"""
                SELECT 'challenge', c.id, c.id, c.phase, {rank.format(vector='c.search_vector')},
                       c.follower_count, coalesce(c.published_at, c.created_at)
                FROM challenges c, q
                WHERE {match.format(vector='c.search_vector')} AND {visible['challenge']}""",
            "comment": f"""
                SELECT 'comment', m.id, i.challenge_id, m.status, {rank.format(vector='m.search_vector')},
                       0, m.created_at
                FROM comments m JOIN ideas i ON i.id = m.idea_id JOIN challenges c ON c.id = i.challenge_id, q
                WHERE {match.format(vector='m.search_vector')} AND {visible['comment']}""",
        }
        tag_exists = {
            "idea": "EXISTS (SELECT 1 FROM idea_tags it JOIN tags t ON t.id = it.tag_id "
                    "WHERE it.idea_id = i.id AND lower(t.name) = lower(:tag))",
            "challenge": "EXISTS (SELECT 1 FROM challenge_tags ct JOIN tags t ON t.id = ct.tag_id "
                         "WHERE ct.challenge_id = c.id AND lower(t.name) = lower(:tag))",
        }
        selected = []
        for kind, sql in parts.items():
            if filters.get("kind") and filters["kind"] != kind:
                continue
            if filters.get("tag"):
                if kind not in tag_exists:
                    continue
                params["tag"] = str(filters["tag"])
                sql += f" AND {tag_exists[kind]}"
            if filters.get("challenge"):
                params["challenge"] = int(filters["challenge"]) if str(filters["challenge"]).isdecimal() else -1
                sql += " AND " + ("c.id" if kind == "challenge" else "i.challenge_id") + " = :challenge"
            if filters.get("status"):
                params["status"] = str(filters["status"])
                sql += " AND " + {"idea": "i.status", "challenge": "c.phase", "comment": "m.status"}[kind] + " = :status"
            selected.append(sql)
        if not selected:
            selected.append("SELECT 'idea', 0, 0, '', 0.0::real, 0, now() FROM q WHERE FALSE")
        params["text"] = request.text.strip()
        return (f"WITH q AS (SELECT websearch_to_tsquery('{CONFIG}', :text) AS query) "
                + " UNION ALL ".join(selected))

    def search(self, request):
        params = {}
        matches = self._matches(request, params)
        unranked = self._matches(request, params, ranked=False)
        params.update(offset=request.offset, limit=request.limit, cap=request.count_limit + 1,
                      count_limit=request.count_limit)
        page = self.session.execute(text(
            f"SELECT kind, id FROM ({matches}) AS found ORDER BY {_SORTS.get(request.sort, _SORTS['relevance'])} "
            "OFFSET :offset LIMIT :limit"), params).all()
        # The total and facets over at most count_limit + 1 matches: an exact count, or
        # "more than count_limit". No time limit: the cap alone keeps it fast and stable.
        counted = self.session.execute(text(f"""
            WITH counted AS MATERIALIZED (
                SELECT kind, id, challenge_id, status FROM ({unranked}) AS found LIMIT :cap
            ), m AS (SELECT * FROM counted LIMIT :count_limit)
            SELECT 'total', '', count(*) FROM counted
            UNION ALL SELECT 'kind', kind, count(*) FROM m GROUP BY kind
            UNION ALL SELECT 'challenge', challenge_id::text, count(*) FROM m GROUP BY challenge_id
            UNION ALL SELECT 'status', status, count(*) FROM m GROUP BY status
            UNION ALL SELECT 'tags', t.name, count(*) FROM m
                JOIN idea_tags it ON m.kind = 'idea' AND it.idea_id = m.id JOIN tags t ON t.id = it.tag_id
                GROUP BY t.name
            UNION ALL SELECT 'tags', t.name, count(*) FROM m
                JOIN challenge_tags ct ON m.kind = 'challenge' AND ct.challenge_id = m.id
                JOIN tags t ON t.id = ct.tag_id GROUP BY t.name
        """), params).all()
        total, facets = 0, {name: {} for name in FACETS}
        for name, value, count in counted:
            if name == "total":
                total = count
            elif value:
                facets[name][value] = facets[name].get(value, 0) + count
        exact = total <= request.count_limit
        return Hits(
            keys=[(kind, pk) for kind, pk in page],
            total=total if exact else request.count_limit,
            facets={name: sorted(values.items(), key=lambda item: (-item[1], item[0]))
                    for name, values in facets.items()},
            terms=frozenset(), exact=exact, query=request.text.strip(),
        )

    def similar(self, text_, title, *, kind, challenge_id, exclude_pk=None, limit=5):
        from challenges.models import IDEA_PUBLIC

        source = f"{title}\n{title}\n{text_}"
        if not any(ch.isalnum() for ch in source):
            return []
        rows = self.session.execute(text(f"""
            WITH words AS (
                SELECT lexeme FROM unnest(to_tsvector('{CONFIG}', :source))
                ORDER BY array_length(positions, 1) DESC NULLS LAST, lexeme LIMIT 30
            ), q AS (SELECT string_agg(quote_literal(lexeme), ' | ')::tsquery AS query FROM words)
            SELECT i.id FROM ideas i JOIN challenges c ON c.id = i.challenge_id, q
            WHERE q.query IS NOT NULL AND i.search_vector @@ q.query AND i.challenge_id = :challenge
              AND i.status = ANY(:public_ideas) AND c.phase <> 'draft' AND i.id <> :exclude
            ORDER BY ts_rank(i.search_vector, q.query) DESC, i.id LIMIT :limit
        """), {"source": source, "challenge": challenge_id, "public_ideas": list(IDEA_PUBLIC),
               "exclude": exclude_pk or 0, "limit": limit}).scalars().all()
        return list(rows)

    def highlight(self, text_, terms, length=240, whole=False):
        return self.highlight_many([(text_, length, whole)], Hits([], 0, {}, terms))[0]

    def highlight_many(self, items, hits):
        """ts_headline for the shown rows only, in one statement."""
        if not items:
            return []
        if not hits.query:
            return [_cut(t, length, whole) for t, length, whole in items]
        texts = [t or "" for t, _, _ in items]
        options = [HEADLINE_ALL if whole or len(t or "") <= length else HEADLINE for t, length, whole in items]
        rows = self.session.execute(text(f"""
            SELECT ts_headline('{CONFIG}', x.body, q.query, x.options)
            FROM unnest(CAST(:texts AS text[]), CAST(:options AS text[])) WITH ORDINALITY AS x(body, options, n),
                 (SELECT websearch_to_tsquery('{CONFIG}', :query) AS query) AS q
            ORDER BY x.n
        """), {"texts": texts, "options": options, "query": hits.query}).scalars().all()
        marked = []
        for (original, length, whole), headline in zip(items, rows, strict=True):
            if not headline or START not in headline:
                marked.append(_cut(original, length, whole))
                continue
            html = str(escape(headline)).replace(START, "<mark>").replace(STOP, "</mark>")
            marked.append(Markup(html))
        return marked


def _cut(text_, length, whole):
    if not text_:
        return Markup("")
    if whole or len(text_) <= length:
        return escape(text_)
    return escape(text_[:length].rsplit(" ", 1)[0] + " …")


class _NoWrites:
    touched = frozenset()

    def update(self, documents):
        pass

    def delete(self, keys):
        pass
