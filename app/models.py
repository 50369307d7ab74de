"""Imports every model so Alembic and create_all see the whole schema."""
# Hold-ups
import app.outbox  # noqa: F401,E402
import challenges.holdups.models  # noqa: F401,E402
import moderation.models  # noqa: F401,E402
import notifications.models  # noqa: F401,E402
import voting.models  # noqa: F401,E402
from app.auth.models import User, user_interests, user_skills  # noqa: F401
from app.tags import Tag  # noqa: F401
from challenges.models import (  # noqa: F401
    Challenge,
    ChallengeFollow,
    ChallengeModerator,
    Comment,
    Idea,
    IdeaFollow,
    IdeaRevision,
    NormsAcceptance,
    challenge_tags,
    idea_tags,
)
