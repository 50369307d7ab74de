"""Watched words: the list admins keep, and matching a text against it.

Patterns run on the `regex` engine with a time limit: a pattern that
backtracks catastrophically, such as `(a|aa)+$`, cannot stall a member's
post and every other page. A new pattern must pass test matches on
texts built to make such patterns explode; a text that still times out
goes to the moderation queue (a person decides) rather than being blocked.
"""
import logging
from collections import namedtuple
from functools import lru_cache

import regex
from sqlalchemy import select

from app import clock, permissions
from app.extensions import db
from moderation.models import WATCH_ACTIONS, WatchedWord
from moderation.services.audit import log
from moderation.services.errors import ModerationError


def add_watched_word(actor, pattern, action, is_regex=False, message=""):
    permissions.require(permissions.can_edit_watched_words(actor))
    pattern = (pattern or "").strip()
    if not pattern:
        raise ModerationError("Enter a word or a pattern.", "pattern")
    if len(pattern) > 200:
        raise ModerationError("Keep it under 200 characters.", "pattern")
    if action not in WATCH_ACTIONS:
        raise ModerationError("Choose what happens to a post that contains it.", "action")
    if is_regex:
        try:
            compiled = _compile(pattern, True)
        except regex.error as error:
            raise ModerationError(f"That is not a valid pattern: {error}.", "pattern") from error
        if not _fast_enough(compiled):
            raise ModerationError("That pattern takes too long on some texts (it backtracks); "
                                  "simplify it, for instance without nested repetition like (a+)+.", "pattern")
    if db.session.scalar(select(WatchedWord.id).where(WatchedWord.pattern == pattern)):
        raise ModerationError("That word is already watched.", "pattern")
    word = WatchedWord(pattern=pattern, is_regex=is_regex, action=action, message=(message or "").strip()[:300],
                       created_by_id=actor.id, created_at=clock.now())
    db.session.add(word)
    db.session.flush()
    log(actor, "watch_word", note=pattern, after={"pattern": pattern, "action": action, "regex": is_regex})
    return word


def remove_watched_word(actor, word):
    permissions.require(permissions.can_edit_watched_words(actor))
    log(actor, "unwatch_word", note=word.pattern,
        before={"pattern": word.pattern, "action": word.action, "regex": word.is_regex})
    db.session.delete(word)
    db.session.flush()


def watched_words():
    return list(db.session.scalars(select(WatchedWord).order_by(WatchedWord.action, WatchedWord.pattern)))


log_ = logging.getLogger(__name__)
MATCH_SECONDS = 0.05  # per pattern and text
# Texts that make backtracking patterns explode: long runs of one character, then a mismatch.
_PROBES = tuple(run * 40 + end for run in ("a", "ab", "1", " ", "é", "x y") for end in ("!", "\n", ""))
Hit = namedtuple("Hit", "pattern action message")


@lru_cache(maxsize=512)
def _compile(pattern, is_regex):
    source = pattern if is_regex else rf"(?<!\w){regex.escape(pattern)}(?!\w)"
    return regex.compile(source, regex.IGNORECASE | regex.VERSION0)


def _fast_enough(compiled):
    try:
        for probe in _PROBES:
            compiled.search(probe, timeout=MATCH_SECONDS)
    except TimeoutError:
        return False
    return True


def match_watched_words(text):
    """The watched words found in the text, most severe action first.

    A pattern that runs out of time on this text counts as a hit that sends
    the text to the queue, whatever its own action.
    """
    order = {"block": 0, "queue": 1, "flag": 2}
    hits = []
    for word in watched_words():
        try:
            if _compile(word.pattern, word.is_regex).search(text or "", timeout=MATCH_SECONDS):
                hits.append(Hit(word.pattern, word.action, word.message))
        except TimeoutError:
            log_.warning("watched pattern %r ran out of time; the text goes to the queue", word.pattern)
            hits.append(Hit(word.pattern, "queue", ""))
    return sorted(hits, key=lambda hit: order[hit.action])
