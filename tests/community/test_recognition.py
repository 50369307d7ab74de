"""Badges, thanks and contributor of the month, through the jobs and the routes."""
import json
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app import clock
from app.extensions import db
from community import jobs
from community.models import SITE, Badge, ContributorOfMonth, Thanks
from community.services import recognition, rollups
from tests.community.factories import NOW, SupportFactory, at, story
from tests.conftest import login
from tests.factories import ChallengeFactory, CommentFactory, IdeaFactory, UserFactory
from voting.models import IdeaMilestone


@pytest.fixture
def told(session):
    clock.freeze(NOW)
    return story()


def badges(user):
    return set(db.session.scalars(select(Badge.kind).where(Badge.user_id == user.id)))


def test_badges_are_awarded_once_by_the_job(told):
    told["idea"].status = "selected"
    db.session.flush()
    jobs.recognise()
    assert badges(told["ana"]) == {"first-idea", "first-published", "builder", "selected", "milestone-1"}
    assert badges(told["ben"]) == {"first-idea", "first-published"}
    assert badges(told["cy"]) == set()  # only a hidden idea and one in a draft challenge
    count = db.session.scalar(select(func.count()).select_from(Badge))
    jobs.recognise()
    assert db.session.scalar(select(func.count()).select_from(Badge)) == count


def test_steady_contributor_needs_three_consecutive_months(session):
    clock.freeze(at(4, 20))
    steady, gappy = UserFactory(), UserFactory()
    challenge = ChallengeFactory(published_at=at(1, 1))
    for month in (1, 2, 3):
        IdeaFactory(challenge=challenge, author=steady, created_at=at(month, 5))
    for month in (1, 2, 4):
        IdeaFactory(challenge=challenge, author=gappy, created_at=at(month, 5))
    rollups.run_incremental()
    recognition.award_badges()
    assert "steady" in badges(steady)
    assert "steady" not in badges(gappy)


def test_helpful_commenter_is_thanked_by_the_ideas_author(client, told):
    comment = CommentFactory(idea=told["idea"], author=told["cy"])
    login(client, told["ana"])
    response = client.post(f"/thanks/comment/{comment.id}")
    assert response.status_code == 302 and f"#comment-{comment.id}" in response.headers["Location"]
    client.post(f"/thanks/comment/{comment.id}")  # a second thanks does nothing
    assert db.session.scalar(select(func.count()).select_from(Thanks)) == 1
    recognition.award_badges()
    assert "helpful-commenter" in badges(told["cy"])
    page = client.get(f"/ideas/{told['idea'].id}").get_data(as_text=True)
    assert "You said thanks" in page


def test_thanks_refusals(client, told):
    login(client, told["ana"])
    assert client.post(f"/thanks/idea/{told['idea'].id}").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Thanks)) == 0  # not yourself
    hidden = IdeaFactory(challenge=told["challenge"], author=told["ben"], status="hidden")
    assert client.post(f"/thanks/idea/{hidden.id}").status_code == 404
    assert client.post("/thanks/badge/1").status_code == 404
    client.get("/logout")
    login(client, told["dee"])
    client.post(f"/thanks/idea/{told['idea'].id}")
    assert db.session.scalar(select(Thanks.recipient_id)) == told["ana"].id


def test_contributor_of_the_month_score_is_transparent_and_skips_suspended_members(told):
    march = date(2026, 3, 1)
    parts = recognition.scores(told["challenge"].id, march)
    # ana: 1 public idea (5), 2 supports from others (2), 1 comment (2), ben's idea builds on hers (3)
    assert parts[told["ana"].id] == {"published_ideas": 1, "supports_received": 2, "replies": 1, "built_on": 1,
                                     "thanks_received": 0, "holdups": 0}
    assert recognition.total(parts[told["ana"].id]) == 12
    assert recognition.total(parts[told["dee"].id]) == 6  # three published comments
    row = recognition.propose(told["challenge"].id, march)
    assert (row.user_id, row.score, row.status) == (told["ana"].id, 12, "proposed")
    told["ana"].suspended_until = NOW + timedelta(days=3)
    db.session.flush()
    row = recognition.propose(told["challenge"].id, march)
    assert row.user_id == told["ben"].id  # 5 (idea) + 2 (comment) + 0 … = 7 beats dee's 6
    assert json.loads(row.breakdown)["published_ideas"] == 1


def test_owner_confirms_or_replaces_with_a_reason_then_it_is_announced(client, told):
    march = date(2026, 3, 1)
    recognition.propose_all()
    challenge = told["challenge"]
    owner = challenge.owner
    login(client, owner)
    dashboard = client.get(f"/challenges/{challenge.slug}/insights").get_data(as_text=True)
    assert "proposed, waiting for a decision" in dashboard and "Confirm Ana" in dashboard
    assert "Contributor of the month" not in client.get(f"/challenges/{challenge.slug}").get_data(as_text=True)
    # Replacing needs a reason.
    client.post(f"/challenges/{challenge.slug}/contributor/2026-03", data={"username": "dee", "reason": ""})
    assert db.session.get(ContributorOfMonth, (challenge.id, march)).status == "proposed"
    client.post(f"/challenges/{challenge.slug}/contributor/2026-03",
                data={"username": "dee", "reason": "Dee answered every newcomer this month."})
    row = db.session.get(ContributorOfMonth, (challenge.id, march))
    assert (row.status, row.user_id, row.proposed_id) == ("replaced", told["dee"].id, told["ana"].id)
    assert "Contributor of the month (March 2026)" in client.get(f"/challenges/{challenge.slug}").get_data(as_text=True)
    assert "Contributor of the month, March 2026" in client.get("/users/dee").get_data(as_text=True)
    recognition.propose_all()  # the job never overrides a decision
    assert db.session.get(ContributorOfMonth, (challenge.id, march)).user_id == told["dee"].id


def test_only_owner_or_admin_decides(client, told, admin):
    recognition.propose_all()
    login(client, told["ben"])
    assert client.post(f"/challenges/{told['challenge'].slug}/contributor/2026-03").status_code == 403
    assert client.post("/admin/contributor/2026-03").status_code == 403
    login(client, admin)
    client.post("/admin/contributor/2026-03")
    assert db.session.get(ContributorOfMonth, (SITE, date(2026, 3, 1))).status == "confirmed"
    assert "Contributor of the month (March 2026)" in client.get("/").get_data(as_text=True)


def test_milestone_badges_per_step(told):
    milestone = db.session.get(IdeaMilestone, told["idea"].id)
    milestone.reached = 2
    SupportFactory(user=UserFactory(), idea=told["today"])
    db.session.flush()
    recognition.award_badges()
    assert {"milestone-1", "milestone-2"} <= badges(told["ana"])
