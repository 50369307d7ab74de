"""The notification centre: a member's notifications, newest first, grouped per idea; reading them."""
from dataclasses import dataclass, field

from sqlalchemy import func, select, update

from app import clock
from app.auth.models import User
from app.extensions import db
from challenges.models import Idea
from notifications.models import Notification

PER_PAGE = 30
MAX_PAGE = 1000


@dataclass
class Group:
    idea_id: int | None
    idea_title: str | None
    items: list = field(default_factory=list)

    @property
    def unread(self):
        return sum(1 for item in self.items if item.is_unread)

    @property
    def newest(self):
        return self.items[0]


@dataclass
class CentrePage:
    groups: list
    page: int
    has_next: bool


def centre_page(user, page=1):
    """One page of PER_PAGE notifications, grouped per idea. Two queries."""
    page = max(1, min(page, MAX_PAGE))
    rows = db.session.execute(
        select(Notification, Idea.title)
        .outerjoin(Idea, Idea.id == Notification.idea_id)
        .where(Notification.user_id == user.id)
        .order_by(Notification.id.desc())
        .offset((page - 1) * PER_PAGE).limit(PER_PAGE + 1)
    ).all()
    has_next = len(rows) > PER_PAGE
    groups, index = [], {}
    for notification, title in rows[:PER_PAGE]:
        if notification.idea_id and notification.idea_id in index:
            groups[index[notification.idea_id]].items.append(notification)
            continue
        if notification.idea_id:
            index[notification.idea_id] = len(groups)
        groups.append(Group(notification.idea_id, title, [notification]))
    return CentrePage(groups, page, has_next)


def mark_read(user, notification):
    """Idempotent: a second click changes nothing."""
    if notification.user_id != user.id or notification.read_at is not None:
        return False
    done = db.session.execute(
        update(Notification).where(Notification.id == notification.id, Notification.read_at.is_(None))
        .values(read_at=clock.now()).execution_options(synchronize_session=False)
    ).rowcount
    if done:
        db.session.execute(
            update(User).where(User.id == user.id, User.unread_notifications > 0)
            .values(unread_notifications=User.unread_notifications - 1).execution_options(synchronize_session=False)
        )
    db.session.expire(notification)
    return bool(done)


def mark_group_read(user, idea_id):
    """Every unread notification about one idea."""
    return _mark(user, Notification.idea_id == idea_id)


def mark_all_read(user):
    return _mark(user, True)


def _mark(user, condition):
    done = db.session.execute(
        update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None), condition)
        .values(read_at=clock.now()).execution_options(synchronize_session=False)
    ).rowcount
    if done:
        db.session.execute(
            update(User).where(User.id == user.id)
            .values(unread_notifications=func.max(0, User.unread_notifications - done)
                    if db.session.get_bind().dialect.name == "sqlite"
                    else func.greatest(0, User.unread_notifications - done))
            .execution_options(synchronize_session=False)
        )
    return done


def recount_unread(user_id):
    """The stored count from the rows (repair, and a check for tests)."""
    count = db.session.scalar(select(func.count()).select_from(Notification)
                              .where(Notification.user_id == user_id, Notification.read_at.is_(None)))
    db.session.execute(update(User).where(User.id == user_id).values(unread_notifications=count)
                       .execution_options(synchronize_session=False))
    return count
