"""Community test data: supports and a small, hand-countable story."""
from datetime import UTC, datetime

import factory

from challenges.models import NormsAcceptance
from tests.factories import BaseFactory, ChallengeFactory, CommentFactory, IdeaFactory, UserFactory
from voting.models import IdeaMilestone, Support


class SupportFactory(BaseFactory):
    class Meta:
        model = Support

    user = factory.SubFactory(UserFactory)
    user_id = factory.LazyAttribute(lambda o: o.user.id)
    idea = factory.SubFactory(IdeaFactory)
    idea_id = factory.LazyAttribute(lambda o: o.idea.id)

    @classmethod
    def _adjust_kwargs(cls, **kwargs):
        kwargs.pop("user", None)
        kwargs.pop("idea", None)
        return kwargs


def at(month, day, hour=10):
    return datetime(2026, month, day, hour, tzinfo=UTC)


NOW = at(3, 15, 12)  # the clock of the story: 15 March 2026, noon UTC


def story():
    """The figures in the tests below are counted by hand from this.

    In "7 days" (9–15 March): ana 2 contributions, ben 3 (one today), cy 1, dee 3.
    """
    from app.tags import tags_named

    ana, ben, cy, dee = (UserFactory(username=name) for name in ("ana", "ben", "cy", "dee"))
    ana.skills = tags_named(["design", "data"])
    ben.skills = tags_named(["data"])
    ben.interests = tags_named(["food"])
    challenge = ChallengeFactory(published_at=at(2, 1), submission_at=at(2, 1))
    february = IdeaFactory(challenge=challenge, author=ana, created_at=at(2, 20))
    idea = IdeaFactory(challenge=challenge, author=ana, created_at=at(3, 10), supporter_count=2)
    SupportFactory(user=ben, idea=idea, created_at=at(3, 11, 10))  # idea's first response: 24 h
    CommentFactory(idea=idea, author=ben, created_at=at(3, 11, 12))
    CommentFactory(idea=idea, author=ana, created_at=at(3, 12))
    IdeaFactory(challenge=challenge, author=cy, created_at=at(3, 14), status="hidden")
    SupportFactory(user=cy, idea=idea, created_at=at(3, 14))
    CommentFactory(idea=idea, author=dee, created_at=at(3, 13, 9))
    CommentFactory(idea=idea, author=dee, created_at=at(3, 13, 11))
    CommentFactory(idea=idea, author=dee, created_at=at(3, 14, 11))
    CommentFactory(idea=idea, author=dee, created_at=at(3, 14, 12), status="pending")
    rejected = IdeaFactory(challenge=challenge, author=dee, created_at=at(3, 12), status="rejected")
    SupportFactory(user=ana, idea=rejected, created_at=at(3, 12, 11))
    today = IdeaFactory(challenge=challenge, author=ben, created_at=at(3, 15, 9), builds_on_id=idea.id)
    draft = ChallengeFactory(phase="draft")
    IdeaFactory(challenge=draft, author=cy, created_at=at(3, 13))
    from app.extensions import db

    db.session.add(NormsAcceptance(user_id=ben.id, challenge_id=challenge.id, accepted_at=at(3, 11, 9)))
    db.session.add(IdeaMilestone(idea_id=idea.id, reached=1, started_at=at(3, 10), reached_at=at(3, 12)))
    db.session.flush()
    return dict(challenge=challenge, ana=ana, ben=ben, cy=cy, dee=dee, idea=idea, february=february, today=today)
