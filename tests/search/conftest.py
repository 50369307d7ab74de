"""Search tests: each test gets a fresh, empty index of its own, and jobs run inline."""
import pytest

from app.extensions import db
from search import services


@pytest.fixture(autouse=True)
def search_index(app, tmp_path):
    previous = app.config["SEARCH_INDEX_DIR"]
    app.config["SEARCH_INDEX_DIR"] = str(tmp_path / "index")
    with app.app_context():
        services.rebuild()  # an empty, readable index
    yield tmp_path / "index"
    app.config["SEARCH_INDEX_DIR"] = previous


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
