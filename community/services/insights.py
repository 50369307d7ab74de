"""The dashboards' figures for one scope (a challenge, or SITE) and one period.

Everything made before the rollup job's last snapshot comes from the rollups (whole months, weeks
and days, and the current day up to the snapshot); only what came after it is read live. Each figure
has a definition the page shows (DEFINITIONS), so a person can check it.
"""
import json
import math
import os
import time
from collections import defaultdict
from datetime import timedelta

from flask import current_app, g, has_request_context
from sqlalchemy import Date, bindparam, func, select, text, union_all

from app.auth.models import User
from app.extensions import db
from challenges.models import NormsAcceptance
from community.models import SITE, DailyRollup, MemberDay, MemberFirst, MemberMonth, MemberWeek, ScopeSummary
from community.services import facts, holdups
from community.services.days import core, day_of, day_start, month_of, next_month, today, week_of
from community.services.rollups import contributions, snapshot_at

ID_CHUNK = 10_000  # ids per IN list (SQLite takes up to 32,766 parameters)
DEFINITIONS = {
    "active": "Distinct members who made at least one contribution in the period. A contribution is a public "
              "idea, a published comment on a public idea, or a support of a public idea; pending, hidden, "
              "rejected and merged content never counts.",
    "new": "Active members whose first contribution anywhere on Kindling falls in the period; returning members "
           "had contributed before it.",
    "first_time_share": "Contributions made by new members, as a share of all contributions in the period.",
    "per_day": "Ideas, comments and supports made each day (UTC). Notes will join when hold-ups record them.",
    "top10": "Share of all contributions made by the most active 10 % of contributors (rounded up). "
             "100 % means a few people do everything.",
    "gini": "Gini coefficient of contributions per contributor: 0 when everyone contributes equally, "
            "close to 1 when one member makes them all.",
    "skills": "Distinct skills and interests listed on the profiles of the period's contributors.",
    "quality": "Of the public ideas submitted in the period: the share that reached the first milestone, "
               "were shortlisted or selected; supporters per idea; ideas that build on another.",
    "speed": "Medians over the ideas submitted in the period: time until the first response (a comment by "
             "someone else, a support or a moderator's decision), time a moderation case waited for a "
             "decision, and time from submission to the owner's review decision.",
    "funnel": "Visitors are not counted (Kindling keeps no visit log). Joined: accounts created (site) or "
              "members who accepted the challenge's norms (challenge). First contribution: members whose first "
              "contribution falls in the period. Second: of those, who contributed again on another day within "
              "30 days.",
    "retention": "Members grouped by the month of their first contribution (the cohort); each later column "
                 "counts how many of them contributed in that month.",
    "alumni": "Members who contributed to a challenge whose results came before this one (or a newer one, "
              "site-wide) was published, and contributed here too.",
}


# Per member


def _blocks(start, end):
    """[start, end] as (model, column, first, last) blocks: whole months, then whole weeks, then days."""
    blocks, months, month = [], [], (start if start.day == 1 else next_month(start))
    while next_month(month) - timedelta(days=1) <= end:
        months.append(month)
        month = next_month(month)
    if months:
        blocks.append((MemberMonth, MemberMonth.month, months[0], months[-1]))
        edges = [(start, months[0] - timedelta(days=1)), (next_month(months[-1]), end)]
    else:
        edges = [(start, end)]
    for low, high in edges:
        first_week = low if low.weekday() == 0 else week_of(low) + timedelta(days=7)
        last_week = week_of(high + timedelta(days=1)) - timedelta(days=7)  # the last Monday of a whole week
        if first_week <= last_week:
            blocks.append((MemberWeek, MemberWeek.week, first_week, last_week))
            days = [(low, first_week - timedelta(days=1)), (last_week + timedelta(days=7), high)]
        else:
            days = [(low, high)]
        blocks.extend((MemberDay, MemberDay.day, a, b) for a, b in days if a <= b)
    return blocks


def _rolled_parts(scope_id, start, end):
    """Selects of (user_id, ideas, comments, supports) covering [start, end]: months, weeks, edge days."""
    return [select(model.user_id, model.ideas, model.comments, model.supports).where(
        model.scope_id == scope_id, column >= first, column <= last)
        for model, column, first, last in _blocks(start, end) if first <= last]


def live(scope_id, start, end):
    """{user_id: [ideas, comments, supports]} made in [start, end) in this scope (what came after the
    job's snapshot), read once per request."""
    cache = g.setdefault("community_live", {}) if has_request_context() else {}
    key = (scope_id, start, end)
    seconds = cache_seconds()
    if seconds:  # shared by the requests of this process for up to a minute
        cache, key = _CACHE, ("live", str(db.engine.url), scope_id, start, end, int(time.time() // seconds))
    if key not in cache:
        rows = contributions(start, end, None if scope_id == SITE else scope_id) if start < end else {}
        cache[key] = {user_id: counts for (live_scope, user_id), counts in rows.items() if live_scope == scope_id}
    return cache[key]


def live_window(period):
    """The part of the period after the job's snapshot, as [start, end) moments, or None."""
    since = snapshot_at()
    start, end = max(since, day_start(period.start)), day_start(period.end + timedelta(days=1))
    return (start, end) if start < end else None


def per_member(scope_id, period):
    """{user_id: [ideas, comments, supports]} in the period, the SQL of the rolled-up members, the members
    seen after the job's snapshot (read live)."""
    rolled_end = min(period.end, day_of(snapshot_at()))
    totals = defaultdict(lambda: [0, 0, 0])
    members_sql = None
    if period.start <= rolled_end:
        parts = _rolled_parts(scope_id, period.start, rolled_end)
        union = union_all(*parts).subquery() if len(parts) > 1 else parts[0].subquery()
        members_sql = select(union.c.user_id)
        for user_id, i, c, s in core(
                select(union.c.user_id, func.sum(union.c.ideas), func.sum(union.c.comments),
                       func.sum(union.c.supports)).group_by(union.c.user_id)):
            totals[user_id] = [int(i), int(c), int(s)]
    live_ids = []
    window = live_window(period)
    if window:
        for user_id, counts in live(scope_id, *window).items():
            totals[user_id] = [a + b for a, b in zip(totals[user_id], counts, strict=True)]
            live_ids.append(user_id)
    return dict(totals), members_sql, live_ids


def firsts_among(scope_id, user_ids, before=None):
    """Which of these members have a rolled-up first contribution in the scope (before a day, if given)."""
    user_ids = sorted(int(user_id) for user_id in user_ids)
    found = set()
    for position in range(0, len(user_ids), ID_CHUNK):
        # Whole numbers written into the SQL: binding thousands of parameters costs more than the query.
        listed = ",".join(str(user_id) for user_id in user_ids[position:position + ID_CHUNK])
        sql = f"SELECT user_id FROM community_member_firsts WHERE scope_id = :scope AND user_id IN ({listed})"
        parameters = {"scope": scope_id}
        if before is not None:
            sql += " AND first_day < :before"
            parameters["before"] = before
        statement = text(sql).bindparams(bindparam("before", type_=Date)) if before is not None else text(sql)
        found.update(db.session.scalars(statement, parameters))
    return found


def gini(values):
    """0 for perfect equality, (n-1)/n when one of n members makes everything."""
    values = sorted(v for v in values if v >= 0)
    total, n = sum(values), len(values)
    if n == 0 or total == 0:
        return None
    weighted = sum((rank + 1) * value for rank, value in enumerate(values))
    return 2 * weighted / (n * total) - (n + 1) / n


def top_share(values, fraction=0.10):
    values = sorted(values, reverse=True)
    total = sum(values)
    if not values or total == 0:
        return None
    top = max(1, math.ceil(len(values) * fraction))
    return sum(values[:top]) / total


# The whole dashboard


_CACHE = {}
_CACHE_LIMIT = 256


def cache_seconds():
    """How long a process keeps figures: INSIGHTS_CACHE_SECONDS (config, then environment); 0 under tests."""
    value = current_app.config.get("INSIGHTS_CACHE_SECONDS")
    if value is None:
        value = 0 if current_app.testing else os.environ.get("INSIGHTS_CACHE_SECONDS", "60")
    try:
        return max(0, int(value))
    except ValueError:
        return 60


def figures(scope_id, period, light=False):
    """The dashboard's figures, kept per process for a minute (INSIGHTS_CACHE_SECONDS; 0 under tests)
    and dropped as soon as the rollup job has run again."""
    seconds = cache_seconds()
    if not seconds:
        return compute_figures(scope_id, period, light)
    stamp = db.session.scalar(select(ScopeSummary.computed_at).where(ScopeSummary.scope_id == SITE))
    key = (str(db.engine.url), scope_id, period, light, stamp, int(time.time() // seconds))
    if key not in _CACHE:
        if len(_CACHE) >= _CACHE_LIMIT:
            _CACHE.clear()
        _CACHE[key] = compute_figures(scope_id, period, light)
    return _CACHE[key]


def compute_figures(scope_id, period, light=False):
    totals, members_sql, live_ids = per_member(scope_id, period)
    contribution_counts = [sum(counts) for counts in totals.values()]
    # New means new to Kindling: the first contribution on the whole site falls in the period.
    firsts = select(MemberFirst.user_id).where(
        MemberFirst.scope_id == SITE, MemberFirst.first_day >= period.start, MemberFirst.first_day <= period.end)
    new_ids = set(core(firsts).scalars())
    known_live = set()
    if live_ids:
        # Members whose first contribution came after the snapshot have no rolled-up first day yet.
        candidates = [user_id for user_id in live_ids if user_id not in new_ids]
        known_live = firsts_among(SITE, candidates, before=period.start)
        new_ids |= {user_id for user_id in candidates if user_id not in known_live}
    new_ids &= set(totals)
    total = sum(contribution_counts)
    new_contributions = sum(sum(totals[user_id]) for user_id in new_ids)
    result = {
        "active": len(totals),
        "new": len(new_ids),
        "returning": len(totals) - len(new_ids),
        "ideas": sum(c[0] for c in totals.values()),
        "comments": sum(c[1] for c in totals.values()),
        "supports": sum(c[2] for c in totals.values()),
        "contributions": total,
        "first_time_share": new_contributions / total if total else None,
        "response_median_s": facts.median(scope_id, period, "first_response_s"),
    }
    if light:
        return result
    result.update({
        "top10": top_share(contribution_counts),
        "gini": gini(contribution_counts),
        "top_members": sorted(totals.items(), key=lambda item: (-sum(item[1]), item[0]))[:10],
        "decision_median_s": facts.median(scope_id, period, "decision_s"),
        "review_median_s": facts.median(scope_id, period, "review_s"),
    })
    result.update(_diversity(totals))
    result.update(facts.quality(scope_id, period))
    result["series"] = daily_series(scope_id, period)
    result["funnel"] = _funnel(scope_id, period, live_ids)
    summary = db.session.get(ScopeSummary, scope_id)
    data = json.loads(summary.data) if summary else {}
    result["cohorts"] = data.get("cohorts", [])
    result["alumni"] = data.get("alumni", 0)
    result["summary_at"] = summary.computed_at if summary else None
    return result


def _diversity(totals):
    """Distinct tags over the contributors, gathered by id (the member set is already in hand)."""
    user_ids = sorted(int(user_id) for user_id in totals)
    counts = {}
    for name, table in (("skills", "user_skills"), ("interests", "user_interests")):
        tags = set()
        for position in range(0, len(user_ids), ID_CHUNK):
            # Whole numbers written into the SQL: binding thousands of parameters costs more than the query.
            listed = ",".join(str(user_id) for user_id in user_ids[position:position + ID_CHUNK])
            tags.update(db.session.scalars(text(f"SELECT DISTINCT tag_id FROM {table} WHERE user_id IN ({listed})")))
        counts[name] = len(tags)
    return {"distinct_skills": counts["skills"], "distinct_interests": counts["interests"]}


def daily_series(scope_id, period):
    """[(day, ideas, comments, supports, active)] for every day of the period, zeros included."""
    rows = {row.day: (row.ideas, row.comments, row.supports, row.active) for row in core(
        select(DailyRollup.day, DailyRollup.ideas, DailyRollup.comments, DailyRollup.supports, DailyRollup.active)
        .where(DailyRollup.scope_id == scope_id, DailyRollup.day >= period.start, DailyRollup.day <= period.end))}
    window = live_window(period)
    day = day_of(window[0]) if window else period.end + timedelta(days=1)
    while day <= period.end:  # after the snapshot: usually part of today, more if the job stopped running
        mine = live(scope_id, max(window[0], day_start(day)), day_start(day + timedelta(days=1)))
        if mine:
            ideas, comments, supports, active = rows.get(day, (0, 0, 0, 0))
            # A member who also contributed before the snapshot that day is active once.
            seen = members_on(scope_id, day, mine) if active else set()
            rows[day] = (ideas + sum(c[0] for c in mine.values()), comments + sum(c[1] for c in mine.values()),
                         supports + sum(c[2] for c in mine.values()), active + len(set(mine) - seen))
        day += timedelta(days=1)
    series, day = [], period.start
    while day <= period.end:
        series.append((day, *rows.get(day, (0, 0, 0, 0))))
        day += timedelta(days=1)
    return series


def members_on(scope_id, day, user_ids):
    """Which of these members have a rolled-up contribution in the scope on that day."""
    user_ids = sorted(int(user_id) for user_id in user_ids)
    found = set()
    for position in range(0, len(user_ids), ID_CHUNK):
        found.update(core(select(MemberDay.user_id).where(
            MemberDay.scope_id == scope_id, MemberDay.day == day,
            MemberDay.user_id.in_(user_ids[position:position + ID_CHUNK]))).scalars())
    return found


def monthly(series):
    """The daily series summed per month, for long periods; active is the busiest day's."""
    months = {}
    for day, ideas, comments, supports, active in series:
        key = month_of(day)
        current = months.get(key, (key, 0, 0, 0, 0))
        months[key] = (key, current[1] + ideas, current[2] + comments, current[3] + supports,
                       max(current[4], active))
    return list(months.values())


def _funnel(scope_id, period, live_ids):
    registered = db.session.scalar(select(func.coalesce(func.sum(DailyRollup.registered), 0)).where(
        DailyRollup.scope_id == scope_id, DailyRollup.day >= period.start, DailyRollup.day <= period.end))
    window = live_window(period)
    if window:
        start, end = window
        if scope_id == SITE:
            registered += db.session.scalar(select(func.count()).select_from(User).where(
                User.created_at >= start, User.created_at < end))
        else:
            registered += db.session.scalar(select(func.count()).select_from(NormsAcceptance).where(
                NormsAcceptance.challenge_id == scope_id, NormsAcceptance.accepted_at >= start,
                NormsAcceptance.accepted_at < end))
    seconds = core(select(MemberFirst.first_day, MemberFirst.second_day).where(
        MemberFirst.scope_id == scope_id, MemberFirst.first_day >= period.start, MemberFirst.first_day <= period.end,
        MemberFirst.second_day.is_not(None))).all()
    second = sum(1 for first, then in seconds if (then - first).days <= 30)
    first = db.session.scalar(select(func.count()).select_from(MemberFirst).where(
        MemberFirst.scope_id == scope_id, MemberFirst.first_day >= period.start, MemberFirst.first_day <= period.end))
    if live_ids:
        # First contributions made after the snapshot are not rolled up yet.
        first += len(set(live_ids) - firsts_among(scope_id, live_ids))
    return {"visitors": None, "registered": int(registered), "first": first, "second": second}


def plan_progress_figures(challenge):
    """Current all-time figures for an engagement plan's targets: counts up to now, shares and medians
    as of the last rollup (the job keeps them in the scope's summary). Kept like `figures`."""
    seconds = cache_seconds()
    if not seconds:
        current = _plan_progress(challenge.id)
    else:
        stamp = db.session.scalar(select(ScopeSummary.computed_at).where(ScopeSummary.scope_id == SITE))
        key = ("plan", str(db.engine.url), challenge.id, stamp, int(time.time() // seconds))
        if key not in _CACHE:
            _CACHE[key] = _plan_progress(challenge.id)
        current = _CACHE[key]
    if holdups.is_holdup(challenge):  # seats move by the minute before a session: always read live
        current = {**current, **holdups.plan_figures(challenge.id)}
    return current


def _plan_progress(scope_id):
    counts = db.session.execute(select(
        func.coalesce(func.sum(DailyRollup.ideas), 0), func.coalesce(func.sum(DailyRollup.comments), 0),
        func.coalesce(func.sum(DailyRollup.supports), 0)).where(DailyRollup.scope_id == scope_id)).one()
    recent = live(scope_id, snapshot_at(), day_start(today() + timedelta(days=1)))  # after the last job run
    known = firsts_among(scope_id, recent)
    participants = db.session.scalar(select(func.count()).select_from(MemberFirst).where(
        MemberFirst.scope_id == scope_id)) + len(set(recent) - known)
    summary = db.session.get(ScopeSummary, scope_id)
    data = json.loads(summary.data) if summary else {}
    share, seconds = data.get("first_time_share"), data.get("response_median_s")
    return {
        "participants": participants,
        "ideas": int(counts[0]) + sum(c[0] for c in recent.values()),
        "comments": int(counts[1]) + sum(c[1] for c in recent.values()),
        "supports": int(counts[2]) + sum(c[2] for c in recent.values()),
        "first_time_share": round(100 * share, 1) if share is not None else None,
        "response_hours": round(seconds / 3600, 1) if seconds is not None else None,
    }
