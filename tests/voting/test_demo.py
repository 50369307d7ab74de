from sqlalchemy import func, select

from app import demo
from app.extensions import db
from challenges.models import Challenge, Idea
from voting.models import Support
from voting.services import milestones, pairwise


def test_demo_has_supports_a_ladder_and_a_pairwise_round(session):
    assert demo.seed_demo()
    waste = db.session.scalar(select(Challenge).where(Challenge.title.like("%food waste%")))
    # The challenges demo's three ideas (moderation's demo adds more later, unsupported).
    ideas = db.session.scalars(select(Idea).where(Idea.challenge_id == waste.id).order_by(Idea.id).limit(3)).all()
    assert ideas[0].supporter_count > ideas[2].supporter_count > 0
    for idea in ideas:
        rows = db.session.scalar(select(func.count()).select_from(Support).where(Support.idea_id == idea.id))
        assert idea.supporter_count == rows
    assert [s.supporters for s in milestones.ladder(waste)] == [3, 10, 25]
    energy = db.session.scalar(select(Challenge).where(Challenge.phase == "voting"))
    round_ = pairwise.current_pairwise_round(energy)
    assert round_.is_open and round_.vote_count > 0
