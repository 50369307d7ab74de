"""Dot-voting rounds (hold-ups): opening and closing rounds, placing and removing dots within a budget, the board."""
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from app import clock, permissions, signals
from app.extensions import db
from app.limits import DEFAULT_DOT_BUDGET, DOT_BUDGET_RANGE
from challenges.models import Idea
from voting.models import Dot, DotBallot, DotRound, DotTally
from voting.services.errors import VotingError, conflict_insert


def current_dot_round(challenge):
    return db.session.scalar(
        select(DotRound).where(DotRound.challenge_id == challenge.id).order_by(DotRound.id.desc()).limit(1)
    )


def open_dot_round(actor, challenge, budget=DEFAULT_DOT_BUDGET):
    permissions.require(permissions.can_manage_voting(actor, challenge))
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


def close_round(actor, challenge, round_, name):
    permissions.require(permissions.can_manage_voting(actor, challenge))
    if not round_.is_open:
        raise VotingError(f"This {name} is already closed.")
    round_.status = "closed"
    round_.closed_at = clock.now()
    db.session.flush()
    return round_


def close_dot_round(actor, challenge, round_):
    close_round(actor, challenge, round_, "dot-vote")
    signals.dot_round_changed.send(round_, round_id=round_.id, challenge_id=challenge.id, status="closed")
    return round_


def _dot_target(user, challenge, round_, idea):
    permissions.require(permissions.can_dot_vote(user, challenge, round_))
    if not round_.is_open:
        raise VotingError("The dot-vote is closed: dots can no longer move.")
    if idea is None or idea.challenge_id != challenge.id or not idea.is_public:
        raise VotingError("That idea is not on this board.")


def add_dot(user, challenge, round_, idea):
    """Put one of the member's dots on `idea`; the guarded UPDATE keeps two tabs from overspending."""
    _dot_target(user, challenge, round_, idea)
    db.session.execute(conflict_insert(DotBallot).values(round_id=round_.id, user_id=user.id, spent=0)
                       .on_conflict_do_nothing())
    spent = db.session.execute(
        update(DotBallot).where(DotBallot.round_id == round_.id, DotBallot.user_id == user.id,
                                DotBallot.spent < round_.budget)
        .values(spent=DotBallot.spent + 1)
    ).rowcount
    if not spent:
        raise VotingError(f"You have placed all {round_.budget} of your dots. Take one back to move it.")
    db.session.execute(conflict_insert(Dot).values(round_id=round_.id, user_id=user.id, idea_id=idea.id, count=1)
                       .on_conflict_do_update(index_elements=["round_id", "user_id", "idea_id"],
                                              set_={"count": Dot.count + 1}))
    db.session.execute(conflict_insert(DotTally).values(round_id=round_.id, idea_id=idea.id, dots=1)
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
    if permissions.is_signed_in(viewer):
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
