import re
from datetime import timedelta

import pytest

from app import clock, signals
from app.extensions import db
from challenges.models import Idea
from tests.conftest import login
from tests.factories import ChallengeFactory, UserFactory
from tests.voting.helpers import supporters, voting_idea
from voting.models import IdeaMilestone, MilestoneEvent
from voting.services import errors, milestones, supports


def small_ladder(challenge):
    milestones.set_ladder(challenge.owner, challenge, [(2, 10), (3, 5)])


def test_default_ladder_is_lego_ideas(session):
    challenge = ChallengeFactory()
    assert [(s.supporters, s.days) for s in milestones.ladder(challenge)] == [
        (100, 60), (1000, 365), (5000, 182), (10000, 182)]


def test_reaching_a_rung_adds_its_days_and_is_recorded(session):
    heard = []
    idea = voting_idea()
    small_ladder(idea.challenge)
    start = clock.aware(idea.published_at)
    with signals.milestone_reached.connected_to(lambda sender, **kw: heard.append(kw)):
        for member in supporters(2):
            supports.support_idea(member, idea, idea.challenge)
    row = db.session.get(IdeaMilestone, idea.id)
    assert row.reached == 1
    assert clock.aware(row.deadline_at) == start + timedelta(days=15)
    assert heard == [{"idea_id": idea.id, "level": 1, "supporters": 2}]
    assert db.session.query(MilestoneEvent).filter_by(idea_id=idea.id, kind="reached").count() == 1


def test_the_last_rung_sends_the_idea_to_review(session):
    changes = []
    idea = voting_idea()
    small_ladder(idea.challenge)
    with signals.idea_status_changed.connected_to(lambda sender, **kw: changes.append(kw)):
        for member in supporters(3):
            supports.support_idea(member, idea, idea.challenge)
    assert idea.status == "in_review"
    assert changes[-1]["after"] == "in_review" and changes[-1]["actor_id"] is None
    # No more supports, no more withdrawals: the count is final.
    with pytest.raises(errors.VotingError):
        supports.support_idea(UserFactory(), idea, idea.challenge)


def test_rungs_are_kept_when_supports_are_withdrawn(session):
    idea = voting_idea()
    small_ladder(idea.challenge)
    members = supporters(2)
    for member in members:
        supports.support_idea(member, idea, idea.challenge)
    supports.withdraw_support(members[0], idea, idea.challenge)
    assert db.session.get(IdeaMilestone, idea.id).reached == 1 and idea.supporter_count == 1


def test_tick_expires_ideas_that_miss_their_deadline(session):
    idea, safe = voting_idea(), None
    challenge = idea.challenge
    safe = voting_idea(challenge=challenge)
    small_ladder(challenge)
    supports.support_idea(UserFactory(), idea, challenge)
    for member in supporters(2):
        supports.support_idea(member, safe, challenge)
    clock.freeze(clock.now() + timedelta(days=11))
    with pytest.raises(errors.VotingError, match="Time ran out"):
        supports.support_idea(UserFactory(), idea, challenge)
    expired, completed = milestones.tick_milestones()
    assert expired == [idea.id] and completed == []
    assert idea.status == "expired" and safe.status == "published"
    assert milestones.tick_milestones() == ([], [])  # idempotent


def test_the_ladder_pauses_outside_voting(session):
    idea = voting_idea()
    small_ladder(idea.challenge)
    supports.support_idea(UserFactory(), idea, idea.challenge)
    idea.challenge.phase = "review"
    clock.freeze(clock.now() + timedelta(days=30))
    assert milestones.tick_milestones() == ([], [])
    assert idea.status == "published"


def test_the_clock_starts_when_voting_opens(session):
    challenge = ChallengeFactory(phase="submission", is_open=False, voting_at=clock.now() + timedelta(days=20))
    idea = voting_idea(challenge=challenge)
    state = milestones.voting_state(UserFactory(), idea, challenge)
    assert state.progress.started is False
    clock.freeze(clock.now() + timedelta(days=20))
    challenge.phase = "voting"
    assert milestones.start_ladders() == 1
    row = db.session.get(IdeaMilestone, idea.id)
    assert clock.aware(row.deadline_at) == clock.aware(challenge.voting_at) + timedelta(days=60)


def test_owner_sets_a_ladder_on_its_page(client, session):
    challenge = ChallengeFactory(is_open=True, voting_at=None)
    login(client, challenge.owner)
    page = client.get(f"/challenges/{challenge.slug}/milestones").get_data(as_text=True)
    assert 'value="100"' in page and 'value="60"' in page
    data = {"steps-0-supporters": "10", "steps-0-days": "30", "steps-1-supporters": "50", "steps-1-days": "90"}
    preview = client.post(f"/challenges/{challenge.slug}/milestones", data=data)
    assert preview.status_code == 200 and "No idea is climbing this ladder yet" in preview.get_data(as_text=True)
    assert len(milestones.ladder(challenge)) == 4  # nothing saved before the confirmation
    response = client.post(f"/challenges/{challenge.slug}/milestones", data={**data, "confirm": "10:30,50:90"})
    assert response.status_code == 302
    assert [(s.supporters, s.days) for s in milestones.ladder(challenge)] == [(10, 30), (50, 90)]


def _post_ladder(client, challenge, steps):
    """Preview, then confirm: what the owner does without JavaScript. Returns the preview page's text."""
    data = {}
    for i, (s, d) in enumerate(steps):
        data[f"steps-{i}-supporters"], data[f"steps-{i}-days"] = str(s), str(d)
    preview = client.post(f"/challenges/{challenge.slug}/milestones", data=data)
    assert preview.status_code == 200
    asked = ",".join(f"{s}:{d}" for s, d in steps)
    assert f'name="confirm" value="{asked}"' in preview.get_data(as_text=True)
    assert client.post(f"/challenges/{challenge.slug}/milestones",
                       data={**data, "confirm": asked}).status_code == 302
    return " ".join(preview.get_data(as_text=True).split())


def test_a_ladder_change_never_completes_a_rung_retroactively(client, session):
    idea = voting_idea()
    challenge = idea.challenge
    milestones.set_ladder(challenge.owner, challenge, [(2, 10), (4, 10), (10, 10)])
    for member in supporters(5):
        supports.support_idea(member, idea, challenge)
    db.session.commit()
    assert db.session.get(IdeaMilestone, idea.id).reached == 2
    login(client, challenge.owner)
    page = _post_ladder(client, challenge, [(100, 60)])
    assert "1 idea is climbing this ladder" in page
    assert "1 idea has reached more rungs than the new ladder has below its last rung" in page
    db.session.expire_all()
    assert db.session.get(IdeaMilestone, idea.id).reached == 0
    milestones.tick_milestones()
    assert db.session.get(Idea, idea.id).status == "published"
    assert client.get(f"/ideas/{idea.id}").status_code == 200
    assert db.session.query(MilestoneEvent).filter_by(idea_id=idea.id, kind="completed").count() == 0


def test_a_lower_target_applies_from_the_next_support_on(client, session):
    idea = voting_idea()
    challenge = idea.challenge
    for member in supporters(5):
        supports.support_idea(member, idea, challenge)
    db.session.commit()
    deadline = clock.aware(db.session.get(IdeaMilestone, idea.id).deadline_at)
    login(client, challenge.owner)
    page = _post_ladder(client, challenge, [(3, 1)])
    assert "1 idea gets a new next target" in page
    db.session.expire_all()
    row = db.session.get(IdeaMilestone, idea.id)
    assert row.reached == 0 and clock.aware(row.deadline_at) == deadline  # no deadline brought forward
    milestones.tick_milestones()
    assert db.session.get(Idea, idea.id).status == "published"
    # The next supporter meets the new target: now the idea goes to review.
    login(client, UserFactory())
    client.post(f"/ideas/{idea.id}/support")
    db.session.expire_all()
    assert db.session.get(Idea, idea.id).status == "in_review"


def test_a_changed_preview_is_not_saved_unconfirmed(client, session):
    challenge = ChallengeFactory(is_open=True, voting_at=None)
    login(client, challenge.owner)
    data = {"steps-0-supporters": "10", "steps-0-days": "30", "confirm": "20:30"}
    response = client.post(f"/challenges/{challenge.slug}/milestones", data=data)
    assert response.status_code == 200 and 'name="confirm" value="10:30"' in response.get_data(as_text=True)
    assert len(milestones.ladder(challenge)) == 4


@pytest.mark.parametrize("data, message", [
    ({"steps-0-supporters": "50", "steps-0-days": "30", "steps-1-supporters": "10", "steps-1-days": "9"},
     "more supporters than the one before"),
    ({"steps-0-supporters": "50"}, "give the days as well as the supporters"),
    ({}, "at least one milestone"),
    ({"steps-0-supporters": "lots", "steps-0-days": "3"}, "Give a number of supporters from 1 to 10,000,000"),
    ({"steps-0-supporters": "5", "steps-0-days": "99999"}, "between 1 and 3,650 days"),
])
def test_a_bad_ladder_is_explained(client, session, data, message):
    challenge = ChallengeFactory()
    login(client, challenge.owner)
    response = client.post(f"/challenges/{challenge.slug}/milestones", data=data)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert len(milestones.ladder(challenge)) == 4


def test_only_the_owner_sets_the_ladder(client, session):
    challenge = ChallengeFactory()
    assert client.get(f"/challenges/{challenge.slug}/milestones").status_code == 302
    login(client, UserFactory())
    assert client.post(f"/challenges/{challenge.slug}/milestones",
                       data={"steps-0-supporters": "1", "steps-0-days": "1"}).status_code == 403


def test_idea_page_shows_progress_and_days_left(client, session):
    idea = voting_idea()
    html = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert "Next milestone" in html and re.search(r"<strong>60</strong>\s*days left", html)
    assert re.search(r'<progress[^>]*max="100" value="0"', html)
