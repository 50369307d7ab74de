"""The test harness.

The schema is created once per database backend; each test runs inside a
transaction that is rolled back, so tests never see each other's rows. The
suite runs on SQLite, and again on PostgreSQL when TEST_DATABASE_URL is set.
"""
import os
import re

import pytest
from flask.testing import FlaskClient
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import clock, create_app
from app.config import TestConfig
from app.extensions import db, limiter
from tests.factories import PASSWORD, UserFactory

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")
REDIS_URL = os.environ.get("TEST_REDIS_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


def make_config(**settings):
    return type("Config", (TestConfig,), settings)


class BoundSession(FlaskSession):
    """A session pinned to the test's connection (Flask-SQLAlchemy would pick the engine)."""

    def get_bind(self, *args, **kwargs):
        return self.bind


class KindlingClient(FlaskClient):
    """A test client that sends the CSRF token a browser would have.

    Each request gets its own app context, hence its own `g` and database
    session (on the test's connection), as in production.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)

    def csrf_token(self):
        page = self.get("/").get_data(as_text=True)
        found = re.search(r'"X-CSRFToken": "([^"]+)"', page)
        if found is None:  # a visitor's pages carry no token (no cookie until needed): the log-in form has one
            page = self.get("/login").get_data(as_text=True)
            found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
        return found.group(1)

    def post(self, *args, csrf=True, **kwargs):
        if csrf:
            data = dict(kwargs.pop("data", None) or {})
            data.setdefault("csrf_token", self.csrf_token())
            kwargs["data"] = data
        return super().post(*args, **kwargs)


@pytest.fixture(scope="session", params=BACKENDS)
def app(request, tmp_path_factory):
    if request.param == "postgresql":
        url = POSTGRES_URL
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.db'}"
    instance = tmp_path_factory.mktemp("instance")
    application = create_app(make_config(SQLALCHEMY_DATABASE_URI=url, SEARCH_INDEX_DIR=str(instance / "index")))
    application.test_client_class = KindlingClient
    with application.app_context():
        db.drop_all()
        db.create_all()
    yield application
    with application.app_context():
        db.drop_all()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _fresh_state():
    """Unfreeze the clock and forget rate-limit counters after each test."""
    yield
    clock.freeze(None)


@pytest.fixture
def session(app):
    """The app context and a database session rolled back after the test."""
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        db.session = db._make_scoped_session(
            {"bind": connection, "join_transaction_mode": "create_savepoint", "class_": BoundSession}
        )
        limiter.reset()
        try:
            yield db.session
        finally:
            db.session.remove()
            db.session = original
            outer.rollback()
            connection.close()


@pytest.fixture
def client(app, session):
    return app.test_client()


def login(client, user):
    """Log `user` in on `client`, with the session generation as it is now in the database.

    Works inside a test's app context and outside one (threads of the concurrency tests), with a
    user row from this session or one committed and detached since.
    """
    from flask import current_app, has_app_context
    from sqlalchemy import inspect

    from app.auth.models import User
    from app.database import reading

    user_id = inspect(user).identity[0]
    if has_app_context() and current_app._get_current_object() is client.application:
        cookie_id = db.session.get(User, user_id, populate_existing=True).get_id()
    else:
        with client.application.app_context(), reading():
            cookie_id = db.session.get(User, user_id).get_id()
    with client.session_transaction() as flask_session:
        flask_session["_user_id"] = cookie_id
        flask_session["_fresh"] = True
    return client


@pytest.fixture
def member(session):
    return UserFactory()


@pytest.fixture
def moderator(session):
    return UserFactory(is_moderator=True)


@pytest.fixture
def admin(session):
    return UserFactory(is_admin=True, is_moderator=True)


@pytest.fixture
def member_client(client, member):
    return login(client, member)


@pytest.fixture
def moderator_client(client, moderator):
    return login(client, moderator)


@pytest.fixture
def admin_client(client, admin):
    return login(client, admin)


@pytest.fixture
def redis_url():
    """A real Redis for tests that exercise rq; CI always provides one."""
    if not REDIS_URL:
        if IN_CI:
            pytest.fail("TEST_REDIS_URL must be set in CI")
        pytest.skip("TEST_REDIS_URL is not set: no Redis to run a real worker against")
    from redis import Redis

    connection = Redis.from_url(REDIS_URL)
    connection.flushdb()
    yield REDIS_URL
    connection.flushdb()
    connection.close()


__all__ = ["PASSWORD", "login"]


class QueryCounter:
    """Counts the SQL statements the app sends while active."""

    def __init__(self, engine):
        self.engine = engine
        self.statements = []

    def _record(self, conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
            self.statements.append(statement)

    def __enter__(self):
        from sqlalchemy import event

        self.statements.clear()
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc):
        from sqlalchemy import event

        event.remove(self.engine, "before_cursor_execute", self._record)

    @property
    def count(self):
        return len(self.statements)


@pytest.fixture
def count_queries(session):
    """with count_queries as counted: client.get(...); assert counted.count == N"""
    return QueryCounter(db.engine)


@pytest.fixture(params=BACKENDS)
def committed(request, tmp_path):
    """An application of its own whose requests really commit, and its backend's name.

    The rolled-back `session` hides BEGIN and keeps every write uncommitted;
    statement counts and the visitors' page cache need real commits. On a
    SQLite file, and with TEST_DATABASE_URL on a throwaway PostgreSQL
    database next to the test one.
    """
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
        limiter.reset()  # visitors' page loads of earlier tests count against the same address
    yield application, request.param
    with application.app_context():
        db.session.remove()
        db.engine.dispose()
    if request.param == "postgresql":
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
