"""Issue 14, items 12-15: a bad day. Redis down, the database unreachable, errors while streaming,
health endpoints, request ids and structured logs. Real sockets, real Redis, no mocks."""
import io
import json
import logging
import socket
import threading
import time

import pytest
from flask_migrate import upgrade

from app import create_app
from app.config import ProductionConfig
from app.extensions import db, limiter
from app.observability import install_json_logging
from tests.conftest import REDIS_URL, make_config

CLOSED_DATABASE = "postgresql+psycopg://kindling@127.0.0.1:9/unreachable"  # port 9: nothing listens


def closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def own_limiter():
    """Apps made here re-initialise the shared limiter; give the suite's app its storage back after."""
    saved = dict(limiter.__dict__)
    # The limit manager is shared and changed in place (a RATELIMIT_DEFAULT stays in it): keep its limits too.
    manager = limiter.limit_manager
    defaults, application = list(manager._default_limits), list(manager._application_limits)
    yield
    limiter.__dict__.clear()
    limiter.__dict__.update(saved)
    manager.set_default_limits(defaults)
    manager.set_application_limits(application)


def standalone_app(tmp_path, create_tables=True, **settings):
    """An app on its own SQLite file, outside the test harness's rolled-back session: as in production."""
    settings.setdefault("SQLALCHEMY_DATABASE_URI", f"sqlite:///{tmp_path}/app.db")
    application = create_app(make_config(TESTING=False, SEARCH_INDEX_DIR=str(tmp_path / "index"), **settings))
    if create_tables:
        with application.app_context():
            db.create_all()
    return application


def add_user(application, **fields):
    from app.auth.models import User

    with application.app_context():
        user = User(username=fields.get("username", "grace"), username_key=fields.get("username", "grace"),
                    email=f"{fields.get('username', 'grace')}@example.org",
                    is_moderator=fields.get("is_moderator", False))
        user.set_password("violet-lantern-harbor")
        db.session.add(user)
        db.session.commit()
        return user.get_id()


def as_user(application, session_id):
    client = application.test_client()
    with client.session_transaction() as flask_session:
        flask_session["_user_id"] = session_id
        flask_session["_fresh"] = True
    return client


def assert_site_error_page(response, status, text):
    assert response.status_code == status
    page = response.get_data(as_text=True)
    assert text in page and "Traceback" not in page
    assert "<nav" in page or "Error reference" in page
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Request-ID"]
    return page


# Item 12: the rate limiter with Redis down

class Relay:
    """A TCP relay to the real Redis that can be cut and restored: Redis going away and coming back."""

    def __init__(self, target_host, target_port):
        self.target = (target_host, target_port)
        self.port = closed_port()
        self.server = None
        self.connections = []

    def start(self):
        self.server = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, args=(self.server,), daemon=True).start()

    def _accept(self, server):
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.connections += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def stop(self):
        if self.server is not None:
            self.server.close()
            self.server = None
        for connection in self.connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
                connection.close()
            except OSError:
                pass
        self.connections = []


def login(client, password):
    return client.post("/login", data={"login": "grace", "password": password})


def test_members_logging_in_at_once_while_redis_is_down_get_no_500(tmp_path, own_limiter):
    """The first requests to find Redis gone race to switch the limiter to memory; none may lose with a 500."""
    application = standalone_app(tmp_path, RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{closed_port()}/0",
                                 WTF_CSRF_ENABLED=False)
    add_user(application)
    start, statuses = threading.Barrier(8), []

    def log_in():
        client = application.test_client()
        start.wait()
        statuses.append(login(client, "violet-lantern-harbor").status_code)

    threads = [threading.Thread(target=log_in) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [302] * 8


def test_login_and_registration_work_while_redis_is_down_and_limits_return_with_it(
        tmp_path, own_limiter, caplog, redis_url):
    from redis import Redis

    real = Redis.from_url(redis_url)
    address = real.connection_pool.connection_kwargs
    relay = Relay(address.get("host", "127.0.0.1"), address.get("port", 6379))
    down_url = f"redis://127.0.0.1:{relay.port}/{address.get('db', 0)}"
    application = standalone_app(tmp_path, RATELIMIT_STORAGE_URI=down_url, WTF_CSRF_ENABLED=False)
    add_user(application)
    client = application.test_client()
    caplog.set_level(logging.INFO, logger="flask-limiter")

    # Redis unreachable: nothing answers 500, and the limit is still counted (in memory).
    assert login(client, "wrong-password-1").status_code == 422
    assert login(client, "violet-lantern-harbor").status_code == 302
    client.post("/logout")
    registered = client.post("/register", data={"username": "hopper", "email": "hopper@example.org",
                                                "password": "saffron-kettle-42"})
    assert registered.status_code == 302
    client.post("/logout")
    limit = application.config["LOGIN_FAILURES_PER_MINUTE"]
    statuses = [login(client, "wrong-password-1").status_code for _ in range(limit)]
    assert statuses[-1] == 429 and 500 not in statuses
    fallbacks = [r for r in caplog.records if "falling back to in-memory" in r.getMessage()]
    assert len(fallbacks) == 1, "the fallback is logged once, not once per request"

    # Redis back: the limiter notices (it re-checks with a back-off) and counts in Redis again.
    relay.start()
    try:
        deadline = time.monotonic() + 20
        while not any("storage recovered" in r.getMessage() for r in caplog.records):
            assert time.monotonic() < deadline, "the limiter never went back to Redis"
            client.post("/login", data={"login": "someone-else", "password": "wrong-password-2"})
            time.sleep(0.3)
        client.post("/login", data={"login": "someone-else", "password": "wrong-password-2"})
        assert any(b"someone-else" in key for key in real.keys("*login*"))
    finally:
        relay.stop()
        real.flushdb()
        real.close()


# Item 13: errors outside the happy path

@pytest.mark.parametrize("path", ["/", "/no-such-page", "/challenges", "/moderation/log.csv", "/account"])
def test_an_unreachable_database_answers_503_with_retry_after_for_a_logged_in_member(own_limiter, path):
    application = create_app(make_config(SQLALCHEMY_DATABASE_URI=CLOSED_DATABASE, TESTING=False))
    client = as_user(application, "1:0")  # loading this member is the first thing that fails
    response = client.get(path)
    page = assert_site_error_page(response, 503, "cannot reach its database")
    assert response.headers["Retry-After"] == "30"
    assert response.headers["X-Request-ID"] in page


def test_an_unreachable_database_answers_503_to_visitors_too(own_limiter):
    application = create_app(make_config(SQLALCHEMY_DATABASE_URI=CLOSED_DATABASE, TESTING=False))
    client = application.test_client()
    assert_site_error_page(client.get("/challenges"), 503, "cannot reach its database")
    response = client.post("/login", data={"login": "grace", "password": "whatever-it-is"})
    assert response.status_code in (400, 503)  # no CSRF token: 400 before the database is asked
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_an_error_while_loading_the_current_user_renders_the_error_page(tmp_path, own_limiter):
    application = standalone_app(tmp_path)
    session_id = add_user(application)
    with application.app_context():
        db.session.execute(db.text("DROP TABLE user_skills"))
        db.session.execute(db.text("ALTER TABLE users RENAME TO users_gone"))
        db.session.commit()
    response = as_user(application, session_id).get("/no-such-page")
    assert_site_error_page(response, 503, "cannot reach its database")


def test_an_unexpected_error_shows_the_request_id_on_the_500_page(tmp_path, own_limiter):
    application = standalone_app(tmp_path)

    @application.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = application.test_client().get("/boom")
    page = assert_site_error_page(response, 500, "Something went wrong")
    assert "secret internals" not in page
    assert f"<code>{response.headers['X-Request-ID']}</code>" in page


def test_the_moderation_log_csv_streams_after_the_request_session_is_gone(tmp_path, own_limiter):
    application = standalone_app(tmp_path)
    session_id = add_user(application, username="moe", is_moderator=True)
    with application.app_context():
        from app.auth.models import User
        from moderation.services import audit

        moderator = db.session.get(User, int(session_id.split(":")[0]))
        for number in range(3):
            audit.log(moderator, "approve", subject_id=moderator.id, note=f"note {number}")
        db.session.commit()
    response = as_user(application, session_id).get("/moderation/log.csv")
    assert response.status_code == 200
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0].startswith("id,when,moderator") and len(lines) == 4
    assert "note 2" in lines[1]


# Item 14: health endpoints

def test_healthz_answers_without_the_database_or_a_login(own_limiter):
    application = create_app(make_config(SQLALCHEMY_DATABASE_URI=CLOSED_DATABASE, TESTING=False,
                                         RATELIMIT_DEFAULT="2 per minute"))
    client = application.test_client()
    for _ in range(5):  # not rate limited, even under a default limit
        response = client.get("/healthz")
        assert response.status_code == 200 and response.json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.json["checks"]["database"].startswith("failed")


def test_readyz_checks_database_migrations_redis_and_search_index(tmp_path, own_limiter):
    application = standalone_app(tmp_path, create_tables=False,
                                 REDIS_URL=f"redis://127.0.0.1:{closed_port()}/0")
    client = application.test_client()
    not_migrated = client.get("/readyz")
    assert not_migrated.status_code == 503
    assert not_migrated.json["checks"]["migrations"].startswith(("failed", "behind"))

    with application.app_context():
        upgrade()
    checks = client.get("/readyz").json["checks"]
    assert checks["database"] == "ok" and checks["migrations"] == "ok"
    assert checks["redis"].startswith("failed") and checks["search_index"] == "missing"

    application.config["REDIS_URL"] = REDIS_URL
    with application.app_context():
        from search import services

        services.rebuild()
    answer = client.get("/readyz")
    if REDIS_URL:
        assert answer.status_code == 200, answer.json
        assert answer.json == {"status": "ok", "checks": {"database": "ok", "migrations": "ok", "redis": "ok",
                                                         "search_index": "ok"}}
    else:
        assert answer.json["checks"]["redis"] == "not configured" and answer.status_code == 200
    with application.app_context():
        db.engine.dispose()


# Item 15: structured logs and request ids

@pytest.fixture
def json_log():
    root = logging.getLogger()
    level = root.level
    stream = io.StringIO()
    yield stream
    for handler in [h for h in root.handlers if getattr(h, "kindling_json", False)]:
        root.removeHandler(handler)
    root.setLevel(level)


def test_production_logs_one_json_object_per_request(tmp_path, own_limiter, json_log):
    config = type("Prod", (ProductionConfig,), {
        "SECRET_KEY": "k" * 40, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/prod.db",
        "SEARCH_INDEX_DIR": str(tmp_path / "index"), "SESSION_COOKIE_SECURE": False,
    })
    application = create_app(config)
    install_json_logging(application).setStream(json_log)
    with application.app_context():
        db.create_all()
    session_id = add_user(application)
    response = as_user(application, session_id).get("/users/grace")
    assert response.status_code == 200
    request_id = response.headers["X-Request-ID"]
    entries = [json.loads(line) for line in json_log.getvalue().splitlines()]
    mine = [e for e in entries if e.get("request_id") == request_id and e["logger"] == "kindling.requests"]
    assert len(mine) == 1
    entry = mine[0]
    assert entry["level"] == "INFO" and entry["status"] == 200 and entry["route"] == "/users/<username>"
    assert entry["user_id"] == int(session_id.split(":")[0]) and entry["duration_ms"] >= 0
    assert entry["time"].endswith("+00:00")


def test_every_response_carries_a_request_id(client):
    first, second = client.get("/"), client.get("/no-such-page")
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]
    assert len(first.headers["X-Request-ID"]) == 32
