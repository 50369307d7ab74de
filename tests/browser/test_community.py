"""The owner opens insights, changes the period, downloads a CSV; the chart is SVG in the page."""
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from app import clock
from app.auth import services as accounts
from app.extensions import db
from community.services import rollups
from tests.browser.conftest import log_in
from tests.factories import ChallengeFactory, CommentFactory, IdeaFactory, UserFactory

pytestmark = pytest.mark.browser
PASSWORD = "juniper-harbour-58"


@pytest.fixture(scope="module")
def owned_challenge(live_server):
    _, application = live_server
    with application.app_context():
        owner = accounts.register_user("oona", "oona@example.org", PASSWORD)
        db.session.flush()
        challenge = ChallengeFactory(owner=owner, submission_at=clock.now() - timedelta(days=20))
        for days_ago in (12, 6, 3):
            idea = IdeaFactory(challenge=challenge, author=UserFactory(), created_at=clock.now() - timedelta(days=days_ago))
            CommentFactory(idea=idea, author=UserFactory(), created_at=clock.now() - timedelta(days=days_ago - 1))
        rollups.run_incremental()
        db.session.commit()
        slug = challenge.slug
        db.session.remove()
    return slug


def test_owner_reads_insights_changes_period_and_downloads_csv(page, owned_challenge):
    log_in(page, "oona", PASSWORD)
    page.goto(f"/challenges/{owned_challenge}")
    page.get_by_role("link", name="Insights").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Insights")
    expect(page.locator("svg#chart-activity > title")).to_have_text("Contributions per day")
    expect(page.locator("#table-summary")).to_contain_text("Active participants")
    page.get_by_label("Period", exact=True).select_option("7")
    page.get_by_role("button", name="Show").click()
    expect(page.locator(".period-label")).to_contain_text("Last 7 days")
    assert "period=7" in page.url
    rows = page.locator("#table-activity tbody tr")
    expect(rows).to_have_count(7)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download contributions per day (CSV)").click()
    path = download_info.value.path()
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "Day,Ideas,Comments,Supports,Active members"
    assert len(lines) == 8
    assert page.locator("svg#chart-activity rect").count() >= 2


def test_phone_width_does_not_scroll_sideways(browser, live_server, owned_challenge):
    context = browser.new_context(base_url=live_server[0], viewport={"width": 390, "height": 844})
    page = context.new_page()
    log_in(page, "oona", PASSWORD)
    page.goto(f"/challenges/{owned_challenge}/insights?period=90")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.goto(f"/challenges/{owned_challenge}/plan")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()
