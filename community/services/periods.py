"""The dashboards' periods: last 7, 30, 90 days, all time, or a custom range of at most two years."""
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

from app.extensions import db
from community.models import SITE, DailyRollup
from community.services.days import today

MAX_RANGE_DAYS = 731  # a custom period covers at most two years
PERIOD_CHOICES = {"7": "Last 7 days", "30": "Last 30 days", "90": "Last 90 days", "all": "All time",
                  "custom": "Custom range"}


@dataclass(frozen=True)
class Period:
    key: str
    start: date
    end: date

    @property
    def days(self):
        return (self.end - self.start).days + 1

    def previous(self):
        return Period(self.key, self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    @property
    def label(self):
        if self.key in ("7", "30", "90"):
            return PERIOD_CHOICES[self.key]
        return f"{self.start.isoformat()} to {self.end.isoformat()}"


def first_day(scope_id):
    return db.session.scalar(select(func.min(DailyRollup.day)).where(DailyRollup.scope_id == scope_id))


def make_period(key, start=None, end=None, scope_id=SITE):
    """A Period from validated input (the form checked custom ranges)."""
    now = today()
    if key in ("7", "30", "90"):
        return Period(key, now - timedelta(days=int(key) - 1), now)
    if key == "custom":
        return Period(key, start, end)
    return Period("all", min(first_day(scope_id) or now, now), now)


def period_problem(start, end):
    """Why a custom range is refused, as (field, message), or None."""
    if start is None:
        return "start", "Enter a start date (YYYY-MM-DD)."
    if end is None:
        return "end", "Enter an end date (YYYY-MM-DD)."
    if end > today():
        return "end", "The end date cannot be in the future."
    if start > end:
        return "start", "The start date must be on or before the end date."
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        return "start", "Choose a range of at most 2 years."
    return None
