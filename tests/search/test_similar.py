"""Duplicates while typing: the five most similar public ideas of the same challenge."""
import pytest

from challenges.models import ChallengeModerator
from search import jobs as search_jobs
from tests.conftest import login
from tests.factories import ChallengeFactory, IdeaFactory, UserFactory
from tests.search.conftest import commit

BOTH_BACKENDS = True  # the behaviour suite: whoosh and PostgreSQL (see conftest)

FRAGMENT = {"HX-Request": "true", "HX-Target": "similar-ideas-list"}


@pytest.fixture
def bikes(session):
    challenge = ChallengeFactory(title="Safer cycling to school")
    other = ChallengeFactory(title="Another challenge")
    ideas = {
        "bus": IdeaFactory(challenge=challenge, title="Bike bus every Monday morning", supporter_count=12,
                           description="Parents ride with the children along a fixed route, picking up kids."),
        "parking": IdeaFactory(challenge=challenge, title="Covered bike parking at the gates",
                               description="Racks under a roof so bikes stay dry during lessons."),
        "paint": IdeaFactory(challenge=challenge, title="Paint a mural in the canteen",
                             description="Students design it together in art class."),
        "hidden": IdeaFactory(challenge=challenge, status="hidden", title="Bike bus on Mondays too",
                              description="Parents ride with the children on a route."),
        "elsewhere": IdeaFactory(challenge=other, title="Bike bus for the office",
                                 description="Colleagues ride together along a route."),
    }
    for n in range(6):
        IdeaFactory(challenge=challenge, title=f"Bike route variant {n}", description="Ride along a route to school.")
    commit()
    search_jobs.index_challenge_content(challenge.id)
    search_jobs.index_challenge_content(other.id)
    return challenge, ideas


def test_the_form_hook_asks_as_the_member_types(member_client, bikes):
    challenge, _ = bikes
    from flask import render_template

    with member_client.application.test_request_context():
        html = render_template("search/_similar_ideas.html", challenge=challenge)
    assert f'hx-get="/challenges/{challenge.slug}/similar-ideas"' in html
    assert "from:#title" in html and "from:#description" in html and "delay:" in html
    assert 'hx-include="#title, #description"' in html


def test_similar_ideas_while_typing(client, bikes):
    challenge, ideas = bikes
    response = client.get(f"/challenges/{challenge.slug}/similar-ideas",
                          query_string={"title": "A bike bus on Monday", "description": "Parents ride with kids"},
                          headers=FRAGMENT)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert html.count("<li>") == 5
    assert html.index("Bike bus every Monday morning") < html.index("Bike route variant")
    assert "12 supporters" in html and "Support this instead" in html
    assert f"/ideas/{ideas['bus'].id}" in html
    assert "Bike bus on Mondays too" not in html  # hidden
    assert "for the office" not in html  # another challenge
    assert "mural" not in html
    assert "HX-Request" in response.headers["Vary"]


def test_nothing_typed_yet(client, bikes):
    challenge, _ = bikes
    html = client.get(f"/challenges/{challenge.slug}/similar-ideas", headers=FRAGMENT).get_data(as_text=True)
    assert "Start typing" in html


def test_without_javascript_it_is_a_page_with_a_form(client, bikes):
    challenge, _ = bikes
    html = client.get(f"/challenges/{challenge.slug}/similar-ideas?title=bike+bus").get_data(as_text=True)
    assert "<html" in html and 'name="title"' in html and "Bike bus every Monday morning" in html


def test_moderators_get_candidates_for_a_pending_idea(client, session, bikes):
    challenge, ideas = bikes
    pending = IdeaFactory(challenge=challenge, status="pending", title="Monday bike bus",
                          description="Parents ride with the children.")
    commit()
    search_jobs.index_idea(pending.id)
    url = f"/challenges/{challenge.slug}/similar-ideas?idea={pending.id}"
    assert client.get(url, headers=FRAGMENT).status_code == 404  # a visitor may not see the pending idea
    appointed = UserFactory()
    session.add(ChallengeModerator(challenge_id=challenge.id, user_id=appointed.id))
    session.flush()
    html = login(client, appointed).get(url, headers=FRAGMENT).get_data(as_text=True)
    assert "Bike bus every Monday morning" in html and "Monday bike bus" not in html


def test_drafts_have_no_similar_ideas_for_others(client, session):
    draft = ChallengeFactory(phase="draft", published_at=None)
    assert client.get(f"/challenges/{draft.slug}/similar-ideas?title=x").status_code == 404
