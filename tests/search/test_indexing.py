"""Every change to searchable content reaches the index through a job after commit."""
from datetime import timedelta

from app import clock, jobs, signals
from app.extensions import db
from challenges.services import challenges as challenge_phases
from challenges.services import comments as challenge_comments
from challenges.services import ideas as challenge_ideas
from search import jobs as search_jobs
from search import services
from tests.factories import ChallengeFactory, CommentFactory, IdeaFactory, UserFactory
from tests.search.conftest import commit, search, titles
from tests.voting.helpers import voting_idea
from voting.services import supports


def keys(viewer=None, q="", **filters):
    return {(r.kind, r.row.id) for r in search(viewer, q, **filters).results}


def indexed(key):
    """What the index itself holds for a key (stored fields), whatever SQL says."""
    searcher = services.backend()._searcher()
    return searcher.document(key=key)


def test_a_submitted_idea_is_found_once_committed(session):
    challenge = ChallengeFactory()
    author = UserFactory()
    idea = challenge_ideas.submit_idea(author, challenge, title="Rooftop beehives on the town hall",
                                       description="Bees pollinate the parks and the honey funds the school trips.",
                                       tags=["bees"], accept_norms=True)
    assert indexed(f"idea:{idea.id}") is None  # nothing is written before commit
    commit()
    assert indexed(f"idea:{idea.id}") is not None
    assert ("idea", idea.id) in keys(None, "beehives")
    assert ("idea", idea.id) in keys(None, "honey", tag="bees")


def test_a_rolled_back_change_writes_nothing(session):
    challenge = ChallengeFactory()
    idea = challenge_ideas.submit_idea(UserFactory(), challenge, title="Night buses for hospital staff",
                                       description="Shift workers need buses between midnight and five.",
                                       accept_norms=True)
    key = f"idea:{idea.id}"
    db.session.rollback()
    jobs.dispatch()
    assert indexed(key) is None


def test_an_idea_held_for_moderation_is_indexed_but_not_public(session):
    challenge = ChallengeFactory(moderation_policy="pre_all")
    idea = challenge_ideas.submit_idea(UserFactory(), challenge, title="Repair café every Saturday",
                                       description="Volunteers fix toasters and bikes instead of landfill.",
                                       accept_norms=True)
    commit()
    assert idea.status == "pending"
    assert indexed(f"idea:{idea.id}") is not None
    assert keys(None, "toasters") == set()
    assert ("idea", idea.id) in keys(UserFactory(is_moderator=True), "toasters", include_hidden=True)
    challenge_ideas.set_idea_status(idea, "published")
    commit()
    assert ("idea", idea.id) in keys(None, "toasters")


def test_editing_an_idea_replaces_its_words(session):
    author = UserFactory()
    idea = IdeaFactory(author=author, title="Compost bins in every courtyard",
                       description="Kitchen scraps become soil for the community gardens.")
    commit()
    search_jobs.index_idea(idea.id)
    assert keys(None, "compost")
    challenge_ideas.edit_idea(author, idea, title="Worm farms in every courtyard",
                              description="Kitchen scraps become soil for the community gardens.")
    commit()
    assert keys(None, "compost") == set()
    assert ("idea", idea.id) in keys(None, "worm")


def test_hiding_restoring_and_merging_an_idea(session):
    challenge = ChallengeFactory()
    idea = IdeaFactory(challenge=challenge, title="Swap shelves in the library",
                       description="Leave a book, take a book, and a seed drawer too.")
    target = IdeaFactory(challenge=challenge, title="Seed library at the market",
                         description="Swap seeds every spring.")
    CommentFactory(idea=idea, body="The swap shelves in Lyon work well.")
    commit()
    search_jobs.index_challenge_content(challenge.id)
    assert {k for k, _ in keys(None, "swap")} == {"idea", "comment"}
    challenge_ideas.set_idea_status(idea, "hidden")
    commit()
    # The idea and its comments leave the public index together.
    assert indexed(f"idea:{idea.id}")["key"] and {k for k, _ in keys(None, "swap")} == {"idea"}
    assert keys(None, "shelves") == set()
    challenge_ideas.set_idea_status(idea, "published")
    commit()
    assert {k for k, _ in keys(None, "shelves")} == {"idea", "comment"}
    challenge_ideas.set_idea_status(idea, "merged")
    signals.idea_merged.send(None, source_id=idea.id, target_id=target.id, actor_id=None)
    commit()
    assert keys(None, "shelves") == set()


def test_supports_through_voting_reorder_results(session):
    """Through voting's own service, so the signal search hears is the one voting sends."""
    challenge = ChallengeFactory(is_open=True, voting_at=None, submission_at=clock.now() - timedelta(days=60))
    few = voting_idea(challenge, title="Tool library for tenants")
    many = voting_idea(challenge, title="Tool library in the basement")
    commit()
    search_jobs.index_challenge_content(challenge.id)
    supports.support_idea(UserFactory(), many, challenge)
    commit()
    assert titles(search(None, "tool library", sort="supporters"))[0] == many.title
    members = [UserFactory(), UserFactory()]
    for member in members:
        supports.support_idea(member, few, challenge)
    commit()
    assert titles(search(None, "tool library", sort="supporters"))[0] == few.title
    for member in members:
        supports.withdraw_support(member, few, challenge)
    commit()
    assert titles(search(None, "tool library", sort="supporters"))[0] == many.title


def test_comments_follow_their_status(session):
    idea = IdeaFactory()
    author = UserFactory()
    challenge = db.session.get(type(idea).challenge.property.mapper.class_, idea.challenge_id)
    comment = challenge_comments.post_comment(author, idea, challenge, "Try the cargo bikes from the co-op.",
                                              accept_norms=True)
    commit()
    assert ("comment", comment.id) in keys(None, "cargo")
    challenge_comments.edit_comment(author, comment, "Try the electric trikes from the co-op.")
    commit()
    assert keys(None, "cargo") == set() and ("comment", comment.id) in keys(None, "trikes")
    challenge_comments.set_comment_status(comment, idea, "hidden")
    commit()
    assert keys(None, "trikes") == set()
    challenge_comments.set_comment_status(comment, idea, "published")
    commit()
    challenge_comments.delete_comment(author, comment, idea)
    commit()
    assert keys(None, "trikes") == set()


def test_publishing_a_draft_challenge_makes_it_findable(session):
    owner = UserFactory()
    draft = ChallengeFactory(owner=owner, phase="draft", published_at=None, title="Greener schoolyards by 2030",
                             summary="Asphalt playgrounds turn into shaded gardens.")
    commit()
    search_jobs.index_challenge(draft.id)
    assert keys(None, "schoolyards") == set()
    challenge_phases.publish_challenge(owner, draft)
    commit()
    assert ("challenge", draft.id) in keys(None, "schoolyards")
    challenge_phases.update_challenge(owner, draft, title="Shaded schoolyards by 2030", summary=draft.summary,
                                      problem=draft.problem, norms=draft.norms, format=draft.format,
                                      is_open=draft.is_open, moderation_policy=draft.moderation_policy, tags=[],
                                      schedule=challenge_phases.Schedule(draft.submission_at, draft.review_at,
                                                                         draft.results_at, draft.voting_at))
    commit()
    assert ("challenge", draft.id) in keys(None, "shaded")


def test_a_deleted_row_leaves_the_index(session):
    idea = IdeaFactory(title="Pop-up cinema in the car park")
    commit()
    search_jobs.index_idea(idea.id)
    key = f"idea:{idea.id}"
    db.session.delete(idea)
    commit()
    search_jobs.index_documents(key)
    assert indexed(key) is None


def test_jobs_are_idempotent(session):
    idea = IdeaFactory(title="Community fridge near the station")
    commit()
    for _ in range(3):
        search_jobs.index_idea(idea.id)
        search_jobs.index_documents(f"idea:{idea.id}")
    assert search(None, "fridge").total == 1


def test_one_job_per_change_per_transaction(session):
    idea = IdeaFactory()
    for _ in range(3):
        jobs.enqueue(search_jobs.index_idea, idea.id, queue=services.QUEUE)
    pending = db.session.info.get("kindling.jobs.pending")
    assert len(pending) == 1 and pending[0][0] == "search"
    db.session.rollback()
