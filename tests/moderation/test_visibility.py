"""Whatever is pending, rejected, hidden or merged appears on no public page."""
import pytest

from moderation.services import decisions
from tests.conftest import login
from tests.factories import ChallengeFactory, CommentFactory, IdeaFactory, UserFactory
from tests.moderation.conftest import item

HIDDEN_IDEA_STATES = ("pending", "rejected", "hidden", "merged", "withdrawn")
HIDDEN_COMMENT_STATES = ("pending", "rejected", "hidden")


@pytest.fixture
def hidden_world(session, moderator):
    challenge = ChallengeFactory(phase="voting")
    author = UserFactory(username="hidden_author")
    public = IdeaFactory(challenge=challenge, author=author, title="Visible idea: a shared tool library")
    secrets = []
    for status in HIDDEN_IDEA_STATES:
        idea = IdeaFactory(challenge=challenge, author=author, title=f"SECRET-idea-{status} about bread",
                           status="published" if status == "merged" else status)
        if status == "merged":
            decisions.decide(moderator, item(idea), "merge", target_id=public.id)
        secrets.append(idea)
    for status in HIDDEN_COMMENT_STATES:
        CommentFactory(idea=public, author=author, body=f"SECRET-comment-{status}",
                       body_html=f"<p>SECRET-comment-{status}</p>", status=status)
    session.flush()
    return challenge, public, secrets, author


def public_pages(challenge, public, author):
    return ["/", "/challenges", f"/challenges/{challenge.slug}", f"/challenges/{challenge.slug}?sort=newest",
            f"/challenges/{challenge.slug}?sort=top", f"/challenges/{challenge.slug}/results",
            f"/users/{author.username}", f"/ideas/{public.id}"]


@pytest.mark.parametrize("viewer", ["visitor", "member"])
def test_hidden_items_appear_on_no_public_page(client, session, hidden_world, viewer):
    challenge, public, secrets, author = hidden_world
    if viewer == "member":
        login(client, UserFactory())
    seen_public = False
    for url in public_pages(challenge, public, author):
        response = client.get(url, follow_redirects=True)
        assert response.status_code == 200, url
        body = response.get_data(as_text=True)
        assert "SECRET-" not in body, url
        seen_public |= public.title in body
    assert seen_public
    for idea in secrets:
        response = client.get(f"/ideas/{idea.id}")
        if idea.status == "merged":
            assert response.status_code == 302 and response.headers["Location"].endswith(f"/ideas/{public.id}")
        else:
            assert response.status_code == 404, idea.status
    assert challenge.idea_count == 1
    assert f"({public.comment_count})" in client.get(f"/ideas/{public.id}").get_data(as_text=True)


def test_moderators_still_see_them(client, session, hidden_world, moderator):
    challenge, public, secrets, author = hidden_world
    login(client, moderator)
    for idea in secrets:
        if idea.status != "merged":
            assert client.get(f"/moderation/items/idea/{idea.id}").status_code == 200
    assert "SECRET-comment-hidden" in client.get(f"/ideas/{public.id}").get_data(as_text=True)
