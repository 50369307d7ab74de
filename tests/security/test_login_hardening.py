"""Issue 14, items 3-5: login timing, lock-out behind a proxy, the secret key."""
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app import create_app
from app.config import ProductionConfig
from app.security import ConfigurationError
from tests.conftest import make_config
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]


def attempt_time(client, login):
    started = time.perf_counter()
    response = client.post("/login", data={"login": login, "password": "wrong-password-123"})
    elapsed = time.perf_counter() - started
    assert response.status_code == 422
    return elapsed


def test_unknown_and_known_accounts_take_as_long_to_refuse(client, session):
    UserFactory(username="grace")
    client.csrf_token()  # warm up
    known = statistics.median(attempt_time(client, "grace") for _ in range(3))
    unknown = statistics.median(attempt_time(client, f"nobody{n}") for n in range(3))
    # Both run one scrypt verification; without the dummy hash an unknown name answered ten times faster.
    assert unknown > known * 0.5, f"unknown {unknown:.3f}s vs known {known:.3f}s"


@pytest.fixture
def proxied_app(app):
    """The session's app behind one trusted reverse proxy."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    original = app.wsgi_app
    app.config["TRUSTED_PROXIES"] = 1
    app.wsgi_app = ProxyFix(original, x_for=1, x_proto=1)
    yield app
    app.wsgi_app = original
    app.config["TRUSTED_PROXIES"] = 0


def from_address(client, address, login, password):
    return client.post("/login", data={"login": login, "password": password},
                       headers={"X-Forwarded-For": address})


def test_an_attacker_behind_the_proxy_cannot_lock_out_the_owner(proxied_app, session):
    from tests.factories import PASSWORD

    UserFactory(username="grace")
    attacker, owner = proxied_app.test_client(), proxied_app.test_client()
    limit = proxied_app.config["LOGIN_FAILURES_PER_MINUTE"]
    for _ in range(limit):
        assert from_address(attacker, "203.0.113.9", "grace", "guess-guess-guess").status_code == 422
    assert from_address(attacker, "203.0.113.9", "grace", "guess-guess-guess").status_code == 429
    # The same account from the owner's address, and another account from the attacker's, still work.
    assert from_address(owner, "198.51.100.7", "grace", PASSWORD).status_code == 302
    UserFactory(username="hopper")
    assert from_address(attacker, "203.0.113.9", "hopper", "guess-guess-guess").status_code == 422


def test_the_proxy_header_is_ignored_without_trusted_proxies(client, session):
    UserFactory(username="grace")
    limit = client.application.config["LOGIN_FAILURES_PER_MINUTE"]
    for n in range(limit):
        # A client that invents a new address each time is still counted at its real one.
        assert from_address(client, f"192.0.2.{n}", "grace", "guess-guess-guess").status_code == 422
    assert from_address(client, "192.0.2.200", "grace", "guess-guess-guess").status_code == 429


def test_trusted_proxies_setting_installs_proxy_fix(tmp_path):
    application = create_app(make_config(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/p.db", TRUSTED_PROXIES=2))

    @application.get("/whoami")
    def whoami():
        from flask import request

        return f"{request.remote_addr} {request.scheme}"

    answer = application.test_client().get("/whoami", headers={"X-Forwarded-For": "203.0.113.1, 10.0.0.2",
                                                               "X-Forwarded-Proto": "https, https"})
    assert answer.get_data(as_text=True) == "203.0.113.1 https"


def production(**settings):
    return type("Prod", (ProductionConfig,), {"SQLALCHEMY_DATABASE_URI": "sqlite://", **settings})


def test_production_refuses_a_short_secret_key():
    with pytest.raises(ConfigurationError, match="SECRET_KEY is 1 bytes long; production needs at least 32"):
        create_app(production(SECRET_KEY="x"))
    create_app(production(SECRET_KEY="k" * 32))


def test_flask_command_without_secret_key_prints_one_clear_line(tmp_path):
    environment = {**os.environ, "KINDLING_ENV": "production", "FLASK_APP": "app:create_app",
                   "DATABASE_URL": f"sqlite:///{tmp_path}/cli.db"}
    environment.pop("SECRET_KEY", None)
    flask = Path(sys.executable).with_name("flask")
    result = subprocess.run([str(flask), "db", "current"], cwd=ROOT, env=environment, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "SECRET_KEY is not set" in lines[0], result.stderr
