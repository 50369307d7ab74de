"""A visitor's pages kept while nothing is written (issue 13, app/page_cache.py).

On the `committed` application (a SQLite file, and PostgreSQL with
TEST_DATABASE_URL), whose requests really commit, as production's do: the
rolled-back test session commits nothing, so no content version could see
its writes.
"""
import re
import subprocess
import sys
import time
from datetime import timedelta

import brotli
import pytest
from flask import session

from app import clock
from app.extensions import db
from app.page_cache import MAX_BYTES, MAX_PAGES, KeptPage, PageCache, visitor_cached
from tests.committing import as_member, counted, seed
from tests.factories import IdeaFactory
from tests.holdups.conftest import make_holdup
from tests.voting.helpers import hx


@pytest.fixture
def site(committed):
    application, backend = committed
    application.config["VISITOR_PAGE_CACHE_SECONDS"] = 60
    ids = seed(application)
    with application.app_context():
        from challenges.models import Idea

        ids["titles"] = {idea.id: idea.title for idea in db.session.query(Idea)}
        ids["url"] = db.engine.url.render_as_string(hide_password=False)
        db.session.remove()
    return application, backend, ids


def visitor_get(application, path, **kwargs):
    """A visitor's GET and the SQL statements it sent."""
    response, statements = counted(application, lambda: application.test_client().get(path, **kwargs))
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True), statements


# What a kept page costs: no statement on SQLite (its version comes from a connection of its own),
# the snapshot's text on PostgreSQL.
KEPT = {"sqlite": 0, "postgresql": 1}


def from_memory(application, backend, send):
    """`send()` answered from a kept page: (response, statements).

    PostgreSQL's snapshot is the whole server's, so a write to another database on it (a neighbour's
    test run) between two requests rightly has the page rendered again; the next one is kept."""
    for _ in range(3):
        response, statements = counted(application, send)
        if statements.count == KEPT[backend]:
            break
    return response, statements


def test_a_visitors_second_look_is_served_from_memory(site):
    application, backend, ids = site
    for path in (f"/challenges/{ids['slug']}", f"/challenges/{ids['slug']}?sort=top", f"/ideas/{ids['idea']}",
                 "/challenges", "/"):
        first, rendered = visitor_get(application, path)
        again, kept = from_memory(application, backend, lambda path=path: application.test_client().get(path))
        assert rendered.count > KEPT[backend], path
        assert kept.count == KEPT[backend], (path, kept.statements)
        assert again.get_data(as_text=True) == first


def test_a_hidden_idea_leaves_every_visitor_page_at_once(site):
    application, _backend, ids = site
    title = ids["titles"][ids["idea"]]
    listing, _ = visitor_get(application, f"/challenges/{ids['slug']}")
    assert title in listing
    visitor_get(application, f"/ideas/{ids['idea']}")
    moderator = as_member(application, ids["moderator"])
    decided = moderator.post(f"/moderation/items/idea/{ids['idea']}/hide", data={"reason": "off_topic", "note": ""})
    assert decided.status_code in (200, 302, 303)
    listing, _ = visitor_get(application, f"/challenges/{ids['slug']}")
    assert title not in listing
    assert ids["titles"][ids["other"]] in listing
    assert application.test_client().get(f"/ideas/{ids['idea']}").status_code == 404


def test_a_support_shows_in_the_visitors_count_at_once(site):
    application, _backend, ids = site
    path = f"/ideas/{ids['idea']}"
    before, _ = visitor_get(application, path)
    assert re.search(r"<strong>0</strong>\s*supporters\b", before)
    member = as_member(application, ids["members"][0])
    assert member.post(f"/ideas/{ids['idea']}/support", headers=hx(f"support-card-{ids['idea']}")).status_code == 200
    after, _ = visitor_get(application, path)
    assert re.search(r"<strong>1</strong>\s*supporter\b", after)


def test_a_kept_page_is_compressed_once_and_never_served_stale(site):
    application, _backend, ids = site
    path, brotli_please = f"/ideas/{ids['idea']}", {"Accept-Encoding": "br"}
    answers = [application.test_client().get(path, headers=brotli_please) for _ in range(2)]
    assert [a.headers["Content-Encoding"] for a in answers] == ["br", "br"]
    assert answers[0].data == answers[1].data and answers[0].headers["ETag"] == answers[1].headers["ETag"]
    plain, _ = visitor_get(application, path)
    assert brotli.decompress(answers[1].data).decode() == plain
    member = as_member(application, ids["members"][0])
    assert member.post(f"/ideas/{ids['idea']}/support", headers=hx(f"support-card-{ids['idea']}")).status_code == 200
    after = application.test_client().get(path, headers=brotli_please)
    assert re.search(r"<strong>1</strong>\s*supporter\b", brotli.decompress(after.data).decode())
    assert after.headers["ETag"] != answers[0].headers["ETag"]


def test_a_compressed_copy_goes_with_its_page_when_the_clock_alone_moves_on(site):
    """A visitor's random order starts afresh every ten minutes, without any write."""
    application, _backend, ids = site
    application.config["VISITOR_PAGE_CACHE_SECONDS"] = 1
    with application.app_context():
        IdeaFactory.create_batch(10, challenge_id=ids["challenge"])
        db.session.commit()
        db.session.remove()
    path, brotli_please = f"/challenges/{ids['slug']}?sort=random", {"Accept-Encoding": "br"}
    order = re.compile(r'id="idea-card-(\d+)"')
    now = clock.now()
    try:
        seen = []
        for minutes in (0, 10, 20, 30):
            clock.freeze(now + timedelta(minutes=minutes))
            time.sleep(1.05)
            compressed = application.test_client().get(path, headers=brotli_please)
            again = application.test_client().get(path, headers=brotli_please)
            plain, _ = visitor_get(application, path)
            assert brotli.decompress(compressed.data).decode() == plain
            assert again.data == compressed.data
            seen.append(order.findall(plain))
    finally:
        clock.freeze(None)
    assert len({tuple(ids_in_order) for ids_in_order in seen}) > 1  # the order did move with the clock


def test_every_kept_page_type_sets_no_cookie_with_csrf_on(site):
    """Production builds CSRF tokens: a form built for a visitor would put one in a session cookie."""
    application, backend, ids = site
    application.config["WTF_CSRF_ENABLED"] = True
    with application.app_context():
        challenge, _holdup = make_holdup()
        db.session.commit()
        holdup_slug = challenge.slug
        db.session.remove()
    for path in ("/", "/challenges", f"/challenges/{ids['slug']}", f"/challenges/{holdup_slug}",
                 f"/ideas/{ids['idea']}"):
        first = application.test_client().get(path)
        assert first.status_code == 200 and first.headers.getlist("Set-Cookie") == [], path
        _, kept = from_memory(application, backend, lambda path=path: application.test_client().get(path))
        assert kept.count == KEPT[backend], path


def test_visitors_in_two_time_zones_each_see_their_own_time(site):
    application, _backend, _ids = site
    with application.app_context():
        challenge, _holdup = make_holdup()  # 18:30 in Paris
        db.session.commit()
        path = f"/challenges/{challenge.slug}"
        db.session.remove()
    pages = {}
    for zone in ("Asia/Tokyo", "America/New_York", "Asia/Tokyo"):
        visitor = application.test_client()
        visitor.set_cookie("tz", zone)
        pages.setdefault(zone, []).append(visitor.get(path).get_data(as_text=True))
    assert "(Asia/Tokyo)" in pages["Asia/Tokyo"][0] and "(America/New_York)" in pages["America/New_York"][0]
    assert pages["Asia/Tokyo"][0] == pages["Asia/Tokyo"][1]


def test_a_repeat_visit_gets_304_from_memory_and_head_is_never_kept(site):
    application, backend, ids = site
    path = f"/ideas/{ids['idea']}"
    first, _ = counted(application, lambda: application.test_client().get(path))
    again, statements = from_memory(application, backend, lambda: application.test_client().get(
        path, headers={"If-None-Match": first.headers["ETag"]}))
    assert again.status_code == 304 and statements.count == KEPT[backend]
    heads = [counted(application, lambda: application.test_client().head(f"/ideas/{ids['other']}"))[1]
             for _ in range(2)]
    assert all(head.count > KEPT[backend] for head in heads)


def test_answers_that_touch_the_session_or_are_not_200_are_never_kept(site):
    application, _backend, _ids = site
    rendered = []

    def view(kind):
        rendered.append(kind)
        if kind == "flash":
            session["note"] = "saved for you"
            return "page with a note"
        if kind == "cookie":
            response = application.make_response("page")
            response.set_cookie("seen", "1")
            return response
        return "accepted", 202

    application.add_url_rule("/kept-or-not/<kind>", "kept_or_not", visitor_cached(view))
    for kind in ("flash", "cookie", "accepted"):
        for _ in range(2):
            application.test_client().get(f"/kept-or-not/{kind}")
    assert rendered == ["flash", "flash", "cookie", "cookie", "accepted", "accepted"]


def test_a_write_from_another_process_is_seen_at_once(site):
    """The scheduler, a worker or a second web process commit through connections of their own."""
    application, _backend, ids = site
    path = f"/challenges/{ids['slug']}?sort=new"
    visitor_get(application, path)
    visitor_get(application, path)
    rename = ("from sqlalchemy import create_engine, text\n"
              f"with create_engine({ids['url']!r}).begin() as connection:\n"
              "    connection.execute(text(\"UPDATE ideas SET title = 'Seed library in the old post office' "
              f"WHERE id = {ids['other']}\"))\n")
    subprocess.run([sys.executable, "-c", rename], check=True, timeout=60)
    listing, _ = visitor_get(application, path)
    assert "Seed library in the old post office" in listing


def test_members_and_visitors_never_share_a_page(site):
    application, backend, ids = site
    path = f"/challenges/{ids['slug']}"
    member = as_member(application, ids["members"][0])
    for _ in range(2):
        response, statements = counted(application, lambda: member.get(path))
        assert statements.count > KEPT[backend]  # a member's page is rendered for them every time
        assert 'name="csrf_token"' in response.get_data(as_text=True)
    for _ in range(2):
        page, _ = visitor_get(application, path)
        assert "Log in to support" in page and 'name="csrf_token"' not in page
    response = member.get(path)
    assert "Log in to support" not in response.get_data(as_text=True)


def test_a_fragment_and_a_page_are_kept_apart(site):
    application, _backend, ids = site
    path = f"/challenges/{ids['slug']}?sort=top"
    page, _ = visitor_get(application, path)
    fragment, _ = visitor_get(application, path, headers=hx("idea-list"))
    page_again, _ = visitor_get(application, path)
    assert page.lstrip().lower().startswith("<!doctype html")
    assert "<html" not in fragment and ids["titles"][ids["idea"]] in fragment
    assert page_again == page


def test_a_visitor_with_a_session_gets_a_page_of_their_own(site):
    application, backend, ids = site
    visitor = application.test_client()
    with visitor.session_transaction() as cookie_session:  # a flash message waits for them, say
        cookie_session["_flashes"] = [("info", "You have been logged out.")]
    path = f"/challenges/{ids['slug']}"
    application.test_client().get(path)
    response, statements = counted(application, lambda: visitor.get(path))
    assert response.status_code == 200 and statements.count > KEPT[backend]
    assert "You have been logged out." in response.get_data(as_text=True)


def test_a_kept_page_expires_with_its_lifetime_and_none_is_kept_at_zero(site):
    application, backend, ids = site
    application.config["VISITOR_PAGE_CACHE_SECONDS"] = 1
    path = f"/ideas/{ids['idea']}"
    visitor_get(application, path)
    costs = [from_memory(application, backend, lambda: application.test_client().get(path))[1].count]
    time.sleep(1.1)
    costs.append(visitor_get(application, path)[1].count)
    assert costs[0] == KEPT[backend] and costs[1] > KEPT[backend]
    application.config["VISITOR_PAGE_CACHE_SECONDS"] = 0
    assert all(visitor_get(application, path)[1].count > KEPT[backend] for _ in range(2))


def test_the_cache_holds_a_bounded_number_of_pages_and_bytes_of_the_newest_version():
    cache = PageCache()
    cache.moved_to("v1")
    for n in range(MAX_PAGES + 50):
        cache.put(("v1", n), KeptPage([], b"page"))
    assert len(cache) == MAX_PAGES
    assert cache.get(("v1", 0), 60) is None and cache.get(("v1", MAX_PAGES + 49), 60) is not None
    cache.moved_to("v2")  # the data moved on: every older page goes, and a late render of v1 is not kept
    assert len(cache) == 0 and cache.put(("v1", 1), KeptPage([], b"late")) is None
    big = b"x" * (MAX_BYTES // 4 + 1)
    for n in range(5):
        cache.put(("v2", n), KeptPage([], big))
    assert len(cache) == 3  # 32 MB in all: the oldest went first
    assert cache.get(("v2", 0), 60) is None and cache.get(("v2", 4), 60) is not None
