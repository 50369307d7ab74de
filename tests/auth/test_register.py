import pytest
from sqlalchemy import select

from app.auth.models import User
from app.extensions import db
from tests.factories import UserFactory

GOOD = {"username": "newbie", "email": "newbie@example.org", "password": "violet-lantern-harbor"}


def register(client, **changes):
    return client.post("/register", data={**GOOD, **changes})


def error_beside(response, field_id):
    """The error text rendered next to the field with this id."""
    page = response.get_data(as_text=True)
    marker = f'id="{field_id}-error">'
    assert marker in page, f"no error beside {field_id}"
    return page.split(marker, 1)[1].split("</p>", 1)[0]


def test_register_creates_member_logs_in_and_hashes_password(client, session):
    response = register(client)
    assert response.status_code == 302
    assert response.headers["Location"] == "/users/newbie/edit"
    user = session.scalar(select(User).where(User.username == "newbie"))
    assert user.roles == ["member"]
    assert GOOD["password"] not in user.password_hash
    assert user.password_hash.startswith("scrypt:")
    assert user.check_password(GOOD["password"])
    page = client.get("/").get_data(as_text=True)
    assert "Log out" in page and "newbie" in page


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("username", "", "Choose a username"),
        ("username", "ab", "Use 3 to 30 characters"),
        ("username", "x" * 31, "at most 30 characters"),
        ("username", "bad name!", "Use only letters"),
        ("username", "🔥🔥🔥", "Use only letters"),
        ("username", "nul\x00byte", "control or invisible"),
        ("email", "not-an-email", "valid e-mail"),
        ("email", "a" * 250 + "@x.org", "at most 254 characters"),
        ("password", "short1", "at least 10"),
        ("password", "password123", "most common"),
        ("password", "x" * 300, "at most 256 characters"),
        ("password", "aaaaaaaaaaaaaa", "different characters"),
    ],
)
def test_bad_input_is_explained_beside_the_field(client, session, field, value, message):
    response = register(client, **{field: value})
    assert response.status_code == 422
    assert message in error_beside(response, field)
    assert session.scalar(select(User).where(User.email == GOOD["email"])) is None


def test_every_bad_field_is_named_at_once(client, session):
    response = register(client, username="bad name!", email="not-an-email", password="short1")
    assert response.status_code == 422
    assert "Use only letters" in error_beside(response, "username")
    assert "valid e-mail" in error_beside(response, "email")
    assert "at least 10" in error_beside(response, "password")


def test_taken_username_is_case_insensitive(client, session):
    UserFactory(username="Newbie")
    response = register(client, username="NEWBIE")
    assert "taken" in error_beside(response, "username")


def test_taken_email_is_refused(client, session):
    UserFactory(username="other", email="newbie@example.org")
    response = register(client, email="NewBie@Example.org")
    assert "already uses this e-mail" in error_beside(response, "email")


def test_unicode_usernames_from_any_script_work(client, session):
    response = register(client, username="Zoë_Ωmega", email="zoe@example.org")
    assert response.status_code == 302
    assert client.get("/users/zoë_ωmega").status_code == 200


def test_password_is_never_echoed_back(client, session):
    response = register(client, username="x")
    assert GOOD["password"] not in response.get_data(as_text=True)


def test_logged_in_member_is_sent_home_from_register(member_client):
    assert member_client.get("/register").status_code == 302


def test_registration_enqueues_welcome_job_that_runs_once(client, session):
    register(client)
    user = db.session.scalar(select(User).where(User.username == "newbie"))
    assert user.welcomed_at is not None
