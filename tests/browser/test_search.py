"""Active search and duplicates while typing, in Chromium."""
import re

import pytest
from playwright.sync_api import expect

from app.extensions import db
from search import services
from tests.browser.conftest import log_in
from tests.factories import PASSWORD, ChallengeFactory, IdeaFactory, UserFactory

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def content(live_server):
    _, application = live_server
    with application.app_context():
        member = UserFactory(username="searcher")
        challenge = ChallengeFactory(title="Brighter harbour evenings", slug="brighter-harbour")
        IdeaFactory(challenge=challenge, title="Lantern walk along the harbour",
                    description="Volunteers guide visitors with paper lanterns every Friday.", supporter_count=9)
        IdeaFactory(challenge=challenge, title="Lantern workshop for children",
                    description="Children fold paper lanterns at the library.")
        IdeaFactory(challenge=challenge, title="Solar lanterns on the pier",
                    description="Solar lights so the pier is safe after dark.")
        IdeaFactory(challenge=challenge, title="Floating market on Sundays",
                    description="Boats sell fish and vegetables at the quay.", supporter_count=4)
        db.session.commit()
        services.rebuild()
        yield {"member": member.username, "slug": challenge.slug}


def test_results_narrow_as_the_visitor_types(page, content):
    page.goto("/search")
    page.evaluate("window.stillTheSamePage = true")
    box = page.get_by_label("Search ideas, challenges and comments", exact=True)
    box.press_sequentially("lantern", delay=30)
    expect(page.locator("#search-summary")).to_contain_text("3 results")
    box.press_sequentially(" harbour", delay=30)
    expect(page.locator("#search-summary")).to_contain_text("1 result for")
    expect(page.locator(".search-hit")).to_have_count(1)
    expect(page.locator(".search-hit mark").first).to_have_text("Lantern")
    assert page.evaluate("window.stillTheSamePage") is True  # no page load
    expect(page).to_have_url(re.compile(r"/search\?q=lantern(\+|%20)harbour"))  # shareable, back button works
    # A facet link narrows in place too.
    box.fill("lanterns")
    expect(page.locator("#search-summary")).to_contain_text("3 results")
    page.locator(".search-facets").get_by_role("link", name="Gathering support").click()
    expect(page.locator(".facet-on")).to_be_visible()
    assert page.evaluate("window.stillTheSamePage") is True


def test_the_same_search_works_without_javascript(browser, live_server, content):
    context = browser.new_context(base_url=live_server[0], java_script_enabled=False)
    page = context.new_page()
    page.goto("/")
    page.get_by_role("search").get_by_label("Search Kindling").fill("energie lantern pier")
    page.get_by_role("search").get_by_role("button", name="Search").click()
    expect(page).to_have_url("/search?q=energie+lantern+pier")
    expect(page.locator("#search-summary")).to_contain_text("No results")
    page.get_by_label("Search ideas, challenges and comments", exact=True).fill("solar pier")
    page.locator("#search-form").get_by_role("button", name="Search").click()
    expect(page.locator(".search-hit")).to_have_count(1)
    context.close()


def test_a_similar_idea_is_offered_while_typing_a_new_one(page, content):
    log_in(page, content["member"], PASSWORD)
    page.goto(f"/challenges/{content['slug']}/ideas/new")
    similar = page.locator("#similar-ideas-list")
    expect(similar).to_contain_text("Start typing")
    page.get_by_label("Title").press_sequentially("Guided lantern walk by the harbour", delay=20)
    expect(similar.locator("li").first).to_contain_text("Lantern walk along the harbour")
    expect(similar.locator("li").first).to_contain_text("9 supporters")
    expect(similar.get_by_role("link", name="Support this instead").first).to_be_visible()
    page.get_by_label("Description").press_sequentially("Boats selling fish", delay=20)
    expect(similar).to_contain_text("Floating market on Sundays")
