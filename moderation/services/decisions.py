"""Decisions on items, guarded at the database: approve, reject, hide, restore, dismiss, lock, tags, merge."""
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload, selectinload

from app import clock, permissions, signals
from app.auth.models import User
from app.extensions import db
from app.limits import NOTE_MAX
from app.tags import TagError, parse_tags, tags_named
from challenges.models import IDEA_PUBLIC, Idea, IdeaFollow
from challenges.services import comments as challenge_comments
from challenges.services import edits as challenge_edits
from challenges.services import ideas as challenge_ideas
from moderation.models import REJECT_REASONS, Appeal, AuditEntry, ModerationCase
from moderation.services.audit import log
from moderation.services.errors import AlreadyDecided, ModerationError
from moderation.services.items import item_url, notify
from moderation.services.queue import open_case_for

ITEM_ACTIONS = ("approve", "reject", "hide", "restore", "dismiss", "lock", "unlock", "tags", "merge", "unmerge")


def last_decision(item_kind, item_id):
    entry = db.session.scalar(
        select(AuditEntry).options(joinedload(AuditEntry.actor))
        .where(AuditEntry.item_kind == item_kind, AuditEntry.item_id == item_id)
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc()).limit(1)
    )
    return (entry.actor, entry.created_at) if entry else (None, None)


def _claim(actor, item, decision, *, case_id=None, seen_status=None, changes_status=True):
    """Take the decision on this item, atomically. Returns the open case closed (or None).

    The conditional UPDATEs are the lock: on PostgreSQL the second moderator's
    UPDATE waits for the first to commit, then matches no row; SQLite
    serialises writers outright.
    """
    if seen_status and seen_status != item.status:
        raise AlreadyDecided(*last_decision(item.kind, item.id))
    now = clock.now()
    # A compare-and-set on the item: it must still be in the state the moderator saw.
    guarded = db.session.execute(
        update(item.model).where(item.model.id == item.id, item.model.status == item.status)
        .values(status=item.status).execution_options(synchronize_session=False)
    ).rowcount
    if not guarded:
        raise AlreadyDecided(*last_decision(item.kind, item.id))
    conditions = [ModerationCase.decided_at.is_(None)]
    if case_id:
        conditions.append(ModerationCase.id == case_id)
    conditions += [ModerationCase.item_kind == item.kind, ModerationCase.item_id == item.id]
    case = db.session.scalar(select(ModerationCase).where(*conditions))
    if case_id and case is None:
        decided = db.session.get(ModerationCase, case_id)
        if decided is not None and decided.decided_at is not None:
            raise AlreadyDecided(db.session.get(User, decided.decided_by_id) if decided.decided_by_id else None,
                                 decided.decided_at)
    if case is not None:
        closed = db.session.execute(
            update(ModerationCase)
            .where(ModerationCase.id == case.id, ModerationCase.decided_at.is_(None))
            .values(decided_at=now, decided_by_id=actor.id if actor else None, decision=decision)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not closed:
            db.session.refresh(case)
            raise AlreadyDecided(db.session.get(User, case.decided_by_id) if case.decided_by_id else None,
                                 case.decided_at)
        db.session.refresh(case)
    return case


def _check_still_open(item, case_id, seen_status):
    """Before judging the request: has someone else decided since the moderator looked?"""
    if case_id:
        case = db.session.get(ModerationCase, case_id)
        if case is not None and case.decided_at is not None:
            raise AlreadyDecided(db.session.get(User, case.decided_by_id) if case.decided_by_id else None,
                                 case.decided_at)
    if seen_status and seen_status != item.status:
        raise AlreadyDecided(*last_decision(item.kind, item.id))


def _require_moderator(actor, item):
    permissions.require(permissions.can_decide(actor, item.author_id, item.challenge_id), error=ModerationError)
    if item.kind == "comment" and item.obj.is_deleted:
        raise ModerationError("This comment was deleted by its author; there is nothing left to decide.")
    if item.kind == "idea" and item.obj.status == "withdrawn":
        raise ModerationError("The author withdrew this idea; there is nothing left to decide.")


def set_status(item, status, actor):
    if item.kind == "idea":
        challenge_ideas.set_idea_status(item.obj, status, actor=actor)
    else:
        challenge_comments.set_comment_status(item.obj, item.idea, status)


def _restore_target(item):
    if item.kind == "comment":
        return "published"
    previous = item.obj.previous_status
    if previous in IDEA_PUBLIC and previous != "published":
        return previous
    return "published"


def clean_note(note, required=False, what="a note"):
    note = (note or "").strip()
    if required and not note:
        raise ModerationError(f"Write {what}: the author will read it.", "note")
    if len(note) > NOTE_MAX:
        raise ModerationError(f"Keep the note under {NOTE_MAX:,} characters.", "note")
    return note


def decide(actor, item, action, *, reason="", note="", tags="", target_id=None, case_id=None, seen_status=None):
    """Apply one moderation action to an idea or comment. Returns the audit entry."""
    if action not in ITEM_ACTIONS:
        raise ModerationError(f"Unknown action “{action}”.")
    _require_moderator(actor, item)
    _check_still_open(item, case_id, seen_status)
    if action in ("lock", "unlock", "tags", "merge", "unmerge") and item.kind != "idea":
        raise ModerationError("Only ideas can be locked, tagged or merged.")
    handler = {
        "approve": _approve,
        "reject": _reject,
        "hide": _hide,
        "restore": _restore,
        "dismiss": _dismiss,
        "lock": _lock,
        "unlock": _lock,
        "tags": _edit_tags,
        "merge": _merge,
        "unmerge": _unmerge,
    }[action]
    return handler(actor, item, action=action, reason=reason, note=note, tags=tags, target_id=target_id,
                   case_id=case_id, seen_status=seen_status)


def _decision(actor, item, action, *, status=None, case_id, seen_status, reason="", note="", extra_after=None,
              logged_action=None):
    before = item.snapshot()
    case = _claim(actor, item, logged_action or action, case_id=case_id, seen_status=seen_status)
    if status and status != item.status:
        set_status(item, status, actor)
    after = item.snapshot() | (extra_after or {})
    if case is not None:
        before["queue"] = case.reason
    return log(actor, logged_action or action, item=item, reason=reason, note=note, before=before, after=after,
               case_opened_at=case.opened_at if case else None)


def _appeal_case(item, case_id):
    case = db.session.get(ModerationCase, case_id) if case_id else open_case_for(item.kind, item.id)
    return case if case is not None and case.reason == "appeal" and case.item_id == item.id else None


def _approve(actor, item, *, case_id, seen_status, note, **_):
    note = clean_note(note)
    status = item.status
    appeal_case = _appeal_case(item, case_id) if status == "rejected" else None
    if status in ("pending", "rejected"):
        if status == "rejected" and appeal_case is None:
            raise ModerationError("A rejected item comes back through its author's appeal, or with “restore”.")
        target = "published"
    elif status == "hidden":
        target = _restore_target(item)
    elif status == "published" or status in IDEA_PUBLIC:
        target = status  # flagged but fine: keep it, close the case
    else:
        raise ModerationError(f"An item that is {status.replace('_', ' ')} cannot be approved.")
    action = "grant_appeal" if appeal_case else "approve"
    entry = _decision(actor, item, "approve", status=target, case_id=case_id, seen_status=seen_status, note=note,
                      logged_action=action)
    if appeal_case is not None and appeal_case.appeal_id:
        db.session.get(Appeal, appeal_case.appeal_id).outcome = "granted"
    if action == "grant_appeal" or status == "pending":
        notify([item.author_id], f"Your {item.kind} was approved and is now public.", item_url(item))
    return entry


def _reject(actor, item, *, case_id, seen_status, reason, note, **_):
    if reason not in REJECT_REASONS:
        raise ModerationError("Choose a reason for the rejection: the author is told why.", "reason")
    note = clean_note(note, required=reason == "other", what="a note explaining the reason")
    appeal_case = _appeal_case(item, case_id) if item.status == "rejected" else None
    if appeal_case is not None:
        entry = _decision(actor, item, "reject", case_id=case_id, seen_status=seen_status, reason=reason,
                          note=note, logged_action="uphold")
        if appeal_case.appeal_id:
            db.session.get(Appeal, appeal_case.appeal_id).outcome = "upheld"
        notify([item.author_id], f"Your appeal was reviewed; the rejection stands: {REJECT_REASONS[reason]}.",
               item_url(item))
        return entry
    if item.status == "rejected":
        raise ModerationError("This item is already rejected.")
    if item.kind == "idea" and item.status not in ("pending", "published", "hidden"):
        raise ModerationError(f"An idea that is {item.status.replace('_', ' ')} cannot be rejected; hide it instead.")
    if item.kind == "idea" and item.status == "hidden":
        before = item.snapshot()
        case = _claim(actor, item, "reject", case_id=case_id, seen_status=seen_status)
        set_status(item, "pending", actor)  # the transition table goes hidden → pending → rejected
        set_status(item, "rejected", actor)
        entry = log(actor, "reject", item=item, reason=reason, note=note, before=before, after=item.snapshot(),
                    case_opened_at=case.opened_at if case else None)
    else:
        entry = _decision(actor, item, "reject", status="rejected", case_id=case_id, seen_status=seen_status,
                          reason=reason, note=note)
    notify([item.author_id], f"Your {item.kind} was rejected: {REJECT_REASONS[reason]}. You may appeal once.",
           item_url(item))
    return entry


def _hide(actor, item, *, case_id, seen_status, note, **_):
    note = clean_note(note)
    if item.status == "hidden":
        raise ModerationError("This item is already hidden.")
    if item.kind == "idea" and "hidden" not in challenge_ideas.IDEA_TRANSITIONS.get(item.status, ()):
        raise ModerationError(f"An idea that is {item.status.replace('_', ' ')} cannot be hidden.")
    if item.kind == "comment" and item.status != "published":
        raise ModerationError("Only a published comment can be hidden.")
    return _decision(actor, item, "hide", status="hidden", case_id=case_id, seen_status=seen_status, note=note)


def _restore(actor, item, *, case_id, seen_status, note, **_):
    note = clean_note(note)
    if item.status not in ("hidden", "rejected"):
        raise ModerationError("Only a hidden or rejected item can be restored.")
    return _decision(actor, item, "restore", status=_restore_target(item), case_id=case_id,
                     seen_status=seen_status, note=note)


def _dismiss(actor, item, *, case_id, seen_status, note, **_):
    """The flags were unfounded: close the case and leave the item as it is."""
    note = clean_note(note)
    if open_case_for(item.kind, item.id) is None and not case_id:
        raise ModerationError("There is nothing waiting on this item.")
    if item.status in ("pending", "hidden"):
        raise ModerationError("Approve or restore the item instead: it is not public.")
    if challenge_edits.pending_edit_of(item.kind, item.id) is not None:
        # Closing the case would leave the waiting edit in no queue at all.
        raise ModerationError("An edit of this item is waiting: approve or reject the edit first.")
    return _decision(actor, item, "dismiss", case_id=case_id, seen_status=seen_status, note=note)


def _lock(actor, item, *, action, note, **_):
    note = clean_note(note)
    idea = item.obj
    locked = action == "lock"
    if idea.comments_locked == locked:
        raise ModerationError("Comments are already locked." if locked else "Comments are not locked.")
    before = item.snapshot()
    changed = db.session.execute(
        update(Idea).where(Idea.id == idea.id, Idea.comments_locked.is_(not locked))
        .values(comments_locked=locked).execution_options(synchronize_session=False)
    ).rowcount
    if not changed:
        raise AlreadyDecided(*last_decision("idea", idea.id))
    db.session.refresh(idea)
    return log(actor, action, item=item, note=note, before=before, after=item.snapshot())


def _edit_tags(actor, item, *, tags, note, **_):
    try:
        names = parse_tags(tags, challenge_ideas.IDEA_TAG_LIMIT + 1)
    except TagError as error:
        raise ModerationError(str(error), "tags") from error
    if len(names) > challenge_ideas.IDEA_TAG_LIMIT:
        raise ModerationError(f"Use at most {challenge_ideas.IDEA_TAG_LIMIT} tags.", "tags")
    idea = item.obj
    before_tags = [t.name for t in db.session.scalars(
        select(Idea).options(selectinload(Idea.tags)).where(Idea.id == idea.id)).one().tags]
    idea.tags = tags_named(names)
    db.session.flush()
    signals.idea_edited.send(idea, idea_id=idea.id)
    return log(actor, "tags", item=item, note=clean_note(note), before={"tags": before_tags},
               after={"tags": sorted(names)})


def _merge(actor, item, *, target_id, case_id, seen_status, note, **_):
    """Fold a duplicate into another idea of the same challenge; reversible with unmerge."""
    source = item.obj
    note = clean_note(note)
    if not target_id:
        raise ModerationError("Give the number of the idea to merge into.", "target_id")
    if target_id == source.id:
        raise ModerationError("An idea cannot be merged into itself.", "target_id")
    target = db.session.get(Idea, target_id)
    if target is None:
        raise ModerationError(f"There is no idea #{target_id}.", "target_id")
    if target.challenge_id != source.challenge_id:
        raise ModerationError("Merge only within one challenge: that idea belongs to another.", "target_id")
    if not target.is_public:
        raise ModerationError("Merge into a public idea: that one is not.", "target_id")
    if "merged" not in challenge_ideas.IDEA_TRANSITIONS.get(source.status, ()):
        raise ModerationError(f"An idea that is {source.status.replace('_', ' ')} cannot be merged.")
    before = item.snapshot()
    case = _claim(actor, item, "merge", case_id=case_id, seen_status=seen_status)
    challenge_ideas.set_idea_status(source, "merged", actor=actor)
    source.merged_into_id = target.id
    # Followers of the duplicate follow the target; remember who was added, to undo it.
    already = select(IdeaFollow.user_id).where(IdeaFollow.idea_id == target.id)
    followers = list(db.session.scalars(
        select(IdeaFollow.user_id).where(IdeaFollow.idea_id == source.id, IdeaFollow.user_id.not_in(already))
    ))
    db.session.add_all(IdeaFollow(user_id=uid, idea_id=target.id) for uid in followers)
    target.follower_count = Idea.follower_count + len(followers)
    db.session.flush()
    moved = set()
    for _receiver, answer in signals.idea_merged.send(source, source_id=source.id, target_id=target.id,
                                                      actor_id=actor.id):
        moved.update(answer or ())
    after = item.snapshot() | {"added_followers": followers, "moved_supporters": sorted(moved)}
    entry = log(actor, "merge", item=item, note=note, before=before, after=after,
                case_opened_at=case.opened_at if case else None)
    url = f"/ideas/{target.id}"
    notify([source.author_id], f"Your idea was merged into “{target.title}”.", url)
    notify([target.author_id], f"“{source.title}” was merged into your idea.", url)
    notify(moved, f"Your support for “{source.title}” now counts for “{target.title}”.", url)
    return entry


def _unmerge(actor, item, *, case_id, seen_status, note, **_):
    source = item.obj
    note = clean_note(note)
    if source.status != "merged" or not source.merged_into_id:
        raise ModerationError("This idea is not merged.")
    merge_entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.item_kind == "idea", AuditEntry.item_id == source.id,
                                 AuditEntry.action == "merge")
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc()).limit(1)
    )
    target_id = source.merged_into_id
    before = item.snapshot()
    _claim(actor, item, "unmerge", case_id=case_id, seen_status=seen_status)
    back_to = source.previous_status if source.previous_status in ("published", "in_review", "expired") else "published"
    challenge_ideas.set_idea_status(source, back_to, actor=actor)
    source.merged_into_id = None
    added = merge_entry.after.get("added_followers", []) if merge_entry else []
    if added:
        removed = db.session.execute(
            IdeaFollow.__table__.delete().where(IdeaFollow.idea_id == target_id, IdeaFollow.user_id.in_(added))
        ).rowcount
        target = db.session.get(Idea, target_id)
        target.follower_count = Idea.follower_count - removed
    db.session.flush()
    moved = set()
    for _receiver, answer in signals.idea_unmerged.send(source, source_id=source.id, target_id=target_id,
                                                        actor_id=actor.id):
        moved.update(answer or ())
    entry = log(actor, "unmerge", item=item, note=note, before=before,
                after=item.snapshot() | {"from_idea_id": target_id, "moved_supporters": sorted(moved)})
    notify([source.author_id], f"Your idea “{source.title}” stands on its own again.", item_url(item))
    notify(moved, f"Your support is back on “{source.title}”.", item_url(item))
    return entry
