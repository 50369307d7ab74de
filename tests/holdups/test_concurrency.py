"""Two members cancel at once; two facilitator clicks on "next" at once: real commits from threads.

Like tests/voting/test_concurrency.py, these build their own application
(the rolled-back test session cannot see other connections' commits) and
delete what they made.
"""
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import delete, select

from app import create_app
from app.auth.models import User
from app.extensions import db
from challenges.holdups.models import Holdup, Registration
from challenges.holdups.services import live
from challenges.holdups.services import registration as reg
from challenges.models import Challenge
from tests.conftest import POSTGRES_URL, make_config
from tests.factories import UserFactory
from tests.holdups.conftest import make_holdup

pytestmark = pytest.mark.slow
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


@pytest.fixture(params=BACKENDS)
def committed(request, tmp_path):
    url = POSTGRES_URL if request.param == "postgresql" else f"sqlite:///{tmp_path / 'race.db'}"
    application = create_app(make_config(SQLALCHEMY_DATABASE_URI=url, SEARCH_INDEX_DIR=str(tmp_path / "index")))
    made = {"users": [], "challenges": []}
    with application.app_context():
        db.create_all()
    yield application, made
    with application.app_context():
        db.session.execute(delete(Challenge).where(Challenge.id.in_(made["challenges"])))
        db.session.execute(delete(User).where(User.id.in_(made["users"])))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def _in_threads(application, count, work):
    barrier = threading.Barrier(count)

    def run(index):
        with application.app_context():
            barrier.wait()
            try:
                result = work(index)
                db.session.commit()
                return result
            except Exception as error:  # noqa: BLE001 - reported to the test
                db.session.rollback()
                return error
            finally:
                db.session.remove()

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def test_two_cancellations_at_once_promote_the_first_two_waiting_exactly_once(committed):
    application, made = committed
    with application.app_context():
        challenge, holdup = make_holdup(capacity=2)
        members = [UserFactory() for _ in range(5)]
        for member in members:
            reg.register(member, challenge, holdup, accept_norms=True)
        db.session.commit()
        made["challenges"].append(challenge.id)
        made["users"] += [challenge.owner_id] + [m.id for m in members]
        challenge_id, member_ids = challenge.id, [m.id for m in members]
        db.session.remove()

    def cancel(index):
        user = db.session.get(User, member_ids[index])
        challenge = db.session.get(Challenge, challenge_id)
        return reg.cancel(user, challenge, db.session.get(Holdup, challenge_id))

    results = _in_threads(application, 2, cancel)
    assert not [r for r in results if isinstance(r, Exception)], results
    with application.app_context():
        rows = dict(db.session.execute(select(Registration.user_id, Registration.status)
                                       .where(Registration.challenge_id == challenge_id)).all())
        holdup = db.session.get(Holdup, challenge_id)
        assert [rows[i] for i in member_ids] == ["cancelled", "cancelled", "registered", "registered", "waiting"]
        assert (holdup.registered_count, holdup.waiting_count) == (2, 1)
        assert sorted(p for _was, promoted in results for p in promoted) == member_ids[2:4]
        db.session.remove()


def test_two_next_clicks_at_once_move_one_step(committed):
    application, made = committed
    with application.app_context():
        challenge, holdup = make_holdup()
        live.start_session(challenge.owner, challenge, holdup)
        db.session.commit()
        made["challenges"].append(challenge.id)
        made["users"].append(challenge.owner_id)
        challenge_id, owner_id = challenge.id, challenge.owner_id
        db.session.remove()

    def click_next(_index):
        challenge = db.session.get(Challenge, challenge_id)
        return live.move(db.session.get(User, owner_id), challenge, db.session.get(Holdup, challenge_id), 1, +1)

    results = _in_threads(application, 2, click_next)
    assert sorted(results, key=str) == [False, True], results
    with application.app_context():
        assert db.session.get(Holdup, challenge_id).current_step == 2
        db.session.remove()
