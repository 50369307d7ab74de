import pytest
from playwright.sync_api import expect

from app.auth import services as accounts
from app.extensions import db
from tests.browser.conftest import log_in as browser_log_in

pytestmark = pytest.mark.browser
PASSWORD = "tangerine-compass-77"


@pytest.fixture(scope="module")
def people(live_server):
    _, application = live_server
    with application.app_context():
        for name in ("owen", "vera", "walt"):
            accounts.register_user(name, f"{name}@example.org", PASSWORD)
        db.session.commit()
    return ("owen", "vera", "walt")


def log_in(page, username):
    browser_log_in(page, username, PASSWORD)


def log_out(page):
    page.get_by_role("button", name="Log out").click()


def test_owner_publishes_member_submits_and_replies(page, people):
    log_in(page, "owen")
    page.goto("/challenges")
    page.get_by_role("link", name="Post a challenge").click()
    page.get_by_label("Title").fill("How might we green our school yards?")
    page.get_by_label("Summary").fill("Asphalt yards are hot in summer and grey all year.")
    page.get_by_label("Problem statement").fill("Our **twelve** school yards are fully paved.")
    page.get_by_label("Norms").fill("Be constructive.")
    page.get_by_label("Post-moderate (publish at once, review afterwards)").check()
    page.get_by_label("Open challenge: take ideas and votes at the same time").check()
    page.get_by_label("Voting opens").fill("")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Only you can see this draft.")).to_be_visible()
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("status")).to_contain_text("Published")
    challenge_url = page.url
    log_out(page)

    log_in(page, "vera")
    page.goto(challenge_url)
    page.get_by_role("link", name="Share an idea").click()
    page.get_by_label("Title").fill("Plant a mini forest in each yard")
    page.get_by_label("Description").fill("Dense native planting on 200 m² per school, tended by pupils and parents.")
    page.get_by_label("Tags").fill("trees, biodiversity")
    page.get_by_role("button", name="Submit idea").click()
    expect(page.locator("#accept_norms-error")).to_contain_text("accept")
    page.get_by_label("I have read and accept this challenge’s norms").check()
    page.get_by_role("button", name="Submit idea").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Plant a mini forest in each yard")
    idea_url = page.url
    page.get_by_label("Add a comment").fill("Who waters it in **August**?")
    page.get_by_role("button", name="Comment", exact=True).click()
    expect(page.locator("#comment-list strong", has_text="August")).to_be_visible()
    log_out(page)

    log_in(page, "walt")
    page.goto(idea_url)
    page.locator("#comment-list summary", has_text="Reply").first.click()
    page.get_by_label("Your reply").fill("The neighbours' association offered to.")
    page.get_by_label("I have read and accept").last.check()
    page.get_by_role("button", name="Reply").click()
    reply = page.locator(".replies .comment", has_text="neighbours' association")
    expect(reply).to_be_visible()
    page.reload()  # it is saved, not only shown
    expect(page.locator(".replies .comment", has_text="neighbours' association")).to_be_visible()

    page.goto(challenge_url)
    expect(page.locator(".idea-card", has_text="Plant a mini forest")).to_be_visible()
    page.get_by_role("link", name="Newest").click()
    expect(page).to_have_url(f"{challenge_url}?sort=newest")
    expect(page.get_by_role("link", name="Newest")).to_have_attribute("aria-current", "true")
