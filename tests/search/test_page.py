"""/search: a plain GET page, an htmx fragment, facets, sorting, paging, tolerance and bounds."""
from datetime import timedelta

import pytest

from app import clock
from search import jobs as search_jobs
from tests.factories import ChallengeFactory, IdeaFactory
from tests.search.conftest import commit, search, titles

BOTH_BACKENDS = True  # the behaviour suite: whoosh and PostgreSQL (see conftest)


@pytest.fixture
def garden(session):
    challenge = ChallengeFactory(title="Greener neighbourhoods")
    ideas = [
        IdeaFactory(challenge=challenge, title="Énergie solaire pour le jardin partagé",
                    description="Des panneaux sur la cabane alimentent la pompe d'arrosage.", supporter_count=3,
                    published_at=clock.now() - timedelta(days=3)),
        IdeaFactory(challenge=challenge, title="Rain barrels for the community garden",
                    description="Collect rain from the school roof to water the garden beds.", supporter_count=40,
                    published_at=clock.now() - timedelta(days=2)),
        IdeaFactory(challenge=challenge, title="Garden tool library",
                    description="Members borrow spades and wheelbarrows for a season.", supporter_count=7,
                    published_at=clock.now() - timedelta(days=1)),
    ]
    commit()
    search_jobs.index_challenge_content(challenge.id)
    return challenge, ideas


def test_plain_get_renders_the_whole_page(client, garden):
    response = client.get("/search?q=garden")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" in page and 'id="search-results"' in page
    assert "Rain barrels" in page and "<mark>garden</mark>" in page
    assert "HX-Request" in response.headers["Vary"]


def test_htmx_asks_for_the_results_fragment_only(client, garden):
    response = client.get("/search?q=garden", headers={"HX-Request": "true", "HX-Target": "search-results"})
    page = response.get_data(as_text=True)
    assert "<html" not in page and "Rain barrels" in page
    assert "HX-Request" in response.headers["Vary"]


def test_other_htmx_requests_get_the_full_page(client, garden):
    response = client.get("/search?q=garden", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in response.get_data(as_text=True)


def test_words_are_anded_and_accents_and_case_folded(session, garden):
    _, ideas = garden
    assert titles(search(None, "garden rain")) == [ideas[1].title]
    assert titles(search(None, "ENERGIE")) == [ideas[0].title]
    assert titles(search(None, "énergie")) == [ideas[0].title]
    assert titles(search(None, "solaire energie jardin")) == [ideas[0].title]


def test_stemming_finds_other_forms(session, garden):
    assert search(None, "barrel").total == 1
    assert search(None, "gardens").total == 2


def test_a_misspelled_query_offers_a_correction(client, garden, search_engine):
    page = search(None, "gardn")
    html = client.get("/search?q=gardn").get_data(as_text=True)
    if search_engine == "postgres":  # no spelling corrector there: documented, and nothing shown
        assert page.suggestion is None and "Did you mean" not in html and "No results" in html
        return
    assert page.suggestion == "garden"
    assert "Did you mean" in html and "q=garden" in html
    assert search(None, "garden").suggestion is None


def test_sorting_by_supporters_and_newest(session, garden):
    _, ideas = garden
    assert titles(search(None, "garden OR jardin", sort="supporters", kind="idea")) == [
        ideas[1].title, ideas[2].title, ideas[0].title]
    assert titles(search(None, "garden OR jardin", sort="newest", kind="idea")) == [
        ideas[2].title, ideas[1].title, ideas[0].title]


def test_facets_count_and_filter(client, session, garden):
    challenge, ideas = garden
    IdeaFactory(challenge=challenge, title="Garden party fundraiser", status="selected")
    commit()
    search_jobs.index_challenge_content(challenge.id)
    page = search(None, "garden")
    facets = {f.name: {o.value: o.count for o in f.options} for f in page.facets}
    assert facets["kind"] == {"idea": 3}
    assert facets["status"] == {"published": 2, "selected": 1}
    assert facets["challenge"] == {str(challenge.id): 3}
    assert titles(search(None, "garden", status="selected")) == ["Garden party fundraiser"]
    html = client.get(f"/search?q=garden&challenge={challenge.id}").get_data(as_text=True)
    assert "Greener neighbourhoods" in html and "(selected; remove this filter)" in html


def test_tags_are_a_facet(session):
    from app.tags import tags_named

    idea = IdeaFactory(title="Shared ladders", description="Ladders for everyone in the building",
                       tags=tags_named(["diy", "housing"]))
    commit()
    search_jobs.index_idea(idea.id)
    page = search(None, "ladders")
    assert {o.value for f in page.facets if f.name == "tag" for o in f.options} == {"diy", "housing"}
    assert search(None, "ladders", tag="diy").total == 1
    assert search(None, "ladders", tag="food").total == 0


def test_pages_of_results(client, session):
    challenge = ChallengeFactory()
    for n in range(45):
        IdeaFactory(challenge=challenge, title=f"Playground idea number {n}", supporter_count=n)
    commit()
    search_jobs.index_challenge_content(challenge.id)
    first = search(None, "playground", sort="supporters")
    third = search(None, "playground", sort="supporters", page=3)
    assert first.total == 45 and first.pages == 3 and len(first.results) == 20
    assert titles(first)[0] == "Playground idea number 44"
    assert titles(third) == [f"Playground idea number {n}" for n in range(4, -1, -1)]
    html = client.get("/search?q=playground&page=2").get_data(as_text=True)
    assert "Page 2 of 3" in html and "page=3" in html and "page=1" not in html


def test_a_long_query_is_refused_with_a_message_beside_the_field(client, garden):
    response = client.get("/search", query_string={"q": "garden " * 40})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="search-q-error" role="alert">Searches are limited to 256 characters' in html
    assert 'aria-invalid="true"' in html and "Rain barrels" not in html
    fragment = client.get("/search", query_string={"q": "x" * 300},
                          headers={"HX-Request": "true", "HX-Target": "search-results"}).get_data(as_text=True)
    assert 'hx-swap-oob="true">Searches are limited' in fragment


def test_garbage_arguments_fall_back_to_defaults(client, garden):
    response = client.get("/search?q=garden&page=abc&sort=drop+table&kind=users&challenge=x")
    assert response.status_code == 200 and "Rain barrels" in response.get_data(as_text=True)
    assert client.get("/search?q=%22unclosed&page=9999").status_code == 200
    assert client.get("/search?q=AND+OR+NOT+(").status_code == 200
    assert client.get("/search").status_code == 200


def test_snippets_and_titles_are_escaped(client, session):
    idea = IdeaFactory(title="<script>alert('garden')</script> title",
                       description="<img src=x onerror=alert(1)> garden beds <b>bold</b>")
    commit()
    search_jobs.index_idea(idea.id)
    html = client.get("/search?q=garden").get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;" in html and "&lt;img src=x onerror=alert(1)&gt; <mark>garden</mark>" in html


def test_a_search_over_its_time_limit_shows_what_it_found(app, session, garden):
    app.config["SEARCH_TIME_LIMIT"] = 0.0
    try:
        page = search(None, "garden")
    finally:
        app.config.pop("SEARCH_TIME_LIMIT")
    assert page.error is None and page.total <= 3


def test_the_page_runs_a_fixed_number_of_queries(client, session, count_queries, search_engine):
    challenge = ChallengeFactory()
    for n in range(25):
        IdeaFactory(challenge=challenge, title=f"Orchard idea {n}")
    commit()
    search_jobs.index_challenge_content(challenge.id)
    client.get("/search?q=orchard")
    with count_queries as few:
        client.get("/search?q=orchard&sort=newest")
    # PostgreSQL: the page and the counts are two statements, ts_headline one more.
    assert few.count <= (5 if search_engine == "whoosh" else 7), "\n".join(few.statements)


def test_nav_search_box_is_on_every_page(client, session):
    html = client.get("/").get_data(as_text=True)
    assert 'role="search"' in html and 'for="nav-search-q"' in html and 'action="/search"' in html
    assert 'id="nav-search-q"' not in client.get("/search").get_data(as_text=True)
