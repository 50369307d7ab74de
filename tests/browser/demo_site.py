"""A second live server holding the demo data (`flask seed-demo`), for the layout and accessibility tests.

It has a database of its own so the demo's challenges and queue never meet
the other browser tests' data."""
from contextlib import contextmanager

from app import create_app, jobs
from app.demo import DEMO_PASSWORD, seed_demo
from app.extensions import db
from tests.browser.serving import serving
from tests.conftest import make_config

WASTE = "how-might-we-cut-food-waste-in-our-neighbourhood-markets"
ENERGY = "how-might-tenants-save-energy-in-older-apartment-buildings"
MOBILITY = "how-might-we-make-school-runs-safer-on-foot-and-by-bike"
DRAFT = "how-might-we-welcome-newcomers-to-the-neighbourhood"


@contextmanager
def demo_server(folder):
    application = create_app(make_config(
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder / 'demo.db'}", SEARCH_INDEX_DIR=str(folder / "index"),
        VISITOR_PAGE_CACHE_SECONDS=60))  # as `make run` serves it
    with application.app_context():
        db.create_all()
        seed_demo()
        db.session.commit()
        jobs.dispatch()
    with serving(application) as url:
        yield url


def log_in(page, username):
    from playwright.sync_api import expect

    page.goto("/login")
    page.get_by_label("Username or e-mail").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("status")).to_contain_text("Welcome back")


# (who, path): the key pages of every role.
KEY_PAGES = [
    (None, "/"),
    (None, "/challenges"),
    (None, f"/challenges/{WASTE}"),
    (None, "/ideas/1"),
    (None, "/search?q=volunteers"),
    (None, f"/challenges/{MOBILITY}/results"),
    (None, "/login"),
    (None, "/register"),
    ("noah", "/"),
    ("noah", "/ideas/1"),
    ("noah", f"/challenges/{WASTE}/ideas/new"),
    ("noah", "/users/noah"),
    ("olivia", f"/challenges/{WASTE}"),
    ("olivia", f"/challenges/{DRAFT}"),
    ("olivia", "/challenges/new"),
    ("olivia", f"/challenges/{WASTE}/milestones"),
    ("olivia", f"/challenges/{ENERGY}/pairwise/ranking"),
    ("mia", f"/challenges/{MOBILITY}/review"),
    ("moe", "/moderation/"),
    ("moe", "/moderation/items/idea/8"),
    ("moe", "/moderation/log"),
    ("ada", "/admin/"),
    ("ada", "/admin/watched-words/"),
]
