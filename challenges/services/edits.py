"""Edits of approved ideas and comments that wait for a moderator (issue 14, item 7).

Under "pre-moderate everything", for members still inside their first
contributions, and when a watched word asks for the queue, an edit of an
idea or comment that is already public does not replace its text: it is
kept beside it as a PendingEdit. The item's row keeps the approved text,
so pages, lists, counts, feeds and the search index show that version
until a moderator approves the edit (apply_pending_edit) or rejects it
(discard_pending_edit).
"""
from sqlalchemy import delete, select, update

from app import clock, permissions
from app.extensions import db, insert_if_absent
from challenges.models import PendingEdit
from challenges.services.screening import needs_premoderation


def edit_is_held(editor, challenge, approved, held, kind, item_id):
    """An edit of an approved item waits when its author is pre-moderated here, screening holds it, or an
    earlier edit of it is still waiting (the new one replaces it: a live edit would leave the older
    waiting text to be approved over it).

    An item that is itself still waiting (never approved) is simply edited:
    nobody but its author and moderators sees it yet."""
    return approved and (held or needs_premoderation(editor, challenge) or pending_edit_of(kind, item_id) is not None)


def hold_edit(editor, kind, item_id, challenge_id, **fields):
    """Keep the edit beside the approved item; a second edit replaces the waiting one (no pile-up)."""
    now = clock.now()
    inserted = insert_if_absent(PendingEdit, item_kind=kind, item_id=item_id, challenge_id=challenge_id,
                                author_id=editor.id, version=1, created_at=now, updated_at=now, **fields)
    if not inserted:
        # The version tells a moderator's form that the text changed since they read it.
        replaced = db.session.execute(
            update(PendingEdit).where(PendingEdit.item_kind == kind, PendingEdit.item_id == item_id)
            .values(version=PendingEdit.version + 1, updated_at=now, **fields)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not replaced:  # a moderator decided the waiting edit between the two statements: this one is new
            insert_if_absent(PendingEdit, item_kind=kind, item_id=item_id, challenge_id=challenge_id,
                             author_id=editor.id, version=1, created_at=now, updated_at=now, **fields)
    pending = pending_edit_of(kind, item_id)
    db.session.refresh(pending)
    return pending


def pending_edit_of(kind, item_id):
    return db.session.scalar(select(PendingEdit).where(PendingEdit.item_kind == kind, PendingEdit.item_id == item_id))


def pending_edit_for(viewer, kind, item, challenge_id):
    """The waiting edit of an item when the viewer may see it (its author, its moderators); else None.

    Whoever may not see it costs no query."""
    if not permissions.can_see_pending_edit(viewer, item.author_id, challenge_id):
        return None
    return pending_edit_of(kind, item.id)


def own_pending_edits(viewer, kind, items):
    """The viewer's own waiting edits among these items, by item id, in one query (none when they wrote none)."""
    if not permissions.is_signed_in(viewer):
        return {}
    ids = [item.id for item in items if item.author_id == viewer.id]
    if not ids:
        return {}
    return {pending.item_id: pending for pending in db.session.scalars(
        select(PendingEdit).where(PendingEdit.item_kind == kind, PendingEdit.item_id.in_(ids),
                                  PendingEdit.author_id == viewer.id))}


def take_pending_edit(pending):
    """Remove the waiting edit as a moderator decides it: True when this call took it.

    A conditional DELETE on the version the moderator read is the lock: a
    second moderator, or an edit replaced meanwhile, matches no row."""
    return bool(db.session.execute(
        delete(PendingEdit).where(PendingEdit.id == pending.id, PendingEdit.version == pending.version)
        .execution_options(synchronize_session=False)
    ).rowcount)


def discard_pending_edits_of(kind, item_id):
    """The item left public view (hidden, rejected, withdrawn, deleted): its waiting edit goes with it."""
    db.session.execute(
        delete(PendingEdit).where(PendingEdit.item_kind == kind, PendingEdit.item_id == item_id)
        .execution_options(synchronize_session=False)
    )
