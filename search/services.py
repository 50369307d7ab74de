"""Search: documents from the database, queries for people, ids back to rows.

The index answers with keys in ranked order; the rows are then loaded
with SQL under app.permissions, so a result is always current and hidden
content never shows, even before its reindex job has run.
"""
from dataclasses import dataclass, field

from flask import current_app
from markupsafe import Markup, escape
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload, selectinload

from app import permissions
from app.extensions import db
from app.limits import MAX_QUERY
from app.text import plain_text
from challenges.models import (
    IDEA_STATUS_LABELS,
    PHASE_LABELS,
    Challenge,
    Comment,
    Idea,
)
from search.backend import SORTS, IndexUnavailable, SearchRequest
from search.schema import KINDS

PER_PAGE = 20
MAX_PAGE = 50  # deep pages cost the engine more than they help people
# Seconds the engine may spend on one search; with SQL and rendering the page stays under 300 ms.
TIME_LIMIT = 0.2
COUNT_LIMIT = 1_000
SIMILAR_LIMIT = 5

KIND_LABELS = {"idea": "Ideas", "challenge": "Challenges", "comment": "Comments"}
SORT_LABELS = {"relevance": "Relevance", "supporters": "Most supported", "newest": "Newest"}
FACET_LABELS = {"kind": "Type", "challenge": "Challenge", "status": "Status", "tag": "Tag"}
STATUS_LABELS = {**PHASE_LABELS, **IDEA_STATUS_LABELS, "deleted": "Deleted"}

# The index side, which search.jobs and the command line reach through this module too.
from search.indexing import (  # noqa: E402, F401
    QUEUE,
    all_documents,
    backend,
    challenge_family_keys,
    count_documents,
    documents_for,
    idea_family_keys,
    parse_key,
    rebuild,
    reindex,
    request_rebuild,
)

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
