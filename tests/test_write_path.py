"""One write path under load: the periodic jobs run while 8 people write through the real routes.

On SQLite every writing transaction begins with BEGIN IMMEDIATE and waits its
turn; before, a registration or an idea posted during the scheduler's tick
answered 500 "database is locked". The same storm runs on PostgreSQL. Each
backend gets a database of its own (a file, or a PostgreSQL database made and
dropped here), so nothing is left behind.
"""
import re
import threading
import time
from uuid import uuid4

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from app import clock, create_app, scheduler
from app.auth.models import User
from app.extensions import db
from challenges.models import Comment, Idea
from moderation.models import Flag
from tests.conftest import BACKENDS, POSTGRES_URL, KindlingClient, make_config
from tests.factories import PASSWORD, ChallengeFactory, CommentFactory, IdeaFactory, UserFactory
from voting.models import Support

pytestmark = pytest.mark.slow

WRITERS = 6  # members who register, post, comment, support and flag
MODERATORS = 2
ROUNDS = 4


@pytest.fixture
def database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'write-path.db'}"
        return
    import psycopg

    server = make_url(POSTGRES_URL)
    name = f"kindling_write_path_{uuid4().hex[:8]}"
    admin_url = server.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    yield server.set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture
def busy_app(database_url, tmp_path):
    application = create_app(make_config(
        SQLALCHEMY_DATABASE_URI=database_url, SEARCH_INDEX_DIR=str(tmp_path / "index"),
        NEW_MEMBER_PACE_SECONDS=0, REGISTRATIONS_PER_HOUR=10_000,
        # Rate limits have tests of their own; counters other tests left in the shared limiter must not
        # turn this storm's posts into 429s.
        RATELIMIT_ENABLED=False,
    ))
    application.test_client_class = KindlingClient
    with application.app_context():
        db.create_all()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def seed(application):
    """An open challenge under the default policy, ROUNDS ideas with comments, two moderators."""
    with application.app_context():
        challenge = ChallengeFactory(is_open=True, voting_at=None, moderation_policy="pre_new")
        ideas = [IdeaFactory(challenge=challenge) for _ in range(ROUNDS)]
        # One comment for each flag a writer will raise, so no comment collects the three flags that hide it.
        commenter = UserFactory()
        comments = [CommentFactory(idea=ideas[n % ROUNDS], author=commenter) for n in range(WRITERS * ROUNDS)]
        moderators = [UserFactory(is_moderator=True) for _ in range(MODERATORS)]
        db.session.commit()
        seeded = challenge.slug, [i.id for i in ideas], [c.id for c in comments], [m.username for m in moderators]
        db.session.remove()
        return seeded


class Storm:
    def __init__(self, application):
        self.application = application
        self.statuses = []
        self.failures = []
        self.posted_ideas = []
        self.lock = threading.Lock()
        self.writers_done = threading.Event()

    def record(self, what, response, expected=(302, 303)):
        with self.lock:
            self.statuses.append((what, response.status_code))
            if response.status_code not in expected:
                self.failures.append((what, response.status_code, response.get_data(as_text=True)[:300]))
        return response

    def member(self, number, slug, idea_ids, comment_ids):
        client = self.application.test_client()
        username = f"storm{number}x{uuid4().hex[:6]}"
        self.record("register", client.post("/register", data={
            "username": username, "email": f"{username}@example.org", "password": PASSWORD}))
        for round_ in range(ROUNDS):
            response = self.record("idea", client.post(f"/challenges/{slug}/ideas/new", data={
                "title": f"Storm idea {round_} from {username}",
                "description": "Written while the scheduler ticks, to prove nobody gets a 500.",
                "tags": "storm", "builds_on": "0", "accept_norms": "y"}))
            if match := re.search(r"/ideas/(\d+)$", response.headers.get("Location", "")):
                with self.lock:
                    self.posted_ideas.append(int(match.group(1)))
            self.record("comment", client.post(f"/ideas/{idea_ids[round_]}/comments", data={
                "body": f"A thought from {username} in round {round_}.", "accept_norms": "y"}))
            self.record("support", client.post(f"/ideas/{idea_ids[round_]}/support"))
            self.record("flag", client.post(f"/flag/comment/{comment_ids[number * ROUNDS + round_]}", data={"reason": "off_topic"}))

    def moderator(self, username):
        client = self.application.test_client()
        self.record("login", client.post("/login", data={"login": username, "password": PASSWORD}))
        while True:
            finished = self.writers_done.is_set()
            with self.application.app_context():
                pending = db.session.scalars(select(Idea.id).where(Idea.status == "pending")).all()
                db.session.remove()
            for idea_id in pending:
                # Two moderators race for the same items: one decides, the other is told who did.
                self.record("approve", client.post(f"/moderation/items/idea/{idea_id}/approve"),
                           expected=(200, 302, 303, 409))
            if finished and not pending:
                return
            time.sleep(0.01)

    def periodic_jobs(self, stop):
        """The development scheduler's loop, with every periodic job due on every pass."""
        while not stop.is_set():
            with self.application.app_context():
                try:
                    scheduler.run_due({})
                except Exception as error:  # noqa: BLE001 - a failing tick is what this test looks for
                    with self.lock:
                        self.failures.append(("periodic jobs", 500, repr(error)))
                finally:
                    db.session.remove()


def run_storm(application, slug, idea_ids, comment_ids, moderators):
    storm = Storm(application)
    stop = threading.Event()
    ticking = threading.Thread(target=storm.periodic_jobs, args=(stop,))
    writers = [threading.Thread(target=storm.member, args=(n, slug, idea_ids, comment_ids)) for n in range(WRITERS)]
    deciders = [threading.Thread(target=storm.moderator, args=(name,)) for name in moderators]
    ticking.start()
    for thread in writers + deciders:
        thread.start()
    for thread in writers:
        thread.join(timeout=240)
    storm.writers_done.set()
    for thread in deciders:
        thread.join(timeout=120)
    stop.set()
    ticking.join(timeout=60)
    return storm


@pytest.mark.parametrize("database_url", BACKENDS, indirect=True)
def test_writers_and_the_scheduler_never_collide(busy_app):
    clock.freeze(None)
    slug, idea_ids, comment_ids, moderators = seed(busy_app)
    storm = run_storm(busy_app, slug, idea_ids, comment_ids, moderators)

    assert [s for s in storm.statuses if s[1] >= 500] == []
    assert storm.failures == []
    expected_posts = WRITERS * ROUNDS
    assert sum(1 for what, _ in storm.statuses if what == "idea") == expected_posts
    with busy_app.app_context():
        members = db.session.scalars(select(User.id).where(User.username.like("storm%"))).all()
        assert len(members) == WRITERS
        ideas = db.session.execute(select(Idea.id, Idea.status).where(Idea.author_id.in_(members))).all()
        assert sorted(i.id for i in ideas) == sorted(storm.posted_ideas)
        assert len(ideas) == expected_posts
        assert {i.status for i in ideas} == {"published"}, "every pending idea was approved"
        comments = db.session.scalar(select(func.count()).select_from(Comment).where(Comment.author_id.in_(members)))
        assert comments == expected_posts
        supported = dict(db.session.execute(select(Idea.id, Idea.supporter_count).where(Idea.id.in_(idea_ids))).all())
        rows = dict(db.session.execute(
            select(Support.idea_id, func.count()).where(Support.idea_id.in_(idea_ids)).group_by(Support.idea_id)
        ).all())
        assert supported == rows == {idea_id: WRITERS for idea_id in idea_ids}
        flags = db.session.scalar(select(func.count()).select_from(Flag).where(Flag.user_id.in_(members)))
        assert flags == expected_posts
        db.session.remove()


def test_a_writer_dropped_mid_transaction_does_not_hold_up_the_next(tmp_path, monkeypatch):
    """A write transaction lost without commit or rollback (its connection garbage-collected after an
    error) gives up its place in the SQLite writers' queue when the pool takes the connection back."""
    import gc

    from app import database

    monkeypatch.setattr(database, "SQLITE_BUSY_TIMEOUT", 3)
    application = create_app(make_config(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'dropped.db'}",
                                         SEARCH_INDEX_DIR=str(tmp_path / "index")))
    with application.app_context(), database.writing():
        engine = db.engine
        lost = engine.connect()
        lost.begin()
        lost.exec_driver_sql("SELECT 1")
        del lost
        gc.collect()

        started = time.monotonic()
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE after_the_drop (x INTEGER)")
        waited = time.monotonic() - started
        engine.dispose()
    assert waited < 1, f"the next writer waited {waited:.1f} s for a lock nobody held"
