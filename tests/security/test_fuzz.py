"""Issue 14: hostile values into every form field, query parameter and path argument the app exposes.

Forms are discovered by reading every page the URL map offers (as an admin and as a
member, so owner tools, moderation and admin forms are included); their fields, plus
every parameter a GET form sends, get each hostile value. Nothing may answer 5xx.
The values are a curated list of naughty strings (numbers past any column, format and
bidi characters, markup, template and SQL syntax, invalid UTF-8, very long text) plus
strings Hypothesis draws from every Unicode category.
"""
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import login
from tests.factories import ChallengeFactory, CommentFactory, IdeaFactory, UserFactory

HOSTILE = [
    "", " ", "0", "-1", "99999999999999999999", "9223372036854775808", "-9223372036854775809", "1" * 400,
    "1e308", "NaN", "-0", "0x1F", "١٢٣", "3.5", "2026-13-45", "9999-12-31",
    "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "javascript:alert(1)", "{{7*7}}{% raw %}",
    "' OR '1'='1' --", "../../../../etc/passwd", "\x00", "%00%0d%0a", "\u202eevil", "a\u200bb", "\ufeffbom",
    "\U000e0041tag", "line\u2028break", "NEL \x85 line", "𝕳𝖊𝖑𝖑𝖔 👩\u200d💻", "שלום עולם", "x" * 10_000,
    "\r\n\r\nSet-Cookie: a=b", "null", "[]", "{}", b"\xed\xa0\x80", b"\xff\xfe\xfd",
]
# The few that broke things before: in the fast suite; the whole list runs with the slow tests.
SHARP = ["99999999999999999999", "\u202eevil", b"\xed\xa0\x80", "x" * 10_000]
# Left alone: they end the session the rest of the run needs (covered by their own tests).
SKIP_ENDPOINTS = {"auth.logout", "account.logout_everywhere", "static", "moderation.log_csv",
                  "health.readyz"}  # readyz: 503 is its right answer on the test schema (no migrations)


class FormReader(HTMLParser):
    """Every <form>: its action, method and the names of its fields."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms, self.links = [], set()
        self._form = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and (attrs.get("href") or "").startswith("/"):
            self.links.add(attrs["href"].split("#")[0])
        if tag == "form":
            self._form = {"action": attrs.get("action") or "", "method": (attrs.get("method") or "get").lower(),
                          "fields": {}}
            self.forms.append(self._form)
        elif tag in ("input", "textarea", "select", "button") and self._form is not None and attrs.get("name"):
            self._form["fields"].setdefault(attrs["name"], attrs.get("value") or "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None


def read(page):
    reader = FormReader()
    reader.feed(page)
    return reader


@pytest.fixture
def world(session):
    admin = UserFactory(is_admin=True, is_moderator=True)
    member = UserFactory()
    challenge = ChallengeFactory(owner=admin)
    idea = IdeaFactory(challenge=challenge)
    own_idea = IdeaFactory(challenge=challenge, author=member)
    comment = CommentFactory(idea=idea)
    arguments = {"slug": challenge.slug, "idea_id": idea.id, "comment_id": comment.id, "username": member.username,
                 "user_id": member.id, "kind": "idea", "item_id": idea.id, "token": "not-a-token",
                 "action": "approve", "word_id": 1}
    return {"admin": admin, "member": member, "arguments": arguments, "own_idea": own_idea}


def page_urls(app, arguments):
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in SKIP_ENDPOINTS:
            continue
        if not all(name in arguments for name in rule.arguments):
            continue
        urls.append(rule.build({name: arguments[name] for name in rule.arguments}, append_unknown=False)[1])
    return urls


def discover(client, urls):
    """The forms on every page (and on the pages those link to), once each."""
    forms, seen = {}, set()
    queue = list(urls)
    while queue:
        url = queue.pop()
        if url in seen or len(seen) > 150:
            continue
        seen.add(url)
        response = client.get(url)
        assert response.status_code < 500, f"GET {url} answered {response.status_code}"
        if "html" not in response.content_type:
            continue
        found = read(response.get_data(as_text=True))
        for link in found.links:
            path = urlsplit(link).path
            if path.startswith(("/ideas/", "/challenges/", "/moderation/items/", "/flag/", "/appeal/")):
                queue.append(link)
        for form in found.forms:
            action = form["action"] or url
            if any(action.rstrip("/").endswith(skip) for skip in ("/logout", "/logout-everywhere")):
                continue
            key = (action.split("?")[0], form["method"], tuple(sorted(form["fields"])))
            forms.setdefault(key, form | {"action": action.split("?")[0]})
    return list(forms.values())


def send(client, form, value):
    data = {name: (default if name == "csrf_token" else value) for name, default in form["fields"].items()}
    if form["method"] == "post":
        return client.post(form["action"], data=data, csrf=False)
    return client.get(form["action"] + "?" + urlencode(data))


def fuzz(client, forms, values):
    failures = []
    for form in forms:
        for value in values:
            response = send(client, form, value)
            if response.status_code >= 500:
                failures.append(f"{form['method'].upper()} {form['action']} {sorted(form['fields'])} "
                                f"= {value!r:.60} -> {response.status_code}")
    return failures


@pytest.fixture
def errors_as_pages(app):
    """A crash becomes the 500 it would be in production, so one run lists every failing field."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    yield
    app.config["PROPAGATE_EXCEPTIONS"] = None


def check(failures):
    assert not failures, "\n".join(failures)


# Query parameters every listing, filter and form reads, beside the ones GET forms send.
QUERY_NAMES = ("page", "sort", "tag", "status", "phase", "format", "q", "idea", "builds_on", "next", "challenge",
               "lap", "after", "kind", "reason", "moderator", "member", "action", "include_hidden", "title",
               "description")


@pytest.mark.parametrize("who", ["admin", "member"])
def test_sharp_values_in_every_form_never_answer_5xx(app, client, world, who, errors_as_pages):
    login(client, world[who])
    forms = discover(client, page_urls(app, world["arguments"]))
    assert len(forms) > (25 if who == "admin" else 8), "the forms were not found: the fuzz would test nothing"
    check(fuzz(client, forms, SHARP))


# Query strings carry numbers, filters and search text: the values that differ in how they break those.
QUERY_VALUES = ["", "0", "-1", "99999999999999999999", "1" * 400, "1e308", "NaN", "\x00", "\u202eevil",
                b"\xff\xfe\xfd", "x" * 10_000, "<script>alert(1)</script>", "NEL \x85 line"]


@pytest.mark.slow
@pytest.mark.parametrize("who", ["admin", "member"])
def test_hostile_values_in_every_form_and_query_parameter_never_answer_5xx(app, client, world, who,
                                                                           errors_as_pages):
    login(client, world[who])
    forms = discover(client, page_urls(app, world["arguments"]))
    failures = fuzz(client, forms, HOSTILE)
    if who == "admin":  # the admin reaches every page a member does, and more
        for url in page_urls(app, world["arguments"]):
            for value in QUERY_VALUES:
                encoded = urlencode({name: value for name in QUERY_NAMES})
                response = client.get(f"{url}?{encoded}")
                if response.status_code >= 500:
                    failures.append(f"GET {url}?<every parameter>={value!r:.60} -> {response.status_code}")
    check(failures)


PATH_VALUES = [v for v in HOSTILE if isinstance(v, str) and v and "/" not in v and len(v) < 500]


def test_sharp_path_arguments_never_answer_5xx(app, admin_client, world, errors_as_pages):
    token = admin_client.csrf_token()
    for value in ["99999999999999999999", "\u202eevil", "x" * 400, "<script>alert(1)</script>"]:
        _path_arguments(app, admin_client, world, value, token)


@pytest.mark.slow
def test_hostile_path_arguments_never_answer_5xx(app, admin_client, world, errors_as_pages):
    token = admin_client.csrf_token()
    for value in PATH_VALUES:
        _path_arguments(app, admin_client, world, value, token)


def _path_arguments(app, admin_client, world, value, token):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP_ENDPOINTS or not rule.arguments:
            continue
        string_arguments = [name for name, converter in rule._converters.items()
                            if type(converter).__name__ in ("UnicodeConverter", "PathConverter")]
        if not string_arguments:
            continue
        arguments = {name: (value if name in string_arguments else world["arguments"].get(name, 1))
                     for name in rule.arguments}
        try:
            url = rule.build(arguments, append_unknown=False)[1]
        except Exception:
            continue  # a value the URL itself cannot carry
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = admin_client.open(url, method=method, data={"csrf_token": token} if method == "POST" else None)
            assert response.status_code < 500, f"{method} {url} -> {response.status_code}"


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(text=st.text(st.characters(codec="utf-8"), max_size=300))
def test_any_unicode_in_the_main_forms_never_answers_5xx(app, member_client, world, text):
    slug, username = world["arguments"]["slug"], world["member"].username
    own = world["own_idea"].id
    for path, data in [
        (f"/users/{username}/edit", {"display_name": text, "bio": text, "skills": text, "interests": text}),
        (f"/challenges/{slug}/ideas/new", {"title": text, "description": text, "tags": text, "builds_on": text}),
        (f"/ideas/{own}/edit", {"title": text, "description": text, "tags": text}),
        (f"/ideas/{own}/comments", {"body": text, "parent_id": text}),
        ("/challenges/new", {"title": text, "summary": text, "problem": text, "norms": text, "tags": text,
                             "submission_at": text, "review_at": text, "results_at": text}),
    ]:
        assert member_client.post(path, data=data).status_code < 500, (path, text)
    assert member_client.get("/challenges?" + urlencode({"tag": text, "page": text})).status_code < 500
