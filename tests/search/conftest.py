"""Search tests: each test gets a fresh, empty index of its own, and jobs run inline.

A module that sets BOTH_BACKENDS = True is the behaviour suite: each of its
tests runs on whoosh and on PostgreSQL full-text search. PostgreSQL search
needs the PostgreSQL run of the suite (TEST_DATABASE_URL, which CI must
set), so the pairs "SQLite database, PostgreSQL search" are not collected.
Other modules test whoosh's own machinery.
"""
import pytest

from app.extensions import db
from search import services
from tests.conftest import IN_CI, POSTGRES_URL

ENGINES = ("whoosh", "postgres")


def pytest_generate_tests(metafunc):
    if "search_engine" in metafunc.fixturenames and getattr(metafunc.module, "BOTH_BACKENDS", False):
        metafunc.parametrize("search_engine", ENGINES)


def pytest_collection_modifyitems(config, items):
    def impossible(item):
        params = getattr(getattr(item, "callspec", None), "params", {})
        return params.get("search_engine") == "postgres" and params.get("app") != "postgresql"

    dropped = [item for item in items if impossible(item)]
    if dropped and IN_CI and not POSTGRES_URL:
        raise pytest.UsageError("TEST_DATABASE_URL must be set in CI: the search suite runs on PostgreSQL too")
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if not impossible(item)]


@pytest.fixture
def search_engine():
    return "whoosh"


@pytest.fixture(autouse=True)
def search_index(app, tmp_path, search_engine):
    previous = app.config["SEARCH_INDEX_DIR"], app.config.get("SEARCH_BACKEND")
    app.config["SEARCH_INDEX_DIR"] = str(tmp_path / "index")
    app.config["SEARCH_BACKEND"] = search_engine
    with app.app_context():
        services.rebuild()  # an empty, readable index
    yield tmp_path / "index"
    app.config["SEARCH_INDEX_DIR"], app.config["SEARCH_BACKEND"] = previous


def commit():
    """Commit (to the test's savepoint) and run the jobs that were waiting for it."""
    from app import jobs

    db.session.commit()
    jobs.dispatch()


def search(viewer=None, q="", **filters):
    args = {"kind": None, "challenge": None, "status": None, "tag": None}
    args.update({k: v for k, v in filters.items() if k in args})
    extra = {k: v for k, v in filters.items() if k not in args}
    return services.search(viewer, q=q, filters=args, **extra)


def titles(page):
    return [getattr(r.row, "title", None) or f"comment:{r.row.id}" for r in page.results]
