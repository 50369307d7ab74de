"""Demo supports, a small milestone ladder and a pairwise round on the challenges' demo content."""
from sqlalchemy import select

from app import permissions
from app.extensions import db
from challenges.models import Challenge, Idea
from voting.services import milestones, pairwise, supports

# Six demo members cannot climb LEGO's ladder; this one shows the progress bar moving.
DEMO_LADDER = [(3, 30), (10, 90), (25, 120)]


def seed_demo(members):
    people = list(members.values())
    challenges = db_challenges()
    for challenge in challenges:
        if not milestones.uses_ladder(challenge) or challenge.phase not in ("submission", "voting"):
            continue
        owner = next(m for m in people if m.id == challenge.owner_id)
        milestones.set_ladder(owner, challenge, DEMO_LADDER)
        ideas = _ideas(challenge)
        # The first idea gathers most, so "top" and "hot" orders differ from "newest".
        for rank, idea in enumerate(ideas):
            for member in people[: max(1, len(people) - 2 * rank)]:
                if permissions.can_support(member, idea, challenge):
                    supports.support_idea(member, idea, challenge)
        if challenge.phase == "voting" and len(ideas) >= 2:
            round_ = pairwise.open_pairwise_round(owner, challenge)
            voters = [m for m in people if m.id not in {i.author_id for i in ideas[:2]}]
            for voter in voters[:3]:
                pairwise.record_pairwise_vote(voter, challenge, round_, ideas[0], ideas[1], ideas[0].id)


def db_challenges():
    return list(db.session.scalars(select(Challenge).where(Challenge.phase != "draft").order_by(Challenge.id)))


def _ideas(challenge):
    return list(db.session.scalars(
        select(Idea).where(Idea.challenge_id == challenge.id, Idea.status == "published").order_by(Idea.id)))
