from app.extensions import db
from tests.factories import PASSWORD, UserFactory


def login_form(client, login, password=PASSWORD, **extra):
    return client.post("/login", data={"login": login, "password": password, **extra})


def test_login_with_username_or_email(client, session):
    user = UserFactory(username="Grace", email="grace@example.org")
    assert login_form(client, "grace").status_code == 302
    client.post("/logout")
    assert login_form(client, "GRACE@example.org").status_code == 302
    assert "Log out" in client.get("/").get_data(as_text=True)
    db.session.refresh(user)
    assert user.last_login_at is not None


def test_wrong_password_is_explained_without_saying_which_part(client, session):
    UserFactory(username="grace")
    response = login_form(client, "grace", "wrong-password-1")
    assert response.status_code == 422
    assert "do not match" in response.get_data(as_text=True)
    assert "Log out" not in client.get("/").get_data(as_text=True)


def test_unknown_user_gets_the_same_message(client, session):
    response = login_form(client, "nobody", "whatever-password")
    assert "do not match" in response.get_data(as_text=True)


def test_remember_me_sets_a_lasting_cookie(client, session):
    UserFactory(username="grace")
    response = login_form(client, "grace", remember="y")
    cookies = response.headers.getlist("Set-Cookie")
    remember = [c for c in cookies if c.startswith("remember_token=")]
    assert remember and "HttpOnly" in remember[0] and "Expires=" in remember[0]


def test_without_remember_me_no_lasting_cookie(client, session):
    UserFactory(username="grace")
    response = login_form(client, "grace")
    assert not [c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token=")]


def test_logout_needs_post(member_client):
    assert member_client.get("/logout").status_code == 405
    assert member_client.post("/logout").status_code == 302
    assert "Log in" in member_client.get("/").get_data(as_text=True)


def test_login_returns_to_the_page_asked_for(client, session):
    user = UserFactory(username="grace")
    response = client.get(f"/users/{user.username}/edit")
    assert response.status_code == 302 and "/login?next=" in response.headers["Location"]
    client.get(response.headers["Location"])
    assert login_form(client, "grace").headers["Location"] == "/users/grace/edit"


def test_next_never_leaves_the_site(client, session):
    UserFactory(username="grace")
    client.get("/login?next=//evil.example/steal")
    assert login_form(client, "grace").headers["Location"] == "/"


def test_eleventh_failed_login_in_a_minute_is_refused_with_retry_after(client, session):
    UserFactory(username="grace")
    for _ in range(10):
        assert login_form(client, "grace", "wrong-password-1").status_code == 422
    response = login_form(client, "grace", "wrong-password-1")
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert "Too many attempts" in response.get_data(as_text=True)
    wait = int(response.headers["Retry-After"])
    assert f"Try again in {wait} second" in response.get_data(as_text=True) or \
        f"Try again in {wait + 1} second" in response.get_data(as_text=True)
    # even the right password waits
    assert login_form(client, "grace").status_code == 429


def test_successful_logins_do_not_count_as_failures(client, session):
    UserFactory(username="grace")
    for _ in range(12):
        assert login_form(client, "grace").status_code == 302
        client.post("/logout")
