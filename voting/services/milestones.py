"""Milestone ladders: the steps of a challenge, each idea's progress and deadline, climbing, expiry, review."""
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from itertools import accumulate

from sqlalchemy import Integer, bindparam, delete, select

from app import clock, permissions, signals
from app.extensions import db
from app.limits import DEFAULT_LADDER, LADDER_MAX_STEPS
from challenges.models import Challenge, Idea
from challenges.services import ideas as challenge_ideas
from voting.models import IdeaMilestone, MilestoneEvent, MilestoneStep, Support
from voting.services.errors import VotingError

# LEGO Ideas: 100 supporters in 60 days, then 365 more days to reach 1,000,
# 182 more to 5,000 and 182 more to 10,000, which sends the idea to review.


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


@cache
def _milestone_and_ladder_statement():
    anchor = select(bindparam("idea_id", type_=Integer).label("idea_id")).subquery()
    return (select(IdeaMilestone, MilestoneStep.supporters, MilestoneStep.days).select_from(anchor)
            .outerjoin(IdeaMilestone, IdeaMilestone.idea_id == anchor.c.idea_id)
            .outerjoin(MilestoneStep, MilestoneStep.challenge_id == bindparam("challenge_id"))
            .order_by(MilestoneStep.position))


def milestone_and_ladder(idea, challenge):
    """The idea's milestone row (None when it has none yet) and the challenge's ladder, in one statement.

    A support reads them once it holds the idea's lock (a row lock on
    PostgreSQL, the write lock on SQLite): a statement begun after the wait
    sees the row that a concurrent first support inserted, where a row
    joined into the locking query would come from the snapshot taken before it.
    """
    rows = db.session.execute(_milestone_and_ladder_statement(),
                              {"idea_id": idea.id, "challenge_id": challenge.id}).all()
    steps = [Step(supporters, days) for _, supporters, days in rows if supporters is not None]
    return rows[0][0], steps or [Step(s, d) for s, d in DEFAULT_LADDER]


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


_UNREAD = object()


def _milestone(idea, challenge, steps, now, create=True, row=_UNREAD):
    if row is _UNREAD:
        row = db.session.get(IdeaMilestone, idea.id)
    if row is None and create:
        started = _clock_start(idea, challenge, now)
        row = IdeaMilestone(idea_id=idea.id, reached=0, started_at=started, deadline_at=_deadline(started, steps, 0))
        db.session.add(row)
    return row


def deadline_passed(idea, challenge, now, row=_UNREAD, steps=None):
    """`row` and `steps`, when the caller already read them, save reading them again."""
    if not uses_ladder(challenge):
        return False
    if row is _UNREAD:
        row = db.session.get(IdeaMilestone, idea.id)
    if row is None:  # no row yet: the first rung's deadline counts from when the clock started
        deadline = _deadline(_clock_start(idea, challenge, now), steps or ladder(challenge), 0)
    else:
        deadline = row.deadline_at
    return deadline is not None and clock.aware(deadline) < now


def climb(idea, challenge, count, now, row=_UNREAD, steps=None):
    """Record every rung `count` reaches; the last one sends the idea to review.

    `row` (the idea's milestone row, or None) and `steps` (the ladder), when
    the caller already read them, save reading them again."""
    if not uses_ladder(challenge):
        return
    steps = steps or ladder(challenge)
    row = _milestone(idea, challenge, steps, now, row=row)
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
    challenge_ideas.set_idea_status(idea, "in_review", actor=None)


@dataclass
class VotingState:
    supported: bool
    progress: Progress | None


@cache
def _voting_state_statement():
    # Built once with bound values: the idea page asks on every view.
    anchor = select(bindparam("idea_id", type_=Integer).label("idea_id")).subquery()
    return (
        select(IdeaMilestone, MilestoneStep, Support.user_id).select_from(anchor)
        .outerjoin(IdeaMilestone, IdeaMilestone.idea_id == anchor.c.idea_id)
        .outerjoin(MilestoneStep, MilestoneStep.challenge_id == bindparam("challenge_id"))
        .outerjoin(Support, (Support.idea_id == anchor.c.idea_id) & (Support.user_id == bindparam("user_id")))
        .order_by(MilestoneStep.position)
    )


def voting_state(user, idea, challenge, now=None):
    """For the idea page: does `user` support it, and its ladder progress, in one query."""
    now = now or clock.now()
    user_id = user.id if permissions.is_signed_in(user) else -1
    rows = db.session.execute(_voting_state_statement(), {
        "idea_id": idea.id, "challenge_id": challenge.id, "user_id": user_id}).all()
    supported = rows[0][2] is not None
    if not uses_ladder(challenge) or idea.status not in ("published", "in_review"):
        return VotingState(supported, None)
    steps = [Step(step.supporters, step.days) for _, step, _ in rows if step is not None]
    steps = steps or [Step(s, d) for s, d in DEFAULT_LADDER]
    row = rows[0][0]
    if row is None:
        started = _clock_start(idea, challenge, now)
        progress_ = Progress(steps, 0, idea.supporter_count, _deadline(started, steps, 0), now,
                             started=challenge.takes_votes(now))
    else:
        progress_ = Progress(steps, row.reached, idea.supporter_count, row.deadline_at, now, started=True)
    return VotingState(supported, progress_)


def _checked_ladder(actor, challenge, steps):
    permissions.require(permissions.can_manage_voting(actor, challenge))
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
    return steps


def _climbing(challenge):
    return db.session.execute(
        select(IdeaMilestone, Idea).join(Idea, Idea.id == IdeaMilestone.idea_id)
        .where(Idea.challenge_id == challenge.id, Idea.status == "published")
    ).all()


@dataclass(frozen=True)
class LadderChange:
    """What saving a new ladder would do to the ideas already climbing."""

    climbing: int  # published ideas with a place on the ladder
    held_back: int  # reached more rungs than the new ladder has below its last: they wait at the last rung
    new_target: int  # ideas whose next target changes


def preview_ladder(actor, challenge, steps):
    """Checks `steps` like set_ladder and says what saving them would change, saving nothing."""
    steps = _checked_ladder(actor, challenge, steps)
    old = ladder(challenge)
    climbing = held_back = new_target = 0
    for row, _idea in _climbing(challenge):
        climbing += 1
        reached = min(row.reached, len(steps) - 1)
        held_back += reached < row.reached
        before = old[row.reached].supporters if row.reached < len(old) else None
        new_target += steps[reached].supporters != before
    return LadderChange(climbing, held_back, new_target)


def set_ladder(actor, challenge, steps):
    """The owner sets their own ladder: rising supporter targets, each with its days.

    A change applies to each idea from its next rung on: no rung is reached,
    no idea sent to review and no deadline brought forward by the change itself."""
    steps = _checked_ladder(actor, challenge, steps)
    db.session.execute(delete(MilestoneStep).where(MilestoneStep.challenge_id == challenge.id))
    db.session.add_all(MilestoneStep(challenge_id=challenge.id, position=i, supporters=s.supporters, days=s.days)
                       for i, s in enumerate(steps))
    db.session.flush()
    # Ideas already climbing keep the rungs they reached (the last rung is
    # always still to climb) and meet the new targets from the next support on.
    for row, _idea in _climbing(challenge):
        row.reached = min(row.reached, len(steps) - 1)
        deadline = _deadline(row.started_at, steps, row.reached)
        if row.deadline_at is not None and clock.aware(row.deadline_at) > deadline:
            deadline = row.deadline_at
        row.deadline_at = deadline
    db.session.flush()
    return steps


def reset_ladder(actor, challenge):
    permissions.require(permissions.can_manage_voting(actor, challenge))
    return set_ladder(actor, challenge, DEFAULT_LADDER)


def start_ladder_on_publish(idea_id, before, after):
    """An idea just published in a challenge taking votes starts climbing (a re-published expired one does not)."""
    if after != "published" or before == "expired":
        return
    idea = db.session.get(Idea, idea_id)
    challenge = db.session.get(Challenge, idea.challenge_id)
    if uses_ladder(challenge) and challenge.takes_votes(clock.now()):
        _milestone(idea, challenge, ladder(challenge), clock.now())


def start_ladders_when_voting_opens(challenge_id, after):
    if after in ("voting", "submission"):
        start_ladders(challenge_id=challenge_id)


def tick_milestones(now=None):
    """Expire ideas past their deadline, send completed ladders to review. Idempotent.

    Returns (expired ids, sent-to-review ids). The ladder only runs while the
    challenge takes votes.
    """
    now = now or clock.now()
    voting = Challenge.takes_votes(now)
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
            challenge_ideas.set_idea_status(idea, "expired", actor=None)
            expired.append(idea.id)
    db.session.flush()
    return expired, completed


def start_ladders(now=None, challenge_id=None):
    """Give every gathering idea of a challenge taking votes its ladder row (when voting opens). Idempotent."""
    now = now or clock.now()
    voting = Challenge.takes_votes(now)
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
