"""The moderation queue: opening and closing cases, reading queue pages with their items, the desk's figures."""
import statistics
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import joinedload, selectinload

from app import clock, permissions
from app.extensions import db
from app.limits import QUEUE_PAGE_SIZE
from challenges.models import Challenge, Comment, Idea, PendingEdit
from moderation.models import ITEM_KINDS, Appeal, AuditEntry, Flag, ModerationCase
from moderation.services.audit import log
from moderation.services.items import load_item

QUEUE_SORTS = {"oldest": "Oldest first", "flags": "Most flagged", "newest": "Newest first"}


def open_case(item, reason, note=""):
    """Put the item in the queue (once: an open case just gains the new reason)."""
    case = open_case_for(item.kind, item.id)
    if case is None:
        case = ModerationCase(
            item_kind=item.kind, item_id=item.id, challenge_id=item.challenge_id,
            author_id=item.author_id, reason=reason, note=note, opened_at=clock.now(),
        )
        db.session.add(case)
    elif note:
        case.note = "\n".join(filter(None, [case.note, note]))
    db.session.flush()
    return case


def case_belongs_to(case_id, kind, item_id):
    case = db.session.get(ModerationCase, case_id)
    return case is not None and case.item_kind == kind and case.item_id == item_id


def open_case_for(kind, item_id):
    return db.session.scalar(
        select(ModerationCase).where(
            ModerationCase.item_kind == kind, ModerationCase.item_id == item_id, ModerationCase.decided_at.is_(None)
        )
    )


def queue_vote_anomaly(idea_id, note):
    found = load_item("idea", idea_id)
    if found is not None:
        case = open_case(found, "vote_anomaly", note)
        if case.reason not in ("pending", "appeal"):
            case.reason = "vote_anomaly"
        log(None, "vote_anomaly", item=found, note=note)


def close_cases_of(kind, item_id, decision):
    """The author withdrew or deleted the item: nothing is left to decide."""
    db.session.execute(
        update(ModerationCase)
        .where(ModerationCase.item_kind == kind, ModerationCase.item_id == item_id, ModerationCase.decided_at.is_(None))
        .values(decided_at=clock.now(), decision=decision).execution_options(synchronize_session=False)
    )


@dataclass
class QueueEntry:
    case: ModerationCase
    item: object
    idea: Idea
    flags: list = field(default_factory=list)
    history: dict = field(default_factory=dict)
    appeal: Appeal | None = None
    pending_edit: PendingEdit | None = None

    @property
    def kind(self):
        return self.case.item_kind


@dataclass
class QueuePage:
    entries: list
    total: int
    page: int
    size: int = QUEUE_PAGE_SIZE

    @property
    def pages(self):
        return max(1, -(-self.total // self.size))

    @property
    def has_next(self):
        return self.page < self.pages


def _queue_query(viewer, kind=None, reason=None, challenge_id=None):
    query = select(ModerationCase).where(ModerationCase.decided_at.is_(None))
    if not permissions.is_site_moderator(viewer):
        query = query.join(Challenge, Challenge.id == ModerationCase.challenge_id).where(
            permissions.moderated_challenges_clause(viewer))
    if kind in ITEM_KINDS:
        query = query.where(ModerationCase.item_kind == kind)
    if reason:
        query = query.where(ModerationCase.reason == reason)
    if challenge_id:
        query = query.where(ModerationCase.challenge_id == challenge_id)
    return query


def queue_size(viewer):
    return db.session.scalar(
        select(func.count()).select_from(_queue_query(viewer).with_only_columns(ModerationCase.id).subquery())
    )


def queue_page(viewer, *, kind=None, reason=None, challenge_id=None, sort="oldest", page=1):
    """One page of the queue with everything a decision needs, in a fixed number of queries."""
    query = _queue_query(viewer, kind, reason, challenge_id)
    total = db.session.scalar(select(func.count()).select_from(query.with_only_columns(ModerationCase.id).subquery()))
    order = {
        "oldest": (ModerationCase.opened_at.asc(), ModerationCase.id.asc()),
        "newest": (ModerationCase.opened_at.desc(), ModerationCase.id.desc()),
        "flags": (ModerationCase.flag_count.desc(), ModerationCase.opened_at.asc(), ModerationCase.id.asc()),
    }.get(sort) or (ModerationCase.opened_at.asc(), ModerationCase.id.asc())
    page = max(1, page)
    cases = list(db.session.scalars(
        query.options(joinedload(ModerationCase.author)).order_by(*order)
        .limit(QUEUE_PAGE_SIZE).offset((page - 1) * QUEUE_PAGE_SIZE)
    ))
    return QueuePage(hydrate(cases), total, page)


def hydrate(cases):
    """Load the items, flags, appeals and author histories of these cases."""
    idea_ids = [c.item_id for c in cases if c.item_kind == "idea"]
    comment_ids = [c.item_id for c in cases if c.item_kind == "comment"]
    ideas = {i.id: i for i in db.session.scalars(
        select(Idea).options(joinedload(Idea.challenge), selectinload(Idea.tags)).where(Idea.id.in_(idea_ids)))}
    comments = {row[0].id: row for row in db.session.execute(
        select(Comment, Idea).join(Idea, Idea.id == Comment.idea_id).options(joinedload(Idea.challenge))
        .where(Comment.id.in_(comment_ids)))}
    flags = {}
    for flag in db.session.scalars(
        select(Flag).options(joinedload(Flag.user)).where(or_(
            and_(Flag.item_kind == "idea", Flag.item_id.in_(idea_ids)),
            and_(Flag.item_kind == "comment", Flag.item_id.in_(comment_ids)),
        )).order_by(Flag.created_at)
    ):
        flags.setdefault((flag.item_kind, flag.item_id), []).append(flag)
    pending_edits = {(p.item_kind, p.item_id): p for p in db.session.scalars(
        select(PendingEdit).where(or_(
            and_(PendingEdit.item_kind == "idea", PendingEdit.item_id.in_(idea_ids)),
            and_(PendingEdit.item_kind == "comment", PendingEdit.item_id.in_(comment_ids)),
        )))} if cases else {}
    appeals = {a.id: a for a in db.session.scalars(
        select(Appeal).where(Appeal.id.in_([c.appeal_id for c in cases if c.appeal_id])))}
    histories = author_histories({c.author_id for c in cases})
    entries = []
    for case in cases:
        if case.item_kind == "idea":
            item = idea = ideas.get(case.item_id)
        else:
            item, idea = comments.get(case.item_id, (None, None))
        if item is None:
            continue
        key = (case.item_kind, case.item_id)
        entries.append(QueueEntry(case, item, idea, flags.get(key, []), histories.get(case.author_id, {}),
                                  appeals.get(case.appeal_id), pending_edits.get(key)))
    return entries


def author_histories(user_ids):
    """Per author: how many of their items moderators approved and rejected, and suspensions."""
    histories = {uid: {"approve": 0, "reject": 0, "suspend": 0} for uid in user_ids}
    rows = db.session.execute(
        select(AuditEntry.subject_id, AuditEntry.action, func.count())
        .where(AuditEntry.subject_id.in_(list(user_ids)),
               AuditEntry.action.in_(("approve", "grant_appeal", "reject", "uphold", "suspend")))
        .group_by(AuditEntry.subject_id, AuditEntry.action)
    )
    folded = {"grant_appeal": "approve", "uphold": "reject"}
    for subject_id, action, count in rows:
        histories[subject_id][folded.get(action, action)] += count
    return histories


def queue_entry(case_id):
    case = db.session.scalar(
        select(ModerationCase).options(joinedload(ModerationCase.author), joinedload(ModerationCase.decided_by))
        .where(ModerationCase.id == case_id))
    entries = hydrate([case]) if case else []
    return entries[0] if entries else None


def item_trail(item):
    return list(db.session.scalars(
        select(AuditEntry).options(joinedload(AuditEntry.actor))
        .where(AuditEntry.item_kind == item.kind, AuditEntry.item_id == item.id)
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    ))


def item_flags(item):
    return list(db.session.scalars(
        select(Flag).options(joinedload(Flag.user))
        .where(Flag.item_kind == item.kind, Flag.item_id == item.id).order_by(Flag.created_at)))


def moderated_challenges(viewer):
    return list(db.session.execute(
        select(Challenge.id, Challenge.title).where(permissions.moderated_challenges_clause(viewer))
        .order_by(Challenge.title)))


FIGURES_TTL = 60  # seconds: figures for people, not for machines
_figures_cache = {}


def figures(viewer, now=None):
    """Queue size, and the median time from queueing to decision over 7 and 30 days.

    The medians are kept a minute per scope (site-wide, or a set of challenges)."""
    now = now or clock.now()
    scope = "site" if permissions.is_site_moderator(viewer) else f"user:{viewer.id}"
    cached = _figures_cache.get(scope)
    if cached is None or not (0 <= (now - cached[0]).total_seconds() < FIGURES_TTL):
        cached = (now, {days: _median_wait(viewer, now - timedelta(days=days)) for days in (7, 30)})
        _figures_cache[scope] = cached
    medians = cached[1]
    return {
        "queue": queue_size(viewer),
        "median_7": medians[7][0], "decided_7": medians[7][1],
        "median_30": medians[30][0], "decided_30": medians[30][1],
    }


def _median_wait(viewer, since):
    query = select(AuditEntry.wait_seconds).where(AuditEntry.created_at >= since,
                                                  AuditEntry.wait_seconds.is_not(None))
    if not permissions.is_site_moderator(viewer):
        query = query.join(Challenge, Challenge.id == AuditEntry.challenge_id).where(
            permissions.moderated_challenges_clause(viewer))
    count = db.session.scalar(select(func.count()).select_from(query.subquery()))
    if not count:
        return None, 0
    middle = list(db.session.scalars(
        query.order_by(AuditEntry.wait_seconds).offset((count - 1) // 2).limit(2 - count % 2)))
    return statistics.median(middle), count
