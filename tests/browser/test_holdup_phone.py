"""A hold-up on a phone (390 px): the members' long words wrap instead of pushing the live board and
the report sideways, and a paused step that ran over its time says "over time (paused)"."""
import pytest
from playwright.sync_api import expect

from app.auth import services as accounts
from app.extensions import db
from challenges.holdups.services import live, registration
from tests.browser.conftest import log_in
from tests.holdups.conftest import make_holdup

pytestmark = pytest.mark.browser
PASSWORD = "juniper-kettle-58"
PHONE = {"width": 390, "height": 844}
LONG_WORD = "x" * 80  # a step title of one unbroken word, as long as a step title may be


@pytest.fixture(scope="module")
def phone_holdup(live_server):
    _, application = live_server
    with application.app_context():
        owner = accounts.register_user("phonefac", "phonefac@example.org", PASSWORD)
        member = accounts.register_user("phonepia", "phonepia@example.org", PASSWORD)
        challenge, holdup = make_holdup(owner=owner, moderation_policy="post")
        live.agenda(challenge.id)[1].title = LONG_WORD  # the second step
        registration.register(member, challenge, holdup, accept_norms=True)
        upcoming, _ = make_holdup(owner=owner, moderation_policy="post")
        db.session.commit()
        slugs = challenge.slug, upcoming.slug
        db.session.remove()
    return slugs


def _width(page):
    return page.evaluate("document.documentElement.scrollWidth")


def test_the_board_and_report_fit_a_phone_and_a_paused_overrun_says_so(browser, live_server, phone_holdup):
    live_url, report_url = f"/challenges/{phone_holdup[0]}/live", f"/challenges/{phone_holdup[0]}/report"
    facil_ctx = browser.new_context(base_url=live_server[0], viewport={"width": 1280, "height": 900})
    phone_ctx = browser.new_context(base_url=live_server[0], viewport=PHONE)
    nojs_ctx = browser.new_context(base_url=live_server[0], viewport=PHONE, java_script_enabled=False)
    try:
        facil, phone, nojs = facil_ctx.new_page(), phone_ctx.new_page(), nojs_ctx.new_page()
        log_in(facil, "phonefac", PASSWORD)
        log_in(phone, "phonepia", PASSWORD)
        log_in(nojs, "phonepia", PASSWORD)
        facil.goto(live_url)
        facil.get_by_role("button", name="Start the session").click()
        expect(facil.locator("#step-heading")).to_have_text("Pitch")
        facil.get_by_role("button", name="Next step →").click()
        expect(facil.locator("#step-heading")).to_have_text(LONG_WORD)
        # Enter in the minutes field adds the minutes; it does not press "Previous step", the console's first button.
        facil.get_by_label("Minutes").fill("-30")  # the 10-minute step is now over its time
        facil.get_by_label("Minutes").press("Enter")
        expect(facil.locator(".timer-label")).to_have_text("over time")
        expect(facil.locator("#step-heading")).to_have_text(LONG_WORD)
        facil.get_by_role("button", name="Pause").click()
        expect(facil.get_by_role("button", name="Resume")).to_be_visible()

        phone.goto(live_url)
        expect(phone.locator(".timer-label")).to_have_text("over time (paused)")
        assert _width(phone) <= 390
        nojs.goto(live_url)
        expect(nojs.locator(".timer-label")).to_have_text("over time (paused)")
        assert _width(nojs) <= 390

        facil.get_by_text("End the session…").click()
        facil.get_by_role("button", name="End the session now").click()
        expect(facil).to_have_url(f"{live_server[0]}{report_url}")
        for page in (phone, nojs):
            page.goto(report_url)
            expect(page.get_by_role("cell", name=LONG_WORD)).to_be_visible()
            assert _width(page) <= 390
    finally:
        for context in (facil_ctx, phone_ctx, nojs_ctx):
            context.close()


def test_the_owner_sets_up_a_holdup_on_a_phone(browser, live_server, phone_holdup):
    context = browser.new_context(base_url=live_server[0], viewport=PHONE)
    try:
        page = context.new_page()
        log_in(page, "phonefac", PASSWORD)
        page.goto(f"/challenges/{phone_holdup[1]}/holdup")
        day, at = page.get_by_label("Date"), page.get_by_label("Start time")
        # The start time is a full-width box like the date beside it, not the browser's bare control.
        assert at.bounding_box()["width"] == day.bounding_box()["width"]
        assert at.bounding_box()["height"] == day.bounding_box()["height"]
        assert _width(page) <= 390
    finally:
        context.close()
