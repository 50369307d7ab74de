"""Search: documents from the database, queries for people, ids back to rows.

The index answers with keys in ranked order; the rows are then loaded
with SQL under app.permissions, so a result is always current and hidden
content never shows, even before its reindex job has run.
"""
import os
from dataclasses import dataclass, field

from flask import current_app
from markupsafe import Markup, escape
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload, selectinload

from app import jobs, permissions
from app.database import reading
from app.extensions import db
from app.limits import MAX_QUERY
from app.tags import Tag
from app.text import plain_text
from challenges.models import (
    IDEA_PUBLIC,
    IDEA_STATUS_LABELS,
    PHASE_LABELS,
    Challenge,
    Comment,
    Idea,
    idea_tags,
)
from search.backend import SORTS, Document, IndexUnavailable, SearchRequest, backend_for
from search.postgres import PostgresBackend, install_ddl
from search.schema import KINDS

install_ddl(db.metadata)

QUEUE = jobs.SEARCH_QUEUE
PER_PAGE = 20
MAX_PAGE = 50  # deep pages cost the engine more than they help people
# Seconds the engine may spend on one search; with SQL and rendering the page stays under 300 ms.
TIME_LIMIT = 0.2
COUNT_LIMIT = 1_000
SIMILAR_LIMIT = 5
BATCH = 2000
MULTIPROCESS_FROM = 20_000  # documents; below it, starting processes costs more than it saves

KIND_LABELS = {"idea": "Ideas", "challenge": "Challenges", "comment": "Comments"}
SORT_LABELS = {"relevance": "Relevance", "supporters": "Most supported", "newest": "Newest"}
FACET_LABELS = {"kind": "Type", "challenge": "Challenge", "status": "Status", "tag": "Tag"}
STATUS_LABELS = {**PHASE_LABELS, **IDEA_STATUS_LABELS, "deleted": "Deleted"}


def backend():
    if current_app.config.get("SEARCH_BACKEND") == "postgres":
        return PostgresBackend(db.session)
    return backend_for(current_app.config["SEARCH_INDEX_DIR"])


# Documents: what the index is told about each row


def _idea_document(idea, challenge_phase):
    return Document(
        kind="idea", pk=idea.id, title=idea.title, body=idea.description, status=idea.status,
        challenge_id=idea.challenge_id, public=idea.status in IDEA_PUBLIC and challenge_phase != "draft",
        tags=[t.name for t in idea.tags], supporters=idea.supporter_count,
        published=idea.published_at or idea.created_at,
    )


def _challenge_document(challenge):
    return Document(
        kind="challenge", pk=challenge.id, title=challenge.title, body=f"{challenge.summary}\n\n{challenge.problem}",
        status=challenge.phase, challenge_id=challenge.id, public=challenge.phase != "draft",
        tags=[t.name for t in challenge.tags], supporters=challenge.follower_count,
        published=challenge.published_at or challenge.created_at,
    )


def _comment_document(comment, idea_status, challenge_id, challenge_phase):
    return Document(
        kind="comment", pk=comment.id, title="", body=comment.body, status=comment.status,
        challenge_id=challenge_id,
        public=comment.status == "published" and idea_status in IDEA_PUBLIC and challenge_phase != "draft",
        published=comment.created_at,
    )


def _load_ideas(where):
    rows = db.session.execute(
        select(Idea, Challenge.phase).join(Challenge, Challenge.id == Idea.challenge_id)
        .options(selectinload(Idea.tags)).where(where).order_by(Idea.id)
    )
    return [_idea_document(idea, phase) for idea, phase in rows]


def _load_challenges(where):
    rows = db.session.scalars(select(Challenge).options(selectinload(Challenge.tags)).where(where)
                              .order_by(Challenge.id))
    return [_challenge_document(c) for c in rows]


def _load_comments(where):
    rows = db.session.execute(
        select(Comment, Idea.status, Idea.challenge_id, Challenge.phase)
        .join(Idea, Idea.id == Comment.idea_id).join(Challenge, Challenge.id == Idea.challenge_id)
        .where(where).order_by(Comment.id)
    )
    return [_comment_document(*row) for row in rows]


_LOADERS = {
    "idea": (_load_ideas, Idea.id),
    "challenge": (_load_challenges, Challenge.id),
    "comment": (_load_comments, Comment.id),
}


def parse_key(key):
    kind, _, pk = str(key).partition(":")
    if kind not in KINDS or not pk.isdecimal():
        raise ValueError(f"not a search key: {key!r}")
    return kind, int(pk)


def documents_for(keys):
    """The current documents for these keys; keys whose rows are gone are simply absent."""
    by_kind = {}
    for key in keys:
        kind, pk = parse_key(key)
        by_kind.setdefault(kind, set()).add(pk)
    documents = []
    for kind, pks in by_kind.items():
        load, column = _LOADERS[kind]
        for start in range(0, len(pks), BATCH):
            chunk = sorted(pks)[start:start + BATCH]
            documents += load(column.in_(chunk))
    return documents


def _tags_by_owner(association, owner_column, pks):
    rows = db.session.execute(
        select(owner_column, Tag.name).join(Tag, Tag.id == association.c.tag_id).where(owner_column.in_(pks))
        .order_by(owner_column, Tag.name))
    tags = {}
    for pk, name in rows:
        tags.setdefault(pk, []).append(name)
    return tags


def _idea_batches(after):
    """Rebuild reads: only the indexed columns, as plain rows (no ORM objects), in id order."""
    columns = (Idea.id, Idea.title, Idea.description, Idea.status, Idea.challenge_id, Idea.supporter_count,
               Idea.published_at, Idea.created_at, Challenge.phase)
    rows = db.session.execute(select(*columns).join(Challenge, Challenge.id == Idea.challenge_id)
                              .where(Idea.id > after).order_by(Idea.id).limit(BATCH)).all()
    tags = _tags_by_owner(idea_tags, idea_tags.c.idea_id, [r.id for r in rows]) if rows else {}
    return rows, [Document(
        kind="idea", pk=r.id, title=r.title, body=r.description, status=r.status, challenge_id=r.challenge_id,
        public=r.status in IDEA_PUBLIC and r.phase != "draft", tags=tags.get(r.id, []),
        supporters=r.supporter_count, published=r.published_at or r.created_at) for r in rows]


def _comment_batches(after):
    columns = (Comment.id, Comment.body, Comment.status, Comment.created_at, Idea.status.label("idea_status"),
               Idea.challenge_id, Challenge.phase)
    rows = db.session.execute(
        select(*columns).join(Idea, Idea.id == Comment.idea_id).join(Challenge, Challenge.id == Idea.challenge_id)
        .where(Comment.id > after).order_by(Comment.id).limit(BATCH)).all()
    return rows, [Document(
        kind="comment", pk=r.id, title="", body=r.body, status=r.status, challenge_id=r.challenge_id,
        public=r.status == "published" and r.idea_status in IDEA_PUBLIC and r.phase != "draft",
        published=r.created_at) for r in rows]


def _challenge_batches(after):
    ids = list(db.session.scalars(select(Challenge.id).where(Challenge.id > after).order_by(Challenge.id)
                                  .limit(BATCH)))
    return ids, _load_challenges(Challenge.id.in_(ids)) if ids else []  # few rows: the ORM loader will do


def all_documents():
    """Every challenge, idea and comment, streamed in batches read in id order."""
    for batches in (_challenge_batches, _idea_batches, _comment_batches):
        last = 0
        while True:
            rows, documents = batches(last)
            if not rows:
                break
            yield from documents
            last = documents[-1].pk


def count_documents():
    return sum(db.session.scalar(select(db.func.count(column))) for _, column in _LOADERS.values())


# Writing (called by search.jobs only)


def reindex(keys):
    """Bring these documents up to date, or drop them when their rows are gone."""
    if not backend().keeps_index:
        return
    keys = sorted(set(keys))
    documents = documents_for(keys)
    found = {d.key for d in documents}
    try:
        with backend().writer() as writer:
            writer.delete(k for k in keys if k not in found)
            writer.update(documents)
    except IndexUnavailable:
        request_rebuild()  # the rebuild reads the database, which already holds this change


def idea_family_keys(idea_id):
    comment_ids = db.session.scalars(select(Comment.id).where(Comment.idea_id == idea_id))
    return [f"idea:{idea_id}", *(f"comment:{c}" for c in comment_ids)]


def challenge_family_keys(challenge_id):
    idea_ids = list(db.session.scalars(select(Idea.id).where(Idea.challenge_id == challenge_id)))
    comment_ids = db.session.scalars(select(Comment.id).where(Comment.idea_id.in_(idea_ids))) if idea_ids else []
    return [f"challenge:{challenge_id}", *(f"idea:{i}" for i in idea_ids), *(f"comment:{c}" for c in comment_ids)]


def rebuild(progress=None, procs=None):
    """Rebuild the index from the database. Large rebuilds use every CPU core (whoosh's MpWriter)."""
    engine = backend()
    if not engine.keeps_index:
        return None
    # Minutes of reading: on SQLite it must not hold the write lock (BEGIN IMMEDIATE) all along.
    with reading():
        if procs is None:
            procs = min(4, os.cpu_count() or 1) if count_documents() >= MULTIPROCESS_FROM else 1
        return engine.rebuild(all_documents(), documents_for, progress, procs=procs)


def request_rebuild():
    from search import jobs as search_jobs

    jobs.enqueue(search_jobs.ensure_index, queue=QUEUE)


# Searching


@dataclass
class Result:
    kind: str
    row: object  # Idea, Challenge or Comment, with what the templates need loaded
    title: Markup
    snippet: Markup
    challenge: Challenge | None = None
    idea: Idea | None = None


@dataclass
class FacetOption:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class Facet:
    name: str
    label: str
    options: list


@dataclass
class SearchPage:
    q: str = ""
    filters: dict = field(default_factory=dict)
    sort: str = "relevance"
    page: int = 1
    include_hidden: bool = False
    results: list = field(default_factory=list)
    total: int = 0
    facets: list = field(default_factory=list)
    suggestion: str | None = None
    timed_out: bool = False
    exact: bool = True  # False: there are more than `total` results (counting stopped there)
    unavailable: bool = False
    error: str | None = None
    may_include_hidden: bool = False

    @property
    def searched(self):
        return bool(self.q or any(self.filters.values()))

    @property
    def pages(self):
        # When counting stopped early there are at least total + 1 results.
        return min(MAX_PAGE, max(1, -(-(self.total + (not self.exact)) // PER_PAGE)))

    @property
    def has_next(self):
        return self.page < self.pages

    def args(self, **changes):
        """Query-string arguments for a link to a variant of this search."""
        args = {"q": self.q, **self.filters, "sort": self.sort, "page": self.page,
                "hidden": "1" if self.include_hidden else None}
        args.update(changes)
        if args.get("sort") == "relevance":
            args["sort"] = None
        if args.get("page") == 1:
            args["page"] = None
        return {k: v for k, v in args.items() if v not in (None, "")}


def read_request(args):
    """The search a query string asks for, cleaned; garbage falls back to defaults."""
    filters = {}
    kind = args.get("kind", "")
    filters["kind"] = kind if kind in KINDS else None
    challenge = args.get("challenge", "")
    filters["challenge"] = challenge if challenge.isdecimal() else None
    for name in ("status", "tag"):
        value = args.get(name, "").strip()
        filters[name] = value[:40] or None
    sort = args.get("sort", "relevance")
    page = args.get("page", "1")
    return {
        "q": args.get("q", ""),
        "filters": filters,
        "sort": sort if sort in SORTS else "relevance",
        "page": min(MAX_PAGE, max(1, int(page))) if page.isdecimal() else 1,
        "include_hidden": args.get("hidden") == "1",
    }


def _private_challenges(viewer, include_hidden):
    """None: everything; else the challenges whose hidden items this viewer may search."""
    if include_hidden and permissions.is_admin(viewer):
        return None
    if include_hidden and permissions.is_signed_in(viewer):
        return frozenset(db.session.scalars(select(Challenge.id).where(permissions.moderated_challenges_clause(viewer))))
    return frozenset()


def may_include_hidden(viewer):
    if permissions.is_site_moderator(viewer):
        return True
    if not permissions.is_signed_in(viewer):
        return False
    return db.session.scalar(select(Challenge.id).where(permissions.moderated_challenges_clause(viewer)).limit(1)) \
        is not None


def search(viewer, *, q, filters, sort="relevance", page=1, include_hidden=False):
    """One page of results the viewer may see, with facets and a spelling suggestion."""
    result = SearchPage(q=q, filters=filters, sort=sort, page=page)
    result.may_include_hidden = may_include_hidden(viewer)
    result.include_hidden = include_hidden and result.may_include_hidden
    if len(q) > MAX_QUERY:
        result.error = f"Searches are limited to {MAX_QUERY} characters (this one has {len(q):,}). Try fewer words."
        return result
    if not result.searched:
        return result
    private = _private_challenges(viewer, result.include_hidden)
    request = SearchRequest(
        text=q, filters=filters, private_challenges=private, sort=sort, offset=(page - 1) * PER_PAGE,
        limit=PER_PAGE, time_limit=current_app.config.get("SEARCH_TIME_LIMIT", TIME_LIMIT),
        count_limit=current_app.config.get("SEARCH_COUNT_LIMIT", COUNT_LIMIT),
    )
    try:
        hits = backend().search(request)
    except IndexUnavailable:
        result.unavailable = True
        request_rebuild()
        return result
    result.total, result.exact, result.suggestion, result.timed_out = (
        hits.total, hits.exact, hits.suggestion, hits.timed_out)
    result.results = _load_results(viewer, hits, private)
    result.facets = _facets(viewer, hits.facets, filters)
    return result


def _load_results(viewer, hits, private):
    by_kind = {}
    for kind, pk in hits.keys:
        by_kind.setdefault(kind, []).append(pk)
    hidden_ok = private is None or bool(private)
    moderated = permissions.moderated_challenges_clause(viewer) if hidden_ok else None

    def idea_visible():
        return or_(permissions.public_ideas_clause(), moderated) if hidden_ok else permissions.public_ideas_clause()

    rows = {}
    if by_kind.get("idea"):
        ideas = db.session.scalars(
            select(Idea).join(Challenge, Challenge.id == Idea.challenge_id)
            .options(joinedload(Idea.author), joinedload(Idea.challenge), selectinload(Idea.tags))
            .where(Idea.id.in_(by_kind["idea"]), idea_visible())
        )
        rows.update({("idea", i.id): i for i in ideas})
    if by_kind.get("challenge"):
        challenges = db.session.scalars(
            select(Challenge).options(selectinload(Challenge.tags))
            .where(Challenge.id.in_(by_kind["challenge"]), permissions.visible_challenges_clause(viewer))
        )
        rows.update({("challenge", c.id): c for c in challenges})
    if by_kind.get("comment"):
        public_comment = (Comment.status == "published") & permissions.public_ideas_clause()
        comments = db.session.execute(
            select(Comment, Idea).join(Idea, Idea.id == Comment.idea_id)
            .join(Challenge, Challenge.id == Idea.challenge_id)
            .options(joinedload(Comment.author))
            .where(Comment.id.in_(by_kind["comment"]), Comment.status != "deleted",
                   or_(public_comment, moderated) if hidden_ok else public_comment)
        )
        rows.update({("comment", c.id): (c, i) for c, i in comments})
    shown = []
    for key in hits.keys:
        row = rows.get(key)
        if row is not None:  # else hidden or deleted since it was indexed: its reindex job is on the way
            shown.append((key[0], row))
    # Highlighted: the shown results' shown fields only, in one call to the engine.
    texts = []
    for kind, row in shown:
        if kind == "idea":
            texts += [(row.title, 240, True), (plain_text(row.description_html), 240, False)]
        elif kind == "challenge":
            texts += [(row.title, 240, True), (f"{row.summary} {plain_text(row.problem_html)}", 240, False)]
        else:
            texts += [(plain_text(row[0].body_html), 240, False)]
    marked = iter(backend().highlight_many(texts, hits))
    results = []
    for kind, row in shown:
        if kind == "idea":
            results.append(Result("idea", row, next(marked), next(marked), row.challenge))
        elif kind == "challenge":
            results.append(Result("challenge", row, next(marked), next(marked), row))
        else:
            comment, idea = row
            results.append(Result("comment", comment, escape(idea.title), next(marked), idea=idea))
    return results


def _facets(viewer, counts, filters):
    challenge_ids = [int(v) for v, _ in counts.get("challenge", []) if v.isdecimal()][:20]
    titles = dict(db.session.execute(
        select(Challenge.id, Challenge.title)
        .where(Challenge.id.in_(challenge_ids), permissions.visible_challenges_clause(viewer))
    ).all()) if challenge_ids else {}
    labels = {
        "kind": lambda v: KIND_LABELS.get(v, v),
        "challenge": lambda v: titles.get(int(v)) if v.isdecimal() else None,
        "status": lambda v: STATUS_LABELS.get(v, v.replace("_", " ")),
        "tag": lambda v: v,
    }
    facets = []
    for name in ("kind", "challenge", "status", "tag"):
        options = []
        for value, count in counts.get("tags" if name == "tag" else name, [])[:20]:
            label = labels[name](value)
            if label:
                options.append(FacetOption(value, label, count, filters.get(name) == value))
        if options:
            facets.append(Facet(name, FACET_LABELS[name], options))
    return facets


# Duplicates while typing


def similar_ideas(viewer, challenge, title, description, exclude_id=None, limit=SIMILAR_LIMIT):
    """The public ideas of this challenge most like the text, best first (empty while the index rebuilds)."""
    title, description = (title or "")[:200], (description or "")[:2000]
    if len((title + description).strip()) < 4:
        return []
    try:
        pks = backend().similar(description, title, kind="idea", challenge_id=challenge.id,
                                exclude_pk=exclude_id, limit=limit)
    except IndexUnavailable:
        request_rebuild()
        return []
    if not pks:
        return []
    ideas = {i.id: i for i in db.session.scalars(
        select(Idea).join(Challenge, Challenge.id == Idea.challenge_id)
        .where(Idea.id.in_(pks), Idea.challenge_id == challenge.id, permissions.public_ideas_clause())
    )}
    return [ideas[pk] for pk in pks if pk in ideas]
