"""Insights and plan pages through their routes: who may see them, what bad input gets back."""
from datetime import timedelta

import pytest

from app import clock
from app.extensions import db
from challenges.models import ChallengeModerator
from community.services import rollups
from tests.conftest import login
from tests.factories import ChallengeFactory, CommentFactory, IdeaFactory, UserFactory


@pytest.fixture
def challenge(session):
    return ChallengeFactory()


def test_owner_appointed_moderator_and_admin_see_insights_others_do_not(client, challenge, admin, moderator):
    url = f"/challenges/{challenge.slug}/insights"
    visitor = client.get(url)
    assert visitor.status_code == 302 and "/login" in visitor.headers["Location"]
    appointed = UserFactory()
    db.session.add(ChallengeModerator(challenge_id=challenge.id, user_id=appointed.id))
    db.session.flush()
    for user, status in ((challenge.owner, 200), (appointed, 200), (admin, 200), (UserFactory(), 403),
                         (moderator, 403)):
        login(client, user)
        assert client.get(url).status_code == status, user
    assert client.get("/challenges/no-such-challenge/insights").status_code == 404


def test_site_insights_are_for_admins_only(client, member, admin):
    assert client.get("/admin/insights").status_code == 302
    login(client, member)
    assert client.get("/admin/insights").status_code == 403
    assert client.get("/admin/insights/summary.csv").status_code == 403
    login(client, admin)
    page = client.get("/admin/insights")
    assert page.status_code == 200
    assert "Site insights" in page.get_data(as_text=True)


def test_draft_insights_are_not_shown(client, session):
    draft = ChallengeFactory(phase="draft")
    login(client, draft.owner)
    assert client.get(f"/challenges/{draft.slug}/insights").status_code == 403


def test_dashboard_shows_figures_definitions_charts_and_csv_links(client, challenge):
    idea = IdeaFactory(challenge=challenge)
    CommentFactory(idea=idea)
    IdeaFactory(challenge=challenge, status="pending")
    login(client, challenge.owner)
    html = client.get(f"/challenges/{challenge.slug}/insights?period=7").get_data(as_text=True)
    assert "<svg" in html and "<title id=\"chart-activity-title\">" in html
    assert "Gini coefficient" in html and "Distinct members who made at least one contribution" in html
    for table in ("summary", "activity", "diversity", "contributors", "quality", "speed", "funnel", "retention"):
        assert f"/insights/{table}.csv?period=7" in html
    csv = client.get(f"/challenges/{challenge.slug}/insights/activity.csv?period=7")
    assert csv.headers["Content-Type"].startswith("text/csv")
    lines = csv.get_data(as_text=True).splitlines()
    assert lines[0] == "Day,Ideas,Comments,Supports,Active members"
    assert lines[-1] == f"{clock.now().date().isoformat()},1,1,0,2"  # the pending idea does not count
    assert len(lines) == 8
    assert client.get(f"/challenges/{challenge.slug}/insights/nothing.csv").status_code == 404


@pytest.mark.parametrize("query, message", [
    ("period=custom&start=&end=2026-01-01", "Enter a start date"),
    ("period=custom&start=2020-01-01&end=2023-01-01", "at most 2 years"),
    ("period=custom&start=2026-01-10&end=2026-01-01", "on or before the end date"),
    ("period=custom&start=2026-01-01&end=2999-01-01", "cannot be in the future"),
    ("period=custom&start=yesterday&end=2026-01-01", "YYYY-MM-DD"),
    ("period=weekly", "Choose one of the options"),
])
def test_bad_periods_are_refused_beside_the_field(client, challenge, query, message):
    login(client, challenge.owner)
    response = client.get(f"/challenges/{challenge.slug}/insights?{query}")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html and 'class="error"' in html


def test_custom_period_of_two_years_is_accepted(client, challenge):
    login(client, challenge.owner)
    end = clock.now().date()
    start = end - timedelta(days=730)
    response = client.get(f"/challenges/{challenge.slug}/insights?period=custom&start={start}&end={end}")
    assert response.status_code == 200
    assert "Contributions per month" in response.get_data(as_text=True)


def _plan_data(**overrides):
    future = (clock.now().date() + timedelta(days=30)).isoformat()
    data = {"goal": "Hear from 50 residents of the district before the summer.", "groups": "residents, mentors",
            "participants_value": "50", "participants_due": future, "ideas_value": "", "ideas_due": ""}
    data.update(overrides)
    return data


def test_owner_saves_a_plan_shown_on_the_challenge_page_with_targets_on_the_dashboard(client, challenge):
    login(client, challenge.owner)
    assert client.get(f"/challenges/{challenge.slug}/plan").status_code == 200
    response = client.post(f"/challenges/{challenge.slug}/plan", data=_plan_data())
    assert response.status_code == 302
    public = client.get(f"/challenges/{challenge.slug}").get_data(as_text=True)
    assert "Hear from 50 residents" in public and "mentors" in public
    dashboard = client.get(f"/challenges/{challenge.slug}/insights").get_data(as_text=True)
    assert "Participants (distinct contributors)" in dashboard and "<progress" in dashboard


@pytest.mark.parametrize("overrides, message", [
    ({"participants_value": "-5"}, "Enter a number greater than zero."),
    ({"participants_value": "0"}, "Enter a number greater than zero."),
    ({"participants_value": "many"}, "Enter a number greater than zero."),
    ({"participants_value": "inf"}, "Enter a number greater than zero."),
    ({"participants_value": "1e400"}, "Enter a number greater than zero."),
    ({"participants_value": "nan"}, "Enter a number greater than zero."),
    ({"participants_due": "2020-01-01"}, "Pick a date in the future."),
    ({"participants_due": ""}, "Give the date this target is due."),
    ({"first_time_share_value": "150", "first_time_share_due": "2999-01-01"}, "A share is at most 100 %."),
    ({"goal": ""}, "Say in a sentence"),
])
def test_bad_targets_are_refused_beside_the_field_keeping_the_text(client, challenge, overrides, message):
    login(client, challenge.owner)
    response = client.post(f"/challenges/{challenge.slug}/plan", data=_plan_data(**overrides))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert "residents, mentors" in html  # nothing typed is lost


def test_only_the_owner_edits_the_plan(client, challenge, member):
    login(client, member)
    assert client.get(f"/challenges/{challenge.slug}/plan").status_code == 403
    assert client.post(f"/challenges/{challenge.slug}/plan", data=_plan_data()).status_code == 403


def test_dashboard_queries_do_not_grow_with_content(client, challenge, count_queries):
    def add_ideas(n):
        for _ in range(n):
            idea = IdeaFactory(challenge=challenge, author=UserFactory(), created_at=clock.now() - timedelta(days=2))
            CommentFactory(idea=idea, author=UserFactory(), created_at=clock.now() - timedelta(days=1))
            CommentFactory(idea=idea, author=UserFactory())
        rollups.run_incremental()

    login(client, challenge.owner)
    url = f"/challenges/{challenge.slug}/insights?period=30"
    add_ideas(1)
    with count_queries as counted:
        client.get(url)
    few = counted.count
    add_ideas(4)
    with count_queries as counted:
        client.get(url)
    assert counted.count == few
