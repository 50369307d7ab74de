"""The rules of moderation: flags, trust, watched words, decisions, sanctions, the log.

Services take the acting user, check access in app.permissions, change rows,
write one audit entry per action, flush, and never commit. A decision on an
item is guarded at the database: a conditional UPDATE on the item's status
(and on its open queue case), so when two moderators act at once the second
finds nothing to update and is told who decided, and when.
"""
import json
import re
import statistics
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app, has_request_context
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import joinedload, selectinload

from app import clock, permissions, signals
from app.auth.models import User
from app.extensions import db
from app.tags import TagError, parse_tags, tags_named
from app.text import plural
from challenges import services as challenge_services
from challenges.models import IDEA_PUBLIC, Challenge, ChallengeModerator, Comment, Idea, IdeaFollow
from challenges.services import ChallengeError
from moderation.models import (
    FLAG_REASONS,
    ITEM_KINDS,
    REJECT_REASONS,
    WATCH_ACTIONS,
    Appeal,
    AuditEntry,
    Flag,
    ModerationCase,
    WatchedWord,
)

FLAGS_TO_HIDE = 3
NEW_MEMBER_LINKS = 2
NEW_MEMBER_INTERVAL = timedelta(seconds=30)
NEW_MEMBER_IDEAS_PER_DAY = 10
NEW_MEMBER_AGE = timedelta(days=7)
NOTE_MAX = 2_000
FLAG_NOTE_MAX = 500
APPEAL_MESSAGE = (10, 2_000)
SUSPENSION_DAYS = (1, 3, 7, 14, 30, 90, 365)
QUEUE_PAGE_SIZE = 20
LOG_PAGE_SIZE = 50
QUEUE_SORTS = {"oldest": "Oldest first", "flags": "Most flagged", "newest": "Newest first"}
ITEM_ACTIONS = ("approve", "reject", "hide", "restore", "dismiss", "lock", "unlock", "tags", "merge", "unmerge")
ACTION_LABELS = {
    "approve": "Approved",
    "reject": "Rejected",
    "hide": "Hidden",
    "restore": "Restored",
    "dismiss": "Flags dismissed",
    "lock": "Comments locked",
    "unlock": "Comments unlocked",
    "tags": "Tags edited",
    "merge": "Merged",
    "unmerge": "Merge undone",
    "grant_appeal": "Appeal granted",
    "uphold": "Rejection upheld",
    "suspend": "Suspended",
    "unsuspend": "Suspension lifted",
    "auto_hide": "Hidden by flags",
    "auto_hold": "Held by a watched word",
    "auto_flag": "Flagged by a watched word",
    "vote_anomaly": "Vote anomaly reported",
    "flag": "Flagged",
    "appeal": "Appealed",
    "appoint": "Moderator appointed",
    "dismiss_moderator": "Moderator removed",
    "watch_word": "Watched word added",
    "unwatch_word": "Watched word removed",
}


class ModerationError(ChallengeError):
    """A decision that cannot be taken as asked: the message says why."""


class AlreadyDecided(ModerationError):
    def __init__(self, who, when):
        name = who.name if who else "Kindling (automatically)"
        stamp = clock.aware(when).strftime("%Y-%m-%d %H:%M UTC") if when else "an earlier moment"
        super().__init__(f"Already decided by {name} at {stamp}; nothing was changed.")
        self.who = who
        self.when = when


# Items


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
        idea = challenge_services.get_idea(item_id)
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


# The audit log


def log(actor, action, *, item=None, challenge_id=None, subject_id=None, reason="", note="",
        before=None, after=None, case_opened_at=None):
    now = clock.now()
    entry = AuditEntry(
        created_at=now,
        actor_id=actor.id if actor else None,
        action=action,
        item_kind=item.kind if item else None,
        item_id=item.id if item else None,
        challenge_id=item.challenge_id if item else challenge_id,
        subject_id=subject_id if subject_id is not None else (item.author_id if item else None),
        reason=reason or "",
        note=note or "",
        before_json=json.dumps(before or {}, sort_keys=True),
        after_json=json.dumps(after or {}, sort_keys=True),
        case_opened_at=case_opened_at,
        wait_seconds=int((now - clock.aware(case_opened_at)).total_seconds()) if case_opened_at else None,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def _notify(user_ids, message, url=None):
    user_ids = sorted({uid for uid in user_ids if uid})
    if user_ids:
        signals.moderation_notice.send(None, user_ids=user_ids, message=message, url=url)


# The queue


def open_case(item, reason, note=""):
    """Put the item in the queue (once: an open case just gains the new reason)."""
    case = open_case_for(item.kind, item.id)
    if case is None:
        case = ModerationCase(
            item_kind=item.kind, item_id=item.id, challenge_id=item.challenge_id,
            author_id=item.author_id, reason=reason, note=note, opened_at=clock.now(),
        )
        db.session.add(case)
    elif note:
        case.note = "\n".join(filter(None, [case.note, note]))
    db.session.flush()
    return case


def case_belongs_to(case_id, kind, item_id):
    case = db.session.get(ModerationCase, case_id)
    return case is not None and case.item_kind == kind and case.item_id == item_id


def open_case_for(kind, item_id):
    return db.session.scalar(
        select(ModerationCase).where(
            ModerationCase.item_kind == kind, ModerationCase.item_id == item_id, ModerationCase.decided_at.is_(None)
        )
    )


def _last_decision(item_kind, item_id):
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
        raise AlreadyDecided(*_last_decision(item.kind, item.id))
    now = clock.now()
    # A compare-and-set on the item: it must still be in the state the moderator saw.
    guarded = db.session.execute(
        update(item.model).where(item.model.id == item.id, item.model.status == item.status)
        .values(status=item.status).execution_options(synchronize_session=False)
    ).rowcount
    if not guarded:
        raise AlreadyDecided(*_last_decision(item.kind, item.id))
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
        raise AlreadyDecided(*_last_decision(item.kind, item.id))


def _require_moderator(actor, item):
    if not permissions.can_moderate(actor, item.challenge_id):
        raise PermissionError("You do not moderate this challenge.")
    if item.kind == "comment" and item.obj.is_deleted:
        raise ModerationError("This comment was deleted by its author; there is nothing left to decide.")
    if item.kind == "idea" and item.obj.status == "withdrawn":
        raise ModerationError("The author withdrew this idea; there is nothing left to decide.")


def _set_status(item, status, actor):
    if item.kind == "idea":
        challenge_services.set_idea_status(item.obj, status, actor=actor)
    else:
        challenge_services.set_comment_status(item.obj, item.idea, status)


def _restore_target(item):
    if item.kind == "comment":
        return "published"
    previous = item.obj.previous_status
    if previous in IDEA_PUBLIC and previous != "published":
        return previous
    return "published"


def _clean_note(note, required=False, what="a note"):
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
        _set_status(item, status, actor)
    after = item.snapshot() | (extra_after or {})
    if case is not None:
        before["queue"] = case.reason
    return log(actor, logged_action or action, item=item, reason=reason, note=note, before=before, after=after,
               case_opened_at=case.opened_at if case else None)


def _appeal_case(item, case_id):
    case = db.session.get(ModerationCase, case_id) if case_id else open_case_for(item.kind, item.id)
    return case if case is not None and case.reason == "appeal" and case.item_id == item.id else None


def _approve(actor, item, *, case_id, seen_status, note, **_):
    note = _clean_note(note)
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
        _notify([item.author_id], f"Your {item.kind} was approved and is now public.", _url(item))
    return entry


def _reject(actor, item, *, case_id, seen_status, reason, note, **_):
    if reason not in REJECT_REASONS:
        raise ModerationError("Choose a reason for the rejection: the author is told why.", "reason")
    note = _clean_note(note, required=reason == "other", what="a note explaining the reason")
    appeal_case = _appeal_case(item, case_id) if item.status == "rejected" else None
    if appeal_case is not None:
        entry = _decision(actor, item, "reject", case_id=case_id, seen_status=seen_status, reason=reason,
                          note=note, logged_action="uphold")
        if appeal_case.appeal_id:
            db.session.get(Appeal, appeal_case.appeal_id).outcome = "upheld"
        _notify([item.author_id], f"Your appeal was reviewed; the rejection stands: {REJECT_REASONS[reason]}.",
                _url(item))
        return entry
    if item.status == "rejected":
        raise ModerationError("This item is already rejected.")
    if item.kind == "idea" and item.status not in ("pending", "published", "hidden"):
        raise ModerationError(f"An idea that is {item.status.replace('_', ' ')} cannot be rejected; hide it instead.")
    if item.kind == "idea" and item.status == "hidden":
        before = item.snapshot()
        case = _claim(actor, item, "reject", case_id=case_id, seen_status=seen_status)
        _set_status(item, "pending", actor)  # the transition table goes hidden → pending → rejected
        _set_status(item, "rejected", actor)
        entry = log(actor, "reject", item=item, reason=reason, note=note, before=before, after=item.snapshot(),
                    case_opened_at=case.opened_at if case else None)
    else:
        entry = _decision(actor, item, "reject", status="rejected", case_id=case_id, seen_status=seen_status,
                          reason=reason, note=note)
    _notify([item.author_id], f"Your {item.kind} was rejected: {REJECT_REASONS[reason]}. You may appeal once.",
            _url(item))
    return entry


def _hide(actor, item, *, case_id, seen_status, note, **_):
    note = _clean_note(note)
    if item.status == "hidden":
        raise ModerationError("This item is already hidden.")
    if item.kind == "idea" and "hidden" not in challenge_services.IDEA_TRANSITIONS.get(item.status, ()):
        raise ModerationError(f"An idea that is {item.status.replace('_', ' ')} cannot be hidden.")
    if item.kind == "comment" and item.status != "published":
        raise ModerationError("Only a published comment can be hidden.")
    return _decision(actor, item, "hide", status="hidden", case_id=case_id, seen_status=seen_status, note=note)


def _restore(actor, item, *, case_id, seen_status, note, **_):
    note = _clean_note(note)
    if item.status not in ("hidden", "rejected"):
        raise ModerationError("Only a hidden or rejected item can be restored.")
    return _decision(actor, item, "restore", status=_restore_target(item), case_id=case_id,
                     seen_status=seen_status, note=note)


def _dismiss(actor, item, *, case_id, seen_status, note, **_):
    """The flags were unfounded: close the case and leave the item as it is."""
    note = _clean_note(note)
    if open_case_for(item.kind, item.id) is None and not case_id:
        raise ModerationError("There is nothing waiting on this item.")
    if item.status in ("pending", "hidden"):
        raise ModerationError("Approve or restore the item instead: it is not public.")
    return _decision(actor, item, "dismiss", case_id=case_id, seen_status=seen_status, note=note)


def _lock(actor, item, *, action, note, **_):
    note = _clean_note(note)
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
        raise AlreadyDecided(*_last_decision("idea", idea.id))
    db.session.refresh(idea)
    return log(actor, action, item=item, note=note, before=before, after=item.snapshot())


def _edit_tags(actor, item, *, tags, note, **_):
    try:
        names = parse_tags(tags, challenge_services.IDEA_TAG_LIMIT + 1)
    except TagError as error:
        raise ModerationError(str(error), "tags") from error
    if len(names) > challenge_services.IDEA_TAG_LIMIT:
        raise ModerationError(f"Use at most {challenge_services.IDEA_TAG_LIMIT} tags.", "tags")
    idea = item.obj
    before_tags = [t.name for t in db.session.scalars(
        select(Idea).options(selectinload(Idea.tags)).where(Idea.id == idea.id)).one().tags]
    idea.tags = tags_named(names)
    db.session.flush()
    signals.idea_edited.send(idea, idea_id=idea.id)
    return log(actor, "tags", item=item, note=_clean_note(note), before={"tags": before_tags},
               after={"tags": sorted(names)})


def _merge(actor, item, *, target_id, case_id, seen_status, note, **_):
    """Fold a duplicate into another idea of the same challenge; reversible with unmerge."""
    source = item.obj
    note = _clean_note(note)
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
    if "merged" not in challenge_services.IDEA_TRANSITIONS.get(source.status, ()):
        raise ModerationError(f"An idea that is {source.status.replace('_', ' ')} cannot be merged.")
    before = item.snapshot()
    case = _claim(actor, item, "merge", case_id=case_id, seen_status=seen_status)
    challenge_services.set_idea_status(source, "merged", actor=actor)
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
    _notify([source.author_id], f"Your idea was merged into “{target.title}”.", url)
    _notify([target.author_id], f"“{source.title}” was merged into your idea.", url)
    _notify(moved, f"Your support for “{source.title}” now counts for “{target.title}”.", url)
    return entry


def _unmerge(actor, item, *, case_id, seen_status, note, **_):
    source = item.obj
    note = _clean_note(note)
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
    challenge_services.set_idea_status(source, back_to, actor=actor)
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
    _notify([source.author_id], f"Your idea “{source.title}” stands on its own again.", _url(item))
    _notify(moved, f"Your support is back on “{source.title}”.", _url(item))
    return entry


def _url(item):
    return f"/ideas/{item.idea.id}"


# Flags


def flag_item(user, item, reason, note=""):
    """A member flags an idea or comment; the third distinct flag hides it until a moderator decides."""
    if not permissions.can_flag(user, item.author_id):
        if permissions.active_member(user):
            raise ModerationError("You cannot flag your own contribution.")
        raise PermissionError("Log in with an active account to flag.")
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
        _set_status(item, "hidden", None)
        log(None, "auto_hide", item=item, reason="flags",
            note=f"{case.flag_count} members flagged it; hidden until a moderator decides.",
            before=before, after=item.snapshot())
    return case


# Appeals


def appeal(user, item, message):
    if not (permissions.active_member(user) and user.id == item.author_id):
        raise PermissionError("Only the author may appeal.")
    if item.status != "rejected":
        raise ModerationError("Only a rejected contribution can be appealed.")
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


# Suspensions


def suspend(actor, member, days, reason):
    if not permissions.can_suspend(actor):
        raise PermissionError("Only site moderators suspend members.")
    if member.id == actor.id:
        raise ModerationError("You cannot suspend yourself.")
    if member.is_admin or member.is_moderator:
        raise ModerationError("Admins and moderators cannot be suspended; an admin can revoke their role first.")
    if days not in SUSPENSION_DAYS:
        raise ModerationError("Choose a duration from the list.", "days")
    reason = (reason or "").strip()
    if not reason:
        raise ModerationError("Give the reason: the member will see it.", "reason")
    if len(reason) > NOTE_MAX:
        raise ModerationError(f"Keep the reason under {NOTE_MAX:,} characters.", "reason")
    before = {"suspended_until": _iso(member.suspended_until), "reason": member.suspension_reason}
    member.suspended_until = clock.now() + timedelta(days=days)
    member.suspension_reason = reason
    db.session.flush()
    _notify([member.id], f"Your account is suspended until {member.suspended_until:%Y-%m-%d %H:%M} UTC: {reason}")
    return log(actor, "suspend", subject_id=member.id, reason=f"{days}d", note=reason, before=before,
               after={"suspended_until": _iso(member.suspended_until), "reason": reason})


def lift_suspension(actor, member, note=""):
    if not permissions.can_suspend(actor):
        raise PermissionError("Only site moderators lift suspensions.")
    if not member.is_suspended():
        raise ModerationError(f"{member.name} is not suspended.")
    before = {"suspended_until": _iso(member.suspended_until), "reason": member.suspension_reason}
    member.suspended_until = None
    member.suspension_reason = ""
    db.session.flush()
    _notify([member.id], "Your suspension was lifted.")
    return log(actor, "unsuspend", subject_id=member.id, note=_clean_note(note), before=before,
               after={"suspended_until": None})


def _iso(moment):
    return clock.aware(moment).isoformat() if moment else None


# Appointed moderators


def appoint_moderator(actor, challenge, member):
    if not permissions.can_appoint_moderators(actor, challenge):
        raise PermissionError("Only the challenge's owner appoints its moderators.")
    if member is None:
        raise ModerationError("There is no member with that username.", "username")
    if db.session.get(ChallengeModerator, (challenge.id, member.id)):
        raise ModerationError(f"{member.name} already moderates this challenge.", "username")
    if member.is_suspended():
        raise ModerationError(f"{member.name} is suspended and cannot moderate.", "username")
    db.session.add(ChallengeModerator(challenge_id=challenge.id, user_id=member.id, appointed_at=clock.now()))
    db.session.flush()
    return log(actor, "appoint", challenge_id=challenge.id, subject_id=member.id)


def dismiss_moderator(actor, challenge, member):
    if not permissions.can_appoint_moderators(actor, challenge):
        raise PermissionError("Only the challenge's owner appoints its moderators.")
    appointment = db.session.get(ChallengeModerator, (challenge.id, member.id))
    if appointment is None:
        raise ModerationError(f"{member.name} does not moderate this challenge.")
    db.session.delete(appointment)
    db.session.flush()
    return log(actor, "dismiss_moderator", challenge_id=challenge.id, subject_id=member.id)


def challenge_moderators(challenge):
    return list(db.session.scalars(
        select(User).join(ChallengeModerator, ChallengeModerator.user_id == User.id)
        .where(ChallengeModerator.challenge_id == challenge.id).order_by(User.username_key)
    ))


# Watched words and trust


def add_watched_word(actor, pattern, action, is_regex=False, message=""):
    if not permissions.can_edit_watched_words(actor):
        raise PermissionError("Only admins edit watched words.")
    pattern = (pattern or "").strip()
    if not pattern:
        raise ModerationError("Enter a word or a pattern.", "pattern")
    if len(pattern) > 200:
        raise ModerationError("Keep it under 200 characters.", "pattern")
    if action not in WATCH_ACTIONS:
        raise ModerationError("Choose what happens to a post that contains it.", "action")
    if is_regex:
        try:
            re.compile(pattern)
        except re.error as error:
            raise ModerationError(f"That is not a valid pattern: {error}.", "pattern") from error
    if db.session.scalar(select(WatchedWord.id).where(WatchedWord.pattern == pattern)):
        raise ModerationError("That word is already watched.", "pattern")
    word = WatchedWord(pattern=pattern, is_regex=is_regex, action=action, message=(message or "").strip()[:300],
                       created_by_id=actor.id, created_at=clock.now())
    db.session.add(word)
    db.session.flush()
    log(actor, "watch_word", note=pattern, after={"pattern": pattern, "action": action, "regex": is_regex})
    return word


def remove_watched_word(actor, word):
    if not permissions.can_edit_watched_words(actor):
        raise PermissionError("Only admins edit watched words.")
    log(actor, "unwatch_word", note=word.pattern,
        before={"pattern": word.pattern, "action": word.action, "regex": word.is_regex})
    db.session.delete(word)
    db.session.flush()


def watched_words():
    return list(db.session.scalars(select(WatchedWord).order_by(WatchedWord.action, WatchedWord.pattern)))


def _compiled(word):
    source = word.pattern if word.is_regex else rf"(?<!\w){re.escape(word.pattern)}(?!\w)"
    return re.compile(source, re.IGNORECASE)


def match_watched_words(text):
    """The watched words found in the text, most severe action first."""
    order = {"block": 0, "queue": 1, "flag": 2}
    found = [w for w in watched_words() if _compiled(w).search(text or "")]
    return sorted(found, key=lambda w: order[w.action])


def is_new_member(user):
    """Joined less than a week ago, or fewer than 3 published contributions."""
    if clock.now() - clock.aware(user.created_at) < NEW_MEMBER_AGE:
        return True
    return challenge_services._published_contributions(user) < challenge_services.TRUSTED_AFTER


def check_trust_limits(user, kind, link_count, field_name, edit=False):
    """New members: few links; through the site, not too fast and not too many ideas a day."""
    if permissions.is_site_moderator(user) or not is_new_member(user):
        return
    if link_count > NEW_MEMBER_LINKS:
        raise ChallengeError(f"New members may include at most {NEW_MEMBER_LINKS} links per contribution "
                             f"(this one has {link_count}).", field_name)
    if edit or not has_request_context():
        return  # pace limits guard the site against floods of new posts; scripts and demo seeding are not paced
    interval = timedelta(seconds=current_app.config.get("NEW_MEMBER_PACE_SECONDS", NEW_MEMBER_INTERVAL.seconds))
    now = clock.now()
    # Paced per kind of contribution: the natural first journey (an idea, then
    # a comment on someone's idea) is never refused; a burst of the same kind is.
    model = Idea if kind == "idea" else Comment
    latest = db.session.scalar(select(func.max(model.created_at)).where(model.author_id == user.id))
    latest = clock.aware(latest) if latest else None
    if latest and now - latest < interval:
        wait = int((interval - (now - latest)).total_seconds()) + 1
        noun = "idea" if kind == "idea" else "comment"
        raise ChallengeError(f"New members post at most one {noun} every {plural(interval.seconds, 'second')}: "
                             f"wait {plural(wait, 'more second', 'more seconds')}.", field_name)
    if kind == "idea":
        today = db.session.scalar(select(func.count()).select_from(Idea).where(
            Idea.author_id == user.id, Idea.created_at >= now - timedelta(days=1)))
        if today >= NEW_MEMBER_IDEAS_PER_DAY:
            raise ChallengeError(f"New members submit at most {NEW_MEMBER_IDEAS_PER_DAY} ideas a day; "
                                 "try again tomorrow.", field_name)


_SCREEN_NOTES = "moderation.screen_notes"


def screen(user, kind, text, link_count, edit=False):
    """Answer contribution_screening: raise to block, "pending" to queue, ("flag", why) to flag.

    An edit is checked for links and watched words, not for the pace of new posts."""
    field_name = "description" if kind == "idea" else "body"
    check_trust_limits(user, kind, link_count, field_name, edit=edit)
    found = match_watched_words(text)
    if not found:
        return None
    word = found[0]
    if word.action == "block":
        raise ChallengeError(word.message or f"“{word.pattern}” is not allowed here; rephrase and try again.",
                             field_name)
    note = f"Watched word “{word.pattern}”"
    if word.action == "queue":
        db.session.info.setdefault(_SCREEN_NOTES, []).append(note)
        return "pending"
    return ("flag", note)


def after_submission(kind, item_id, status, flags):
    """A contribution was saved: queue it if it waits or was flagged by a watched word."""
    item = load_item(kind, item_id)
    notes = db.session.info.pop(_SCREEN_NOTES, [])
    if status == "pending":
        if notes:
            open_case(item, "watched", "; ".join(notes))
            log(None, "auto_hold", item=item, note="; ".join(notes), after=item.snapshot())
        else:
            open_case(item, "pending")
    elif flags:
        open_case(item, "watched", "; ".join(flags))
        log(None, "auto_flag", item=item, note="; ".join(flags), after=item.snapshot())


def after_edit(kind, item_id, held, flags):
    """An edited contribution that screening would hold or flag goes (back) to the queue."""
    notes = db.session.info.pop(_SCREEN_NOTES, []) + list(flags)
    if not (held or notes):
        return
    item = load_item(kind, item_id)
    note = "; ".join(notes) or "Edited after approval"
    open_case(item, "watched", f"Edited: {note}")
    log(None, "auto_flag", item=item, note=f"Edited: {note}", after=item.snapshot())


def queue_vote_anomaly(idea_id, note):
    found = load_item("idea", idea_id)
    if found is not None:
        case = open_case(found, "vote_anomaly", note)
        if case.reason not in ("pending", "appeal"):
            case.reason = "vote_anomaly"
        log(None, "vote_anomaly", item=found, note=note)


def close_cases_of(kind, item_id, decision):
    """The author withdrew or deleted the item: nothing is left to decide."""
    db.session.execute(
        update(ModerationCase)
        .where(ModerationCase.item_kind == kind, ModerationCase.item_id == item_id, ModerationCase.decided_at.is_(None))
        .values(decided_at=clock.now(), decision=decision).execution_options(synchronize_session=False)
    )


# Reading the queue


@dataclass
class QueueEntry:
    case: ModerationCase
    item: object
    idea: Idea
    flags: list = field(default_factory=list)
    history: dict = field(default_factory=dict)
    appeal: Appeal | None = None

    @property
    def kind(self):
        return self.case.item_kind


@dataclass
class QueuePage:
    entries: list
    total: int
    page: int
    size: int = QUEUE_PAGE_SIZE

    @property
    def pages(self):
        return max(1, -(-self.total // self.size))

    @property
    def has_next(self):
        return self.page < self.pages


def _queue_query(viewer, kind=None, reason=None, challenge_id=None):
    query = select(ModerationCase).where(ModerationCase.decided_at.is_(None))
    if not permissions.is_site_moderator(viewer):
        query = query.join(Challenge, Challenge.id == ModerationCase.challenge_id).where(
            permissions.moderated_challenges_clause(viewer))
    if kind in ITEM_KINDS:
        query = query.where(ModerationCase.item_kind == kind)
    if reason:
        query = query.where(ModerationCase.reason == reason)
    if challenge_id:
        query = query.where(ModerationCase.challenge_id == challenge_id)
    return query


def queue_size(viewer):
    return db.session.scalar(
        select(func.count()).select_from(_queue_query(viewer).with_only_columns(ModerationCase.id).subquery())
    )


def queue_page(viewer, *, kind=None, reason=None, challenge_id=None, sort="oldest", page=1):
    """One page of the queue with everything a decision needs, in a fixed number of queries."""
    query = _queue_query(viewer, kind, reason, challenge_id)
    total = db.session.scalar(select(func.count()).select_from(query.with_only_columns(ModerationCase.id).subquery()))
    order = {
        "oldest": (ModerationCase.opened_at.asc(), ModerationCase.id.asc()),
        "newest": (ModerationCase.opened_at.desc(), ModerationCase.id.desc()),
        "flags": (ModerationCase.flag_count.desc(), ModerationCase.opened_at.asc(), ModerationCase.id.asc()),
    }.get(sort) or (ModerationCase.opened_at.asc(), ModerationCase.id.asc())
    page = max(1, page)
    cases = list(db.session.scalars(
        query.options(joinedload(ModerationCase.author)).order_by(*order)
        .limit(QUEUE_PAGE_SIZE).offset((page - 1) * QUEUE_PAGE_SIZE)
    ))
    return QueuePage(hydrate(cases), total, page)


def hydrate(cases):
    """Load the items, flags, appeals and author histories of these cases."""
    idea_ids = [c.item_id for c in cases if c.item_kind == "idea"]
    comment_ids = [c.item_id for c in cases if c.item_kind == "comment"]
    ideas = {i.id: i for i in db.session.scalars(
        select(Idea).options(joinedload(Idea.challenge), selectinload(Idea.tags)).where(Idea.id.in_(idea_ids)))}
    comments = {row[0].id: row for row in db.session.execute(
        select(Comment, Idea).join(Idea, Idea.id == Comment.idea_id).options(joinedload(Idea.challenge))
        .where(Comment.id.in_(comment_ids)))}
    flags = {}
    for flag in db.session.scalars(
        select(Flag).options(joinedload(Flag.user)).where(or_(
            and_(Flag.item_kind == "idea", Flag.item_id.in_(idea_ids)),
            and_(Flag.item_kind == "comment", Flag.item_id.in_(comment_ids)),
        )).order_by(Flag.created_at)
    ):
        flags.setdefault((flag.item_kind, flag.item_id), []).append(flag)
    appeals = {a.id: a for a in db.session.scalars(
        select(Appeal).where(Appeal.id.in_([c.appeal_id for c in cases if c.appeal_id])))}
    histories = author_histories({c.author_id for c in cases})
    entries = []
    for case in cases:
        if case.item_kind == "idea":
            item = idea = ideas.get(case.item_id)
        else:
            item, idea = comments.get(case.item_id, (None, None))
        if item is None:
            continue
        entries.append(QueueEntry(case, item, idea, flags.get((case.item_kind, case.item_id), []),
                                  histories.get(case.author_id, {}), appeals.get(case.appeal_id)))
    return entries


def author_histories(user_ids):
    """Per author: how many of their items moderators approved and rejected, and suspensions."""
    histories = {uid: {"approve": 0, "reject": 0, "suspend": 0} for uid in user_ids}
    rows = db.session.execute(
        select(AuditEntry.subject_id, AuditEntry.action, func.count())
        .where(AuditEntry.subject_id.in_(list(user_ids)),
               AuditEntry.action.in_(("approve", "grant_appeal", "reject", "uphold", "suspend")))
        .group_by(AuditEntry.subject_id, AuditEntry.action)
    )
    folded = {"grant_appeal": "approve", "uphold": "reject"}
    for subject_id, action, count in rows:
        histories[subject_id][folded.get(action, action)] += count
    return histories


def queue_entry(case_id):
    case = db.session.scalar(
        select(ModerationCase).options(joinedload(ModerationCase.author), joinedload(ModerationCase.decided_by))
        .where(ModerationCase.id == case_id))
    entries = hydrate([case]) if case else []
    return entries[0] if entries else None


def item_trail(item):
    return list(db.session.scalars(
        select(AuditEntry).options(joinedload(AuditEntry.actor))
        .where(AuditEntry.item_kind == item.kind, AuditEntry.item_id == item.id)
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    ))


def item_flags(item):
    return list(db.session.scalars(
        select(Flag).options(joinedload(Flag.user))
        .where(Flag.item_kind == item.kind, Flag.item_id == item.id).order_by(Flag.created_at)))


def moderated_challenges(viewer):
    return list(db.session.execute(
        select(Challenge.id, Challenge.title).where(permissions.moderated_challenges_clause(viewer))
        .order_by(Challenge.title)))


# The log


@dataclass
class LogFilters:
    moderator: str = ""
    member: str = ""
    challenge: str = ""
    action: str = ""


def _log_query(viewer, filters):
    from app.auth.services import username_key

    actor = db.aliased(User)
    subject = db.aliased(User)
    query = (
        select(AuditEntry)
        .outerjoin(Challenge, Challenge.id == AuditEntry.challenge_id)
        .outerjoin(actor, actor.id == AuditEntry.actor_id)
        .outerjoin(subject, subject.id == AuditEntry.subject_id)
        .options(joinedload(AuditEntry.actor), joinedload(AuditEntry.subject))
    )
    if not permissions.is_site_moderator(viewer):
        query = query.where(AuditEntry.challenge_id.is_not(None), permissions.moderated_challenges_clause(viewer))
    if filters.moderator:
        query = query.where(actor.username_key == username_key(filters.moderator))
    if filters.member:
        query = query.where(subject.username_key == username_key(filters.member))
    if filters.challenge:
        # The log's select sends the challenge's id; links and older bookmarks may send its slug.
        by_slug = Challenge.slug == filters.challenge
        query = query.where(or_(by_slug, Challenge.id == int(filters.challenge))
                            if filters.challenge.isdecimal() and len(filters.challenge) < 10 else by_slug)
    if filters.action:
        query = query.where(AuditEntry.action == filters.action)
    return query.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())


def log_page(viewer, filters, page=1):
    return db.paginate(_log_query(viewer, filters), page=max(1, page), per_page=LOG_PAGE_SIZE, error_out=False,
                       count=True)


def log_rows(viewer, filters):
    """Every matching entry, streamed, for the CSV export."""
    return db.session.scalars(_log_query(viewer, filters).execution_options(yield_per=500))


FIGURES_TTL = 60  # seconds: figures for people, not for machines
_figures_cache = {}


def figures(viewer, now=None):
    """Queue size, and the median time from queueing to decision over 7 and 30 days.

    The medians are kept a minute per scope (site-wide, or a set of challenges)."""
    now = now or clock.now()
    scope = "site" if permissions.is_site_moderator(viewer) else f"user:{viewer.id}"
    cached = _figures_cache.get(scope)
    if cached is None or not (0 <= (now - cached[0]).total_seconds() < FIGURES_TTL):
        cached = (now, {days: _median_wait(viewer, now - timedelta(days=days)) for days in (7, 30)})
        _figures_cache[scope] = cached
    medians = cached[1]
    return {
        "queue": queue_size(viewer),
        "median_7": medians[7][0], "decided_7": medians[7][1],
        "median_30": medians[30][0], "decided_30": medians[30][1],
    }


def _median_wait(viewer, since):
    query = select(AuditEntry.wait_seconds).where(AuditEntry.created_at >= since,
                                                  AuditEntry.wait_seconds.is_not(None))
    if not permissions.is_site_moderator(viewer):
        query = query.join(Challenge, Challenge.id == AuditEntry.challenge_id).where(
            permissions.moderated_challenges_clause(viewer))
    count = db.session.scalar(select(func.count()).select_from(query.subquery()))
    if not count:
        return None, 0
    middle = list(db.session.scalars(
        query.order_by(AuditEntry.wait_seconds).offset((count - 1) // 2).limit(2 - count % 2)))
    return statistics.median(middle), count


def member_history(member, limit=50):
    return list(db.session.scalars(
        select(AuditEntry).options(joinedload(AuditEntry.actor))
        .where(AuditEntry.subject_id == member.id).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        .limit(limit)))


def decisions_about(member, limit=50):
    """What the member sees about themselves: decisions on their items and sanctions."""
    return list(db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.subject_id == member.id, AuditEntry.action.in_(
            ("approve", "reject", "hide", "restore", "merge", "unmerge", "grant_appeal", "uphold", "suspend",
             "unsuspend", "auto_hide", "auto_hold")))
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc()).limit(limit)))


def appealed_items(member):
    return {(a.item_kind, a.item_id) for a in db.session.scalars(select(Appeal).where(Appeal.author_id == member.id))}
