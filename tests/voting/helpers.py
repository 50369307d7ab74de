"""Shared set-ups for the voting tests."""
from datetime import timedelta

from sqlalchemy.orm.attributes import set_committed_value

from app import clock
from tests.factories import ChallengeFactory, IdeaFactory, UserFactory

HX = {"HX-Request": "true"}


def voting_idea(challenge=None, **idea_fields):
    """A published idea, by default in an open challenge taking ideas and votes; idea.challenge is loaded."""
    challenge = challenge or ChallengeFactory(is_open=True, voting_at=None,
                                              submission_at=clock.now() - timedelta(days=60))
    idea = IdeaFactory(challenge=challenge, **idea_fields)
    set_committed_value(idea, "challenge", challenge)
    return idea


def hx(target):
    return {"HX-Request": "true", "HX-Target": target}


def supporters(n):
    return [UserFactory() for _ in range(n)]
