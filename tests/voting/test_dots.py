import pytest

from app.extensions import db
from app.permissions import Refused
from tests.conftest import login
from tests.factories import ChallengeFactory, IdeaFactory, UserFactory
from tests.voting.helpers import hx
from voting.models import DotBallot, DotTally
from voting.services import dots
from voting.services.errors import VotingError


@pytest.fixture
def holdup(session):
    challenge = ChallengeFactory(format="holdup")
    ideas = [IdeaFactory(challenge=challenge, title=f"Hold-up idea number {n}") for n in range(3)]
    round_ = dots.open_dot_round(challenge.owner, challenge, budget=3)
    return challenge, ideas, round_


def tally(round_, idea):
    row = db.session.get(DotTally, (round_.id, idea.id))
    return row.dots if row else 0


def test_dots_stack_and_the_budget_holds(holdup):
    challenge, ideas, round_ = holdup
    member = UserFactory()
    for _ in range(3):
        dots.add_dot(member, challenge, round_, ideas[0])
    with pytest.raises(VotingError, match="all 3 of your dots"):
        dots.add_dot(member, challenge, round_, ideas[1])
    assert tally(round_, ideas[0]) == 3 and tally(round_, ideas[1]) == 0


def test_dots_move_until_the_round_closes(holdup):
    challenge, ideas, round_ = holdup
    member = UserFactory()
    for _ in range(3):
        dots.add_dot(member, challenge, round_, ideas[0])
    dots.remove_dot(member, challenge, round_, ideas[0])
    dots.add_dot(member, challenge, round_, ideas[2])
    assert (tally(round_, ideas[0]), tally(round_, ideas[2])) == (2, 1)
    dots.close_dot_round(challenge.owner, challenge, round_)
    with pytest.raises(VotingError, match="closed"):
        dots.remove_dot(member, challenge, round_, ideas[0])


def test_cannot_take_back_a_dot_one_never_placed(holdup):
    challenge, ideas, round_ = holdup
    member = UserFactory()
    dots.add_dot(member, challenge, round_, ideas[0])
    with pytest.raises(VotingError, match="no dot on this idea"), db.session.begin_nested():
        dots.remove_dot(member, challenge, round_, ideas[1])
    assert db.session.get(DotBallot, (round_.id, member.id)).spent == 1


def test_dot_voting_is_for_holdups_and_their_owner(session):
    challenge = ChallengeFactory(format="challenge")
    with pytest.raises(VotingError, match="hold-up"):
        dots.open_dot_round(challenge.owner, challenge)
    holdup = ChallengeFactory(format="holdup")
    with pytest.raises(Refused):
        dots.open_dot_round(UserFactory(), holdup)
    with pytest.raises(VotingError, match="between 1 and 20"):
        dots.open_dot_round(holdup.owner, holdup, budget=0)


def test_board_over_http_with_htmx_and_without(client, holdup, count_queries):
    challenge, ideas, round_ = holdup
    member = UserFactory()
    login(client, member)
    url = f"/challenges/{challenge.slug}/dots/{ideas[1].id}/add"
    response = client.post(url, headers=hx("dot-board"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.lstrip().startswith('<div id="dot-board"')
    assert "You have <strong>2</strong> of 3 dots left" in html
    assert "HX-Request" in response.headers["Vary"]
    assert client.post(url).status_code == 302
    client.post(url)
    response = client.post(url, headers=hx("dot-board"))
    assert response.status_code == 422 and "placed all 3 of your dots" in response.get_data(as_text=True)
    page = client.get(f"/challenges/{challenge.slug}/dots").get_data(as_text=True)
    assert page.index(ideas[1].title) < page.index(ideas[0].title)  # most dots first
    with count_queries as counted:
        client.get(f"/challenges/{challenge.slug}/dots")
    few = counted.count
    for n in range(20):
        IdeaFactory(challenge=challenge, title=f"Another hold-up idea {n}")
    with count_queries as counted:
        client.get(f"/challenges/{challenge.slug}/dots")
    assert counted.count == few


def test_owner_opens_and_closes_over_http(client, session):
    challenge = ChallengeFactory(format="holdup")
    login(client, challenge.owner)
    assert client.post(f"/challenges/{challenge.slug}/dots/open", data={"budget": "5"}).status_code == 302
    assert dots.current_dot_round(challenge).budget == 5
    response = client.post(f"/challenges/{challenge.slug}/dots/open", data={"budget": "5"}, follow_redirects=True)
    assert "already open" in response.get_data(as_text=True)
    client.post(f"/challenges/{challenge.slug}/dots/close")
    assert not dots.current_dot_round(challenge).is_open
    response = client.post(f"/challenges/{challenge.slug}/dots/open", data={"budget": "zero"})
    assert response.status_code == 422


def test_others_cannot_open_a_round(client, session):
    challenge = ChallengeFactory(format="holdup")
    login(client, UserFactory())
    assert client.post(f"/challenges/{challenge.slug}/dots/open", data={"budget": "3"}).status_code == 403


def test_recount_repairs_dot_tallies(holdup):
    challenge, ideas, round_ = holdup
    member = UserFactory()
    dots.add_dot(member, challenge, round_, ideas[0])
    db.session.get(DotTally, (round_.id, ideas[0].id)).dots = 7
    db.session.flush()
    assert dots.recount_dots() == 1
    db.session.expire_all()
    assert tally(round_, ideas[0]) == 1
