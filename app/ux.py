"""Template helpers every page shares: pluralisation, avatars, snippets (issue 15)."""
import re
import unicodedata
from functools import lru_cache

from markupsafe import Markup

from app.text import plural, plural_word, snippet

AVATAR_COLOURS = 8  # .avatar-0 … .avatar-7 in ux.css, each dark enough for white initials


def user_initials(user):
    """Up to two letters from the display name ("Léa Bénévole" -> "LB"), else the username."""
    return _initials(getattr(user, "name", None) or getattr(user, "username", "") or "?")


@lru_cache(maxsize=4096)  # every avatar on a page asks, most of them for names seen before (issue 13)
def _initials(name):
    name = name.strip()
    words = [w for w in re.split(r"[\s._-]+", name) if w]
    letters = "".join(w[0] for w in words[:2]) if len(words) > 1 else name[:1]
    return unicodedata.normalize("NFC", letters).upper() or "?"


def number(count):
    """A count with thousands separators ("31,301"), for templates."""
    return f"{count:,}"


def user_hue(user):
    return (getattr(user, "id", 0) or 0) % AVATAR_COLOURS


def configure_ux(app):
    app.jinja_env.filters["plural"] = plural
    app.jinja_env.filters["plural_word"] = plural_word
    # A card's first lines, remembered by the card's HTML: lists show the same ideas again and again, and three
    # regular expressions over 600 characters were a tenth of a list's CPU (issue 13).
    app.jinja_env.filters["snippet"] = lru_cache(maxsize=2048)(snippet)
    app.jinja_env.filters["number"] = number
    # Filters as well as globals: Jinja calls a filter directly, a global through Context.call (issue 13).
    app.jinja_env.filters["user_initials"] = app.jinja_env.globals["user_initials"] = user_initials
    app.jinja_env.filters["user_hue"] = app.jinja_env.globals["user_hue"] = user_hue
    app.jinja_env.globals["Markup"] = Markup
