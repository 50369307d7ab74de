import pytest

from challenges.models import ChallengeModerator
from moderation.services import items, queue
from tests.factories import ChallengeFactory, CommentFactory, IdeaFactory, UserFactory


@pytest.fixture
def challenge(session):
    return ChallengeFactory()


@pytest.fixture
def pending_idea(challenge):
    idea = IdeaFactory(challenge=challenge, status="pending", published_at=None)
    queue.open_case(items.load_item("idea", idea.id), "pending")
    return idea


@pytest.fixture
def pending_comment(challenge):
    idea = IdeaFactory(challenge=challenge)
    comment = CommentFactory(idea=idea, status="pending")
    queue.open_case(items.load_item("comment", comment.id), "pending")
    return comment


@pytest.fixture
def appointed(session, challenge):
    """A member appointed to moderate `challenge` only."""
    user = UserFactory()
    session.add(ChallengeModerator(challenge_id=challenge.id, user_id=user.id))
    session.flush()
    return user


def item(obj):
    kind = "idea" if obj.__class__.__name__ == "Idea" else "comment"
    return items.load_item(kind, obj.id)


def case_of(obj):
    return queue.open_case_for(item(obj).kind, obj.id)


@pytest.fixture(autouse=True)
def _fresh_figures():
    """Figures are kept a minute per scope; every test starts without them."""
    queue._figures_cache.clear()
    yield
    queue._figures_cache.clear()
