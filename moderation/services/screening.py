"""Trust and screening: limits on new members, and the answer to contribution_screening before a save."""
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from app import clock, permissions
from app.auth.models import User
from app.extensions import db
from app.limits import NEW_MEMBER_AGE, NEW_MEMBER_IDEAS_PER_DAY, NEW_MEMBER_LINKS
from app.text import plural
from challenges.models import Comment, Idea
from challenges.services import screening as challenge_screening
from challenges.services.errors import ChallengeError
from moderation.services.audit import log
from moderation.services.items import load_item
from moderation.services.queue import open_case
from moderation.services.watched_words import match_watched_words

NEW_MEMBER_INTERVAL = timedelta(seconds=30)


def is_newcomer(user):
    """Joined less than a week ago, or fewer than 3 published contributions."""
    if clock.now() - clock.aware(user.created_at) < NEW_MEMBER_AGE:
        return True
    return challenge_screening.published_contributions(user) < challenge_screening.TRUSTED_AFTER


def check_trust_limits(user, kind, link_count, field_name, edit=False, paced=False):
    """New members: few links; when `paced` (the site asks for it), not too fast and not too many ideas a day."""
    if permissions.is_site_moderator(user) or not is_newcomer(user):
        return
    if link_count > NEW_MEMBER_LINKS:
        raise ChallengeError(f"New members may include at most {NEW_MEMBER_LINKS} links per contribution "
                             f"(this one has {link_count}).", field_name)
    if edit or not paced:
        return  # pace limits guard the site against floods of new posts; scripts and demo seeding may skip them
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


def screen(user, kind, text, link_count, edit=False, paced=False):
    """Answer contribution_screening: raise to block, "pending" to queue, ("flag", why) to flag.

    An edit is checked for links and watched words, not for the pace of new posts."""
    field_name = "description" if kind == "idea" else "body"
    check_trust_limits(user, kind, link_count, field_name, edit=edit, paced=paced)
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


def after_edit(kind, item_id, held, flags, editor_id=None, before=None, after=None, pending_edit=False):
    """Every edit by a member lands in the audit log (what it said before and after).

    An edit that waits for a moderator (a pending edit: the approved text
    stays public) opens an "edit" case; an edit that went live but that
    screening would hold or flag goes (back) to the queue."""
    notes = db.session.info.pop(_SCREEN_NOTES, []) + list(flags)
    item = load_item(kind, item_id)
    editor = db.session.get(User, editor_id) if editor_id is not None else None
    if pending_edit:
        note = "; ".join(notes)
        open_case(item, "edit", f"Edit waiting: {note}" if note else "")
        log(editor, "edit_held", item=item, note=note, before=before, after=after)
        return
    if editor is not None:
        log(editor, "edit", item=item, before=before, after=after)
    if not (held or notes):
        return
    note = "; ".join(notes) or "Edited after approval"
    open_case(item, "watched", f"Edited: {note}")
    log(None, "auto_flag", item=item, note=f"Edited: {note}", after=item.snapshot())
