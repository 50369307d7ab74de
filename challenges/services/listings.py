"""Reading: idea and challenge lists with their sorts and pages, single lookups, and the small lists pages show."""
import math
from dataclasses import dataclass, field
from functools import cache

from sqlalchemy import Integer, bindparam, func, literal, select, union_all
from sqlalchemy.orm import defer, joinedload, selectinload, with_expression
from sqlalchemy.orm.attributes import set_committed_value

from app import permissions
from app.extensions import db
from app.limits import CHALLENGES_PER_PAGE, IDEAS_PER_PAGE, MAX_PAGE
from challenges.models import FORMATS, IDEA_PUBLIC, PHASES, Challenge, Idea, IdeaRevision
from challenges.services.ideas import RANDOM_KEY_SPACE

IDEA_SORTS = {"hot": "Hot", "top": "Most supported", "newest": "Newest", "random": "Random"}
CHALLENGE_SORTS = {"newest": "Newest", "active": "Most ideas", "closing": "Closing soon"}


@dataclass
class IdeaPage:
    ideas: list
    sort: str
    page: int = 1
    has_next: bool = False
    has_prev: bool = False
    total: int | None = None
    next_cursor: dict = field(default_factory=dict)
    # Each card's tags by idea id, rows with a `name`; the ideas' own `tags` stay unloaded: building
    # forty Tag objects and twenty collections cost more than the query (issue 13).
    tags: dict = field(default_factory=dict)

    @property
    def pages(self):
        return max(1, math.ceil((self.total or 0) / IDEAS_PER_PAGE))


def default_sort(challenge):
    # Fair exposure while ideas come in; the crowd's choice afterwards.
    return "random" if challenge.phase == "submission" else "hot"


def _idea_conditions(challenge_id, status, tag):
    from app.tags import Tag
    from challenges.models import idea_tags

    conditions = [Idea.challenge_id == challenge_id,
                  Idea.status == status if status else Idea.is_public.is_(True)]
    if tag:
        conditions.append(Idea.id.in_(
            select(idea_tags.c.idea_id).join(Tag, Tag.id == idea_tags.c.tag_id).where(Tag.name == tag)
        ))
    return conditions


SNIPPET_SOURCE = 600  # characters of rendered HTML read for a card's first lines
_LIST_DEFERRED = (Idea.description, Idea.description_html, Idea.feedback, Idea.feedback_html)

# The list's statements are built once, with bound parameters: building a statement with its loader
# options and computing its cache key cost more CPU than running it (issue 13's profile of the list).


@cache
def _cards_statement(with_feedback):
    deferred = _LIST_DEFERRED[:2] if with_feedback else _LIST_DEFERRED
    return (
        select(Idea)
        .options(*(defer(column) for column in deferred),
                 with_expression(Idea.snippet_html, func.substr(Idea.description_html, 1, SNIPPET_SOURCE)),
                 joinedload(Idea.author))
        .where(Idea.id.in_(bindparam("ids", expanding=True)))
    )


@cache
def _card_tags_statement():
    from app.tags import Tag
    from challenges.models import idea_tags

    return (select(idea_tags.c.idea_id, Tag.name).join(Tag, Tag.id == idea_tags.c.tag_id)
            .where(idea_tags.c.idea_id.in_(bindparam("ids", expanding=True))).order_by(Tag.name))


@cache
def _ids_statement(sort, by_status, by_tag):
    from app.tags import Tag
    from challenges.models import idea_tags

    order = {
        "hot": (Idea.hot_score.desc(), Idea.id.desc()),
        "top": (Idea.supporter_count.desc(), Idea.id.desc()),
        "newest": (Idea.published_at.desc(), Idea.id.desc()),
    }[sort]
    conditions = [Idea.challenge_id == bindparam("challenge_id"),
                  Idea.status == bindparam("status") if by_status else Idea.is_public.is_(True)]
    if by_tag:
        conditions.append(Idea.id.in_(
            select(idea_tags.c.idea_id).join(Tag, Tag.id == idea_tags.c.tag_id).where(Tag.name == bindparam("tag"))
        ))
    return (select(Idea.id).where(*conditions).order_by(*order)
            .limit(bindparam("limit", type_=Integer)).offset(bindparam("offset", type_=Integer)))


def _load_ideas_by_id(ids, with_feedback=False):
    """Cards for these ideas, in this order, with their authors (one query), and their tags by idea id (one more)."""
    if not ids:
        return [], {}
    by_id = {idea.id: idea for idea in db.session.scalars(_cards_statement(with_feedback), {"ids": ids}).unique()}
    tags = {idea_id: [] for idea_id in by_id}
    for row in db.session.execute(_card_tags_statement(), {"ids": list(by_id)}):
        tags[row.idea_id].append(row)
    return [by_id[i] for i in ids if i in by_id], tags


def list_ideas(viewer, challenge, *, sort, page=1, tag=None, status=None, seed=0, after=None, lap=0,
               with_feedback=False):
    """One page of a challenge's ideas, in a fixed number of queries.

    Random order walks the stored random keys from the visitor's seed to the
    end, then from the start up to the seed (cursor paging)."""
    if status and not (status in IDEA_PUBLIC or permissions.can_moderate(viewer, challenge.id)):
        status = None
    size = IDEAS_PER_PAGE
    if sort == "random":
        return _random_page(_idea_conditions(challenge.id, status, tag), seed, after, lap, size)
    page = min(max(1, page), MAX_PAGE)
    ids = list(db.session.scalars(_ids_statement(sort, bool(status), bool(tag)), {
        "challenge_id": challenge.id, "status": status, "tag": tag, "limit": size + 1, "offset": (page - 1) * size}))
    rows, tags = _load_ideas_by_id(ids[:size], with_feedback)
    total = challenge.idea_count if not status and not tag else None
    return IdeaPage(rows, sort, page, has_next=len(ids) > size, has_prev=page > 1, total=total, tags=tags)


def _random_page(conditions, seed, after, lap, size):
    # Both segments of the walk in one query: keys from the cursor (or seed)
    # up, then keys from the bottom up to the seed.
    seed = min(max(0, seed), RANDOM_KEY_SPACE)
    after = None if after is None else min(max(-1, after), RANDOM_KEY_SPACE)
    first_from = seed if after is None else after + 1
    second_after = after if lap == 1 and after is not None else -1
    segments = []
    if lap == 0:
        segments.append(select(Idea.id, Idea.random_key, literal(0).label("lap")).where(
            *conditions, Idea.random_key >= first_from).order_by(Idea.random_key).limit(size + 1).subquery())
    segments.append(select(Idea.id, Idea.random_key, literal(1).label("lap")).where(
        *conditions, Idea.random_key > second_after, Idea.random_key < seed
    ).order_by(Idea.random_key).limit(size + 1).subquery())
    keys = sorted(db.session.execute(union_all(*(select(s) for s in segments))).all(),
                  key=lambda row: (row.lap, row.random_key))[:size + 1]
    has_next = len(keys) > size
    keys = keys[:size]
    rows, tags = _load_ideas_by_id([k.id for k in keys])
    cursor = {"after": keys[-1].random_key, "lap": keys[-1].lap} if has_next else {}
    return IdeaPage(rows, "random", has_next=has_next, has_prev=after is not None, next_cursor=cursor, tags=tags)


def list_challenges(viewer, *, phase=None, tag=None, format=None, sort="newest", page=1):
    from app.tags import Tag
    from challenges.models import challenge_tags

    query = (
        select(Challenge)
        .options(selectinload(Challenge.tags))
        .where(permissions.visible_challenges_clause(viewer))
    )
    if phase in PHASES:
        query = query.where(Challenge.phase == phase)
    if format in FORMATS:
        query = query.where(Challenge.format == format)
    if tag:
        query = query.where(Challenge.id.in_(
            select(challenge_tags.c.challenge_id).join(Tag, Tag.id == challenge_tags.c.tag_id).where(Tag.name == tag)
        ))
    order = {
        "newest": (Challenge.published_at.desc().nulls_first(), Challenge.id.desc()),
        "active": (Challenge.idea_count.desc(), Challenge.id.desc()),
        "closing": (Challenge.review_at.asc(), Challenge.id.asc()),
    }.get(sort, (Challenge.published_at.desc(), Challenge.id.desc()))
    return db.paginate(query.order_by(*order), page=page, per_page=CHALLENGES_PER_PAGE, error_out=False)


@cache
def _challenge_statement():
    return select(Challenge).where(Challenge.slug == bindparam("slug"))


def get_challenge(slug):
    return db.session.scalar(_challenge_statement(), {"slug": slug})


@cache
def _challenge_tags_statement():
    from app.tags import Tag
    from challenges.models import challenge_tags

    return (select(Tag).join(challenge_tags, challenge_tags.c.tag_id == Tag.id)
            .where(challenge_tags.c.challenge_id == bindparam("challenge_id")).order_by(Tag.name))


def load_challenge_tags(challenge):
    """The challenge's tags in the query a lazy load would send, built once (the challenge page shows them)."""
    if "tags" not in challenge.__dict__:
        tags = list(db.session.scalars(_challenge_tags_statement(), {"challenge_id": challenge.id}))
        set_committed_value(challenge, "tags", tags)
    return challenge


@cache
def _idea_statement():
    return (
        select(Idea)
        .options(
            joinedload(Idea.author),
            joinedload(Idea.challenge),
            joinedload(Idea.builds_on).joinedload(Idea.author),
        )
        .where(Idea.id == bindparam("idea_id"))
    )


@cache
def _idea_tags_statement():
    from app.tags import Tag
    from challenges.models import idea_tags

    return (select(Tag).join(idea_tags, idea_tags.c.tag_id == Tag.id)
            .where(idea_tags.c.idea_id == bindparam("idea_id")).order_by(Tag.name))


def get_idea(idea_id):
    """The idea with its author, challenge, tags and builds-on parent, in one query (plus one for the tags).

    Both statements are built once: a selectinload of the tags built its statement on every idea page."""
    idea = db.session.scalar(_idea_statement(), {"idea_id": idea_id})
    return load_idea_tags(idea) if idea is not None else None


def load_idea_tags(idea):
    """The idea's tags, unless loaded. A commit or a rollback forgets them: call it again before showing them."""
    if "tags" not in idea.__dict__:
        set_committed_value(idea, "tags", list(db.session.scalars(_idea_tags_statement(), {"idea_id": idea.id})))
    return idea


@cache
def _children_statement():
    return (select(Idea).options(joinedload(Idea.author))
            .where(Idea.builds_on_id == bindparam("idea_id"), Idea.is_public.is_(True))
            .order_by(Idea.published_at))


def ideas_building_on(idea):
    return list(db.session.scalars(_children_statement(), {"idea_id": idea.id}))


@cache
def _history_statement():
    return (select(IdeaRevision).options(joinedload(IdeaRevision.editor))
            .where(IdeaRevision.idea_id == bindparam("idea_id"))
            .order_by(IdeaRevision.created_at.desc(), IdeaRevision.id.desc()))


def idea_history(idea):
    # Revisions are written only as an edit replaces the text, which stamps edited_at: an idea never edited has none.
    if idea.edited_at is None:
        return []
    return list(db.session.scalars(_history_statement(), {"idea_id": idea.id}))


def ideas_by_author(viewer, author, limit=20):
    """The author's ideas the viewer may see: public ones, plus all their own."""
    from challenges.models import Challenge as C

    query = select(Idea).options(joinedload(Idea.challenge)).join(C, C.id == Idea.challenge_id).where(
        Idea.author_id == author.id
    )
    if not (permissions.is_signed_in(viewer) and viewer.id == author.id):
        query = query.where(permissions.public_ideas_clause())
    return list(db.session.scalars(query.order_by(Idea.created_at.desc()).limit(limit)))


def momentum_ideas(limit=6):
    """Public ideas with the most recent activity, for the home page."""
    from challenges.models import Challenge as C

    return list(db.session.scalars(
        select(Idea).options(joinedload(Idea.author), joinedload(Idea.challenge))
        .join(C, C.id == Idea.challenge_id)
        .where(permissions.public_ideas_clause(), Idea.status == "published")
        .order_by(Idea.hot_score.desc()).limit(limit)
    ))


def open_challenges(limit=6):
    return list(db.session.scalars(
        select(Challenge).where(Challenge.phase.in_(("submission", "voting")))
        .order_by(Challenge.published_at.desc()).limit(limit)
    ))


def result_ideas(challenge):
    return list(db.session.scalars(
        select(Idea).options(joinedload(Idea.author))
        .where(Idea.challenge_id == challenge.id, Idea.status.in_(("selected", "shortlisted", "not_selected")))
        .order_by(Idea.status.desc(), Idea.supporter_count.desc(), Idea.id)
    ))


def builds_on_choices(challenge, exclude_id=None, limit=200):
    return list(db.session.execute(
        select(Idea.id, Idea.title)
        .where(Idea.challenge_id == challenge.id, Idea.is_public.is_(True), Idea.id != (exclude_id or 0))
        .order_by(Idea.supporter_count.desc(), Idea.id.desc()).limit(limit)
    ))
