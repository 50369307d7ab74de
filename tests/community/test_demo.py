"""The demo: olivia sees a plan with targets, filled charts and a contributor of the month; ada the site dashboard."""
from sqlalchemy import select

from app import demo
from app.auth.models import User
from app.extensions import db
from tests.conftest import login


def test_demo_owner_and_admin_see_filled_dashboards(client, session):
    assert demo.seed_demo()
    olivia = db.session.scalar(select(User).where(User.username_key == "olivia"))
    ada = db.session.scalar(select(User).where(User.username_key == "ada"))
    login(client, olivia)
    challenge = client.get("/challenges/how-might-we-cut-food-waste-in-our-neighbourhood-markets")
    html = challenge.get_data(as_text=True)
    assert "Community goal" in html and "Contributor of the month (" in html
    page = client.get("/challenges/how-might-we-cut-food-waste-in-our-neighbourhood-markets/insights")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Participants (distinct contributors)" in html and "<progress" in html
    assert "confirmed and announced" in html
    assert html.count('<rect class="chart-bar-') > 10  # filled charts
    salads = client.get("/challenges/hold-up-how-can-my-urban-farm-sell-its-surplus-salads-before-they-wilt/insights")
    assert "Hold-up registrations (seats and waitlist)</th>" in salads.get_data(as_text=True)
    assert "Hold-up facilitator" in client.get("/users/moe").get_data(as_text=True)  # the past bakery session
    assert "Hold-up participant" in client.get("/users/mia").get_data(as_text=True)
    login(client, ada)
    site = client.get("/admin/insights?period=90")
    assert site.status_code == 200 and "Site insights" in site.get_data(as_text=True)
    assert site.get_data(as_text=True).count('<rect class="chart-bar-') > 10
