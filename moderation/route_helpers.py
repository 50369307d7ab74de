"""What the desk's, the members' and the admins' moderation routes share: loading an item, a form's first error."""
from flask import abort
from flask_login import current_user

from app import permissions
from app.extensions import db
from app.routing import visible_or_404
from challenges.models import Challenge
from moderation.models import ITEM_KINDS
from moderation.services import items


def visible_item(kind, item_id):
    """An idea or comment the member may see (as on its page), or 404 whether hidden or missing."""
    item = load_item(kind, item_id)
    seen = permissions.can_view_idea(current_user, item.idea, db.session.get(Challenge, item.challenge_id))
    if seen and kind == "comment":
        seen = permissions.can_view_comment(current_user, item.obj, item.challenge_id)
    return visible_or_404(item, seen)


def first_error(form):
    for field in form:
        if field.errors:
            return f"{field.label.text}: {field.errors[0]}"
    return "Check the form and try again."


def load_item(kind, item_id):
    if kind not in ITEM_KINDS:
        abort(404)
    return items.load_item(kind, item_id) or abort(404)
