"""What browsers and proxies may keep (issue 13): no cookie for visitors, validators, 304s, static files, compression."""
import gzip
import re

import brotli
import pytest

from tests.conftest import login
from tests.factories import ChallengeFactory, CommentFactory, IdeaFactory, UserFactory


def set_cookies(response):
    return response.headers.getlist("Set-Cookie")


@pytest.fixture
def challenge(session):
    challenge = ChallengeFactory(is_open=True)
    for _ in range(45):
        idea = IdeaFactory(challenge=challenge, author=UserFactory())
    CommentFactory(idea=idea)
    return challenge


def public_paths(challenge):
    idea = challenge.ideas[0] if hasattr(challenge, "ideas") else None
    paths = ["/", "/challenges", f"/challenges/{challenge.slug}", f"/challenges/{challenge.slug}?sort=top",
             f"/challenges/{challenge.slug}?sort=hot", f"/challenges/{challenge.slug}?sort=random"]
    return paths + ([f"/ideas/{idea.id}"] if idea else [])


def test_a_visitor_browsing_gets_no_cookie(client, challenge):
    idea_id = IdeaFactory(challenge=challenge).id
    for path in public_paths(challenge) + [f"/ideas/{idea_id}", "/search?q=bread"]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert set_cookies(response) == [], path
    fragment = client.get(f"/challenges/{challenge.slug}?sort=top", headers={"HX-Request": "true",
                                                                          "HX-Target": "idea-list"})
    assert fragment.status_code == 200 and set_cookies(fragment) == []


def test_a_visitor_gets_a_cookie_once_a_form_needs_one(client, challenge):
    assert set_cookies(client.get(f"/challenges/{challenge.slug}")) == []
    response = client.get("/login")
    assert any(c.startswith("session=") for c in set_cookies(response))


@pytest.mark.parametrize("path", ["/", "/challenges", "challenge", "challenge?sort=top", "idea"])
def test_public_pages_are_revalidated_with_an_etag(client, challenge, path):
    if path.startswith("challenge"):
        path = f"/challenges/{challenge.slug}" + path.removeprefix("challenge")
    elif path == "idea":
        path = f"/ideas/{IdeaFactory(challenge=challenge).id}"
    first = client.get(path)
    assert first.status_code == 200
    assert first.cache_control.public and first.cache_control.no_cache
    assert "Cookie" in first.headers["Vary"]
    etag = first.headers["ETag"]
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""


def test_a_change_on_the_page_changes_its_etag(client, session, challenge):
    path = f"/challenges/{challenge.slug}?sort=newest"
    etag = client.get(path).headers["ETag"]
    IdeaFactory(challenge=challenge, title="A brand new idea about compost bins")
    session.flush()
    response = client.get(path, headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert "A brand new idea about compost bins" in response.get_data(as_text=True)


def test_member_pages_stay_private(client, challenge):
    login(client, UserFactory())
    response = client.get(f"/challenges/{challenge.slug}?sort=top")
    assert response.status_code == 200
    assert response.cache_control.private and not response.cache_control.public
    assert response.cache_control.no_cache
    assert "Cookie" in response.headers["Vary"]


def test_a_visitor_walks_the_random_order_without_a_cookie(client, challenge):
    seen = []
    response = client.get(f"/challenges/{challenge.slug}?sort=random")
    while True:
        assert set_cookies(response) == []
        page = response.get_data(as_text=True)
        seen += re.findall(r'id="idea-card-(\d+)"', page)
        more = re.search(r'href="([^"]+)"[^>]*>More ideas', page)
        if not more:
            break
        assert "seed=" in more.group(1)
        response = client.get(more.group(1).replace("&amp;", "&"))
    assert len(seen) == len(set(seen)) == 45  # every idea once, none twice, across three pages


def test_the_same_visitor_url_gives_the_same_random_order(client, challenge):
    first = client.get(f"/challenges/{challenge.slug}?sort=random&seed=12345").get_data(as_text=True)
    again = client.get(f"/challenges/{challenge.slug}?sort=random&seed=12345").get_data(as_text=True)
    other = client.get(f"/challenges/{challenge.slug}?sort=random&seed=1999999999").get_data(as_text=True)
    order = lambda page: re.findall(r'id="idea-card-(\d+)"', page)  # noqa: E731
    assert order(first) == order(again)
    assert order(first) != order(other)


def test_static_files_have_fingerprinted_urls_cached_for_a_year(client):
    page = client.get("/login").get_data(as_text=True)
    css = re.search(r'href="(/static/css/kindling\.css\?v=[0-9a-f]{12})"', page).group(1)
    response = client.get(css)
    assert response.status_code == 200
    assert response.cache_control.max_age == 365 * 24 * 3600
    assert response.cache_control.immutable and response.cache_control.public
    stale = client.get("/static/css/kindling.css?v=000000000000")
    assert not stale.cache_control.immutable and not stale.cache_control.max_age
    response.close()
    stale.close()


@pytest.mark.parametrize("encoding, decompress", [("br", brotli.decompress), ("gzip", gzip.decompress)])
def test_html_css_and_js_are_compressed(client, challenge, encoding, decompress):
    plain = client.get(f"/challenges/{challenge.slug}?sort=top").get_data()
    response = client.get(f"/challenges/{challenge.slug}?sort=top", headers={"Accept-Encoding": encoding})
    assert response.headers["Content-Encoding"] == encoding
    assert decompress(response.get_data()) == plain
    assert len(response.get_data()) < len(plain) / 3
    assert "Accept-Encoding" in response.headers["Vary"]
    again = client.get(f"/challenges/{challenge.slug}?sort=top",
                       headers={"Accept-Encoding": encoding, "If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    for path in ("/static/css/kindling.css", "/static/vendor/htmx/htmx.min.js"):
        with client.get(path, headers={"Accept-Encoding": encoding}) as asset:
            assert asset.headers["Content-Encoding"] == encoding, path


def test_a_visitor_watching_a_hold_up_gets_no_cookie(session, app):
    """Its pages build forms (register, agenda steps, the board's) that a visitor is never shown."""
    from tests.holdups.conftest import make_holdup

    assert app.config.get("WTF_CSRF_ENABLED", True)  # as in production: a form's token goes in the session
    challenge, _holdup = make_holdup(public_can_watch=True)
    visitor = app.test_client()
    for path in (f"/challenges/{challenge.slug}", f"/challenges/{challenge.slug}/agenda",
                 f"/challenges/{challenge.slug}/live"):
        response = visitor.get(path)
        assert response.status_code == 200, path
        assert set_cookies(response) == [], path
    # A form that is shown still carries its token (and the cookie that goes with it).
    login_page = visitor.get("/login")
    assert 'name="csrf_token"' in login_page.get_data(as_text=True) and set_cookies(login_page)
