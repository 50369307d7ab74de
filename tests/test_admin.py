from app.extensions import db
from tests.factories import UserFactory


def test_admin_page_is_forbidden_to_members_and_moderators(member_client, moderator):
    assert member_client.get("/admin/").status_code == 403
    target = UserFactory()
    response = member_client.post(f"/admin/users/{target.id}/roles", data={"role": "admin", "granted": "1"})
    assert response.status_code == 403
    db.session.refresh(target)
    assert not target.is_admin


def test_moderator_cannot_reach_admin(moderator_client):
    assert moderator_client.get("/admin/").status_code == 403


def test_visitor_is_sent_to_login(client, session):
    response = client.get("/admin/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_admin_grants_and_revokes_moderator(admin_client):
    target = UserFactory(username="helper")
    page = admin_client.get("/admin/?q=help").get_data(as_text=True)
    assert "helper" in page and "Grant moderator for helper" in page
    response = admin_client.post(f"/admin/users/{target.id}/roles", data={"role": "moderator", "granted": "1"})
    assert response.status_code == 302
    db.session.refresh(target)
    assert target.roles == ["member", "moderator"]
    admin_client.post(f"/admin/users/{target.id}/roles", data={"role": "moderator", "granted": "0"})
    db.session.refresh(target)
    assert target.roles == ["member"]


def test_last_admin_cannot_revoke_themselves(admin_client, admin):
    response = admin_client.post(f"/admin/users/{admin.id}/roles", data={"role": "admin", "granted": "0"})
    assert response.status_code == 302
    assert "at least one admin" in admin_client.get("/admin/").get_data(as_text=True)
    db.session.refresh(admin)
    assert admin.is_admin


def test_unknown_role_is_refused(admin_client):
    target = UserFactory()
    admin_client.post(f"/admin/users/{target.id}/roles", data={"role": "owner", "granted": "1"})
    assert "Unknown role" in admin_client.get("/admin/").get_data(as_text=True)


def test_admin_link_shows_only_for_admins(admin_client):
    assert 'href="/admin/"' in admin_client.get("/").get_data(as_text=True)


def test_create_admin_cli_works_without_prompting(app, session):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create-admin", "boss", "boss@example.org", "--password", "plum-orchard-42"])
    assert result.exit_code == 0, result.output
    from app.auth.services import get_by_username

    boss = get_by_username("boss")
    assert boss.is_admin and boss.check_password("plum-orchard-42")


def test_create_admin_cli_explains_a_weak_password(app, session):
    result = app.test_cli_runner().invoke(args=["users", "create-admin", "boss", "boss@example.org", "--password", "123"])
    assert result.exit_code != 0 and "at least 10" in result.output


def test_seed_demo_loads_once(app, session):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0 and "Demo data loaded" in first.output
    second = runner.invoke(args=["seed-demo"])
    assert "already loaded" in second.output
    from app.auth.services import get_by_username

    assert get_by_username("ada").is_admin
    assert get_by_username("moe").is_moderator
