"""Words that agree with their numbers ("1 follower", "2 followers"), plain text from rendered HTML, word diffs."""
import re
from difflib import SequenceMatcher
from html import unescape


def plural(count, singular, plural_form=None):
    """`count` and the noun that agrees with it, e.g. plural(3, "idea") -> "3 ideas"."""
    word = singular if count == 1 else (plural_form or singular + "s")
    return f"{count:,} {word}"


def plural_word(count, singular, plural_form=None):
    """Only the noun, for sentences that place the number themselves."""
    return singular if count == 1 else (plural_form or singular + "s")


_TAGS = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")
_CUT_OFF = re.compile(r"(<[^>]*|&#?\w*)$")


def plain_text(html):
    """What a reader sees of rendered (already sanitised) HTML: no tags, no raw **Markdown**."""
    html = _CUT_OFF.sub("", html or "")  # the start of a longer text may end inside a tag or an entity
    return _SPACE.sub(" ", unescape(_TAGS.sub(" ", html))).strip()


def snippet(html, length=180):
    """The first words of rendered HTML, cut at a word boundary."""
    text = plain_text(html)
    if len(text) <= length:
        return text
    return text[:length].rsplit(" ", 1)[0].rstrip(",;:.") + "…"


_WORDS = re.compile(r"(\s+)")
# SequenceMatcher is quadratic in the worst case (a 10,000-character text of a few repeated words took
# seconds): past this many differing words the change is shown as the old part removed, the new added.
DIFF_WORD_BUDGET = 1_500


def word_diff(before, after):
    """What changed from `before` to `after`, word by word: a list of ("same" | "removed" | "added", text).

    The unchanged start and end are found first (linear); only the middle is
    compared word by word, and only when it is small enough."""
    old, new = _WORDS.split(before or ""), _WORDS.split(after or "")
    start = 0
    while start < min(len(old), len(new)) and old[start] == new[start]:
        start += 1
    end = 0
    while end < min(len(old), len(new)) - start and old[-1 - end] == new[-1 - end]:
        end += 1
    old_mid, new_mid = old[start:len(old) - end], new[start:len(new) - end]
    pieces = [("same", "".join(old[:start]))] if start else []
    if len(old_mid) + len(new_mid) > DIFF_WORD_BUDGET:
        pieces += [("removed", "".join(old_mid))] if old_mid else []
        pieces += [("added", "".join(new_mid))] if new_mid else []
    else:
        for op, i1, i2, j1, j2 in SequenceMatcher(None, old_mid, new_mid, autojunk=False).get_opcodes():
            if op == "equal":
                pieces.append(("same", "".join(old_mid[i1:i2])))
                continue
            if i2 > i1:
                pieces.append(("removed", "".join(old_mid[i1:i2])))
            if j2 > j1:
                pieces.append(("added", "".join(new_mid[j1:j2])))
    if end:
        pieces.append(("same", "".join(old[len(old) - end:])))
    return pieces
