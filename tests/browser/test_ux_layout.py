"""At phone size (390x844) the header is compact, the support card follows the idea's text,
nothing scrolls sideways; on a desktop the focused element is never under the sticky header
(issue 15, items 8-11)."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import CHROMIUM_ARGS  # noqa: F401  (the same Chromium as every browser test)
from tests.browser.demo_site import KEY_PAGES, demo_server, log_in

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    with demo_server(tmp_path_factory.mktemp("demo")) as url:
        yield url


@pytest.fixture
def phone(browser, demo):
    context = browser.new_context(base_url=demo, viewport=PHONE)
    yield context.new_page()
    context.close()


def box(page, selector):
    return page.locator(selector).first.bounding_box()


def test_the_phone_header_is_one_compact_row(phone):
    phone.goto("/ideas/1")
    header = box(phone, ".site-header")
    sticky = phone.eval_on_selector(".site-header", "e => getComputedStyle(e).position")
    assert header["height"] < 60 or sticky not in ("sticky", "fixed"), (header, sticky)
    assert header["height"] < 60
    brand, search, menu = box(phone, ".brand"), box(phone, ".nav-quick a[data-opens]"), box(phone, "[data-menu]")
    assert abs(brand["y"] + brand["height"] / 2 - (menu["y"] + menu["height"] / 2)) < 6  # one row
    assert abs(search["y"] - menu["y"]) < 2 and search["width"] >= 44 and menu["height"] >= 44  # big enough to tap
    expect(phone.get_by_role("link", name="Challenges")).to_be_hidden()
    phone.get_by_role("link", name="Menu").click()
    expect(phone.get_by_role("link", name="Challenges")).to_be_visible()
    expect(phone.get_by_role("link", name="Menu")).to_have_attribute("aria-expanded", "true")
    phone.get_by_role("link", name="Search", exact=True).click()
    expect(phone.get_by_label("Search Kindling")).to_be_focused()


def test_the_phone_menu_and_search_work_without_javascript(browser, demo):
    context = browser.new_context(base_url=demo, viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    page.goto("/challenges")
    assert box(page, ".site-header")["height"] < 60
    page.get_by_role("link", name="Menu").click()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    page.get_by_role("link", name="Search", exact=True).click()
    assert page.url.endswith("/search")
    context.close()


def test_the_support_card_follows_the_idea_text(phone):
    log_in(phone, "lea")
    phone.goto("/ideas/1")
    text, support, comments = box(phone, ".idea-main .prose"), box(phone, "#support"), box(phone, "#comments")
    assert text["y"] + text["height"] <= support["y"] < comments["y"]
    assert support["y"] < 844  # on the first screen of a phone
    # Keyboard: Support is among the first stops after the idea's text.
    phone.locator(".idea-main .prose").evaluate("e => { e.tabIndex = -1; e.focus(); }")
    for _stop in range(3):
        phone.keyboard.press("Tab")
        if phone.evaluate("document.activeElement.closest('#support') !== null"):
            break
    else:
        pytest.fail("Support is not within 3 Tab stops of the idea's text")


@pytest.mark.parametrize("who, path", KEY_PAGES, ids=[f"{who or 'visitor'}:{path}" for who, path in KEY_PAGES])
def test_nothing_scrolls_sideways_at_390(browser, demo, who, path):
    context = browser.new_context(base_url=demo, viewport=PHONE)
    page = context.new_page()
    if who:
        log_in(page, who)
    page.goto(path)
    width = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > 391 && getComputedStyle(e).position !== 'absolute')
        .slice(0, 3).map(e => e.tagName + '.' + e.className)""")
    context.close()
    assert width <= 390, (width, wide)


def test_the_focused_element_is_not_hidden_under_the_sticky_header(browser, demo):
    context = browser.new_context(base_url=demo, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto("/challenges/how-might-we-cut-food-waste-in-our-neighbourhood-markets")
    page.mouse.wheel(0, 5000)
    page.keyboard.press("Tab")  # the skip link is the first stop
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    for _ in range(3):
        page.keyboard.press("Tab")
        header = page.eval_on_selector(".site-header", "e => e.getBoundingClientRect().bottom")
        top = page.evaluate("document.activeElement.getBoundingClientRect().top")
        assert top >= header, (top, header)
    context.close()


def test_item_page_keys_work_and_queue_counts_follow_decisions(browser, demo):
    context = browser.new_context(base_url=demo, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    log_in(page, "moe")
    page.goto("/moderation/items/idea/8")
    page.keyboard.press("r")
    expect(page.locator('details[data-key="r"]')).to_have_attribute("open", "")
    expect(page.get_by_label("Reason")).to_be_focused()
    page.keyboard.press("Escape")
    page.goto("/moderation/")
    count = page.locator("#queue-count")
    badge = page.locator("#moderation-count")
    before = int(count.get_attribute("data-count"))
    assert badge.inner_text().startswith(str(before))
    current = page.locator("[data-case].is-current")
    expect(current).to_have_count(1)
    page.keyboard.press("a")
    expect(page.locator("[data-decided]").first).to_be_visible()
    expect(count).to_have_text(f"{before - 1} item{'' if before - 1 == 1 else 's'} waiting")
    expect(badge).to_contain_text(str(before - 1))
    context.close()
