"""Issue 14, item 2: password reset by e-mail (a real SMTP server), signed, single-use, expiring."""
import re
from datetime import timedelta

import pytest
from itsdangerous import URLSafeTimedSerializer

from app.auth.recovery import RESET_SALT
from tests.factories import PASSWORD, UserFactory
from tests.test_mail import smtp_server  # noqa: F401  (a real SMTP server on a free port)


def reset_link(inbox):
    body = inbox.messages[-1].content.decode()
    return re.search(r"http://localhost(/password/reset/\S+)", body).group(1)


def logged_in(client):
    return "Log out" in client.get("/").get_data(as_text=True)


def test_reset_by_email_once_and_it_ends_every_session(app, client, session, smtp_server):  # noqa: F811
    UserFactory(username="grace", email="grace@example.org")
    other_device = app.test_client()
    assert other_device.post("/login", data={"login": "grace", "password": PASSWORD}).status_code == 302
    assert 'href="/password/reset"' in client.get("/login").get_data(as_text=True)

    response = client.post("/password/reset", data={"login": "Grace@Example.org"})
    assert response.status_code == 302
    assert len(smtp_server.messages) == 1 and smtp_server.messages[0].rcpt_tos == ["grace@example.org"]
    link = reset_link(smtp_server)

    form = client.get(link)
    assert form.status_code == 200 and "Choose a new password" in form.get_data(as_text=True)
    weak = client.post(link, data={"password": "password"})
    assert weak.status_code == 422 and "common" in weak.get_data(as_text=True)
    assert client.post(link, data={"password": "harbour-lantern-77"}).status_code == 302

    assert not logged_in(other_device), "the reset ends every session"
    again = client.post(link, data={"password": "another-one-entirely-9"})
    assert again.status_code == 404 and "no longer works" in again.get_data(as_text=True)
    assert client.post("/login", data={"login": "grace", "password": PASSWORD}).status_code == 422
    assert client.post("/login", data={"login": "grace", "password": "harbour-lantern-77"}).status_code == 302


def test_same_answer_whether_or_not_the_account_exists(client, session, smtp_server):  # noqa: F811
    UserFactory(username="grace", email="grace@example.org")
    known = client.post("/password/reset", data={"login": "grace"}, follow_redirects=True)
    unknown = client.post("/password/reset", data={"login": "nobody@example.org"}, follow_redirects=True)
    assert known.status_code == unknown.status_code == 200

    def message(page):
        return re.search(r'<p class="flash[^"]*">(.*?)</p>', page.get_data(as_text=True)).group(1)

    assert message(known) == message(unknown)
    assert "If an account uses that name" in message(known)
    assert len(smtp_server.messages) == 1


def test_reset_links_expire_and_cannot_be_forged(app, client, session):
    user = UserFactory()
    serializer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=RESET_SALT)
    forged = URLSafeTimedSerializer("another-key-entirely-0123456789abcdef", salt=RESET_SALT)
    assert client.get(f"/password/reset/{forged.dumps([user.id, 0])}").status_code == 404
    assert client.get("/password/reset/not-a-token").status_code == 404

    old = serializer.dumps([user.id, user.session_generation])
    assert client.get(f"/password/reset/{old}").status_code == 200
    app.config["PASSWORD_RESET_MAX_AGE"] = -1  # every link is now past its age
    try:
        assert client.get(f"/password/reset/{old}").status_code == 404
    finally:
        app.config["PASSWORD_RESET_MAX_AGE"] = int(timedelta(hours=1).total_seconds())


def test_reset_requests_are_rate_limited(client, session, smtp_server):  # noqa: F811
    UserFactory(username="grace", email="grace@example.org")
    limit = client.application.config["PASSWORD_RESETS_PER_HOUR"]
    for _ in range(limit):
        assert client.post("/password/reset", data={"login": "grace"}).status_code == 302
    refused = client.post("/password/reset", data={"login": "grace"})
    assert refused.status_code == 429 and refused.headers.get("Retry-After")
    assert len(smtp_server.messages) == limit


@pytest.mark.parametrize("login", ["", "x" * 300])
def test_reset_form_explains_bad_input(client, session, login):
    response = client.post("/password/reset", data={"login": login})
    assert response.status_code == 422
