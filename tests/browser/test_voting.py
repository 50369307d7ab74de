from datetime import timedelta

import pytest
from playwright.sync_api import expect

from app import clock
from app.auth import services as accounts
from app.extensions import db
from tests.factories import ChallengeFactory, IdeaFactory

pytestmark = pytest.mark.browser
PASSWORD = "marigold-lantern-31"


@pytest.fixture(scope="module")
def challenge_with_idea(live_server):
    _, application = live_server
    with application.app_context():
        accounts.register_user("vivi", "vivi@example.org", PASSWORD)
        challenge = ChallengeFactory(is_open=True, voting_at=None, submission_at=clock.now() - timedelta(days=3))
        idea = IdeaFactory(challenge=challenge, title="Solar lanterns for the night market")
        db.session.commit()
        result = challenge.slug, idea.id
        db.session.remove()
    return result


def test_member_supports_and_withdraws_in_place(page, challenge_with_idea):
    slug, idea_id = challenge_with_idea
    page.goto(f"/challenges/{slug}")
    page.get_by_role("link", name="Log in to support").click()
    page.get_by_label("Username or e-mail").fill("vivi")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    assert page.url.endswith(f"/ideas/{idea_id}")

    page.goto(f"/challenges/{slug}")
    page.evaluate("window.stillHere = true")  # survives only if the page is not reloaded
    box = page.locator(f"#support-card-{idea_id}")
    expect(box.locator(".support-count")).to_contain_text("0 supporters")
    box.get_by_role("button", name="Support").click()
    expect(box.locator(".support-count")).to_contain_text("1 supporter")
    expect(box.get_by_role("button", name="Supported")).to_have_attribute("aria-pressed", "true")
    expect(box.get_by_role("button", name="Supported")).to_be_focused()
    # A key pressed before htmx has wired the swapped-in form would send it as
    # a plain form (a full page load, also correct); wait until it is wired.
    page.wait_for_function(
        """selector => {
            const el = document.querySelector(selector);
            return el && el["htmx-internal-data"] && !document.querySelector(".htmx-settling, .htmx-request");
        }""", arg=f"#support-card-{idea_id} [hx-post]")
    box.get_by_role("button", name="Supported").press("Enter")  # keyboard works too
    expect(box.locator(".support-count")).to_contain_text("0 supporters")
    expect(box.get_by_role("button", name="Support")).to_have_attribute("aria-pressed", "false")
    assert page.evaluate("window.stillHere") is True
