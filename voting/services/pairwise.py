"""Pairwise rounds: opening and closing, choosing the next pair, recording a vote, the ranking."""
import random

from sqlalchemy import literal, select, update
from sqlalchemy.orm import joinedload

from app import clock, permissions
from app.extensions import db
from challenges.models import IDEA_PUBLIC, Idea
from voting.models import PairwiseRound, PairwiseScore, PairwiseVote
from voting.services.dots import close_round
from voting.services.errors import VotingError, conflict_insert


def current_pairwise_round(challenge):
    return db.session.scalar(
        select(PairwiseRound).where(PairwiseRound.challenge_id == challenge.id)
        .order_by(PairwiseRound.id.desc()).limit(1)
    )


def open_pairwise_round(actor, challenge):
    permissions.require(permissions.can_manage_voting(actor, challenge))
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
    add_pairwise_ideas(round_, Idea.challenge_id == challenge.id, Idea.is_public.is_(True))
    return round_


def add_pairwise_ideas(round_, *criteria):
    db.session.execute(
        conflict_insert(PairwiseScore).from_select(
            ["round_id", "idea_id", "wins", "losses", "appearances", "score"],
            select(literal(round_.id), Idea.id, literal(0), literal(0), literal(0), literal(0.5)).where(*criteria),
        ).on_conflict_do_nothing()
    )


def join_open_pairwise_round(idea_id, after):
    """An idea published while a round is open joins it, with no appearances: it is shown first."""
    if after not in IDEA_PUBLIC:
        return
    idea = db.session.get(Idea, idea_id)
    round_ = db.session.scalar(select(PairwiseRound).where(
        PairwiseRound.challenge_id == idea.challenge_id, PairwiseRound.status == "open"))
    if round_ is not None:
        add_pairwise_ideas(round_, Idea.id == idea_id)


def close_pairwise_round(actor, challenge, round_):
    return close_round(actor, challenge, round_, "pairwise round")


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
    permissions.require(permissions.can_vote_pairwise(user, challenge, round_))
    if not round_.is_open:
        raise VotingError("This pairwise round is closed.")
    for idea in (left, right):
        if idea is None or idea.challenge_id != challenge.id or not idea.is_public:
            raise VotingError("One of these ideas is no longer in the running. Here is another pair.")
        if idea.author_id == user.id:
            raise permissions.Refused("You cannot judge your own idea.")
    if left.id == right.id or winner_id not in (left.id, right.id, None):
        raise VotingError("Choose one of the two ideas, or \"can't decide\".")
    low, high = sorted((left.id, right.id))
    inserted = db.session.execute(
        conflict_insert(PairwiseVote).values(round_id=round_.id, user_id=user.id, low_id=low, high_id=high,
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
