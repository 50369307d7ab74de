import random
import re
from collections import Counter

import pytest

from app.extensions import db
from app.permissions import Refused
from challenges.models import Idea
from tests.conftest import login
from tests.factories import ChallengeFactory, IdeaFactory, UserFactory
from tests.voting.helpers import hx
from voting.models import PairwiseScore
from voting.services import pairwise
from voting.services.errors import VotingError


@pytest.fixture
def contest(session):
    challenge = ChallengeFactory(phase="voting")
    ideas = [IdeaFactory(challenge=challenge, title=f"Pairwise idea number {n}") for n in range(4)]
    round_ = pairwise.open_pairwise_round(challenge.owner, challenge)
    return challenge, ideas, round_


def score(round_, idea):
    db.session.expire_all()
    return db.session.get(PairwiseScore, (round_.id, idea.id))


def test_score_is_wins_plus_one_over_comparisons_plus_two(contest):
    challenge, ideas, round_ = contest
    a, b, c = ideas[:3]
    for member in (UserFactory(), UserFactory()):
        pairwise.record_pairwise_vote(member, challenge, round_, a, b, a.id)
    pairwise.record_pairwise_vote(UserFactory(), challenge, round_, a, c, None)
    pairwise.record_pairwise_vote(UserFactory(), challenge, round_, c, a, c.id)
    assert (score(round_, a).wins, score(round_, a).losses, score(round_, a).appearances) == (2, 1, 4)
    assert score(round_, a).score == pytest.approx(3 / 5)
    assert score(round_, b).score == pytest.approx(1 / 4)
    assert score(round_, c).score == pytest.approx(2 / 3)
    assert [idea.id for idea, _ in pairwise.pairwise_ranking(round_)][:3] == [c.id, a.id, ideas[3].id]


def test_a_pair_is_answered_once_either_way_round(contest):
    challenge, ideas, round_ = contest
    member = UserFactory()
    assert pairwise.record_pairwise_vote(member, challenge, round_, ideas[0], ideas[1], ideas[0].id)
    assert not pairwise.record_pairwise_vote(member, challenge, round_, ideas[1], ideas[0], ideas[1].id)
    assert score(round_, ideas[1]).losses == 1 and score(round_, ideas[1]).wins == 0


def test_members_run_out_of_pairs_and_never_judge_their_own(contest):
    challenge, ideas, round_ = contest
    member = UserFactory()
    own = IdeaFactory(challenge=challenge, author=member, title="My own idea in the running")
    pairwise.add_pairwise_ideas(round_, Idea.id == own.id)
    seen = set()
    while (pair := pairwise.next_pair(member, round_)) is not None:
        assert own.id not in pair
        seen.add(frozenset(pair))
        left, right = (db.session.get(Idea, i) for i in pair)
        pairwise.record_pairwise_vote(member, challenge, round_, left, right, left.id)
    assert len(seen) == 6  # every pair of the four others, once
    with pytest.raises(Refused):
        pairwise.record_pairwise_vote(member, challenge, round_, own, ideas[0], own.id)


def test_new_ideas_are_shown_more_often_until_they_catch_up(contest):
    challenge, ideas, round_ = contest
    db.session.query(PairwiseScore).filter_by(round_id=round_.id).update({"appearances": 40})
    newcomer = IdeaFactory(challenge=challenge, title="A late idea that must catch up", status="pending")
    from challenges.services.ideas import set_idea_status

    set_idea_status(newcomer, "published")  # joins the open round with no appearances
    rng = random.Random(7)
    member = UserFactory()
    shown = Counter(i for _ in range(400) for i in pairwise.next_pair(member, round_, rng))
    assert shown[newcomer.id] > 3 * max(shown[i.id] for i in ideas) / 2


def test_closed_rounds_take_no_answers(contest):
    challenge, ideas, round_ = contest
    pairwise.close_pairwise_round(challenge.owner, challenge, round_)
    with pytest.raises(VotingError, match="closed"):
        pairwise.record_pairwise_vote(UserFactory(), challenge, round_, ideas[0], ideas[1], None)


def test_opening_needs_two_ideas_and_the_owner(session):
    challenge = ChallengeFactory()
    IdeaFactory(challenge=challenge)
    with pytest.raises(VotingError, match="at least two"):
        pairwise.open_pairwise_round(challenge.owner, challenge)
    with pytest.raises(Refused):
        pairwise.open_pairwise_round(UserFactory(), challenge)


def test_voting_over_http_swaps_in_the_next_pair(client, contest):
    challenge, ideas, round_ = contest
    login(client, UserFactory())
    page = client.get(f"/challenges/{challenge.slug}/pairwise").get_data(as_text=True)
    token = re.search(r'name="pair" value="([^"]+)"', page).group(1)
    response = client.post(f"/challenges/{challenge.slug}/pairwise", data={"pair": token, "choice": "left"},
                           headers=hx("pairwise-pair"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.lstrip().startswith('<div id="pairwise-pair"')
    assert "HX-Request" in response.headers["Vary"]
    db.session.expire_all()
    assert round_.vote_count == 1
    # Replaying the same token counts nothing more.
    client.post(f"/challenges/{challenge.slug}/pairwise", data={"pair": token, "choice": "right"})
    db.session.expire_all()
    assert round_.vote_count == 1


def test_a_forged_pair_is_refused_with_a_message(client, contest):
    challenge, ideas, round_ = contest
    login(client, UserFactory())
    response = client.post(f"/challenges/{challenge.slug}/pairwise", data={"pair": "forged", "choice": "left"},
                           headers=hx("pairwise-pair"))
    assert response.status_code == 422 and "expired" in response.get_data(as_text=True)
    response = client.post(f"/challenges/{challenge.slug}/pairwise", data={"pair": "forged", "choice": "left"},
                           follow_redirects=True)
    assert response.status_code == 200 and "expired" in response.get_data(as_text=True)


def test_ranking_page_in_a_fixed_number_of_queries(client, contest, count_queries):
    challenge, ideas, round_ = contest
    pairwise.record_pairwise_vote(UserFactory(), challenge, round_, ideas[2], ideas[0], ideas[2].id)
    with count_queries as counted:
        html = client.get(f"/challenges/{challenge.slug}/pairwise/ranking").get_data(as_text=True)
    few = counted.count
    assert html.index(ideas[2].title) < html.index(ideas[1].title) < html.index(ideas[0].title)
    for n in range(15):
        idea = IdeaFactory(challenge=challenge, title=f"More pairwise ideas {n}")
        pairwise.add_pairwise_ideas(round_, Idea.id == idea.id)
    with count_queries as counted:
        client.get(f"/challenges/{challenge.slug}/pairwise/ranking")
    assert counted.count == few


def test_owner_opens_a_round_over_http(client, session):
    challenge = ChallengeFactory()
    IdeaFactory(challenge=challenge), IdeaFactory(challenge=challenge)
    login(client, challenge.owner)
    response = client.post(f"/challenges/{challenge.slug}/pairwise/open", follow_redirects=True)
    assert "The pairwise round is open" in response.get_data(as_text=True)
    assert pairwise.current_pairwise_round(challenge).is_open


def test_challenge_tools_hook_links_the_voting_pages(app, session):
    from flask import render_template

    from app.auth.models import User

    challenge = ChallengeFactory(format="holdup")
    with app.test_request_context():
        from flask_login import login_user

        login_user(db.session.get(User, challenge.owner_id))
        html = render_template("voting/_challenge_tools.html", challenge=challenge)
    assert f"/challenges/{challenge.slug}/dots" in html and f"/challenges/{challenge.slug}/pairwise" in html
    assert "/milestones" not in html  # hold-ups have no supporter ladder
