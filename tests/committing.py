"""Seeding and signing in on the `committed` application (conftest), whose requests really commit."""
import sys
from datetime import timedelta

from app import clock, jobs
from app.extensions import db
from tests.conftest import QueryCounter, login
from tests.factories import ChallengeFactory, IdeaFactory, UserFactory


def seed(application, **challenge_fields):
    with application.app_context():
        challenge = ChallengeFactory(is_open=True, voting_at=None, submission_at=clock.now() - timedelta(days=2),
                                     **challenge_fields)
        idea, other = IdeaFactory(challenge=challenge), IdeaFactory(challenge=challenge)
        members = [UserFactory(created_at=clock.now() - timedelta(days=30)) for _ in range(3)]
        moderator = UserFactory(is_moderator=True)
        db.session.commit()
        ids = dict(challenge=challenge.id, slug=challenge.slug, idea=idea.id, other=other.id,
                   members=[m.id for m in members], moderator=moderator.id)
        db.session.remove()
    return ids


def as_member(application, user_id):
    from app.auth.models import User

    with application.app_context():
        client = login(application.test_client(), db.session.get(User, user_id))
        db.session.remove()
    return client


# In-process, after the response: what a worker does in production.
_JOB_RUNNERS = {jobs.execute.__code__, jobs.drain.__code__}


class RequestStatements(QueryCounter):
    """The statements a request sends, BEGIN included, jobs run in-process after it left out."""

    def _record(self, conn, cursor, statement, parameters, context, executemany):
        frame = sys._getframe()
        while frame is not None:
            if frame.f_code in _JOB_RUNNERS:
                return
            frame = frame.f_back
        self.statements.append(" ".join(statement.split())[:160])


def counted(application, send):
    with application.app_context():
        engine = db.engine
    with RequestStatements(engine) as statements:
        response = send()
    return response, statements
