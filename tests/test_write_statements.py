"""How many SQL statements a write costs, counted as production runs it (issue 13).

An application of its own whose requests really commit (the rolled-back
test session hides BEGIN), on a SQLite file and, with TEST_DATABASE_URL, on
a throwaway PostgreSQL database next to the test one. Every statement the
request sends is counted, BEGIN IMMEDIATE on SQLite included; jobs that run
in-process after the response (a worker runs them in production) are not.
"""
import sys
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from app import clock, create_app, jobs
from app.extensions import db
from tests.conftest import POSTGRES_URL, login, make_config
from tests.factories import ChallengeFactory, IdeaFactory, UserFactory
from tests.voting.helpers import hx

BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])
# A support: issue 13 allows 7 on SQLite and 6 on PostgreSQL: the member, the idea locked, its milestone
# row and the ladder in one read, the support, one UPDATE of the idea, the search job into the outbox
# (SQLite adds its BEGIN IMMEDIATE). The other writes are held to what they cost after the obvious repeats
# were cut (bench/README.md lists them).
LIMITS = {
    "support": {"sqlite": 7, "postgresql": 6},
    # +1: community marks the idea so its rollups of past days are redone (a withdrawal changes history).
    "withdraw": {"sqlite": 7, "postgresql": 6},
    "first support of an idea": {"sqlite": 8, "postgresql": 8},
    # +2: once request logging is on (it is in production, and after some tests), the member is read again
    # after the commit (BEGIN IMMEDIATE + SELECT users): 23, 14 and 20 without it on SQLite.
    "idea": {"sqlite": 25, "postgresql": 24},
    "comment": {"sqlite": 16, "postgresql": 15},
    "moderation": {"sqlite": 22, "postgresql": 21},
}


# In-process, after the response: what a worker does in production.
_JOB_RUNNERS = {jobs.execute.__code__, jobs.drain.__code__}


class RequestStatements:
    """The statements a request sends, BEGIN included, jobs run in-process after it left out."""

    def __init__(self, engine):
        self.engine = engine
        self.statements = []

    def _record(self, conn, cursor, statement, parameters, context, executemany):
        frame = sys._getframe()
        while frame is not None:
            if frame.f_code in _JOB_RUNNERS:
                return
            frame = frame.f_back
        self.statements.append(" ".join(statement.split())[:160])

    def __enter__(self):
        self.statements.clear()
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._record)

    @property
    def count(self):
        return len(self.statements)


@pytest.fixture(params=BACKENDS)
def committed(request, tmp_path):
    if request.param == "postgresql":
        name = f"test_perf_writes_{abs(hash(tmp_path)) % 10**8}"
        admin = create_engine(make_url(POSTGRES_URL).set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{tmp_path / 'writes.db'}"
    application = create_app(make_config(SQLALCHEMY_DATABASE_URI=url, SEARCH_INDEX_DIR=str(tmp_path / "index"),
                                         WTF_CSRF_ENABLED=False, NEW_MEMBER_PACE_SECONDS=0))
    with application.app_context():
        db.create_all()
    yield application, request.param
    with application.app_context():
        db.session.remove()
        db.engine.dispose()
    if request.param == "postgresql":
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


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


def counted(application, send):
    with application.app_context():
        engine = db.engine
    with RequestStatements(engine) as statements:
        response = send()
    return response, statements


def check(name, backend, response, statements, status=(200, 302, 303)):
    assert response.status_code in status, response.get_data(as_text=True)[:500]
    assert statements.count <= LIMITS[name][backend], "\n".join(statements.statements)


def test_a_support_costs_seven_statements_on_sqlite_six_on_postgresql(committed):
    application, backend = committed
    ids = seed(application)
    first, second = (as_member(application, m) for m in ids["members"][:2])
    # The first support of an idea also creates its milestone row.
    response, statements = counted(application, lambda: first.post(
        f"/ideas/{ids['idea']}/support", headers=hx(f"support-card-{ids['idea']}")))
    check("first support of an idea", backend, response, statements)
    response, statements = counted(application, lambda: second.post(
        f"/ideas/{ids['idea']}/support", headers=hx(f"support-card-{ids['idea']}")))
    check("support", backend, response, statements)
    assert "2" in response.get_data(as_text=True)  # the swapped box shows the new count
    joined = "\n".join(statements.statements)
    assert joined.count("UPDATE ideas") == 1  # count, hot score and activity in one UPDATE
    assert joined.count("milestone_steps") == 1 and joined.count("FROM idea_milestones") <= 1
    if backend == "sqlite":
        assert statements.statements[0] == "BEGIN IMMEDIATE"
    # Without JavaScript: a redirect and a flash, still nothing read after the commit.
    third = as_member(application, ids["members"][2])
    response, statements = counted(application, lambda: third.post(f"/ideas/{ids['idea']}/support"))
    check("support", backend, response, statements)
    response, statements = counted(application, lambda: third.post(f"/ideas/{ids['idea']}/support/withdraw"))
    check("withdraw", backend, response, statements)


def test_posting_an_idea_a_comment_and_a_moderation_decision(committed):
    application, backend = committed
    ids = seed(application, moderation_policy="all")
    author = as_member(application, ids["members"][0])
    response, statements = counted(application, lambda: author.post(f"/challenges/{ids['slug']}/ideas/new", data={
        "title": "Lend tools from the library", "description": "A tool library in every district, run by volunteers.",
        "tags": "tools, sharing", "builds_on": "0", "accept_norms": "y"}))
    check("idea", backend, response, statements)
    response, statements = counted(application, lambda: author.post(f"/ideas/{ids['other']}/comments", data={
        "body": "This would help the bakery on my street too.", "accept_norms": "y"}))
    check("comment", backend, response, statements)
    with application.app_context():
        from challenges.models import Idea

        pending = db.session.query(Idea.id).filter_by(status="pending").scalar()
        db.session.remove()
    moderator = as_member(application, ids["moderator"])
    response, statements = counted(application, lambda: moderator.post(
        f"/moderation/items/idea/{pending}/approve", data={"reason": "", "note": ""}))
    check("moderation", backend, response, statements)
