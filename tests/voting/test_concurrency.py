"""Exact counts under load: real commits from many threads, on SQLite and PostgreSQL.

These tests build their own application and engine (the rolled-back test
session cannot see other connections' commits) and delete what they made.
"""
import random
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select

from app import clock, create_app
from app.auth.models import User
from app.extensions import db
from challenges.models import Challenge, Idea
from tests.conftest import POSTGRES_URL, login, make_config
from tests.factories import ChallengeFactory, IdeaFactory, UserFactory
from voting.models import DotBallot, DotRound, DotTally, Support

pytestmark = pytest.mark.slow
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


@pytest.fixture(params=BACKENDS)
def committed(request, tmp_path):
    """An app whose requests really commit, and a record of the rows to delete afterwards."""
    url = POSTGRES_URL if request.param == "postgresql" else f"sqlite:///{tmp_path / 'storm.db'}"
    application = create_app(make_config(
        SQLALCHEMY_DATABASE_URI=url, SEARCH_INDEX_DIR=str(tmp_path / "index"),
        WTF_CSRF_ENABLED=False,
    ))
    made = {"users": [], "challenges": [], "ideas": []}
    with application.app_context():
        db.create_all()
    yield application, made
    with application.app_context():
        db.session.execute(delete(Support).where(Support.idea_id.in_(made["ideas"])))
        db.session.execute(delete(DotRound).where(DotRound.challenge_id.in_(made["challenges"])))
        db.session.execute(delete(Idea).where(Idea.id.in_(made["ideas"])))
        db.session.execute(delete(Challenge).where(Challenge.id.in_(made["challenges"])))
        db.session.execute(delete(User).where(User.id.in_(made["users"])))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def seed(application, made, members, ideas, **challenge_fields):
    with application.app_context():
        challenge = ChallengeFactory(is_open=True, voting_at=None, submission_at=clock.now() - timedelta(days=2),
                                     **challenge_fields)
        idea_rows = [IdeaFactory(challenge=challenge) for _ in range(ideas)]
        member_rows = [UserFactory() for _ in range(members)]
        db.session.commit()
        made["challenges"].append(challenge.id)
        made["ideas"] += [i.id for i in idea_rows]
        made["users"] += [challenge.owner_id] + [i.author_id for i in idea_rows] + [m.id for m in member_rows]
        result = [i.id for i in idea_rows], member_rows
        db.session.remove()
        return result


def counts_match_rows(application, idea_ids):
    with application.app_context():
        actual = dict(db.session.execute(
            select(Support.idea_id, func.count()).where(Support.idea_id.in_(idea_ids)).group_by(Support.idea_id)
        ).all())
        stored = dict(db.session.execute(select(Idea.id, Idea.supporter_count).where(Idea.id.in_(idea_ids))).all())
        db.session.remove()
    return stored, {i: actual.get(i, 0) for i in idea_ids}


def test_fifty_identical_supports_at_once_leave_one_row(committed):
    application, made = committed
    (idea_id,), (member,) = seed(application, made, members=1, ideas=1)
    clients = [login(application.test_client(), member) for _ in range(50)]
    start = threading.Barrier(50)

    def fire(client):
        start.wait()
        return client.post(f"/ideas/{idea_id}/support").status_code

    with ThreadPoolExecutor(50) as pool:
        statuses = list(pool.map(fire, clients))
    assert set(statuses) == {302}
    stored, actual = counts_match_rows(application, [idea_id])
    assert stored == actual == {idea_id: 1}


def test_a_storm_of_supports_and_withdrawals_keeps_every_count_exact(committed):
    application, made = committed
    idea_ids, members = seed(application, made, members=200, ideas=20)
    clients = [login(application.test_client(), m) for m in members]
    rng = random.Random(2026)
    # Each member acts 50 times, from one client: 10,000 requests, 16 at a time.
    plan = [(clients[n % 200], rng.choice(idea_ids), rng.choice(("support", "support/withdraw")))
            for n in range(10_000)]
    lanes = [plan[k::200] for k in range(200)]  # one lane per member: a client is not shared between threads

    def run(lane):
        return [client.post(f"/ideas/{idea}/{action}").status_code for client, idea, action in lane]

    with ThreadPoolExecutor(16) as pool:
        statuses = [s for lane in pool.map(run, lanes) for s in lane]
    assert len(statuses) == 10_000 and set(statuses) == {302}
    stored, actual = counts_match_rows(application, idea_ids)
    assert stored == actual
    assert sum(actual.values()) > 0


def test_two_tabs_at_once_cannot_overspend_dots(committed):
    application, made = committed
    idea_ids, (member,) = seed(application, made, members=1, ideas=2, format="holdup")
    with application.app_context():
        from voting.services import dots

        challenge = db.session.get(Challenge, made["challenges"][-1])
        round_id = dots.open_dot_round(db.session.get(User, challenge.owner_id), challenge, budget=3).id
        slug = challenge.slug
        db.session.commit()
        db.session.remove()
    clients = [login(application.test_client(), member) for _ in range(24)]
    start = threading.Barrier(24)

    def fire(pair):
        n, client = pair
        start.wait()
        return client.post(f"/challenges/{slug}/dots/{idea_ids[n % 2]}/add").status_code

    with ThreadPoolExecutor(24) as pool:
        statuses = list(pool.map(fire, enumerate(clients)))
    assert set(statuses) == {302}
    with application.app_context():
        spent = db.session.get(DotBallot, (round_id, member.id)).spent
        tallies = db.session.scalars(select(DotTally.dots).where(DotTally.round_id == round_id)).all()
        db.session.remove()
    assert spent == 3 and sum(tallies) == 3
