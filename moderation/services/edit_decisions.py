"""Deciding a pending edit (issue 14, item 7): approve it (its text goes live) or reject it (the approved one stays)."""
from sqlalchemy import inspect, update

from app import clock, permissions
from app.extensions import db
from challenges.services import comments as challenge_comments
from challenges.services import edits as challenge_edits
from challenges.services import ideas as challenge_ideas
from moderation.models import REJECT_REASONS, ModerationCase
from moderation.services.audit import log
from moderation.services.decisions import clean_note, last_decision
from moderation.services.errors import AlreadyDecided, ModerationError
from moderation.services.items import item_url, notify
from moderation.services.queue import open_case_for

EDIT_ACTIONS = ("approve_edit", "reject_edit")


def approved_fields(item):
    """What the public sees of the item now, in the shape PendingEdit.fields() has."""
    if item.kind == "idea":
        if "tags" not in inspect(item.obj).dict:
            db.session.refresh(item.obj, ["tags"])
        return {"title": item.obj.title, "description": item.obj.description,
                "tags": [tag.name for tag in item.obj.tags]}
    return {"body": item.obj.body}


def decide_edit(actor, item, action, *, reason="", note="", edit_id=None, edit_version=None, **_):
    """Approve or reject the edit waiting on an idea or comment. Returns the audit entry.

    `edit_id` and `edit_version` are what the moderator read: if the author
    replaced the edit since, nothing is decided and the moderator is told."""
    if action not in EDIT_ACTIONS:
        raise ModerationError(f"Unknown action “{action}”.")
    pending = challenge_edits.pending_edit_of(item.kind, item.id)
    if pending is None:
        actor_then, when = last_decision(item.kind, item.id)
        if actor_then is None and when is None:
            raise ModerationError("There is no edit waiting on this item.")
        raise AlreadyDecided(actor_then, when)
    permissions.require(permissions.can_decide_edit(actor, pending), error=ModerationError)
    if edit_id != pending.id or edit_version != pending.version:
        raise ModerationError("The author changed this edit since you opened it: read it again, then decide.")
    if action == "approve_edit":
        permissions.require(permissions.can_apply_edit(item.kind, item.obj), error=ModerationError)
    if action == "reject_edit":
        if reason not in REJECT_REASONS:
            raise ModerationError("Choose a reason for the rejection: the author is told why.", "reason")
        note = clean_note(note, required=reason == "other", what="a note explaining the reason")
    else:
        note = clean_note(note)
    proposed, current = pending.fields(), approved_fields(item)
    if not challenge_edits.take_pending_edit(pending):
        raise AlreadyDecided(*last_decision(item.kind, item.id))
    case = _close_edit_case(actor, item, action)
    opened_at = case.opened_at if case else None
    if action == "approve_edit":
        if item.kind == "idea":
            challenge_ideas.apply_idea_edit(item.obj, pending)
        else:
            challenge_comments.apply_comment_edit(item.obj, pending)
        entry = log(actor, "approve_edit", item=item, note=note, before=current, after=proposed,
                    case_opened_at=opened_at)
        notify([item.author_id], f"Your edit of your {item.kind} was approved: everyone now sees the new version.",
               item_url(item))
        return entry
    entry = log(actor, "reject_edit", item=item, reason=reason, note=note, before=proposed, after=current,
                case_opened_at=opened_at)
    told = f" {note}" if note else ""
    notify([item.author_id], f"Your edit of your {item.kind} was not accepted: {REJECT_REASONS[reason]}.{told} "
           "The earlier version stays public.", item_url(item))
    return entry


def _close_edit_case(actor, item, action):
    """Close the item's open case when it is about the edit; a case about flags stays for its own decision."""
    case = open_case_for(item.kind, item.id)
    if case is None or case.reason != "edit":
        return None
    db.session.execute(
        update(ModerationCase).where(ModerationCase.id == case.id, ModerationCase.decided_at.is_(None))
        .values(decided_at=clock.now(), decided_by_id=actor.id, decision=action)
        .execution_options(synchronize_session=False)
    )
    return case
