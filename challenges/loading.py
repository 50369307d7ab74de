"""What a route loads from the idea pool, or 404 for what the viewer may not know exists.

Used by every feature's routes (voting's and moderation's too), so none of
them imports another feature's route module.
"""
from flask_login import current_user

from app import permissions
from app.routing import visible_or_404
from challenges.services import listings


def visible_challenge(slug):
    challenge = listings.get_challenge(slug)
    return visible_or_404(challenge, challenge is not None and permissions.can_view_challenge(current_user, challenge))


def visible_idea(idea_id, idea=None):
    idea = idea or listings.get_idea(idea_id)
    return visible_or_404(idea, idea is not None and permissions.can_view_idea(current_user, idea, idea.challenge))
