"""What moderation acts on: an idea or a comment as an Item, loading one, its address, and telling members."""
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app import signals
from app.extensions import db
from challenges.models import Comment, Idea
from challenges.services import listings as challenge_listings
from moderation.models import ITEM_KINDS
from moderation.services.errors import ModerationError


@dataclass
class Item:
    """An idea or a comment, with what every decision needs to know about it."""

    kind: str
    obj: object
    idea: Idea
    challenge_id: int

    @property
    def id(self):
        return self.obj.id

    @property
    def author_id(self):
        return self.obj.author_id

    @property
    def status(self):
        return self.obj.status

    @property
    def model(self):
        return Idea if self.kind == "idea" else Comment

    def snapshot(self):
        state = {"status": self.obj.status}
        if self.kind == "idea":
            state["comments_locked"] = self.obj.comments_locked
            if self.obj.merged_into_id:
                state["merged_into_id"] = self.obj.merged_into_id
        return state


def load_item(kind, item_id):
    """The item, or None when there is no such idea or comment."""
    if kind == "idea":
        idea = challenge_listings.get_idea(item_id)
        return Item("idea", idea, idea, idea.challenge_id) if idea else None
    if kind == "comment":
        row = db.session.execute(
            select(Comment, Idea).join(Idea, Idea.id == Comment.idea_id).options(joinedload(Idea.challenge))
            .where(Comment.id == item_id)
        ).first()
        return Item("comment", row[0], row[1], row[1].challenge_id) if row else None
    return None


def _check_kind(kind):
    if kind not in ITEM_KINDS:
        raise ModerationError("Only ideas and comments can be moderated.")


def notify(user_ids, message, url=None):
    user_ids = sorted({uid for uid in user_ids if uid})
    if user_ids:
        signals.moderation_notice.send(None, user_ids=user_ids, message=message, url=url)


def item_url(item):
    return f"/ideas/{item.idea.id}"
