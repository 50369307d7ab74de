"""The outbox: jobs survive a Redis outage, run once, are retried with backoff, and failures reach admins."""
from datetime import timedelta

import pytest
from redis import Redis
from rq import Queue, SimpleWorker
from sqlalchemy import func, select

from app import clock, jobs
from app.auth.models import User
from app.extensions import db
from app.outbox import OutboxJob
from moderation.services import items, queue
from notifications.models import Notification
from tests.conftest import login
from tests.factories import ChallengeFactory, IdeaFactory, UserFactory
from tests.notifications.conftest import commit, free_port, messages_of

attempts = []


def flaky(marker):
    """A job that fails until the test lets it through."""
    attempts.append(marker)
    if marker == "fail" or (marker == "fail-then-pass" and len(attempts) < 6):
        raise RuntimeError("SMTP said no")


def _work(redis_url):
    connection = Redis.from_url(redis_url)
    queues = [Queue(name, connection=connection) for name in jobs.queue_names()]
    SimpleWorker(queues, connection=connection).work(burst=True)
    assert not any(queue.failed_job_registry.count for queue in queues)


def _rows(status=None):
    query = select(func.count()).select_from(OutboxJob)
    return db.session.scalar(query.where(OutboxJob.status == status) if status else query)


@pytest.mark.redis
def test_redis_down_requests_succeed_and_everything_arrives_once_when_it_returns(app, client, redis_url, inbox):
    challenge = ChallengeFactory()
    author = UserFactory()
    idea = IdeaFactory(challenge=challenge, author=author)
    pending = IdeaFactory(challenge=challenge, author=UserFactory(), status="pending", published_at=None)
    queue.open_case(items.load_item("idea", pending.id), "pending")
    commenter, moderator = UserFactory(), UserFactory(is_moderator=True)
    commit()
    app.config["REDIS_URL"] = f"redis://127.0.0.1:{free_port()}/11"  # nothing listens there
    try:
        registered = client.post("/register", data={"username": "outage", "email": "outage@example.org",
                                                    "password": "violet-lantern-harbor"})
        assert registered.status_code == 302
        client.post("/logout")
        login(client, commenter)
        commented = client.post(f"/ideas/{idea.id}/comments",
                                data={"body": "Posted while Redis is down.", "accept_norms": "y"})
        assert commented.status_code in (302, 303)
        login(client, moderator)
        rejected = client.post(f"/moderation/items/idea/{pending.id}/reject",
                               data={"reason": "off_topic", "note": "Not about food."})
        assert rejected.status_code == 303
        assert _rows("pending") >= 4  # welcome, index writes, two notifications: all waiting
        assert messages_of(author) == [] and inbox.envelopes == []

        app.config["REDIS_URL"] = redis_url  # Redis is back
        assert jobs.drain(now=clock.now() + timedelta(minutes=1)) >= 4  # what the scheduler's tick does
        _work(redis_url)
        assert messages_of(author) == [f"{commenter.name} commented on your idea “{idea.title}”."]
        rejected_author = db.session.get(User, pending.author_id)
        assert len(messages_of(rejected_author)) == 1
        assert len(inbox.to(rejected_author.email)) == 1
        assert db.session.scalar(select(User.welcomed_at).where(User.username == "outage")) is not None
        assert _rows("pending") == 0 and _rows("running") == 0 and _rows("failed") == 0

        # Handing everything over again (a second drain, a duplicate rq job) changes nothing.
        for row_id in db.session.scalars(select(OutboxJob.id)):
            Queue(jobs.DEFAULT_QUEUE, connection=Redis.from_url(redis_url)).enqueue(jobs.run_job, row_id)
        _work(redis_url)
        assert len(messages_of(author)) == 1 and len(inbox.to(rejected_author.email)) == 1
    finally:
        app.config["REDIS_URL"] = None
        jobs._redis_was_down = False


@pytest.mark.redis
def test_after_an_outage_the_next_request_drains_the_outbox(app, client, redis_url):
    author = UserFactory()
    idea = IdeaFactory(author=author)
    commit()
    app.config["REDIS_URL"] = f"redis://127.0.0.1:{free_port()}/11"
    try:
        login(client, UserFactory())
        client.post(f"/ideas/{idea.id}/comments", data={"body": "During the outage.", "accept_norms": "y"})
        app.config["REDIS_URL"] = redis_url
        login(client, UserFactory())
        client.post(f"/ideas/{idea.id}/comments", data={"body": "After the outage.", "accept_norms": "y"})
        _work(redis_url)
        assert len(messages_of(author)) == 2
    finally:
        app.config["REDIS_URL"] = None
        jobs._redis_was_down = False


def test_failed_job_is_retried_with_backoff_then_shown_to_admins_with_a_retry(client, admin, member):
    attempts.clear()
    jobs.enqueue(flaky, "fail-then-pass")
    commit()
    [row] = db.session.scalars(select(OutboxJob).where(OutboxJob.name.like("%flaky"))).all()
    assert (row.status, row.attempts) == ("pending", 1) and "SMTP said no" in row.last_error
    assert jobs.drain() == 0  # backing off: not yet
    moment = clock.now()
    for _ in range(4):
        moment += timedelta(hours=1)
        jobs.drain(now=moment)
    db.session.refresh(row)
    assert (row.status, row.attempts) == ("failed", 5) and len(attempts) == 5

    login(client, member)
    assert client.get("/admin/jobs/").status_code == 403
    assert client.post(f"/admin/jobs/{row.id}/retry").status_code == 403
    login(client, admin)
    page = client.get("/admin/jobs/").get_data(as_text=True)
    assert "tests.notifications.test_outbox:flaky" in page and "RuntimeError: SMTP said no" in page
    assert client.post(f"/admin/jobs/{row.id}/retry").status_code == 302
    db.session.refresh(row)
    assert row.status == "done" and len(attempts) == 6
    assert "No failed jobs" in client.get("/admin/jobs/").get_data(as_text=True)


def test_a_job_lost_with_its_worker_runs_again_after_its_lease(session, member):
    from notifications import jobs as notification_jobs

    jobs.enqueue(notification_jobs.roles_granted, member.id, "moderator", 0)
    db.session.commit()
    db.session.info.pop("kindling.jobs.ready")  # handed to a worker that then died
    row = db.session.scalars(select(OutboxJob).where(OutboxJob.name.like("%roles_granted"))).one()
    assert jobs._claim(row.id, clock.now()) is not None  # the worker claimed it ... and was killed
    assert jobs.drain() == 0  # its lease is still running: nobody else takes it
    assert jobs.execute(row.id) is False
    later = clock.now() + timedelta(seconds=jobs.QUEUE_TIMEOUTS[jobs.DEFAULT_QUEUE]) + jobs.LEASE_MARGIN * 2
    assert jobs.drain(now=later) == 1
    db.session.refresh(row)
    assert row.status == "done" and row.attempts == 2
    assert db.session.scalar(select(func.count()).select_from(Notification)
                             .where(Notification.user_id == member.id)) == 1


def test_periodic_run_is_recorded_once_per_slot(session):
    from notifications import jobs as notification_jobs

    jobs.enqueue(notification_jobs.collect_digests, run_key="digests@1")
    jobs.enqueue(notification_jobs.collect_digests, run_key="digests@1")
    db.session.commit()
    db.session.info.pop("kindling.jobs.ready", None)
    jobs.enqueue(notification_jobs.collect_digests, run_key="digests@1")  # another scheduler, another transaction
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(OutboxJob).where(OutboxJob.run_key == "digests@1")) == 1
