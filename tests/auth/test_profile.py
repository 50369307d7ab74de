from app.extensions import db
from tests.factories import UserFactory


def test_profile_shows_member_details(client, session):
    from app.auth.services import update_profile

    user = UserFactory(username="lea")
    update_profile(user, display_name="Léa B.", bio="Urbaniste", skills=["design"], interests=["énergie"])
    page = client.get("/users/lea").get_data(as_text=True)
    for text in ("Léa B.", "@lea", "Urbaniste", "design", "énergie", "Contributions"):
        assert text in page
    assert "Edit profile" not in page


def test_unknown_profile_is_404(client, session):
    response = client.get("/users/ghost")
    assert response.status_code == 404
    assert "Not found" in response.get_data(as_text=True)


def test_member_edits_own_profile(member_client, member):
    page = member_client.get(f"/users/{member.username}/edit")
    assert page.status_code == 200 and 'for="skills"' in page.get_data(as_text=True)
    response = member_client.post(
        f"/users/{member.username}/edit",
        data={"display_name": "New Name", "bio": "Hello", "skills": "Design, python, design", "interests": "food"},
    )
    assert response.status_code == 302
    db.session.refresh(member)
    assert member.display_name == "New Name"
    assert [t.name for t in member.skills] == ["design", "python"]
    assert [t.name for t in member.interests] == ["food"]


def test_bad_profile_input_keeps_what_was_typed(member_client, member):
    response = member_client.post(
        f"/users/{member.username}/edit",
        data={"display_name": "Kept", "bio": "b" * 1001, "skills": "ok, <script>", "interests": ""},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "under 1000 characters" in page
    assert "may only use letters" in page
    assert 'value="Kept"' in page
    db.session.refresh(member)
    assert member.display_name != "Kept"


def test_editing_someone_elses_profile_is_forbidden(member_client):
    other = UserFactory()
    assert member_client.get(f"/users/{other.username}/edit").status_code == 403
    assert member_client.post(f"/users/{other.username}/edit", data={"display_name": "x"}).status_code == 403


def test_visitor_is_sent_to_login_to_edit(client, session):
    other = UserFactory()
    assert client.get(f"/users/{other.username}/edit").status_code == 302
