"""Pages run a fixed number of SQL queries whatever their size."""
import pytest

from tests.conftest import login
from tests.factories import ChallengeFactory, CommentFactory, IdeaFactory, UserFactory


def queries_for(client, count_queries, url):
    client.get(url)  # warm up: the session cookie and visitor seed exist
    with count_queries as counted:
        response = client.get(url)
    assert response.status_code == 200
    return counted.count


@pytest.mark.parametrize("sort", ["hot", "top", "newest", "random"])
def test_challenge_page_queries_do_not_grow_with_ideas(client, session, count_queries, sort):
    small, large = ChallengeFactory(), ChallengeFactory()
    for challenge, n in ((small, 2), (large, 20)):
        for _ in range(n):
            IdeaFactory(challenge=challenge, author=UserFactory())
    login(client, UserFactory())
    few = queries_for(client, count_queries, f"/challenges/{small.slug}?sort={sort}")
    many = queries_for(client, count_queries, f"/challenges/{large.slug}?sort={sort}")
    assert few == many, f"{few} queries for 2 ideas, {many} for 20"
    assert many <= 12


def test_idea_page_queries_do_not_grow_with_comments(client, session, count_queries):
    quiet, busy = IdeaFactory(), IdeaFactory()
    CommentFactory(idea=quiet)
    for _ in range(30):
        parent = CommentFactory(idea=busy, author=UserFactory())
        CommentFactory(idea=busy, author=UserFactory(), parent_id=parent.id, depth=1)
    login(client, UserFactory())
    few = queries_for(client, count_queries, f"/ideas/{quiet.id}")
    many = queries_for(client, count_queries, f"/ideas/{busy.id}")
    assert few == many, f"{few} queries for 1 comment, {many} for 60"
    assert many <= 13  # 12, plus community's thanks (counts and the viewer's own, one query)


def test_challenge_list_and_home_queries_are_fixed(client, session, count_queries):
    ChallengeFactory()
    first = queries_for(client, count_queries, "/challenges")
    home = queries_for(client, count_queries, "/")
    for _ in range(10):
        challenge = ChallengeFactory()
        IdeaFactory(challenge=challenge)
    assert queries_for(client, count_queries, "/challenges") == first
    assert queries_for(client, count_queries, "/") == home
