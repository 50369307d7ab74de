"""One state per challenge, actions offered only when they can succeed, errors beside their fields
(issue 15, items 3-7)."""
import re
from datetime import timedelta

import pytest

from app import clock, permissions
from challenges.state import challenge_state
from moderation.services import items as moderation_items
from moderation.services import queue as moderation_queue
from tests.conftest import login
from tests.factories import ChallengeFactory, IdeaFactory, UserFactory

HX = {"HX-Request": "true"}


def days(n):
    return clock.now() + timedelta(days=n)


@pytest.mark.parametrize("phase, opens_in, is_open, key, label, ideas, votes", [
    ("draft", -1, False, "draft", "Draft", False, False),
    ("submission", 5, False, "upcoming", "Opening soon", False, False),
    ("submission", 5, True, "upcoming", "Opening soon", False, False),
    ("submission", -1, False, "submission", "Taking ideas", True, False),
    ("submission", -1, True, "submission", "Taking ideas", True, True),
    ("voting", -10, False, "voting", "Voting", False, True),
    ("review", -10, False, "review", "In review", False, False),
    ("results", -10, False, "results", "Results", False, False),
    ("closed", -10, False, "closed", "Closed", False, False),
])
def test_one_function_decides_the_state(session, phase, opens_in, is_open, key, label, ideas, votes):
    challenge = ChallengeFactory(phase=phase, submission_at=days(opens_in), is_open=is_open)
    state = challenge_state(challenge)
    assert (state.key, state.label, state.takes_ideas, state.takes_votes) == (key, label, ideas, votes)
    assert challenge.phase_label == label
    assert challenge.takes_ideas(clock.now()) is ideas and challenge.takes_votes(clock.now()) is votes
    assert bool(permissions.submission_verdict(challenge)) is ideas


def test_a_published_holdup_that_opens_later_says_so_everywhere(client, session):
    owner = UserFactory()
    holdup = ChallengeFactory(owner=owner, format="holdup", phase="draft", published_at=None,
                              submission_at=days(10), voting_at=days(20), review_at=days(30), results_at=days(40))
    login(client, owner)
    assert client.post(f"/challenges/{holdup.slug}/publish").status_code == 302
    page = client.get(f"/challenges/{holdup.slug}").get_data(as_text=True)
    assert "Opening soon" in page and "Taking ideas</span>" not in page
    assert "takes ideas from" in page
    assert "Share an idea" not in page and "Be the first" not in page
    visitor = client.application.test_client()
    assert visitor.get(f"/challenges/{holdup.slug}/ideas/new").status_code == 302  # log in first
    # The owner opens it by hand: it now takes ideas, with no "already" refusal.
    response = client.post(f"/challenges/{holdup.slug}/phase", data={"phase": "submission"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "already" not in page and "Taking ideas" in page and "Share an idea" in page
    session.refresh(holdup)
    assert holdup.takes_ideas(clock.now()) and holdup.state.key == "submission"


def test_a_regular_challenge_is_not_offered_a_dot_vote(client, session):
    challenge = ChallengeFactory()
    login(client, challenge.owner)
    page = client.get(f"/challenges/{challenge.slug}").get_data(as_text=True)
    assert "Dot-vote" not in page
    dots = client.get(f"/challenges/{challenge.slug}/dots").get_data(as_text=True)
    assert "Open the dot-vote" not in dots and "dot-voting is for hold-up workshops" in dots.lower()


def test_a_pairwise_round_is_offered_only_with_two_ideas(client, session):
    challenge = ChallengeFactory()
    login(client, challenge.owner)
    page = client.get(f"/challenges/{challenge.slug}/pairwise").get_data(as_text=True)
    assert "Open a pairwise round" not in page and "needs at least two public ideas" in page
    IdeaFactory.create_batch(2, challenge=challenge)
    challenge.idea_count = 2
    session.flush()
    assert "Open a pairwise round" in client.get(f"/challenges/{challenge.slug}/pairwise").get_data(as_text=True)


def test_the_item_page_wires_its_keys_and_decisions_refresh_the_counts(moderator_client, session):
    challenge = ChallengeFactory()
    ideas = [IdeaFactory(challenge=challenge, status="pending", published_at=None) for _ in range(2)]
    for idea in ideas:
        moderation_queue.open_case(moderation_items.load_item("idea", idea.id), "pending")
    page = moderator_client.get(f"/moderation/items/idea/{ideas[0].id}").get_data(as_text=True)
    assert "js/moderation.js" in page and "data-case-single" in page and 'data-key="r"' in page
    queue = moderator_client.get("/moderation/").get_data(as_text=True)
    assert re.search(r'id="moderation-count"[^>]*>2<', queue) and 'data-count="2">2 items waiting' in queue
    case = moderation_queue.open_case_for("idea", ideas[0].id)
    response = moderator_client.post(
        f"/moderation/items/idea/{ideas[0].id}/approve", data={"case_id": case.id, "seen_status": "pending"},
        headers=HX | {"HX-Target": f"case-{case.id}"})
    body = response.get_data(as_text=True)
    # The navigation badge comes back out of band with the new number.
    assert re.search(r'<span id="moderation-count" class="count-badge" hx-swap-oob="true"\s*>1<', body)


def test_the_ladder_is_reachable_from_a_draft_and_its_errors_sit_on_their_fields(client, session):
    draft = ChallengeFactory(phase="draft", published_at=None)
    login(client, draft.owner)
    page = client.get(f"/challenges/{draft.slug}").get_data(as_text=True)
    assert f'href="/challenges/{draft.slug}/milestones"' in page
    response = client.post(f"/challenges/{draft.slug}/milestones", data={
        "steps-0-supporters": "50", "steps-0-days": "30", "steps-1-supporters": "10", "steps-1-days": "9",
        "steps-2-supporters": "", "steps-2-days": "5"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'id="steps-1-supporters"[^>]*aria-describedby="steps-1-supporters-error"', page) or \
        re.search(r'aria-describedby="steps-1-supporters-error"[^>]*id="steps-1-supporters"', page)
    assert '<p class="error" id="steps-1-supporters-error">Milestone 2 needs more supporters' in page
    assert '<p class="error" id="steps-2-supporters-error">Milestone 3: give the supporters' in page


def test_every_out_of_order_date_is_flagged(client, session):
    login(client, UserFactory())
    today = clock.now().date()
    data = {
        "title": "How might we light up dark streets?", "summary": "Some streets feel unsafe at night.",
        "problem": "Residents avoid three streets.", "norms": "Be kind.", "tags": "safety",
        "format": "challenge", "moderation_policy": "pre_new", "submission_at": str(today + timedelta(days=30)),
        "voting_at": str(today + timedelta(days=10)), "review_at": str(today + timedelta(days=5)),
        "results_at": str(today + timedelta(days=20)), "closed_at": str(today + timedelta(days=40)),
    }
    response = client.post("/challenges/new", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    for field in ("voting_at", "review_at", "results_at"):
        assert re.search(rf'<p class="error" id="{field}-error">This date must come after “Ideas open”', page), field
    assert 'id="closed_at-error"' not in page and 'value="How might we light up dark streets?"' in page


@pytest.mark.parametrize("decision", ["selected", "not_selected"])
def test_a_final_decision_needs_written_feedback(client, session, decision):
    challenge = ChallengeFactory(phase="review")
    idea = IdeaFactory(challenge=challenge)
    login(client, challenge.owner)
    response = client.post(f"/ideas/{idea.id}/review", data={"decision": decision, "feedback": "   "})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'<p class="error" id="feedback-{idea.id}-error">Tell the author why' in page
    assert re.search(rf'value="{decision}" checked', page)
    session.refresh(idea)
    assert idea.status == "published"
    response = client.post(f"/ideas/{idea.id}/review", data={"decision": decision, "feedback": "Thank you: because."})
    assert response.status_code == 302
    session.refresh(idea)
    assert idea.status == decision


def test_shortlisting_needs_no_feedback(client, session):
    challenge = ChallengeFactory(phase="review")
    idea = IdeaFactory(challenge=challenge)
    login(client, challenge.owner)
    assert client.post(f"/ideas/{idea.id}/review", data={"decision": "shortlisted"}).status_code == 302
