"""The rules of supports, milestones, rankings, dot-voting and pairwise rounds.

Services take the acting user, check `app.permissions`, change rows and
their stored counts in the same transaction, flush and signal; they never
commit. A broken rule raises VotingError with a message for people;
PermissionError means "not allowed" (403).

Race safety: counts move with `UPDATE ... SET n = n + 1` (never a value
read earlier), inserts that may collide use ON CONFLICT DO NOTHING and
look at the row count, and every write path locks rows in one order
(the support or ballot row first, then the idea), so two requests at
once can neither double count nor deadlock.
"""
import hashlib
import hmac
import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import accumulate

from flask import current_app
from sqlalchemy import delete, func, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from app import clock, permissions, signals
from app.auth.models import User
from app.extensions import db
from challenges import services as challenge_services
from challenges.models import IDEA_PUBLIC, Challenge, Comment, Idea
from challenges.services import refresh_hot_score
from voting.models import (
    Dot,
    DotBallot,
    DotRound,
    DotTally,
    IdeaMilestone,
    MilestoneEvent,
    MilestoneStep,
    PairwiseRound,
    PairwiseScore,
    PairwiseVote,
    Support,
    SupportAnomaly,
)

# LEGO Ideas: 100 supporters in 60 days, then 365 more days to reach 1,000,
# 182 more to 5,000 and 182 more to 10,000, which sends the idea to review.
DEFAULT_LADDER = ((100, 60), (1_000, 365), (5_000, 182), (10_000, 182))
LADDER_MAX_STEPS = 6
DEFAULT_DOT_BUDGET = 3
DOT_BUDGET_RANGE = (1, 20)

# Anomalies: a burst of supports on one idea from recently created accounts
# sharing addresses.
ANOMALY_WINDOW = timedelta(hours=1)
ANOMALY_NEW_ACCOUNT_AGE = timedelta(days=7)
ANOMALY_MIN_SUPPORTS = 10
ANOMALY_MIN_SHARED = 5


class VotingError(ValueError):
    def __init__(self, message, field=None):
        super().__init__(message)
        self.message = message
        self.field = field


def _insert(model):
    """A Core INSERT with ON CONFLICT on PostgreSQL and SQLite alike.

    Whether a row went in is read from RETURNING: psycopg reports no row
    count (-1) for these statements.
    """
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model.__table__)


def _require(allowed, message="You are not allowed to do that."):
    if not allowed:
        raise PermissionError(message)


def ip_fingerprint(address):
    """A keyed hash: enough to see that two supports came from one address, never the address."""
    if not address:
        return None
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()[:32]


# Supports


def support_problem(user, idea, challenge, now=None):
    """Why `user` cannot support `idea` now, in words, or None. Not-logged-in is the caller's business."""
    if permissions.active_member(user) and user.id == idea.author_id:
        return "You cannot support your own idea."
    if idea.status != "published":
        return "Only ideas that are gathering support can be supported."
    if not challenge_services.accepts_votes(challenge, now):
        return f"Voting is closed: this challenge is {challenge.phase_label.lower()}."
    return None


def supports(user, idea):
    return permissions.active_member(user) and db.session.get(Support, (user.id, idea.id)) is not None


def supported_ids(user, idea_ids):
    """The ids among `idea_ids` that `user` supports, in one query (none for visitors)."""
    idea_ids = list(idea_ids)
    if not idea_ids or not permissions._member(user):
        return set()
    return set(db.session.scalars(
        select(Support.idea_id).where(Support.user_id == user.id, Support.idea_id.in_(idea_ids))
    ))


def support_idea(user, idea, challenge, ip=None):
    """Support `idea`. Returns False when the member already supports it (nothing changes)."""
    _require(permissions.active_member(user), "Suspended members cannot support ideas.")
    _require(permissions.can_view_idea(user, idea, challenge))
    now = clock.now()
    problem = support_problem(user, idea, challenge, now)
    if problem:
        raise VotingError(problem)
    if _deadline_passed(idea, challenge, now):
        raise VotingError("Time ran out for this idea: it missed its milestone deadline.")
    _require(permissions.can_support(user, idea, challenge))
    inserted = db.session.execute(
        _insert(Support)
        .values(user_id=user.id, idea_id=idea.id, created_at=now, ip_hash=ip_fingerprint(ip))
        .on_conflict_do_nothing().returning(Support.__table__.c.user_id)
    ).first()
    if inserted is None:
        return False
    count = _bump_supporters(idea, +1, now)
    refresh_hot_score(idea, weight=1, at=now)
    _climb(idea, challenge, count, now)
    db.session.flush()
    signals.idea_supported.send(idea, idea_id=idea.id, user_id=user.id, supporters=count)
    return True


def withdraw_support(user, idea, challenge):
    """Withdraw a support while the idea gathers. Returns False when there was none."""
    _require(permissions.active_member(user), "Suspended members cannot change their supports.")
    _require(permissions.can_view_idea(user, idea, challenge))
    if idea.status != "published":
        raise VotingError("Supports can be withdrawn only while the idea is gathering support.")
    if not challenge_services.accepts_votes(challenge):
        raise VotingError(f"Voting is closed: this challenge is {challenge.phase_label.lower()}.")
    removed = db.session.execute(
        delete(Support).where(Support.user_id == user.id, Support.idea_id == idea.id).returning(Support.created_at)
    ).scalar()
    if removed is None:
        return False
    count = _bump_supporters(idea, -1)
    refresh_hot_score(idea, weight=-1, at=clock.aware(removed))
    db.session.flush()
    signals.idea_support_withdrawn.send(idea, idea_id=idea.id, user_id=user.id, supporters=count)
    return True


def _bump_supporters(idea, delta, now=None):
    """Move the stored count in SQL; the row lock this takes orders concurrent supports of one idea.

    The idea must still be gathering when the lock is held: a support racing
    the one that sent it to review is refused (the caller rolls back).
    """
    values = {"supporter_count": Idea.supporter_count + delta}
    if now is not None:
        values["last_activity_at"] = now
    row = db.session.execute(
        update(Idea).where(Idea.id == idea.id, Idea.status == "published").values(**values)
        .returning(Idea.supporter_count, Idea.hot_score)
        .execution_options(synchronize_session=False)
    ).first()
    if row is None:
        raise VotingError("This idea is no longer gathering support.")
    count, hot = row
    # What the database now holds, without marking the idea changed.
    set_committed_value(idea, "supporter_count", count)
    set_committed_value(idea, "hot_score", hot)
    if now is not None:
        set_committed_value(idea, "last_activity_at", now)
    return count


# Merges: moderation merges a duplicate into another idea.


@signals.idea_merged.connect
def move_supports_on_merge(sender, source_id, target_id, actor_id=None, **extra):
    """Copy the duplicate's supporters onto the target, skipping anyone already counted there.

    The duplicate keeps its own rows (it is hidden while merged), and each
    copy remembers where it came from, so unmerging removes exactly the
    copies. Returns the ids of members whose support moved.
    """
    target = db.session.get(Idea, target_id)
    if target is None:
        return []
    already = select(Support.user_id).where(Support.idea_id == target_id)
    moved = list(db.session.scalars(
        select(Support.user_id).where(
            Support.idea_id == source_id, Support.user_id.notin_(already), Support.user_id != target.author_id
        ).order_by(Support.user_id)
    ))
    if not moved:
        return []
    rows = db.session.execute(
        select(Support.user_id, Support.created_at, Support.ip_hash)
        .where(Support.idea_id == source_id, Support.user_id.in_(moved))
    ).all()
    db.session.execute(_insert(Support).values([
        {"user_id": uid, "idea_id": target_id, "created_at": at, "ip_hash": ip, "merged_from_id": source_id}
        for uid, at, ip in rows
    ]).on_conflict_do_nothing())
    # Count the rows actually there: a member who supported the target meanwhile is counted once.
    _recount_idea(target)
    challenge = db.session.get(Challenge, target.challenge_id)
    if target.status == "published":
        _climb(target, challenge, target.supporter_count, clock.now())
    return moved


@signals.idea_unmerged.connect
def restore_supports_on_unmerge(sender, source_id, target_id, actor_id=None, **extra):
    """Undo a merge: remove the copies from the target. Returns the ids of members concerned."""
    target = db.session.get(Idea, target_id)
    if target is None:
        return []
    removed = list(db.session.scalars(
        delete(Support).where(Support.idea_id == target_id, Support.merged_from_id == source_id)
        .returning(Support.user_id)
    ))
    if removed:
        _recount_idea(target)
    return sorted(removed)


def _recount_idea(idea):
    count = db.session.execute(
        update(Idea).where(Idea.id == idea.id)
        .values(supporter_count=select(func.count()).where(Support.idea_id == idea.id).scalar_subquery())
        .returning(Idea.supporter_count)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    set_committed_value(idea, "supporter_count", count)
    return count


def recount_supports(fix=True):
    """Compare every stored supporter count with its rows; repair drift. Returns [(idea_id, stored, actual)]."""
    actual = select(func.count()).where(Support.idea_id == Idea.id).scalar_subquery()
    drift = db.session.execute(
        select(Idea.id, Idea.supporter_count, actual).where(Idea.supporter_count != actual).order_by(Idea.id)
    ).all()
    if fix and drift:
        db.session.execute(
            update(Idea).where(Idea.id.in_([row[0] for row in drift])).values(supporter_count=actual)
            .execution_options(synchronize_session=False)
        )
    return [tuple(row) for row in drift]


# Hot ranking: the formula is challenges.services.refresh_hot_score.

COMMENT_WEIGHT = 0.5
HOT_HORIZON = timedelta(days=45)  # older activity weighs under 2**-15: left out of rescoring


def rescore_hot(now=None, batch=500):
    """The periodic part: recompute from rows the hot score of ideas active within the horizon.

    Scores are also moved on every support and comment; this washes out
    rounding and anything an interrupted request missed. Returns how many.
    """
    now = now or clock.now()
    since = now - HOT_HORIZON
    ids = list(db.session.scalars(
        select(Idea.id).where(Idea.is_public.is_(True), Idea.last_activity_at >= since).order_by(Idea.id)
    ))
    for start in range(0, len(ids), batch):
        chunk = ids[start:start + batch]
        ideas = {i.id: i for i in db.session.scalars(select(Idea).where(Idea.id.in_(chunk)))}
        scores = {}
        for idea in ideas.values():
            scores[idea.id] = idea.hot_score
            idea.hot_score = 0.0
            refresh_hot_score(idea, now)
        activity = db.session.execute(
            select(Support.idea_id, Support.created_at, literal(1.0))
            .where(Support.idea_id.in_(chunk), Support.created_at >= since)
            .union_all(select(Comment.idea_id, Comment.created_at, literal(COMMENT_WEIGHT)).where(
                Comment.idea_id.in_(chunk), Comment.status == "published", Comment.created_at >= since))
        )
        for idea_id, at, weight in activity:
            refresh_hot_score(ideas[idea_id], now, weight=weight, at=at)
        for idea in ideas.values():
            if math.isclose(idea.hot_score, scores[idea.id] or 0.0, abs_tol=1e-9):
                set_committed_value(idea, "hot_score", scores[idea.id])
        db.session.flush()
    return len(ids)


@signals.comment_posted.connect
def _comment_heats_idea(sender, comment_id, idea_id, status, **extra):
    if status == "published":
        idea = db.session.get(Idea, idea_id)
        refresh_hot_score(idea, weight=COMMENT_WEIGHT, at=clock.now())


@signals.comment_status_changed.connect
def _comment_status_heats_idea(sender, comment_id, idea_id, before, after, **extra):
    if (before == "published") == (after == "published"):
        return
    idea = db.session.get(Idea, idea_id)
    comment = db.session.get(Comment, comment_id)
    sign = 1 if after == "published" else -1
    refresh_hot_score(idea, weight=sign * COMMENT_WEIGHT, at=comment.created_at if sign < 0 else clock.now())


# Milestones


@dataclass(frozen=True)
class Step:
    supporters: int
    days: int


@dataclass
class Progress:
    """An idea's place on its ladder, ready for the progress bar."""

    steps: list
    reached: int
    supporters: int
    deadline: datetime | None
    now: datetime
    started: bool

    @property
    def complete(self):
        return self.reached >= len(self.steps)

    @property
    def target(self):
        return None if self.complete else self.steps[self.reached].supporters

    @property
    def floor(self):
        return self.steps[self.reached - 1].supporters if self.reached else 0

    @property
    def percent(self):
        if self.complete:
            return 100
        return max(0, min(100, math.floor(100 * self.supporters / self.target)))

    @property
    def days_left(self):
        if self.deadline is None:
            return None
        return max(0, math.ceil((clock.aware(self.deadline) - self.now) / timedelta(days=1)))

    @property
    def overdue(self):
        return self.deadline is not None and clock.aware(self.deadline) < self.now and not self.complete


def uses_ladder(challenge):
    """Hold-ups vote with dots; only open challenges run the supporter ladder."""
    return challenge.format == "challenge"


def ladder(challenge):
    rows = db.session.scalars(
        select(MilestoneStep).where(MilestoneStep.challenge_id == challenge.id).order_by(MilestoneStep.position)
    ).all()
    if rows:
        return [Step(r.supporters, r.days) for r in rows]
    return [Step(s, d) for s, d in DEFAULT_LADDER]


def _deadline(started_at, steps, reached):
    """The next rung is due when the days of every rung so far have run out (time earned adds up)."""
    if reached >= len(steps):
        return None
    return clock.aware(started_at) + timedelta(days=list(accumulate(s.days for s in steps))[reached])


def _clock_start(idea, challenge, now):
    """The ladder runs from when the idea could first gather support."""
    moments = [clock.aware(idea.published_at or now)]
    if not challenge.is_open and challenge.voting_at is not None:
        moments.append(clock.aware(challenge.voting_at))
    return min(max(moments), now)


def _milestone(idea, challenge, steps, now, create=True):
    row = db.session.get(IdeaMilestone, idea.id)
    if row is None and create:
        started = _clock_start(idea, challenge, now)
        row = IdeaMilestone(idea_id=idea.id, reached=0, started_at=started, deadline_at=_deadline(started, steps, 0))
        db.session.add(row)
    return row


def _deadline_passed(idea, challenge, now):
    if not uses_ladder(challenge):
        return False
    row = db.session.get(IdeaMilestone, idea.id)
    if row is None:  # no row yet: the first rung's deadline counts from when the clock started
        deadline = _deadline(_clock_start(idea, challenge, now), ladder(challenge), 0)
    else:
        deadline = row.deadline_at
    return deadline is not None and clock.aware(deadline) < now


def _climb(idea, challenge, count, now):
    """Record every rung `count` reaches; the last one sends the idea to review."""
    if not uses_ladder(challenge):
        return
    steps = ladder(challenge)
    row = _milestone(idea, challenge, steps, now)
    climbed = False
    while row.reached < len(steps) and count >= steps[row.reached].supporters:
        row.reached += 1
        row.reached_at = now
        climbed = True
        db.session.add(MilestoneEvent(idea_id=idea.id, kind="reached", level=row.reached, supporters=count,
                                      created_at=now))
        signals.milestone_reached.send(idea, idea_id=idea.id, level=row.reached, supporters=count)
    if climbed:
        row.deadline_at = _deadline(row.started_at, steps, row.reached)
    if row.reached >= len(steps) and idea.status == "published":
        _complete(idea, count, now)


def _complete(idea, count, now):
    db.session.add(MilestoneEvent(idea_id=idea.id, kind="completed", level=0, supporters=count, created_at=now))
    challenge_services.set_idea_status(idea, "in_review", actor=None)


@dataclass
class VotingState:
    supported: bool
    progress: Progress | None


def voting_state(user, idea, challenge, now=None):
    """For the idea page: does `user` support it, and its ladder progress, in one query."""
    now = now or clock.now()
    anchor = select(literal(idea.id).label("idea_id")).subquery()
    user_id = user.id if permissions._member(user) else -1
    rows = db.session.execute(
        select(IdeaMilestone, MilestoneStep, Support.user_id).select_from(anchor)
        .outerjoin(IdeaMilestone, IdeaMilestone.idea_id == anchor.c.idea_id)
        .outerjoin(MilestoneStep, (MilestoneStep.challenge_id == challenge.id) & (anchor.c.idea_id == idea.id))
        .outerjoin(Support, (Support.idea_id == anchor.c.idea_id) & (Support.user_id == user_id))
        .order_by(MilestoneStep.position)
    ).all()
    supported = rows[0][2] is not None
    if not uses_ladder(challenge) or idea.status not in ("published", "in_review"):
        return VotingState(supported, None)
    steps = [Step(step.supporters, step.days) for _, step, _ in rows if step is not None]
    steps = steps or [Step(s, d) for s, d in DEFAULT_LADDER]
    row = rows[0][0]
    if row is None:
        started = _clock_start(idea, challenge, now)
        progress_ = Progress(steps, 0, idea.supporter_count, _deadline(started, steps, 0), now,
                             started=challenge_services.accepts_votes(challenge, now))
    else:
        progress_ = Progress(steps, row.reached, idea.supporter_count, row.deadline_at, now, started=True)
    return VotingState(supported, progress_)


def set_ladder(actor, challenge, steps):
    """The owner sets their own ladder: rising supporter targets, each with its days."""
    _require(permissions.can_manage_voting(actor, challenge))
    if not uses_ladder(challenge):
        raise VotingError("Hold-ups vote with dots; they have no supporter ladder.")
    steps = [Step(int(s), int(d)) for s, d in steps]
    if not 1 <= len(steps) <= LADDER_MAX_STEPS:
        raise VotingError(f"Give between 1 and {LADDER_MAX_STEPS} milestones.")
    for before, after in zip(steps, steps[1:], strict=False):
        if after.supporters <= before.supporters:
            raise VotingError("Each milestone needs more supporters than the one before it.")
    for step in steps:
        if not 1 <= step.supporters <= 10_000_000 or not 1 <= step.days <= 3_650:
            raise VotingError("Supporters must be at least 1 and days between 1 and 3,650.")
    db.session.execute(delete(MilestoneStep).where(MilestoneStep.challenge_id == challenge.id))
    db.session.add_all(MilestoneStep(challenge_id=challenge.id, position=i, supporters=s.supporters, days=s.days)
                       for i, s in enumerate(steps))
    db.session.flush()
    # Ideas already climbing keep the rungs they reached, on the new dates.
    now = clock.now()
    rows = db.session.execute(
        select(IdeaMilestone, Idea).join(Idea, Idea.id == IdeaMilestone.idea_id)
        .where(Idea.challenge_id == challenge.id, Idea.status == "published")
    ).all()
    for row, idea in rows:
        row.reached = min(row.reached, len(steps))
        row.deadline_at = _deadline(row.started_at, steps, row.reached)
        _climb(idea, challenge, idea.supporter_count, now)
    db.session.flush()
    return steps


def reset_ladder(actor, challenge):
    _require(permissions.can_manage_voting(actor, challenge))
    return set_ladder(actor, challenge, DEFAULT_LADDER)


@signals.idea_status_changed.connect
def _start_ladder_on_publish(sender, idea_id, before, after, **extra):
    if after != "published" or before == "expired":
        return
    idea = db.session.get(Idea, idea_id)
    challenge = db.session.get(Challenge, idea.challenge_id)
    if uses_ladder(challenge) and challenge_services.accepts_votes(challenge):
        _milestone(idea, challenge, ladder(challenge), clock.now())


@signals.challenge_phase_changed.connect
def _start_ladders_when_voting_opens(sender, challenge_id, before, after, **extra):
    if after in ("voting", "submission"):
        start_ladders(challenge_id=challenge_id)


def tick_milestones(now=None):
    """Expire ideas past their deadline, send completed ladders to review. Idempotent.

    Returns (expired ids, sent-to-review ids). The ladder only runs while the
    challenge takes votes.
    """
    now = now or clock.now()
    voting = (Challenge.phase == "voting") | (Challenge.is_open & (Challenge.phase == "submission"))
    candidates = db.session.execute(
        select(Idea, IdeaMilestone, Challenge)
        .join(IdeaMilestone, IdeaMilestone.idea_id == Idea.id)
        .join(Challenge, Challenge.id == Idea.challenge_id)
        .where(Idea.status == "published", Challenge.format == "challenge", voting,
               IdeaMilestone.deadline_at.is_(None) | (IdeaMilestone.deadline_at < now))
        .order_by(Idea.id)
    ).all()
    expired, completed = [], []
    ladders = {}
    for idea, row, challenge in candidates:
        steps = ladders.setdefault(challenge.id, ladder(challenge))
        if row.reached >= len(steps):
            _complete(idea, idea.supporter_count, now)
            completed.append(idea.id)
        elif row.deadline_at is not None:
            db.session.add(MilestoneEvent(idea_id=idea.id, kind="expired", level=row.reached,
                                          supporters=idea.supporter_count, created_at=now))
            challenge_services.set_idea_status(idea, "expired", actor=None)
            expired.append(idea.id)
    db.session.flush()
    return expired, completed


def start_ladders(now=None, challenge_id=None):
    """Give every gathering idea of a challenge taking votes its ladder row (when voting opens). Idempotent."""
    now = now or clock.now()
    voting = (Challenge.phase == "voting") | (Challenge.is_open & (Challenge.phase == "submission"))
    query = (
        select(Idea, Challenge).join(Challenge, Challenge.id == Idea.challenge_id)
        .outerjoin(IdeaMilestone, IdeaMilestone.idea_id == Idea.id)
        .where(Idea.status == "published", Challenge.format == "challenge", voting, IdeaMilestone.idea_id.is_(None))
    )
    if challenge_id is not None:
        query = query.where(Challenge.id == challenge_id)
    missing = db.session.execute(query).all()
    ladders = {}
    for idea, challenge in missing:
        steps = ladders.setdefault(challenge.id, ladder(challenge))
        _milestone(idea, challenge, steps, now)
    db.session.flush()
    return len(missing)


# Integrity: bursts from new accounts sharing addresses


def detect_anomalies(now=None):
    """Flag ideas with a burst of supports from new accounts sharing addresses. Returns new anomaly ids."""
    now = now or clock.now()
    since = now - ANOMALY_WINDOW
    rows = db.session.execute(
        select(Support.idea_id, Support.ip_hash, func.count())
        .join(User, User.id == Support.user_id)
        .where(Support.created_at >= since, User.created_at >= now - ANOMALY_NEW_ACCOUNT_AGE,
               Support.merged_from_id.is_(None))
        .group_by(Support.idea_id, Support.ip_hash)
    ).all()
    totals, shared = {}, {}
    for idea_id, ip_hash, count in rows:
        totals[idea_id] = totals.get(idea_id, 0) + count
        if ip_hash is not None and count > 1:
            shared[idea_id] = shared.get(idea_id, 0) + count
    suspicious = [i for i, total in totals.items()
                  if total >= ANOMALY_MIN_SUPPORTS and shared.get(i, 0) >= ANOMALY_MIN_SHARED]
    if not suspicious:
        return []
    flagged = set(db.session.scalars(
        select(SupportAnomaly.idea_id).where(SupportAnomaly.idea_id.in_(suspicious),
                                             SupportAnomaly.detected_at >= since)
    ))
    made = []
    for idea_id in sorted(set(suspicious) - flagged):
        anomaly = SupportAnomaly(idea_id=idea_id, detected_at=now, window_start=since, supports=totals[idea_id],
                                 shared_ip_supports=shared[idea_id])
        db.session.add(anomaly)
        made.append(anomaly)
    db.session.flush()
    for anomaly in made:
        note = (f"{anomaly.supports} supports within an hour from accounts under "
                f"{ANOMALY_NEW_ACCOUNT_AGE.days} days old, {anomaly.shared_ip_supports} of them from shared addresses.")
        signals.vote_anomaly.send(anomaly, idea_id=anomaly.idea_id, note=note)
    return [a.id for a in made]


def open_anomalies(limit=50):
    """For the moderation queue: open anomalies with their ideas, newest first."""
    return db.session.execute(
        select(SupportAnomaly, Idea).join(Idea, Idea.id == SupportAnomaly.idea_id)
        .where(SupportAnomaly.status == "open").order_by(SupportAnomaly.detected_at.desc()).limit(limit)
    ).all()


def tick(now=None):
    """Everything periodic, idempotent: ladders started, deadlines applied, hot rescored, anomalies flagged."""
    now = now or clock.now()
    started = start_ladders(now)
    expired, completed = tick_milestones(now)
    rescored = rescore_hot(now)
    anomalies = detect_anomalies(now)
    return {"started": started, "expired": expired, "completed": completed, "rescored": rescored,
            "anomalies": anomalies}


# Dot-voting (hold-ups)


def current_dot_round(challenge):
    return db.session.scalar(
        select(DotRound).where(DotRound.challenge_id == challenge.id).order_by(DotRound.id.desc()).limit(1)
    )


def open_dot_round(actor, challenge, budget=DEFAULT_DOT_BUDGET):
    _require(permissions.can_manage_voting(actor, challenge))
    if challenge.format != "holdup":
        raise VotingError("Dot-voting is for hold-up workshops.")
    if challenge.is_draft:
        raise VotingError("Publish the hold-up before opening a dot-vote.")
    if not DOT_BUDGET_RANGE[0] <= budget <= DOT_BUDGET_RANGE[1]:
        raise VotingError(f"Give each participant between {DOT_BUDGET_RANGE[0]} and {DOT_BUDGET_RANGE[1]} dots.",
                          "budget")
    current = current_dot_round(challenge)
    if current is not None and current.is_open:
        raise VotingError("A dot-vote is already open; close it first.")
    round_ = DotRound(challenge_id=challenge.id, budget=budget, opened_by_id=actor.id, opened_at=clock.now())
    db.session.add(round_)
    db.session.flush()
    signals.dot_round_changed.send(round_, round_id=round_.id, challenge_id=challenge.id, status="open")
    return round_


def _close_round(actor, challenge, round_, name):
    _require(permissions.can_manage_voting(actor, challenge))
    if not round_.is_open:
        raise VotingError(f"This {name} is already closed.")
    round_.status = "closed"
    round_.closed_at = clock.now()
    db.session.flush()
    return round_


def close_dot_round(actor, challenge, round_):
    _close_round(actor, challenge, round_, "dot-vote")
    signals.dot_round_changed.send(round_, round_id=round_.id, challenge_id=challenge.id, status="closed")
    return round_


def _dot_target(user, challenge, round_, idea):
    _require(permissions.can_dot_vote(user, challenge, round_), "Only participants can place dots.")
    if not round_.is_open:
        raise VotingError("The dot-vote is closed: dots can no longer move.")
    if idea is None or idea.challenge_id != challenge.id or not idea.is_public:
        raise VotingError("That idea is not on this board.")


def add_dot(user, challenge, round_, idea):
    """Put one of the member's dots on `idea`; the guarded UPDATE keeps two tabs from overspending."""
    _dot_target(user, challenge, round_, idea)
    db.session.execute(_insert(DotBallot).values(round_id=round_.id, user_id=user.id, spent=0)
                       .on_conflict_do_nothing())
    spent = db.session.execute(
        update(DotBallot).where(DotBallot.round_id == round_.id, DotBallot.user_id == user.id,
                                DotBallot.spent < round_.budget)
        .values(spent=DotBallot.spent + 1)
    ).rowcount
    if not spent:
        raise VotingError(f"You have placed all {round_.budget} of your dots. Take one back to move it.")
    db.session.execute(_insert(Dot).values(round_id=round_.id, user_id=user.id, idea_id=idea.id, count=1)
                       .on_conflict_do_update(index_elements=["round_id", "user_id", "idea_id"],
                                              set_={"count": Dot.count + 1}))
    db.session.execute(_insert(DotTally).values(round_id=round_.id, idea_id=idea.id, dots=1)
                       .on_conflict_do_update(index_elements=["round_id", "idea_id"],
                                              set_={"dots": DotTally.dots + 1}))
    db.session.flush()


def remove_dot(user, challenge, round_, idea):
    """Take one of the member's dots back from `idea` (the ballot row is locked first, as in add_dot)."""
    _dot_target(user, challenge, round_, idea)
    freed = db.session.execute(
        update(DotBallot).where(DotBallot.round_id == round_.id, DotBallot.user_id == user.id, DotBallot.spent > 0)
        .values(spent=DotBallot.spent - 1)
    ).rowcount
    taken = freed and db.session.execute(
        update(Dot).where(Dot.round_id == round_.id, Dot.user_id == user.id, Dot.idea_id == idea.id, Dot.count > 0)
        .values(count=Dot.count - 1)
    ).rowcount
    if not taken:
        # The caller rolls back, which also undoes the ballot change above.
        raise VotingError("You have no dot on this idea.")
    db.session.execute(update(DotTally).where(DotTally.round_id == round_.id, DotTally.idea_id == idea.id)
                       .values(dots=DotTally.dots - 1))
    db.session.flush()


@dataclass
class DotBoard:
    round: DotRound | None
    rows: list  # (idea, dots in total, my dots)
    spent: int

    @property
    def left(self):
        return self.round.budget - self.spent if self.round else 0


def dot_board(viewer, challenge):
    """The board: every public idea with its dots and the viewer's, most dots first. Three queries."""
    round_ = current_dot_round(challenge)
    if round_ is None:
        return DotBoard(None, [], 0)
    mine = {}
    if permissions._member(viewer):
        mine = dict(db.session.execute(
            select(Dot.idea_id, Dot.count).where(Dot.round_id == round_.id, Dot.user_id == viewer.id)
        ).all())
    tally = func.coalesce(DotTally.dots, 0)
    rows = db.session.execute(
        select(Idea, tally).options(joinedload(Idea.author))
        .outerjoin(DotTally, (DotTally.idea_id == Idea.id) & (DotTally.round_id == round_.id))
        .where(Idea.challenge_id == challenge.id, Idea.is_public.is_(True))
        .order_by(tally.desc(), Idea.id)
    ).all()
    return DotBoard(round_, [(idea, dots, mine.get(idea.id, 0)) for idea, dots in rows], sum(mine.values()))


def recount_dots():
    """Repair dot tallies and ballots from the dot rows. Returns how many rows were wrong."""
    wrong = 0
    actual = select(func.coalesce(func.sum(Dot.count), 0)).where(
        Dot.round_id == DotTally.round_id, Dot.idea_id == DotTally.idea_id).scalar_subquery()
    wrong += db.session.execute(update(DotTally).where(DotTally.dots != actual).values(dots=actual)).rowcount
    spent = select(func.coalesce(func.sum(Dot.count), 0)).where(
        Dot.round_id == DotBallot.round_id, Dot.user_id == DotBallot.user_id).scalar_subquery()
    wrong += db.session.execute(update(DotBallot).where(DotBallot.spent != spent).values(spent=spent)).rowcount
    return wrong


# Pairwise


def current_pairwise_round(challenge):
    return db.session.scalar(
        select(PairwiseRound).where(PairwiseRound.challenge_id == challenge.id)
        .order_by(PairwiseRound.id.desc()).limit(1)
    )


def open_pairwise_round(actor, challenge):
    _require(permissions.can_manage_voting(actor, challenge))
    if challenge.is_draft:
        raise VotingError("Publish the challenge before opening a pairwise round.")
    current = current_pairwise_round(challenge)
    if current is not None and current.is_open:
        raise VotingError("A pairwise round is already open; close it first.")
    if challenge.idea_count < 2:
        raise VotingError("A pairwise round needs at least two public ideas.")
    round_ = PairwiseRound(challenge_id=challenge.id, opened_by_id=actor.id, opened_at=clock.now())
    db.session.add(round_)
    db.session.flush()
    _add_pairwise_ideas(round_, Idea.challenge_id == challenge.id, Idea.is_public.is_(True))
    return round_


def _add_pairwise_ideas(round_, *criteria):
    db.session.execute(
        _insert(PairwiseScore).from_select(
            ["round_id", "idea_id", "wins", "losses", "appearances", "score"],
            select(literal(round_.id), Idea.id, literal(0), literal(0), literal(0), literal(0.5)).where(*criteria),
        ).on_conflict_do_nothing()
    )


@signals.idea_status_changed.connect
def _join_open_pairwise_round(sender, idea_id, after, **extra):
    """An idea published while a round is open joins it, with no appearances: it is shown first."""
    if after not in IDEA_PUBLIC:
        return
    idea = db.session.get(Idea, idea_id)
    round_ = db.session.scalar(select(PairwiseRound).where(
        PairwiseRound.challenge_id == idea.challenge_id, PairwiseRound.status == "open"))
    if round_ is not None:
        _add_pairwise_ideas(round_, Idea.id == idea_id)


def close_pairwise_round(actor, challenge, round_):
    return _close_round(actor, challenge, round_, "pairwise round")


def next_pair(user, round_, rng=random):
    """Two ideas for `user` to compare, or None when they have compared every pair they may.

    The first is drawn with weight 1/(1 + appearances), so an idea that has
    been compared less (a new one) is shown more often until it catches up;
    the second uniformly among the ideas this member has not yet compared
    with it. Members are never asked to judge their own ideas. Two queries.
    """
    candidates = db.session.execute(
        select(PairwiseScore.idea_id, PairwiseScore.appearances)
        .join(Idea, Idea.id == PairwiseScore.idea_id)
        .where(PairwiseScore.round_id == round_.id, Idea.is_public.is_(True), Idea.author_id != user.id)
    ).all()
    if len(candidates) < 2:
        return None
    answered = {}
    for low, high in db.session.execute(
        select(PairwiseVote.low_id, PairwiseVote.high_id)
        .where(PairwiseVote.round_id == round_.id, PairwiseVote.user_id == user.id)
    ):
        answered.setdefault(low, set()).add(high)
        answered.setdefault(high, set()).add(low)
    ids = [idea_id for idea_id, _ in candidates]
    weights = [1 / (1 + appearances) for _, appearances in candidates]
    while ids:
        first = rng.choices(ids, weights)[0]
        partners = [i for i in ids if i != first and i not in answered.get(first, ())]
        if partners:
            second = rng.choice(partners)
            return (first, second) if rng.random() < 0.5 else (second, first)
        index = ids.index(first)
        del ids[index], weights[index]
    return None


def record_pairwise_vote(user, challenge, round_, left, right, winner_id):
    """Count one answer: `winner_id` is left.id, right.id, or None for "can't decide".

    Returns False when this member already answered this pair.
    """
    _require(permissions.can_vote_pairwise(user, challenge, round_), "Only members can compare ideas.")
    if not round_.is_open:
        raise VotingError("This pairwise round is closed.")
    for idea in (left, right):
        if idea is None or idea.challenge_id != challenge.id or not idea.is_public:
            raise VotingError("One of these ideas is no longer in the running. Here is another pair.")
        if idea.author_id == user.id:
            raise PermissionError("You cannot judge your own idea.")
    if left.id == right.id or winner_id not in (left.id, right.id, None):
        raise VotingError("Choose one of the two ideas, or \"can't decide\".")
    low, high = sorted((left.id, right.id))
    inserted = db.session.execute(
        _insert(PairwiseVote).values(round_id=round_.id, user_id=user.id, low_id=low, high_id=high,
                                     winner_id=winner_id, created_at=clock.now())
        .on_conflict_do_nothing().returning(PairwiseVote.__table__.c.id)
    ).first()
    if inserted is None:
        return False
    # Lower idea id first: concurrent answers on the same pair lock in the same order.
    for idea_id in (low, high):
        if winner_id is None:
            values = {"appearances": PairwiseScore.appearances + 1}
        elif idea_id == winner_id:
            values = {"wins": PairwiseScore.wins + 1, "appearances": PairwiseScore.appearances + 1,
                      "score": (PairwiseScore.wins + 2.0) / (PairwiseScore.wins + PairwiseScore.losses + 3)}
        else:
            values = {"losses": PairwiseScore.losses + 1, "appearances": PairwiseScore.appearances + 1,
                      "score": (PairwiseScore.wins + 1.0) / (PairwiseScore.wins + PairwiseScore.losses + 3)}
        db.session.execute(update(PairwiseScore).where(PairwiseScore.round_id == round_.id,
                                                       PairwiseScore.idea_id == idea_id).values(**values))
    db.session.execute(update(PairwiseRound).where(PairwiseRound.id == round_.id)
                       .values(vote_count=PairwiseRound.vote_count + 1)
                       .execution_options(synchronize_session=False))
    db.session.flush()
    return True


def pairwise_ranking(round_, limit=100):
    """Public ideas of the round by stored score, one query."""
    return db.session.execute(
        select(Idea, PairwiseScore).options(joinedload(Idea.author))
        .join(PairwiseScore, PairwiseScore.idea_id == Idea.id)
        .where(PairwiseScore.round_id == round_.id, Idea.is_public.is_(True))
        .order_by(PairwiseScore.score.desc(), PairwiseScore.appearances.desc(), Idea.id)
        .limit(limit)
    ).all()


def idea_with_challenge(idea_id):
    """What a vote needs, in one query (the idea page's loader also fetches tags and parents)."""
    return db.session.scalar(select(Idea).options(joinedload(Idea.challenge)).where(Idea.id == idea_id))


def ideas_by_id(ids):
    """Ideas with their authors, keyed by id, in one query."""
    return {i.id: i for i in db.session.scalars(
        select(Idea).options(joinedload(Idea.author)).where(Idea.id.in_(list(ids))))}
