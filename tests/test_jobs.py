from rq import Queue, SimpleWorker
from sqlalchemy import select

from app import jobs
from app.auth.models import User
from app.extensions import db
from tests.factories import UserFactory

calls = []


def record_call(user_id):
    """A job that leaves a trace in the database: it renames the member."""
    user = db.session.get(User, user_id)
    user.display_name = f"touched-{user.display_name}"
    calls.append(user_id)


def test_inline_job_runs_only_after_commit(session):
    calls.clear()
    user = UserFactory(display_name="x")
    jobs.enqueue(record_call, user.id)
    jobs.dispatch()
    assert calls == []  # not committed yet
    db.session.commit()
    jobs.dispatch()
    assert calls == [user.id]
    assert db.session.get(User, user.id).display_name == "touched-x"


def test_rolled_back_transaction_sends_nothing(session):
    calls.clear()
    user = UserFactory()
    db.session.commit()
    jobs.enqueue(record_call, user.id)
    db.session.rollback()
    db.session.commit()
    jobs.dispatch()
    assert calls == []


def test_jobs_take_ids_not_objects(session):
    user = UserFactory()
    try:
        jobs.enqueue(record_call, user)
    except TypeError as error:
        assert "ids" in str(error)
    else:
        raise AssertionError("enqueue accepted an object")


def test_welcome_job_is_idempotent(session):
    from app.auth.services import welcome_member

    user = UserFactory()
    welcome_member(user.id)
    first = user.welcomed_at
    welcome_member(user.id)
    assert user.welcomed_at == first


def test_registration_job_goes_through_redis_to_a_real_worker(app, client, redis_url):
    from redis import Redis

    app.config["REDIS_URL"] = redis_url
    try:
        response = client.post(
            "/register", data={"username": "queued", "email": "q@example.org", "password": "violet-lantern-harbor"}
        )
        assert response.status_code == 302
        user = db.session.scalar(select(User).where(User.username == "queued"))
        assert user.welcomed_at is None  # sent to Redis, not run in the request
        connection = Redis.from_url(redis_url)
        queue = Queue(jobs.DEFAULT_QUEUE, connection=connection)
        assert queue.count == 1
        worker = SimpleWorker([queue], connection=connection)
        assert worker.work(burst=True)
        db.session.expire_all()
        assert db.session.get(User, user.id).welcomed_at is not None
        assert queue.count == 0 and not queue.failed_job_registry.count
    finally:
        app.config["REDIS_URL"] = None
