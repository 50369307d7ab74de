"""A refused contribution never loses what the person typed (issue 15, items 1 and 2)."""
import re
from datetime import timedelta

from app import clock
from challenges.models import Comment, Idea
from tests.factories import ChallengeFactory, CommentFactory, IdeaFactory

HX = {"HX-Request": "true"}
IDEA = {"title": "Shared fridges at each market", "description": "A fridge at every market entrance, cleaned by a "
        "rota of volunteers, where stallholders leave produce.", "accept_norms": "y"}


def test_a_newcomer_posts_an_idea_then_comments_at_once(member_client, session):
    challenge = ChallengeFactory()
    other = IdeaFactory(challenge=challenge)
    clock.freeze(clock.now())
    response = member_client.post(f"/challenges/{challenge.slug}/ideas/new", data=IDEA)
    assert response.status_code == 302
    clock.freeze(clock.now() + timedelta(seconds=3))
    response = member_client.post(f"/ideas/{other.id}/comments", data={"body": "Great idea!", "accept_norms": "y"})
    assert response.status_code == 302
    assert session.query(Comment).count() == 1 and session.query(Idea).count() == 2


def test_a_refused_comment_without_javascript_keeps_the_text_beside_its_error(member_client, session):
    idea = IdeaFactory()
    clock.freeze(clock.now())
    assert member_client.post(f"/ideas/{idea.id}/comments",
                              data={"body": "First", "accept_norms": "y"}).status_code == 302
    clock.freeze(clock.now() + timedelta(seconds=10))
    response = member_client.post(f"/ideas/{idea.id}/comments", data={"body": "My **long** second thought"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" in page
    textarea = re.search(r'<textarea id="comment-form-top-body"[^>]*>([^<]*)</textarea>', page)
    assert textarea and textarea.group(1) == "My **long** second thought"
    assert 'aria-describedby="comment-form-top-error"' in textarea.group(0)
    error = re.search(r'<p class="error" id="comment-form-top-error">([^<]*)</p>', page).group(1)
    assert error.endswith("wait 21 more seconds.")
    assert "flash-error" not in page  # beside the field, not a flash at the top
    assert session.query(Comment).count() == 1


def test_a_refused_reply_reopens_its_own_form_with_the_text(member_client, session):
    idea = IdeaFactory()
    parent = CommentFactory(idea=idea)
    response = member_client.post(f"/ideas/{idea.id}/comments",
                                  data={"body": "x" * 2001, "parent_id": parent.id, "accept_norms": "y"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    form_id = f"comment-form-{parent.id}"
    assert re.search(r'<details class="reply" open>\s*<summary>Reply</summary>\s*<form id="' + form_id, page)
    assert re.search(rf'<textarea id="{form_id}-body"[^>]*>x{{2001}}</textarea>', page)
    assert f'<p class="error" id="{form_id}-error">Keep comments under 2,000 characters.</p>' in page
    # The norms box stays ticked.
    assert re.search(rf'id="{form_id}-norms" checked', page)
    # The top form stays empty.
    assert re.search(r'<textarea id="comment-form-top-body"[^>]*></textarea>', page)


def test_a_refused_comment_with_htmx_answers_the_form_alone(member_client):
    idea = IdeaFactory()
    response = member_client.post(f"/ideas/{idea.id}/comments", data={"body": "   "},
                                  headers={**HX, "HX-Target": "comment-form-top"})
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" not in body and "Write something first." in body


def test_the_norms_error_is_tied_to_its_checkbox(member_client, session):
    idea = IdeaFactory()
    response = member_client.post(f"/ideas/{idea.id}/comments", data={"body": "Count me in"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'id="comment-form-top-norms"\s*aria-invalid="true" aria-describedby="comment-form-top-norms-error"',
                     page)
    assert re.search(r'<p class="error" id="comment-form-top-norms-error">Read and accept', page)
    assert ">Count me in</textarea>" in page


def test_the_owner_page_has_no_duplicate_ids(client, session):
    from tests.conftest import login

    challenge = ChallengeFactory()
    login(client, challenge.owner)
    for url in (f"/challenges/{challenge.slug}", f"/ideas/{IdeaFactory(challenge=challenge).id}"):
        ids = re.findall(r'\sid="([^"]+)"', client.get(url).get_data(as_text=True))
        assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
