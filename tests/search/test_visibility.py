"""Who sees what in search: hidden content never shows to those who may not see it."""
import pytest

from challenges.models import ChallengeModerator
from search import jobs as search_jobs
from tests.factories import ChallengeFactory, CommentFactory, IdeaFactory, UserFactory
from tests.search.conftest import commit, search

BOTH_BACKENDS = True  # the behaviour suite: whoosh and PostgreSQL (see conftest)


@pytest.fixture
def world(session):
    """One word, "lantern", in content of every status, across two challenges."""
    open_challenge = ChallengeFactory(title="Lantern walks in open streets")
    other = ChallengeFactory(title="Quiet lantern parks")
    owner = UserFactory()
    draft = ChallengeFactory(owner=owner, phase="draft", published_at=None, title="Lantern festival draft")
    items = {"open": open_challenge, "other": other, "draft": draft}
    for status in ("published", "selected", "pending", "hidden", "rejected", "merged", "withdrawn"):
        items[status] = IdeaFactory(challenge=open_challenge, status=status, title=f"Lantern idea {status}")
    items["other_pending"] = IdeaFactory(challenge=other, status="pending", title="Lantern idea elsewhere")
    items["comment"] = CommentFactory(idea=items["published"], body="A lantern on every corner")
    items["hidden_comment"] = CommentFactory(idea=items["published"], body="Lantern spam", status="hidden")
    items["comment_on_hidden"] = CommentFactory(idea=items["hidden"], body="Lantern reply under a hidden idea")
    items["owner"] = owner
    commit()
    for challenge in (open_challenge, other, draft):
        search_jobs.index_challenge_content(challenge.id)
    return items


def seen(viewer, **options):
    return {(r.kind, r.row.id) for r in search(viewer, "lantern", **options).results}


def public_keys(world):
    return {
        ("challenge", world["open"].id), ("challenge", world["other"].id),
        ("idea", world["published"].id), ("idea", world["selected"].id),
        ("comment", world["comment"].id),
    }


def test_visitors_and_members_see_public_content_only(world):
    assert seen(None) == public_keys(world)
    assert seen(UserFactory()) == public_keys(world)
    # Asking for hidden content without the right to it changes nothing.
    assert seen(UserFactory(), include_hidden=True) == public_keys(world)


def test_a_draft_owner_does_not_find_the_draft_in_search(world):
    assert ("challenge", world["draft"].id) not in seen(world["owner"])


def test_counts_and_facets_count_only_what_the_viewer_may_see(world):
    page = search(None, "lantern")
    assert page.total == len(public_keys(world))
    statuses = {o.value for f in page.facets if f.name == "status" for o in f.options}
    assert not statuses & {"pending", "hidden", "rejected", "merged", "withdrawn", "draft"}


def test_site_moderators_include_hidden_content_with_a_filter(world):
    moderator = UserFactory(is_moderator=True)
    assert seen(moderator) == public_keys(world)
    everything = seen(moderator, include_hidden=True)
    for name in ("pending", "hidden", "rejected", "merged", "withdrawn", "other_pending"):
        assert ("idea", world[name].id) in everything
    assert ("comment", world["hidden_comment"].id) in everything
    assert ("comment", world["comment_on_hidden"].id) in everything
    assert search(moderator, "lantern", include_hidden=True).may_include_hidden


def test_appointed_moderators_see_hidden_content_of_their_challenge_only(session, world):
    appointed = UserFactory()
    session.add(ChallengeModerator(challenge_id=world["open"].id, user_id=appointed.id))
    session.flush()
    found = seen(appointed, include_hidden=True)
    assert ("idea", world["hidden"].id) in found
    assert ("idea", world["other_pending"].id) not in found


def test_admins_see_everything_with_the_filter(world):
    admin = UserFactory(is_admin=True)
    assert ("idea", world["rejected"].id) in seen(admin, include_hidden=True)


def test_sql_has_the_last_word_when_the_index_is_behind(session, world):
    """Hidden in the database but not yet reindexed: still never shown."""
    idea = world["published"]
    idea.status = "hidden"  # as if its job had not run yet
    session.flush()
    assert ("idea", idea.id) not in seen(None)
    assert ("comment", world["comment"].id) not in seen(None)


def test_the_index_itself_filters_before_sql_checks(world):
    """Counts and facets come from the index, so its filter must hold on its own."""
    from search import services
    from search.backend import SearchRequest

    hits = services.backend().search(SearchRequest("lantern"))
    assert set(hits.keys) == public_keys(world)
    assert hits.total == len(public_keys(world))


def test_did_you_mean_never_offers_a_word_only_hidden_content_has(session, search_engine):
    IdeaFactory(status="hidden", title="Xylophones for the brass band")
    IdeaFactory(title="Drums for the brass band")
    commit()
    search_jobs.index_challenge_content(ChallengeFactory().id)
    from search import services

    services.rebuild()
    assert search(None, "xylophnes").suggestion is None
    # PostgreSQL offers no "did you mean" (documented in search/postgres.py and the README).
    assert search(None, "drumms").suggestion == ("drums" if search_engine == "whoosh" else None)
