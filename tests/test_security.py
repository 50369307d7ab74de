import pytest

from app import create_app
from app.config import DevelopmentConfig, ProductionConfig
from app.security import CONTENT_SECURITY_POLICY
from tests.conftest import make_config


@pytest.mark.parametrize("path", ["/", "/login", "/no-such-page", "/static/css/kindling.css"])
def test_security_headers_on_every_response(client, path):
    with client.get(path) as response:
        pass
    csp = response.headers["Content-Security-Policy"]
    for directive in ("script-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
        assert directive in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]


def test_pages_have_no_inline_scripts(client):
    page = client.get("/login").get_data(as_text=True)
    assert "<script>" not in page and "onclick" not in page
    assert '<script src="/static/vendor/htmx/htmx.min.js?v=' in page


def test_session_cookie_is_httponly_and_lax(member_client):
    response = member_client.post("/logout")
    cookie = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")][0]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_cookies_are_secure_and_key_is_required(monkeypatch, tmp_path):
    assert ProductionConfig.SESSION_COOKIE_SECURE and ProductionConfig.REMEMBER_COOKIE_SECURE
    monkeypatch.delenv("SECRET_KEY", raising=False)
    config = type("NoKey", (ProductionConfig,), {"SECRET_KEY": None, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with pytest.raises(RuntimeError, match="SECRET_KEY is not set"):
        create_app(config)


def test_development_makes_a_secret_key_once(tmp_path, monkeypatch):
    config = type("Dev", (DevelopmentConfig,), {"SECRET_KEY": None, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    monkeypatch.setattr("flask.Flask.auto_find_instance_path", lambda self: str(tmp_path))
    one = create_app(config).config["SECRET_KEY"]
    two = create_app(config).config["SECRET_KEY"]
    assert one == two and len(one) >= 32
    assert (tmp_path / "secret_key").read_text().strip() == one


def test_post_without_csrf_token_is_refused(client):
    response = client.post("/login", data={"login": "x", "password": "y"}, csrf=False)
    assert response.status_code == 400
    assert "form expired" in response.get_data(as_text=True)


def test_htmx_sends_the_token_as_a_header(client, session):
    token = client.csrf_token()
    response = client.post("/logout", csrf=False, headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert response.status_code == 302


def test_csp_constant_is_what_we_send(client):
    assert client.get("/").headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_server_errors_render_in_the_layout_without_a_trace(tmp_path):
    application = create_app(make_config(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/e.db", TESTING=False))

    @application.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = application.test_client().get("/boom")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Something went wrong" in page and "secret internals" not in page and "Traceback" not in page
