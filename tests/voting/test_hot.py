from datetime import timedelta

import pytest

from app import clock
from challenges.services import comments as challenge_comments
from tests.factories import UserFactory
from tests.voting.helpers import supporters, voting_idea
from voting.services import rankings, supports


def support_at(idea, members, moment):
    clock.freeze(moment)
    for member in members:
        supports.support_idea(member, idea, idea.challenge)


def test_recent_supports_outrank_older_ones(session):
    now = clock.now()
    old = voting_idea(published_at=now - timedelta(days=30))
    recent = voting_idea(challenge=old.challenge, published_at=now - timedelta(days=30))
    support_at(old, supporters(8), now - timedelta(days=12))
    support_at(recent, supporters(2), now)
    assert recent.hot_score > old.hot_score
    assert old.supporter_count > recent.supporter_count


def test_a_support_warms_and_a_withdrawal_cools(session):
    idea, member = voting_idea(), UserFactory()
    before = idea.hot_score
    supports.support_idea(member, idea, idea.challenge)
    warmer = idea.hot_score
    supports.withdraw_support(member, idea, idea.challenge)
    assert warmer > before and idea.hot_score == pytest.approx(max(before, idea.hot_score), abs=1e-6)
    assert idea.hot_score < warmer


def test_decay_halves_weight_every_three_days(session):
    now = clock.now()
    a, b = voting_idea(), voting_idea()
    a.published_at = b.published_at = now - timedelta(days=30)
    a.hot_score = b.hot_score = 0.0
    support_at(a, supporters(2), now - timedelta(days=3))
    support_at(b, supporters(1), now)
    # Two supports three days ago weigh as much as one today.
    assert a.hot_score == pytest.approx(b.hot_score, abs=1e-3)


def test_the_periodic_rescore_agrees_with_the_running_score(session):
    now = clock.now()
    idea = voting_idea(published_at=now - timedelta(days=10))
    members = supporters(5)
    support_at(idea, members[:3], now - timedelta(days=2))
    support_at(idea, members[3:], now - timedelta(hours=1))
    clock.freeze(now - timedelta(minutes=30))
    supports.withdraw_support(members[0], idea, idea.challenge)
    running = idea.hot_score
    idea.hot_score = 0.0  # as if drifted
    assert rankings.rescore_hot(now) >= 1
    assert idea.hot_score == pytest.approx(running, abs=1e-6)


def test_comments_warm_an_idea(session):
    idea = voting_idea()
    before = idea.hot_score
    challenge_comments.post_comment(UserFactory(), idea, idea.challenge, "A fine idea, and cheap.",
                                    accept_norms=True)
    assert idea.hot_score > before


def test_hot_order_on_the_challenge_page(client, session):
    now = clock.now()
    month_ago = now - timedelta(days=30)
    cold = voting_idea(title="A cold idea with many old supporters", published_at=month_ago)
    warm = voting_idea(challenge=cold.challenge, title="A warm idea with one new supporter", published_at=month_ago)
    support_at(cold, supporters(3), now - timedelta(days=20))
    support_at(warm, supporters(1), now)
    html = client.get(f"/challenges/{cold.challenge.slug}?sort=hot").get_data(as_text=True)
    assert html.index(warm.title) < html.index(cold.title)
    html = client.get(f"/challenges/{cold.challenge.slug}?sort=top").get_data(as_text=True)
    assert html.index(cold.title) < html.index(warm.title)
