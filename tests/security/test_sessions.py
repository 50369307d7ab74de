"""Issue 14, items 1 and 6: log out really logs out; sessions end everywhere when they should;
a suspended member can read and appeal, nothing else."""
from datetime import timedelta

from app import clock
from app.extensions import db
from tests.factories import PASSWORD, UserFactory


def logged_in(client):
    return "Log out" in client.get("/").get_data(as_text=True)


def log_in(client, user, remember=False):
    data = {"login": user.username, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    response = client.post("/login", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def cookie(client, name):
    found = client.get_cookie(name)
    assert found is not None, f"no {name} cookie"
    return found.value


def test_logout_ends_a_remember_me_session(app, client, session):
    user = UserFactory()
    log_in(client, user, remember=True)
    assert client.get_cookie("remember_token") is not None
    client.post("/logout")
    assert not logged_in(client)
    assert client.get_cookie("remember_token") is None


def test_a_session_cookie_copied_before_logout_stops_working(app, client, session):
    user = UserFactory()
    log_in(client, user)
    copied = cookie(client, "session")
    client.post("/logout")

    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert not logged_in(thief)


def test_a_remember_cookie_copied_before_logout_stops_working(app, client, session):
    user = UserFactory()
    log_in(client, user, remember=True)
    copied = cookie(client, "remember_token")
    client.post("/logout")

    thief = app.test_client()
    thief.set_cookie("remember_token", copied)
    assert not logged_in(thief)


def test_log_out_everywhere_from_the_account_page(app, client, session):
    user = UserFactory()
    laptop, phone = log_in(client, user, remember=True), log_in(app.test_client(), user, remember=True)
    page = laptop.get("/account").get_data(as_text=True)
    assert "Log out everywhere" in page and 'action="/account/logout-everywhere"' in page

    response = laptop.post("/account/logout-everywhere")
    assert response.status_code == 302
    assert not logged_in(laptop) and not logged_in(phone)
    assert logged_in(log_in(app.test_client(), user))  # logging in again works


def test_password_change_on_the_account_page_ends_the_other_sessions(app, client, session):
    user = UserFactory()
    laptop, phone = log_in(client, user), log_in(app.test_client(), user)
    wrong = laptop.post("/account/password", data={"current_password": "not-it-at-all", "password": "saffron-kettle-42"})
    assert wrong.status_code == 422 and "not your current password" in wrong.get_data(as_text=True)
    weak = laptop.post("/account/password", data={"current_password": PASSWORD, "password": "short"})
    assert weak.status_code == 422 and "at least 10 characters" in weak.get_data(as_text=True)

    response = laptop.post("/account/password", data={"current_password": PASSWORD, "password": "saffron-kettle-42"})
    assert response.status_code == 302
    assert logged_in(laptop), "the device that changed the password stays logged in"
    assert not logged_in(phone)
    fresh = app.test_client()
    assert fresh.post("/login", data={"login": user.username, "password": PASSWORD}).status_code == 422
    assert fresh.post("/login", data={"login": user.username, "password": "saffron-kettle-42"}).status_code == 302


def test_suspension_ends_the_members_sessions(app, client, session):
    member, moderator = UserFactory(), UserFactory(is_moderator=True)
    member_client = log_in(client, member)
    moderator_client = log_in(app.test_client(), moderator)
    response = moderator_client.post(f"/moderation/members/{member.username}/suspend",
                                     data={"days": "7", "reason": "Spam links"})
    assert response.status_code in (200, 302, 303)
    db.session.refresh(member)
    assert member.is_suspended()
    assert not logged_in(member_client)


def test_a_suspended_member_cannot_edit_their_profile_but_can_read_and_appeal(app, client, session):
    member = UserFactory(bio="Before")
    member_client = log_in(client, member)
    member.suspended_until = clock.now() + timedelta(days=3)
    member.suspension_reason = "Spam"
    db.session.flush()

    assert member_client.get(f"/users/{member.username}").status_code == 200
    assert member_client.get("/my/moderation").status_code == 200
    response = member_client.post(f"/users/{member.username}/edit",
                                  data={"display_name": "Spammer", "bio": "Buy http://spam.example http://x.example"})
    assert response.status_code == 403
    assert "suspended until" in response.get_data(as_text=True)
    db.session.refresh(member)
    assert member.bio == "Before" and member.display_name != "Spammer"
    assert member_client.get(f"/users/{member.username}/edit").status_code == 403
    # Appealing a decision stays possible, and so does securing the account.
    from moderation.services import decisions
    from tests.factories import IdeaFactory
    from tests.moderation.conftest import item

    idea = IdeaFactory(author=member, status="pending", published_at=None)
    decisions.decide(UserFactory(is_moderator=True), item(idea), "reject", reason="off_topic", note="Not food.")
    appeal = member_client.post(f"/appeal/idea/{idea.id}", data={"message": "It is about food gardens in parks."})
    assert appeal.status_code in (302, 303)
    assert member_client.post("/logout").status_code == 302


def test_account_and_reset_pages_run_a_fixed_number_of_queries(app, client, session, count_queries):
    user = UserFactory()
    log_in(client, user)
    client.get("/account")
    with count_queries as counted:
        assert client.get("/account").status_code == 200
    assert counted.count == ACCOUNT_PAGE_QUERIES, counted.statements
    visitor = app.test_client()
    with count_queries as counted:
        assert visitor.get("/password/reset").status_code == 200
    assert counted.count == 0, counted.statements


ACCOUNT_PAGE_QUERIES = 2  # the page reads nothing itself: who is logged in, and whether they moderate (the layout)
