"""Two moderators decide the same item at the same moment: one wins, the other is told.

Real commits on a separate app and engine (the rolled-back test session cannot
show a race), cleaned up afterwards.
"""
import threading

import pytest
from sqlalchemy import delete

from app import create_app
from app.auth.models import User
from app.extensions import db
from challenges.models import Challenge, Comment, Idea, IdeaFollow
from moderation.models import AuditEntry, ModerationCase
from moderation.services import decisions, errors, items, queue
from tests.conftest import BACKENDS, POSTGRES_URL, make_config
from tests.factories import ChallengeFactory, IdeaFactory, UserFactory

ROUNDS = 4


@pytest.fixture(params=BACKENDS)
def racing_app(request, tmp_path):
    url = POSTGRES_URL if request.param == "postgresql" else f"sqlite:///{tmp_path / 'race.db'}"
    application = create_app(make_config(SQLALCHEMY_DATABASE_URI=url, SEARCH_INDEX_DIR=str(tmp_path / "index")))
    with application.app_context():
        db.create_all()
        before = db.session.scalar(db.select(db.func.max(User.id))) or 0
    yield application
    with application.app_context():
        db.session.rollback()
        # Only what this test committed: rows hanging off the users it made.
        users = select_ids(User.id > before)
        challenges = db.session.scalars(db.select(Challenge.id).where(Challenge.owner_id.in_(users))).all()
        for statement in (
            delete(ModerationCase).where(ModerationCase.challenge_id.in_(challenges)),
            delete(AuditEntry).where(AuditEntry.challenge_id.in_(challenges)),
            delete(IdeaFollow).where(IdeaFollow.user_id.in_(users)),
            delete(Comment).where(Comment.author_id.in_(users)),
            delete(Idea).where(Idea.challenge_id.in_(challenges)),
            delete(Challenge).where(Challenge.id.in_(challenges)),
            delete(User).where(User.id.in_(users)),
        ):
            db.session.execute(statement)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def select_ids(condition):
    return db.session.scalars(db.select(User.id).where(condition)).all()


def decide_in_thread(app, barrier, moderator_id, idea_id, case_id, action, results):
    with app.app_context():
        try:
            actor = db.session.get(User, moderator_id)
            items.load_item("idea", idea_id)  # each moderator has the page open
            db.session.rollback()  # that page's request is over
            barrier.wait()
            entry = decisions.decide(
                actor, items.load_item("idea", idea_id), action, reason="spam", case_id=case_id,
                seen_status="pending")
            db.session.commit()
            results.append(("decided", moderator_id, entry.action))
        except errors.AlreadyDecided as refused:
            db.session.rollback()
            results.append(("refused", moderator_id, refused.message))
        finally:
            db.session.remove()


@pytest.mark.slow
def test_two_moderators_never_decide_the_same_item_twice(racing_app):
    with racing_app.app_context():
        first = UserFactory(is_moderator=True, display_name="First")
        second = UserFactory(is_moderator=True, display_name="Second")
        challenge = ChallengeFactory()
        ideas = []
        for _ in range(ROUNDS):
            idea = IdeaFactory(challenge=challenge, status="pending", published_at=None)
            case = queue.open_case(items.load_item("idea", idea.id), "pending")
            ideas.append((idea.id, case.id))
        db.session.commit()
        names = {first.id: "First", second.id: "Second"}
        ids = (first.id, second.id)
        db.session.remove()

    for idea_id, case_id in ideas:
        barrier, results = threading.Barrier(2), []
        threads = [
            threading.Thread(target=decide_in_thread,
                             args=(racing_app, barrier, ids[0], idea_id, case_id, "approve", results)),
            threading.Thread(target=decide_in_thread,
                             args=(racing_app, barrier, ids[1], idea_id, case_id, "reject", results)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        outcomes = sorted(r[0] for r in results)
        assert outcomes == ["decided", "refused"], results
        winner = next(r for r in results if r[0] == "decided")
        refusal = next(r for r in results if r[0] == "refused")
        assert f"Already decided by {names[winner[1]]} at" in refusal[2]
        with racing_app.app_context():
            idea = db.session.get(Idea, idea_id)
            assert idea.status == ("published" if winner[2] == "approve" else "rejected")
            log = db.session.scalars(db.select(AuditEntry).where(AuditEntry.item_id == idea_id,
                                                                 AuditEntry.item_kind == "idea")).all()
            assert [(e.actor_id, e.action) for e in log] == [(winner[1], winner[2])]
            case = db.session.get(ModerationCase, case_id)
            assert case.decided_by_id == winner[1]
            db.session.remove()
