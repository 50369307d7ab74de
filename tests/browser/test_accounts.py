import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_visitor_registers_logs_out_logs_in_and_edits_profile(page):
    page.goto("/")
    page.get_by_role("link", name="Join", exact=True).click()
    page.get_by_label("Username").fill("browsey")
    page.get_by_label("E-mail").fill("browsey@example.org")
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Create my account").click()
    expect(page.locator("#password-error")).to_contain_text("at least 10")
    expect(page.get_by_label("Username")).to_have_value("browsey")

    page.get_by_label("Password").fill("tangerine-compass-77")
    page.get_by_role("button", name="Create my account").click()
    expect(page).to_have_url("/users/browsey/edit")
    expect(page.get_by_role("status")).to_contain_text("Welcome to Kindling")

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("navigation").get_by_role("link", name="Log in")).to_be_visible()

    page.get_by_role("navigation").get_by_role("link", name="Log in").click()
    page.get_by_label("Username or e-mail").fill("browsey@example.org")
    page.get_by_label("Password").fill("tangerine-compass-77")
    page.get_by_label("Remember me on this device").check()
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("status")).to_contain_text("Welcome back")

    page.get_by_role("link", name="browsey").click()
    page.get_by_role("link", name="Edit profile").click()
    page.get_by_label("Display name").fill("Browsey McBrowse")
    page.get_by_label("About you").fill("I test things in Chromium.")
    page.get_by_label("Skills").fill("testing, playwright")
    page.get_by_label("Interests").fill("énergie")
    page.get_by_role("button", name="Save profile").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Browsey McBrowse")
    expect(page.locator(".bio")).to_have_text("I test things in Chromium.")
    expect(page.locator(".tag", has_text="playwright")).to_be_visible()
    expect(page.locator(".tag", has_text="énergie")).to_be_visible()


def test_keyboard_reaches_the_login_form(page):
    page.goto("/login")
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    page.keyboard.press("Enter")
    for _ in range(8):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "login":
            break
    expect(page.get_by_label("Username or e-mail")).to_be_focused()
