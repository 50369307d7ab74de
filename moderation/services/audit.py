"""The audit log: one entry per action, its labels, the filtered log pages and CSV rows, a member's history."""
import json
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from app import clock, permissions
from app.auth.models import User
from app.extensions import db
from app.limits import LOG_PAGE_SIZE
from challenges.models import Challenge
from moderation.models import AuditEntry

ACTION_LABELS = {
    "approve": "Approved",
    "reject": "Rejected",
    "hide": "Hidden",
    "restore": "Restored",
    "dismiss": "Flags dismissed",
    "lock": "Comments locked",
    "unlock": "Comments unlocked",
    "tags": "Tags edited",
    "edit": "Edited by its author",
    "edit_held": "Edit sent to the queue",
    "approve_edit": "Edit approved",
    "reject_edit": "Edit rejected",
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
             "unsuspend", "auto_hide", "auto_hold", "approve_edit", "reject_edit")))
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc()).limit(limit)))
