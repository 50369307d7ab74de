"""Totals are true whatever the limits, the ranking ignores them, and any text is a valid query."""
import pytest

from search import jobs as search_jobs
from tests.factories import ChallengeFactory, IdeaFactory
from tests.search.conftest import commit, search, titles

BOTH_BACKENDS = True  # the behaviour suite: whoosh and PostgreSQL (see conftest)


@pytest.fixture
def orchard(session):
    challenge = ChallengeFactory()
    for n in range(150):
        IdeaFactory(challenge=challenge, title=f"Orchard idea {n}", description=f"Apple trees, row {n % 7}",
                    supporter_count=n % 13)
    IdeaFactory(challenge=challenge, status="hidden", title="Hidden orchard idea")
    commit()
    search_jobs.index_challenge_content(challenge.id)
    return challenge


@pytest.fixture
def limits(app):
    saved = {k: app.config.get(k) for k in ("SEARCH_TIME_LIMIT", "SEARCH_COUNT_LIMIT")}

    def set_limits(**values):
        app.config.update({f"SEARCH_{k.upper()}": v for k, v in values.items()})
    yield set_limits
    for key, value in saved.items():
        if value is None:
            app.config.pop(key, None)
        else:
            app.config[key] = value


def test_an_unlimited_search_shows_the_exact_total(client, orchard):
    page = search(None, "orchard")
    assert page.exact and page.total == 150 and page.pages == 8
    html = client.get("/search?q=orchard").get_data(as_text=True)
    assert "150 results" in html and "Page 1 of 8" in html and "More than" not in html


def test_a_search_cut_short_by_the_count_limit_says_more_than(client, orchard, limits):
    limits(count_limit=40)
    page = search(None, "orchard")
    assert not page.exact and page.total == 40  # and 150 really match: "more than 40" is true
    assert len(page.results) == 20 and page.has_next
    facets = {f.name: {o.value: o.count for o in f.options} for f in page.facets}
    assert facets["kind"] == {"idea": 40}  # counts of the matches counted, shown as "40+"
    html = client.get("/search?q=orchard").get_data(as_text=True)
    assert "More than 40 results" in html and "150 results" not in html and "Page 1 of" not in html
    assert "40+" in html and "at least" in html


def test_a_search_cut_short_by_the_time_limit_never_shows_a_false_total(orchard, limits):
    limits(time_limit=0.0)
    for _ in range(3):  # the same answer cold or warm, and always true
        page = search(None, "orchard")
        assert len(page.results) == 20
        assert (page.exact and page.total == 150) or (not page.exact and page.total < 150)


def test_the_ranking_does_not_depend_on_the_limits(orchard, limits):
    unlimited = {sort: titles(search(None, "orchard apple", sort=sort)) for sort in ("relevance", "supporters")}
    limits(time_limit=0.0, count_limit=1)
    for sort, expected in unlimited.items():
        assert titles(search(None, "orchard apple", sort=sort)) == expected
        assert titles(search(None, "orchard apple", sort=sort, page=3)) == titles(
            search(None, "orchard apple", sort=sort, page=3))


def test_a_matching_query_never_shows_an_empty_page(orchard, limits):
    limits(time_limit=0.0, count_limit=1)
    page = search(None, "orchard")
    assert page.results and page.total >= 1 and "Hidden orchard idea" not in titles(page)


@pytest.fixture
def pantry(session):
    challenge = ChallengeFactory()
    food = IdeaFactory(challenge=challenge, title="Community food pantry", description="Shelves of food for all.")
    lights = IdeaFactory(challenge=challenge, title="Status lights for hidden alleys",
                         description="A lamp shows the status of each alley.")
    hidden = IdeaFactory(challenge=challenge, status="hidden", title="Hidden food stash",
                         description="Kind idea status hidden.")
    commit()
    search_jobs.index_challenge_content(challenge.id)
    return {"food": food, "lights": lights, "hidden": hidden}


@pytest.mark.parametrize("query", [
    "NOT NOT NOT a", "NOT", "AND OR NOT", "a AND", "(", ")", "((food", "food^1e308", "food^", "^2", "status:hidden",
    "kind:idea", "tags:food", "challenge:1", "title:", ":", "*", "fo*", "?ood", "food~2", "[a TO z]", "{a to z}",
    "'food'", '"', '""', '"food', "-", "--food", "- -", "or", "OR OR", "food OR", "OR food", "\\", "<", "&", "%",
    "food status:hidden kind:idea", "foood^3 kindd:idea",
])
def test_any_text_is_a_query_and_never_a_500(client, pantry, query):
    response = client.get("/search", query_string={"q": query})
    assert response.status_code == 200
    assert "Hidden food stash" not in response.get_data(as_text=True)


def test_field_and_boost_syntax_is_searched_as_plain_words(session, pantry):
    assert titles(search(None, "food^1e308")) == []  # "food" and "1e308": no boost, no idea has both
    assert titles(search(None, "tags:food")) == []  # "tags" and "food": no public idea has both
    assert titles(search(None, "status:hidden")) == ["Status lights for hidden alleys"]
    assert search(None, "kind:idea").total == 0  # never a filter: the hidden idea holds both words
    assert search(None, "NOT NOT NOT a").total == 0  # stop words only


def test_the_offered_syntax_works_alike_on_every_backend(session, pantry):
    assert set(titles(search(None, "food OR lamp", kind="idea"))) == {
        "Status lights for hidden alleys", "Community food pantry"}
    assert titles(search(None, "shelves -pantry")) == []
    assert titles(search(None, "food -shelves", kind="idea")) == []
    assert titles(search(None, '"food pantry"')) == ["Community food pantry"]
    assert titles(search(None, '"pantry food"')) == []
