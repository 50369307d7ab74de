"""What a route loads from the idea pool, or 404 for what the viewer may not know exists.

Used by every feature's routes (voting's and moderation's too), so none of
them imports another feature's route module.
"""
from flask import abort
from flask_login import current_user

from app import permissions
from app.extensions import db
from app.routing import visible_or_404
from challenges.models import Comment
from challenges.services import listings


def visible_challenge(slug):
    challenge = listings.get_challenge(slug)
    return visible_or_404(challenge, challenge is not None and permissions.can_view_challenge(current_user, challenge))


def visible_idea(idea_id, idea=None):
    idea = idea or listings.get_idea(idea_id)
    return visible_or_404(idea, idea is not None and permissions.can_view_idea(current_user, idea, idea.challenge))


def visible_comment(comment_id):
    """A comment and its idea, or 404 when the idea is not the viewer's to see (the caller checks the comment)."""
    comment = db.session.get(Comment, comment_id) or abort(404)
    return comment, visible_idea(comment.idea_id)
