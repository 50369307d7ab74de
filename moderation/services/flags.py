"""Members' flags (enough of them hide an item) and appeals against rejections."""
from sqlalchemy import select, update

from app import clock, permissions
from app.extensions import db
from app.limits import APPEAL_MESSAGE, FLAG_NOTE_MAX, FLAGS_TO_HIDE
from moderation.models import FLAG_REASONS, Appeal, AuditEntry, Flag, ModerationCase
from moderation.services.audit import log
from moderation.services.decisions import set_status
from moderation.services.errors import ModerationError
from moderation.services.queue import open_case


def flag_item(user, item, reason, note=""):
    """A member flags an idea or comment; the third distinct flag hides it until a moderator decides."""
    permissions.require(permissions.can_flag(user, item.author_id, item.obj.status), error=ModerationError)
    if item.kind == "comment" and item.obj.status != "published":
        raise ModerationError("This comment is not public any more; there is nothing to flag.")
    if item.kind == "idea" and not item.obj.is_public:
        raise ModerationError("This idea is not public any more; there is nothing to flag.")
    if reason not in FLAG_REASONS:
        raise ModerationError("Choose why you flag it.", "reason")
    note = (note or "").strip()
    if reason == "other" and not note:
        raise ModerationError("Tell the moderators what is wrong.", "note")
    if len(note) > FLAG_NOTE_MAX:
        raise ModerationError(f"Keep it under {FLAG_NOTE_MAX} characters.", "note")
    exists = db.session.scalar(select(Flag.id).where(
        Flag.item_kind == item.kind, Flag.item_id == item.id, Flag.user_id == user.id))
    if exists:
        raise ModerationError("You already flagged this; the moderators will look at it.")
    db.session.add(Flag(item_kind=item.kind, item_id=item.id, user_id=user.id, reason=reason, note=note,
                        created_at=clock.now()))
    case = open_case(item, "flagged")
    db.session.execute(
        update(ModerationCase).where(ModerationCase.id == case.id)
        .values(flag_count=ModerationCase.flag_count + 1).execution_options(synchronize_session=False)
    )
    db.session.refresh(case)
    log(user, "flag", item=item, reason=reason, note=note)
    if case.flag_count >= FLAGS_TO_HIDE and item.status != "hidden":
        before = item.snapshot()
        set_status(item, "hidden", None)
        log(None, "auto_hide", item=item, reason="flags",
            note=f"{case.flag_count} members flagged it; hidden until a moderator decides.",
            before=before, after=item.snapshot())
    return case


def appeal(user, item, message):
    permissions.require(permissions.can_appeal(user, item.author_id, item.status), error=ModerationError)
    message = (message or "").strip()
    if not APPEAL_MESSAGE[0] <= len(message) <= APPEAL_MESSAGE[1]:
        raise ModerationError(f"Explain your appeal in {APPEAL_MESSAGE[0]} to {APPEAL_MESSAGE[1]:,} characters.",
                              "message")
    if db.session.scalar(select(Appeal.id).where(Appeal.item_kind == item.kind, Appeal.item_id == item.id)):
        raise ModerationError("You already appealed this decision; a contribution may be appealed once.")
    entry = Appeal(item_kind=item.kind, item_id=item.id, author_id=user.id, message=message, created_at=clock.now())
    db.session.add(entry)
    db.session.flush()
    case = open_case(item, "appeal", note=message)
    case.reason = "appeal"
    case.appeal_id = entry.id
    log(user, "appeal", item=item, note=message)
    return entry


def rejection_of(item):
    """The latest rejection (or upheld appeal) of an item, for its author."""
    return db.session.scalar(
        select(AuditEntry).where(AuditEntry.item_kind == item.kind, AuditEntry.item_id == item.id,
                                 AuditEntry.action.in_(("reject", "uphold")))
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc()).limit(1)
    )


def appeal_of(item):
    return db.session.scalar(select(Appeal).where(Appeal.item_kind == item.kind, Appeal.item_id == item.id))


def appealed_items(member):
    return {(a.item_kind, a.item_id) for a in db.session.scalars(select(Appeal).where(Appeal.author_id == member.id))}
