"""A moderator rejects a member's idea in another browser; the member's unread count rises without a reload."""
import pytest
from playwright.sync_api import expect

from app.auth import services as accounts
from app.extensions import db
from moderation.services import items, queue
from tests.browser.conftest import log_in
from tests.factories import ChallengeFactory, IdeaFactory

pytestmark = pytest.mark.browser
PASSWORD = "saffron-lantern-42"


@pytest.fixture(scope="module")
def pending_idea(live_server):
    _, application = live_server
    application.config["NOTIFICATION_POLL_SECONDS"] = 1
    with application.app_context():
        author = accounts.register_user("ulla", "ulla@example.org", PASSWORD)
        moderator = accounts.register_user("mattis", "mattis@example.org", PASSWORD)
        moderator.is_moderator = True
        challenge = ChallengeFactory(title="How might we light the market square at night?", slug="light-square")
        idea = IdeaFactory(challenge=challenge, author=author, status="pending", published_at=None,
                           title="Solar lanterns lent by the market stalls")
        queue.open_case(items.load_item("idea", idea.id), "pending")
        idea_id = idea.id
        db.session.commit()
        db.session.remove()  # hold no transaction (SQLite's write lock) while the browser works
    yield idea_id
    application.config["NOTIFICATION_POLL_SECONDS"] = 30


def test_member_sees_the_rejection_arrive_without_reloading(page, browser, live_server, pending_idea):
    log_in(page, "ulla", PASSWORD)
    nav = page.locator("#nav-notifications")
    expect(nav).to_have_text("Notifications")  # nothing unread yet

    moderator_context = browser.new_context(base_url=live_server[0])
    desk = moderator_context.new_page()
    try:
        log_in(desk, "mattis", PASSWORD)
        desk.goto(f"/moderation/items/idea/{pending_idea}")
        desk.locator("summary", has_text="Reject…").click()
        desk.get_by_label("Reason", exact=True).select_option(label="Off-topic for this challenge")
        desk.get_by_label("Note for the author").fill("Lanterns are welcome in the lighting challenge instead.")
        with desk.expect_response(lambda response: response.url.endswith("/reject")) as answer:
            desk.get_by_role("button", name="Reject", exact=True).click()
        assert answer.value.status < 400
    finally:
        moderator_context.close()

    # The member did not reload: htmx's poll brings the new count.
    expect(nav.locator(".count-badge")).to_have_text("1", timeout=10_000)
    nav.get_by_role("link").click()
    expect(page).to_have_url(f"{live_server[0]}/notifications")
    page.get_by_role("link", name="Your idea was rejected").click()
    expect(page).to_have_url(f"{live_server[0]}/ideas/{pending_idea}")
    expect(page.get_by_text("Lanterns are welcome in the lighting challenge instead.")).to_be_visible()
    expect(page.locator("#nav-notifications")).to_have_text("Notifications")  # read now
