"""Tags shared by members (skills, interests), challenges and ideas."""
import re
import unicodedata

from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db, insert_if_absent
from app.limits import TAG_MAX_LENGTH

_TAG_PATTERN = re.compile(r"^[\w][\w +#.&-]*$")


class Tag(db.Model):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(TAG_MAX_LENGTH), unique=True)

    def __str__(self):
        return self.name


class TagError(ValueError):
    pass


def parse_tags(text, limit):
    """Split comma-separated input into clean, unique, lower-case tag names."""
    from app.forms import INVISIBLE_MESSAGE, unprintable

    if unprintable(text or "", multiline=False):
        # Checked before splitting: NEL (\x85) and U+2028 would otherwise pass as spaces.
        raise TagError(INVISIBLE_MESSAGE)
    names = []
    for raw in (text or "").split(","):
        name = " ".join(unicodedata.normalize("NFKC", raw).split()).lower()
        if not name:
            continue
        if len(name) > TAG_MAX_LENGTH:
            raise TagError(f"“{name[:20]}…” is longer than {TAG_MAX_LENGTH} characters.")
        if not _TAG_PATTERN.match(name):
            raise TagError(f"“{name}” may only use letters, digits, spaces and + # . & -")
        if name not in names:
            names.append(name)
    if len(names) > limit:
        raise TagError(f"Use at most {limit} tags.")
    return names


def tags_named(names):
    """The Tag rows for `names`, created where missing, in the given order.

    Missing names are inserted if still absent, so two requests creating the
    same new tag at once both succeed with the one row.
    """
    if not names:
        return []
    existing = set(db.session.scalars(select(Tag.name).where(Tag.name.in_(names))))
    for name in names:
        if name not in existing:
            insert_if_absent(Tag, name=name)
    rows = {t.name: t for t in db.session.scalars(select(Tag).where(Tag.name.in_(names)))}
    return [rows[name] for name in names]
