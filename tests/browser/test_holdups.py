"""A hold-up in Chromium: the facilitator and participants in separate browser contexts.

The participant's board follows the facilitator's step changes and another
participant's notes without a reload, within 2 seconds (htmx polls with
If-None-Match; unchanged boards answer 304). A second participant does
the same journey with JavaScript disabled: forms post and redirect, a
reload shows the current board. The session ends with a report.
"""
import re

import pytest
from playwright.sync_api import expect

from app.auth import services as accounts
from app.extensions import db
from challenges.holdups.services import registration
from tests.browser.conftest import log_in
from tests.holdups.conftest import make_holdup

pytestmark = pytest.mark.browser
PASSWORD = "juniper-kettle-58"
WITHIN = 2_500  # ms: a poll every 2 s, and the swap


@pytest.fixture(scope="module")
def holdup_slug(live_server):
    _, application = live_server
    with application.app_context():
        people = {name: accounts.register_user(name, f"{name}@example.org", PASSWORD)
                  for name in ("facil", "pia", "nojs")}
        challenge, holdup = make_holdup(owner=people["facil"], moderation_policy="post", public_can_watch=True)
        for name in ("pia", "nojs"):
            registration.register(people[name], challenge, holdup, accept_norms=True)
        db.session.commit()
        slug = challenge.slug
        db.session.remove()
    return slug


def _context(browser, live_server, javascript=True):
    context = browser.new_context(base_url=live_server[0], viewport={"width": 1200, "height": 900},
                                  java_script_enabled=javascript)
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "422" not in m.text else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return context, page, errors


def _log_in_without_js(page, username):
    page.goto("/login")
    page.get_by_label("Username or e-mail").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("status")).to_contain_text("Welcome back")


def test_live_board_follows_the_facilitator_and_other_participants(browser, live_server, holdup_slug):
    live = f"/challenges/{holdup_slug}/live"
    facil_ctx, facil, facil_errors = _context(browser, live_server)
    pia_ctx, pia, pia_errors = _context(browser, live_server)
    nojs_ctx, nojs, _ = _context(browser, live_server, javascript=False)
    statuses = []
    pia.on("response", lambda r: statuses.append(r.status) if "/live/board" in r.url else None)
    try:
        log_in(facil, "facil", PASSWORD)
        log_in(pia, "pia", PASSWORD)
        _log_in_without_js(nojs, "nojs")

        pia.goto(live)
        expect(pia.locator("#step-heading")).to_contain_text("Starts")
        pia.evaluate("window.stillHere = true")  # survives only without a reload

        facil.goto(live)
        facil.get_by_role("button", name="Start the session").click()
        expect(facil.locator("#step-heading")).to_have_text("Pitch")
        expect(pia.locator("#step-heading")).to_have_text("Pitch", timeout=WITHIN)
        expect(pia.locator(".timer-value")).to_have_text(re.compile(r"^1[45]:\d\d$"))
        # Nothing changes: the next poll is answered 304 and nothing is swapped.
        with pia.expect_response(lambda r: "/live/board" in r.url and r.status == 304, timeout=5_000):
            pass

        for expected in ("Questions", "Diverge"):
            facil.get_by_role("button", name="Next step →").click()
            expect(facil.locator("#step-heading")).to_have_text(expected)
            expect(pia.locator("#step-heading")).to_have_text(expected, timeout=WITHIN)

        # The participant starts typing; the board changes under them and keeps their text.
        pia.get_by_label("Your note").fill("A shared fridge in the hall")

        # Without JavaScript: the form posts and redirects back to the board.
        nojs.goto(live)
        expect(nojs.locator("#step-heading")).to_have_text("Diverge")
        nojs.get_by_label("Your note").fill("Bread boxes at the school gate")
        nojs.get_by_role("button", name="Post the note").click()
        expect(nojs.locator(".notes")).to_contain_text("Bread boxes at the school gate")
        expect(pia.locator(".notes")).to_contain_text("Bread boxes at the school gate", timeout=WITHIN)
        expect(pia.get_by_label("Your note")).to_have_value("A shared fridge in the hall")

        # Bad input is refused beside the field, the text kept (no JavaScript).
        nojs.get_by_label("Your note").fill("x" * 300)
        nojs.get_by_role("button", name="Post the note").click()
        expect(nojs.locator("#note-body-error")).to_contain_text("under 280 characters")
        expect(nojs.get_by_label("Your note")).to_have_value("x" * 300)

        # With JavaScript, a boosted form: the participant's own note appears, the facilitator sees it.
        pia.get_by_role("button", name="Post the note").click()
        expect(pia.locator(".notes")).to_contain_text("A shared fridge in the hall")
        expect(pia.locator(".site-header")).to_have_count(1)  # the page was swapped whole, not nested
        expect(pia.get_by_label("Your note")).to_have_value("")
        expect(facil.locator(".notes")).to_contain_text("A shared fridge in the hall", timeout=WITHIN)

        facil.get_by_text("End the session…").click()
        facil.get_by_role("button", name="End the session now").click()
        expect(facil.get_by_role("heading", name="Ideas by cluster")).to_be_visible()
        expect(pia.locator("#step-heading")).to_have_text("The session has ended", timeout=WITHIN)
        assert pia.evaluate("window.stillHere") is True
        assert 304 in statuses and 200 in statuses, statuses

        pia.get_by_role("link", name="Read the report").click()
        expect(pia.locator(".holdup-report")).to_contain_text("Bread boxes at the school gate")
        expect(pia.locator(".holdup-report")).to_contain_text("A shared fridge in the hall")

        nojs.goto(live)  # a plain visit (reload would send the refused form again)
        expect(nojs.locator("#step-heading")).to_have_text("The session has ended")
        expect(nojs.get_by_role("button", name="Post the note")).to_have_count(0)
        assert not facil_errors and not pia_errors, (facil_errors, pia_errors)
    finally:
        for context in (facil_ctx, pia_ctx, nojs_ctx):
            context.close()
