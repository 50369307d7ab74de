"""Issue 14, bad input: numbers out of any column's range and invisible characters are a message, never a 500."""
import pytest

from app.extensions import db
from challenges.models import Comment, Idea
from tests.conftest import login
from tests.factories import ChallengeFactory, CommentFactory, IdeaFactory, UserFactory

HUGE = ["99999999999999999999", "9223372036854775808", "-9223372036854775809", "1" * 400]


@pytest.mark.parametrize("parent_id", [*HUGE, "0", "-1", "abc", "1.5"])
def test_a_reply_to_an_impossible_comment_is_explained(member_client, session, parent_id):
    idea = IdeaFactory()
    data = {"body": "A reply worth keeping", "parent_id": parent_id, "accept_norms": "y"}
    inline = member_client.post(f"/ideas/{idea.id}/comments", data=data,
                                headers={"HX-Request": "true", "HX-Target": "comment-form-top"})
    assert inline.status_code == 422
    page = inline.get_data(as_text=True)
    assert "The comment you reply to does not exist." in page and "A reply worth keeping" in page
    plain = member_client.post(f"/ideas/{idea.id}/comments", data=data)  # without JavaScript: the page, text kept
    assert plain.status_code == 422 and "The comment you reply to does not exist." in plain.get_data(as_text=True)
    assert "A reply worth keeping" in plain.get_data(as_text=True)
    assert db.session.query(Comment).count() == 0


def test_a_reply_to_a_real_comment_still_works(member_client, session):
    parent = CommentFactory()
    response = member_client.post(f"/ideas/{parent.idea_id}/comments",
                                  data={"body": "Agreed", "parent_id": str(parent.id), "accept_norms": "y"})
    assert response.status_code == 302


@pytest.mark.parametrize("builds_on", [*HUGE, "-3", "x"])
def test_builds_on_an_impossible_idea_is_explained(member_client, session, builds_on):
    challenge = ChallengeFactory()
    data = {"title": "Solar lamps on every lamp post", "description": "Cheap solar lamps clipped to existing posts.",
            "tags": "light", "builds_on": builds_on, "accept_norms": "y"}
    response = member_client.post(f"/challenges/{challenge.slug}/ideas/new", data=data)
    assert response.status_code == 422
    assert "Choose an idea from the list, or none." in response.get_data(as_text=True)
    assert db.session.query(Idea).count() == 0
    assert member_client.get(f"/challenges/{challenge.slug}/ideas/new?builds_on={builds_on}").status_code == 200


@pytest.mark.parametrize("idea", [*HUGE, "0"])
def test_similar_ideas_of_an_impossible_idea_is_a_404(client, session, idea):
    challenge = ChallengeFactory()
    assert client.get(f"/challenges/{challenge.slug}/similar-ideas?idea={idea}").status_code == 404


@pytest.mark.parametrize("supporters, days", [("1" * 400, "30"), ("100", "9" * 400), ("1" * 5000, "1"),
                                               ("0", "30"), ("1e9", "30")])
def test_a_ladder_with_huge_numbers_is_explained(client, session, supporters, days):
    challenge = ChallengeFactory()
    login(client, challenge.owner)
    response = client.post(f"/challenges/{challenge.slug}/milestones",
                           data={"steps-0-supporters": supporters, "steps-0-days": days})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Give a number of supporters from 1 to 10,000,000." in page or "Give between 1 and 3,650 days." in page


@pytest.mark.parametrize("value", [*HUGE, "0", "-5", "abc"])
@pytest.mark.parametrize("path", ["/challenges?page={}", "/search?q=bread&page={}", "/admin?page={}",
                                  "/moderation?page={}&challenge={}", "/moderation/log?page={}"])
def test_query_string_numbers_out_of_range_fall_back(admin_client, session, path, value):
    response = admin_client.get(path.format(value, value))
    assert response.status_code < 500


# Invisible and direction characters

FORMAT_CHARACTERS = {
    "right-to-left override": "\u202e",
    "zero-width space": "\u200b",
    "zero-width joiner": "\u200d",
    "byte order mark": "\ufeff",
    "soft hyphen": "\u00ad",
    "word joiner": "\u2060",
    "tag character": "\U000e0041",
    "line separator": "\u2028",
    "paragraph separator": "\u2029",
    "left-to-right isolate": "\u2066",
}


@pytest.mark.parametrize("char", FORMAT_CHARACTERS.values(), ids=FORMAT_CHARACTERS.keys())
def test_display_names_refuse_format_characters(member_client, member, char):
    response = member_client.post(f"/users/{member.username}/edit", data={"display_name": f"{char}admin"})
    assert response.status_code == 422
    assert "invisible characters" in response.get_data(as_text=True)
    db.session.refresh(member)
    assert char not in member.display_name


@pytest.mark.parametrize("char", FORMAT_CHARACTERS.values(), ids=FORMAT_CHARACTERS.keys())
def test_usernames_refuse_format_characters(client, session, char):
    response = client.post("/register", data={"username": f"ad{char}min", "email": "a@example.org",
                                              "password": "violet-lantern-harbor"})
    assert response.status_code == 422


@pytest.mark.parametrize("char", FORMAT_CHARACTERS.values(), ids=FORMAT_CHARACTERS.keys())
def test_idea_titles_refuse_format_characters(member_client, session, char):
    challenge = ChallengeFactory()
    data = {"title": f"Solar lamps{char} on every post", "description": "Cheap solar lamps clipped to existing posts.",
            "tags": "light", "builds_on": "0", "accept_norms": "y"}
    response = member_client.post(f"/challenges/{challenge.slug}/ideas/new", data=data)
    assert response.status_code == 422 and "invisible characters" in response.get_data(as_text=True)


@pytest.mark.parametrize("skills", ["NEL \x85 line", "zero\u200bwidth", "bidi\u202eevil", "bom\ufeff"])
def test_tag_fields_get_the_same_check(member_client, member, skills):
    response = member_client.post(f"/users/{member.username}/edit", data={"skills": skills})
    assert response.status_code == 422 and "invisible characters" in response.get_data(as_text=True)
    db.session.refresh(member)
    assert member.skills == []


def test_joiners_are_welcome_inside_running_text(member_client, member):
    persian = "می\u200cخواهم"  # "I want": the non-joiner keeps the two parts of the verb apart
    emoji = "\U0001f469\u200d\U0001f4bb"  # woman technologist, one glyph joined by ZWJ
    response = member_client.post(f"/users/{member.username}/edit",
                                  data={"display_name": "Sara", "bio": f"{persian} {emoji}"})
    assert response.status_code == 302
    db.session.refresh(member)
    assert member.bio == f"{persian} {emoji}"
    bad = member_client.post(f"/users/{member.username}/edit", data={"bio": "evil\u202eoverride"})
    assert bad.status_code == 422


def test_names_are_isolated_beside_other_text(client, session):
    author = UserFactory(display_name="\u05e9\u05e8\u05d4 \u05dc\u05d5\u05d9")  # Hebrew: right to left
    idea = IdeaFactory(author=author)
    page = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert f"<bdi>{author.display_name}</bdi>" in page
    assert '<h1 dir="auto">' in page
    profile = client.get(f"/users/{author.username}").get_data(as_text=True)
    assert f'<h1 dir="auto"><bdi>{author.display_name}</bdi></h1>' in profile


@pytest.mark.parametrize("path", ["/challenges?tag=%00", "/search?q=a%00b", "/users/a%00b", "/challenges?%00=1",
                                  "/moderation/log?member=%00"])
def test_a_nul_byte_in_the_address_is_a_400_on_every_database(admin_client, path):
    response = admin_client.get(path)
    assert response.status_code == 400 and "NUL byte" in response.get_data(as_text=True)
