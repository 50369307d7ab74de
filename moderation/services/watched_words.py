"""Watched words: the list moderators keep, and matching a text against it."""
import re

from sqlalchemy import select

from app import clock, permissions
from app.extensions import db
from moderation.models import WATCH_ACTIONS, WatchedWord
from moderation.services.audit import log
from moderation.services.errors import ModerationError


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
