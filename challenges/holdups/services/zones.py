"""Time zones: IANA names through zoneinfo; every page shows times in the viewer's zone."""
from datetime import UTC, datetime
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy import select

from app.extensions import db
from challenges.holdups.models import MemberTimeZone
from challenges.holdups.services.common import HoldupError


@cache
def zone_names():
    return tuple(sorted(name for name in available_timezones() if "/" in name or name == "UTC"))


def valid_zone(name):
    return bool(name) and len(name) <= 64 and name in zone_names()


def zone(name):
    try:
        return ZoneInfo(name) if valid_zone(name) else UTC
    except ZoneInfoNotFoundError:
        return UTC


def to_utc(day, at, zone_name):
    """A wall-clock date and time in `zone_name`, as a UTC moment."""
    if not valid_zone(zone_name):
        raise HoldupError("Choose a time zone from the list (for example Europe/Paris).", "time_zone")
    try:
        return datetime.combine(day, at, tzinfo=ZoneInfo(zone_name)).astimezone(UTC)
    except (OverflowError, ValueError):  # a date at the calendar's edge (9999-12-31 late in a western zone)
        raise HoldupError("Choose a real date, in the coming years.", "day") from None


def member_zones(user_ids):
    """{user_id: zone name} for the members who chose one (one query)."""
    if not user_ids:
        return {}
    return dict(db.session.execute(select(MemberTimeZone.user_id, MemberTimeZone.time_zone)
                                   .where(MemberTimeZone.user_id.in_(list(user_ids)))).all())


def plain_time(moment, zone_name):
    """A UTC moment as wall-clock text in `zone_name`, the zone named (e-mails, notifications)."""
    name = zone_name if valid_zone(zone_name) else "UTC"
    return f"{moment.astimezone(zone(name)):%a %d %b %Y, %H:%M} ({name})"


def member_zone(user):
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    row = db.session.get(MemberTimeZone, user.id)
    return row.time_zone if row else None


def set_viewer_zone(user, name):
    if not getattr(user, "is_authenticated", False):
        raise PermissionError("Log in to choose your time zone.")
    if not valid_zone(name):
        raise HoldupError("Choose a time zone from the list (for example Europe/Paris).", "time_zone")
    row = db.session.get(MemberTimeZone, user.id)
    if row is None:
        db.session.add(MemberTimeZone(user_id=user.id, time_zone=name))
    else:
        row.time_zone = name
    db.session.flush()


def viewer_zone_name(user, browser_zone=None):
    """The profile setting, else the zone the browser reported (JavaScript), else UTC."""
    return member_zone(user) or (browser_zone if valid_zone(browser_zone) else None) or "UTC"
