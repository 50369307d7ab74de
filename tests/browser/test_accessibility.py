"""axe-core on every key page, at desktop and phone size: no serious or critical violation (issue 15, item 16).

axe-core is vendored for the tests only (tests/browser/vendor/axe-core, from the npm registry, pinned)."""
from itertools import groupby
from pathlib import Path

import pytest

from tests.browser.demo_site import KEY_PAGES, demo_server, log_in

pytestmark = pytest.mark.browser
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
BY_ROLE = [(who, [path for _, path in pages]) for who, pages in groupby(KEY_PAGES, key=lambda p: p[0])]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    with demo_server(tmp_path_factory.mktemp("axe")) as url:
        yield url


def serious_violations(page):
    page.add_script_tag(path=str(AXE))
    results = page.evaluate("""async () => {
        const results = await axe.run(document, {resultTypes: ["violations"]});
        return results.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            targets: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
    }""")
    return [v for v in results if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("who, paths", BY_ROLE, ids=[who or "visitor" for who, _ in BY_ROLE])
def test_key_pages_have_no_serious_accessibility_violation(browser, demo, size, who, paths):
    context = browser.new_context(base_url=demo, viewport=SIZES[size], bypass_csp=True)  # to inject axe
    page = context.new_page()
    if who:
        log_in(page, who)
    found = {}
    for path in paths:
        page.goto(path)
        if violations := serious_violations(page):
            found[path] = violations
    context.close()
    assert not found, "\n".join(
        f"{path}: {v['impact']} {v['id']} ({v['help']}) at {v['targets']}" for path, vs in found.items() for v in vs)


def test_a_refused_comment_page_is_accessible(browser, demo):
    context = browser.new_context(base_url=demo, viewport=SIZES["phone"], bypass_csp=True)
    page = context.new_page()
    log_in(page, "lea")
    page.goto("/ideas/1")
    # A plain form post, as without JavaScript: the whole page comes back with the error beside the field.
    with page.expect_navigation():
        page.evaluate("document.getElementById('comment-form-top').submit()")
    assert page.locator("#comment-form-top-error").inner_text().endswith("Write something first.")
    assert not serious_violations(page)
    context.close()


def all_violations(page):
    """Every impact, for the report (moderate and minor ones are printed, not failed)."""
    page.add_script_tag(path=str(AXE))
    return page.evaluate("""async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
        .map(v => v.impact + " " + v.id + " @ " + v.nodes.slice(0, 2).map(n => n.target.join(" ")).join(", "))""")
