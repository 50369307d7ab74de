"""Figures that do not depend on the period (cohorts, alumni, all-time shares and medians), per scope.

The job writes them as one JSON row per scope (ScopeSummary); the dashboards and the plan read that row.
"""
import json
import statistics
from collections import defaultdict

from sqlalchemy import and_, case, delete, func, insert, select
from sqlalchemy.orm import aliased

from app import clock
from app.extensions import db
from challenges.models import Challenge
from community.models import SITE, IdeaFact, MemberFirst, MemberMonth, ScopeSummary
from community.services.days import core, month_of, next_month, today


def recompute_summaries():
    challenges = db.session.execute(select(Challenge.id, Challenge.published_at, Challenge.results_at)
                                    .where(Challenge.phase != "draft")).all()
    scopes = [SITE] + [c.id for c in challenges]
    alumni = alumni_counts(challenges)
    shares = first_time_shares()
    medians = response_medians()
    db.session.execute(delete(ScopeSummary))
    now = clock.now()
    rows = [{"scope_id": scope_id, "computed_at": now,
             "data": json.dumps({"cohorts": cohorts(scope_id), "alumni": alumni.get(scope_id, 0),
                                 "first_time_share": shares.get(scope_id), "response_median_s": medians.get(scope_id)})}
            for scope_id in scopes]
    db.session.execute(insert(ScopeSummary), rows)


def first_time_shares():
    """Per scope, all time: the share of contributions made by members whose first contribution on
    Kindling came on or after the scope's first day (for the plan's first-time target)."""
    scope_start = (select(MemberFirst.scope_id, func.min(MemberFirst.first_day).label("start"))
                   .group_by(MemberFirst.scope_id).subquery())
    site_first = aliased(MemberFirst)
    amount = MemberMonth.ideas + MemberMonth.comments + MemberMonth.supports
    rows = db.session.execute(
        select(MemberMonth.scope_id, func.sum(amount),
               func.sum(case((site_first.first_day >= scope_start.c.start, amount), else_=0)))
        .join(scope_start, scope_start.c.scope_id == MemberMonth.scope_id)
        .join(site_first, and_(site_first.scope_id == SITE, site_first.user_id == MemberMonth.user_id))
        .group_by(MemberMonth.scope_id)).all()
    return {scope_id: (new or 0) / total for scope_id, total, new in rows if total}


def response_medians():
    """Per scope, all time: the median seconds until a new idea's first response."""
    values = defaultdict(list)
    for challenge_id, seconds in core(
            select(IdeaFact.challenge_id, IdeaFact.first_response_s).where(IdeaFact.first_response_s.is_not(None))):
        values[challenge_id].append(seconds)
        values[SITE].append(seconds)
    return {scope_id: statistics.median(numbers) for scope_id, numbers in values.items()}


def cohorts(scope_id, limit=12):
    """Monthly cohorts: members by the month of their first contribution, and how many came back each month after."""
    months_by_user = defaultdict(set)
    for user_id, month in core(
            select(MemberMonth.user_id, MemberMonth.month).where(MemberMonth.scope_id == scope_id)):
        months_by_user[user_id].add(month)
    members = defaultdict(list)
    for months in months_by_user.values():
        members[min(months)].append(months)
    if not members:
        return []
    current = month_of(today())
    result = []
    for cohort in sorted(members)[-limit:]:
        retained, month = [], next_month(cohort)
        while month <= current and len(retained) < limit:
            retained.append(sum(1 for months in members[cohort] if month in months))
            month = next_month(month)
        result.append({"month": cohort.isoformat()[:7], "size": len(members[cohort]), "retained": retained})
    return result


def alumni_counts(challenges):
    """Per challenge: contributors who had contributed to a challenge whose results came before it was published.

    Site-wide: the distinct members who are alumni of at least one challenge."""
    ended = {c.id: clock.aware(c.results_at) for c in challenges}
    published = {c.id: clock.aware(c.published_at) for c in challenges if c.published_at}
    challenges_by_user = defaultdict(set)
    for scope_id, user_id in core(
            select(MemberFirst.scope_id, MemberFirst.user_id).where(MemberFirst.scope_id != SITE)):
        challenges_by_user[user_id].add(scope_id)
    counts, site = defaultdict(int), set()
    for user_id, joined in challenges_by_user.items():
        for newer in joined:
            if newer in published and any(ended.get(older) and ended[older] <= published[newer]
                                          for older in joined if older != newer):
                counts[newer] += 1
                site.add(user_id)
    counts[SITE] = len(site)
    return counts
