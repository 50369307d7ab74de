"""A new member's idea waits; a moderator triages from the keyboard; the author learns why."""
import pytest
from playwright.sync_api import expect

from app.auth import services as accounts
from app.extensions import db
from tests.browser.conftest import log_in as browser_log_in
from tests.factories import ChallengeFactory

pytestmark = pytest.mark.browser
PASSWORD = "tangerine-compass-77"


def log_in(page, username):
    browser_log_in(page, username, PASSWORD)



@pytest.fixture(scope="module")
def desk(live_server):
    _, application = live_server
    with application.app_context():
        mona = accounts.register_user("mona", "mona@example.org", PASSWORD)
        mona.is_moderator = True
        for name in ("nina", "rob"):
            accounts.register_user(name, f"{name}@example.org", PASSWORD)
        challenge = ChallengeFactory(title="How might we share tools between neighbours?",
                                     moderation_policy="pre_new", slug="share-tools")
        db.session.commit()
        return challenge.slug


def submit_idea(page, slug, title, description):
    page.goto(f"/challenges/{slug}/ideas/new")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Description").fill(description)
    page.get_by_label("I have read and accept this challenge’s norms").check()
    page.get_by_role("button", name="Submit idea").click()
    expect(page.get_by_role("status")).to_contain_text("waits for a moderator")
    page.get_by_role("button", name="Log out").click()


def test_keyboard_triage_approves_and_rejects(page, desk):
    slug = desk
    log_in(page, "nina")
    submit_idea(page, slug, "A tool library in the school basement",
                "Drills, ladders and saws lent for a week, managed by the parents' association.")
    log_in(page, "rob")
    submit_idea(page, slug, "Buy my second-hand lawnmower please",
                "Good condition, 50 euros, call me any evening after seven o'clock.")

    page.goto(f"/challenges/{slug}")
    expect(page.get_by_text("A tool library in the school basement")).to_have_count(0)

    log_in(page, "mona")
    page.get_by_role("link", name="Moderation").click()
    current = page.locator("[data-case].is-current")
    expect(current).to_contain_text("A tool library in the school basement")  # the oldest is current
    page.keyboard.press("j")
    expect(current).to_contain_text("Buy my second-hand lawnmower")
    page.keyboard.press("k")
    expect(current).to_contain_text("A tool library in the school basement")
    page.keyboard.press("a")
    expect(page.locator("[data-decided]").first).to_contain_text("Approved")

    expect(current).to_contain_text("Buy my second-hand lawnmower")
    page.keyboard.press("r")
    reason = current.get_by_label("Reason", exact=True)
    expect(reason).to_be_focused()
    reason.select_option(label="Off-topic for this challenge")
    current.get_by_label("Note for the author").fill("Ads belong on the market board, not in ideas.")
    current.get_by_role("button", name="Reject", exact=True).click()
    expect(page.locator("[data-decided]").nth(1)).to_contain_text("Rejected")

    page.goto(f"/challenges/{slug}")
    expect(page.get_by_text("A tool library in the school basement")).to_be_visible()
    page.get_by_role("button", name="Log out").click()

    log_in(page, "rob")
    page.goto("/my/moderation")
    expect(page.get_by_text("Off-topic for this challenge")).to_be_visible()
    expect(page.get_by_text("Ads belong on the market board, not in ideas.")).to_be_visible()
    page.get_by_role("link", name="Appeal this decision").click()
    page.get_by_label("Why should the moderators look again?").fill("I would lend it for free instead.")
    page.get_by_role("button", name="Send the appeal").click()
    expect(page.get_by_role("status")).to_contain_text("Your appeal is with the moderators.")
