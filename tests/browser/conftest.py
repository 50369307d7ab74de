"""A live Kindling server and the system Chromium, driven by Playwright."""
import os
import shutil

import pytest

from app import create_app
from app.extensions import db
from tests.browser.serving import serving
from tests.conftest import IN_CI, make_config

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def log_in(page, username, password):
    """Log in through the form, as a person would, and wait for the welcome."""
    from playwright.sync_api import expect

    page.goto("/login")
    page.get_by_label("Username or e-mail").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("status")).to_contain_text("Welcome back")


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("live")
    application = create_app(
        # The flows post several times a minute as brand-new members; the
        # new-member pace has tests of its own.
        make_config(SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder / 'live.db'}", SEARCH_INDEX_DIR=str(folder / "index"),
                    NEW_MEMBER_PACE_SECONDS=0, VISITOR_PAGE_CACHE_SECONDS=60)  # as deployed: visitors' pages kept
    )
    with application.app_context():
        db.create_all()
    with serving(application) as url:
        yield url, application


@pytest.fixture(scope="session")
def browser():
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        if IN_CI:
            pytest.fail(f"Chromium is required in CI but {CHROMIUM} is missing")
        pytest.skip(f"Chromium not found at {CHROMIUM}: install Debian's chromium to run browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server[0], viewport={"width": 1200, "height": 900})
    page = context.new_page()
    errors = []
    def on_console(message):
        # A form sent back with errors answers 422 on purpose; Chromium logs it.
        if message.type == "error" and "status of 422" not in message.text:
            errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"the browser reported errors: {errors}"
