"""Daily rollups: who contributed what, per scope and day, written only by jobs.

A contribution is a public idea, a published comment on a public idea, or a
support of a public idea, in a published challenge (app.permissions'
public clause); it is dated by when it was made (UTC days). Every function
here recomputes its rows from the content tables, so running it twice
leaves the same rows, and `rebuild()` equals the incremental job's result.
"""
from collections import defaultdict
from datetime import timedelta

from sqlalchemy import Date, and_, delete, func, insert, literal, select, text, update

from app import clock
from app.auth.models import User
from app.extensions import db
from app.permissions import public_ideas_clause
from challenges.models import Challenge, Comment, Idea, NormsAcceptance
from community.models import (
    SITE,
    DailyRollup,
    DirtyItem,
    FactDay,
    IdeaFact,
    MemberDay,
    MemberFirst,
    MemberMonth,
    MemberWeek,
    RollupState,
    ScopeSummary,
    SpeedBucket,
)
from community.services.days import (
    CHUNK,
    core,
    day_of,
    day_start,
    insert_ignore,
    month_of,
    next_month,
    today,
    week_of,
)
from community.services.facts import recompute_fact_days, refresh_facts
from community.services.summaries import recompute_summaries
from voting.models import Support

RECENT_DAYS = 3  # the job always redoes these, catching late changes no signal reports
CATCH_UP_DAYS = 7


# What counts


def contribution_queries(start, end, challenge_id=None):
    """(challenge_id, user_id, count) per kind, for contributions made in [start, end)."""
    def scoped(query):
        return query.where(Idea.challenge_id == challenge_id) if challenge_id is not None else query

    ideas = scoped(
        select(Idea.challenge_id, Idea.author_id, func.count())
        .join(Challenge, Challenge.id == Idea.challenge_id)
        .where(public_ideas_clause(), Idea.created_at >= start, Idea.created_at < end)
        .group_by(Idea.challenge_id, Idea.author_id))
    comments = scoped(
        select(Idea.challenge_id, Comment.author_id, func.count())
        .join(Idea, Idea.id == Comment.idea_id).join(Challenge, Challenge.id == Idea.challenge_id)
        .where(public_ideas_clause(), Comment.status == "published", Comment.created_at >= start,
               Comment.created_at < end)
        .group_by(Idea.challenge_id, Comment.author_id))
    supports = scoped(
        select(Idea.challenge_id, Support.user_id, func.count())
        .join(Idea, Idea.id == Support.idea_id).join(Challenge, Challenge.id == Idea.challenge_id)
        .where(public_ideas_clause(), Support.created_at >= start, Support.created_at < end)
        .group_by(Idea.challenge_id, Support.user_id))
    return {"ideas": ideas, "comments": comments, "supports": supports}


def contributions(start, end, challenge_id=None):
    """{(scope_id, user_id): [ideas, comments, supports]} for challenge scopes and the site."""
    totals = defaultdict(lambda: [0, 0, 0])
    for position, query in enumerate(contribution_queries(start, end, challenge_id).values()):
        for scope_id, user_id, count in core(query):
            totals[(scope_id, user_id)][position] += count
            if challenge_id is None:
                totals[(SITE, user_id)][position] += count
    return totals


# Rolling up days


def rollup_days(days, until=None):
    """Recompute every scope's rows for these days (up to `until`, the job's snapshot, for the current
    day), then the weeks, months and firsts they touch."""
    days = sorted(set(days))
    if not days:
        return
    touched_users = set()
    for day in days:
        touched_users |= _rollup_day(day, until)
    recompute_weeks({week_of(day) for day in days})
    recompute_months({month_of(day) for day in days})
    recompute_firsts(touched_users)


def _rollup_day(day, until=None):
    start, end = day_start(day), day_start(day + timedelta(days=1))
    if until is not None:
        end = min(end, until)
    totals = contributions(start, end)
    # Members who had rows that day and lost them need their first days redone too.
    before = set(core(select(MemberDay.user_id).where(MemberDay.day == day).distinct()).scalars())
    db.session.execute(delete(MemberDay).where(MemberDay.day == day))
    db.session.execute(delete(DailyRollup).where(DailyRollup.day == day))
    rows = [{"scope_id": scope_id, "day": day, "user_id": user_id, "ideas": i, "comments": c, "supports": s}
            for (scope_id, user_id), (i, c, s) in sorted(totals.items())]
    if rows:
        db.session.execute(insert(MemberDay), rows)
    daily = defaultdict(lambda: {"ideas": 0, "comments": 0, "supports": 0, "active": 0, "registered": 0})
    for (scope_id, _), (i, c, s) in totals.items():
        figures = daily[scope_id]
        figures["ideas"] += i
        figures["comments"] += c
        figures["supports"] += s
        figures["active"] += 1
    daily[SITE]["registered"] = db.session.scalar(
        select(func.count()).select_from(User).where(User.created_at >= start, User.created_at < end))
    for challenge_id, count in db.session.execute(
            select(NormsAcceptance.challenge_id, func.count())
            .where(NormsAcceptance.accepted_at >= start, NormsAcceptance.accepted_at < end)
            .group_by(NormsAcceptance.challenge_id)):
        daily[challenge_id]["registered"] = count
    # An empty day leaves no row, whichever job looked at it.
    rows = [{"scope_id": scope_id, "day": day, **figures} for scope_id, figures in sorted(daily.items())
            if any(figures.values())]
    if rows:
        db.session.execute(insert(DailyRollup), rows)
    return before | {user_id for _, user_id in totals}


def recompute_months(months):
    for month in sorted(months):
        _sum_member_days(MemberMonth, "month", month, next_month(month))


def recompute_weeks(weeks=None):
    """MemberWeek rows for these Mondays (None: every week with member days)."""
    if weeks is None:
        db.session.execute(delete(MemberWeek))
        first, last = db.session.execute(select(func.min(MemberDay.day), func.max(MemberDay.day))).one()
        weeks = set()
        while first is not None and first <= last:
            weeks.add(week_of(first))
            first += timedelta(days=7)
        weeks |= {week_of(last)} if last is not None else set()
    for week in sorted(weeks):
        _sum_member_days(MemberWeek, "week", week, week + timedelta(days=7))


def _sum_member_days(model, column, start, end):
    """Redo one month's or week's rows of `model` from the member days in [start, end)."""
    db.session.execute(delete(model).where(getattr(model, column) == start))
    db.session.execute(insert(model).from_select(
        ["scope_id", column, "user_id", "ideas", "comments", "supports"],
        select(MemberDay.scope_id, literal(start, Date), MemberDay.user_id, func.sum(MemberDay.ideas),
               func.sum(MemberDay.comments), func.sum(MemberDay.supports))
        .where(MemberDay.day >= start, MemberDay.day < end)
        .group_by(MemberDay.scope_id, MemberDay.user_id)))


def recompute_firsts(user_ids=None):
    """First and second day with a contribution, per scope, for these members (None: everyone)."""
    if user_ids is None:
        db.session.execute(delete(MemberFirst))
        _insert_firsts(None)
        return
    user_ids = sorted(user_ids)
    for position in range(0, len(user_ids), CHUNK):
        chunk = user_ids[position:position + CHUNK]
        db.session.execute(delete(MemberFirst).where(MemberFirst.user_id.in_(chunk)))
        _insert_firsts(chunk)


def _insert_firsts(chunk):
    where = [MemberDay.user_id.in_(chunk)] if chunk is not None else []
    db.session.execute(insert(MemberFirst).from_select(
        ["scope_id", "user_id", "first_day"],
        select(MemberDay.scope_id, MemberDay.user_id, func.min(MemberDay.day)).where(*where)
        .group_by(MemberDay.scope_id, MemberDay.user_id)))
    seconds = db.session.execute(
        select(MemberDay.scope_id, MemberDay.user_id, func.min(MemberDay.day))
        .join(MemberFirst, and_(MemberFirst.scope_id == MemberDay.scope_id, MemberFirst.user_id == MemberDay.user_id))
        .where(MemberDay.day > MemberFirst.first_day, *where)
        .group_by(MemberDay.scope_id, MemberDay.user_id)).all()
    if seconds:
        db.session.execute(update(MemberFirst), [{"scope_id": s, "user_id": u, "second_day": d}
                                                  for s, u, d in seconds])


# The jobs' entry points


def mark_dirty(kind, item_id):
    insert_ignore(DirtyItem, [{"kind": kind, "item_id": item_id}])


def _dirty_days_and_ideas():
    """The days touched by items reported dirty, and the ideas whose facts must be redone."""
    items = db.session.execute(select(DirtyItem.kind, DirtyItem.item_id)).all()
    days, idea_ids = set(), set()
    idea_dirty = [item_id for kind, item_id in items if kind == "idea"]
    comment_dirty = [item_id for kind, item_id in items if kind == "comment"]
    for position in range(0, len(idea_dirty), CHUNK):
        chunk = idea_dirty[position:position + CHUNK]
        idea_ids.update(chunk)
        for query in (select(Idea.created_at).where(Idea.id.in_(chunk)),
                      select(Comment.created_at).where(Comment.idea_id.in_(chunk)),
                      select(Support.created_at).where(Support.idea_id.in_(chunk))):
            days.update(day_of(moment) for moment in db.session.scalars(query))
    for position in range(0, len(comment_dirty), CHUNK):
        chunk = comment_dirty[position:position + CHUNK]
        for created_at, idea_id in db.session.execute(
                select(Comment.created_at, Comment.idea_id).where(Comment.id.in_(chunk))):
            days.add(day_of(created_at))
            idea_ids.add(idea_id)
    db.session.execute(delete(DirtyItem))
    return days, idea_ids


def _first_day():
    candidates = [db.session.scalar(select(func.min(column))) for column in
                  (Idea.created_at, Comment.created_at, Support.created_at)]
    candidates = [day_of(moment) for moment in candidates if moment is not None]
    return min(candidates) if candidates else None


def _state():
    state = db.session.get(RollupState, 1)
    if state is None:
        state = RollupState(id=1)
        db.session.add(state)
    return state


def run_incremental():
    """The periodic job: every day not rolled up yet before today, the recent days again, the dirty ones,
    and today up to now (the snapshot: the dashboards then read live only what came after it)."""
    state = _state()
    snapshot = clock.now()
    yesterday = today() - timedelta(days=1)
    start = (state.rolled_through + timedelta(days=1)) if state.rolled_through else _first_day()
    days = set()
    if start is not None:
        days.update(start + timedelta(days=n) for n in range((yesterday - start).days + 1))
    days.update(yesterday - timedelta(days=n) for n in range(RECENT_DAYS))
    dirty_days, idea_ids = _dirty_days_and_ideas()
    days |= {day for day in dirty_days if day <= yesterday}
    days.add(today())
    weeks_missing = db.session.scalar(select(MemberWeek.week).limit(1)) is None  # first run since weeks came in
    rollup_days(days, until=snapshot)
    if weeks_missing:
        recompute_weeks(None)
    since = day_start(yesterday - timedelta(days=RECENT_DAYS - 1))
    idea_ids.update(db.session.scalars(select(Idea.id).where(
        (Idea.created_at >= since) | (Idea.last_activity_at >= since) | (Idea.status_changed_at >= since))))
    # Asked before refresh_facts, which writes today's sums: on the first run since the daily sums came
    # in, every day is summed, not only the days of the ideas touched since the last run.
    fact_days_missing = db.session.scalar(select(FactDay.day).limit(1)) is None
    refresh_facts(idea_ids)
    if fact_days_missing:
        recompute_fact_days(None)
    recompute_summaries()
    state.rolled_through, state.snapshot_at = yesterday, snapshot
    db.session.flush()
    if len(days) > CATCH_UP_DAYS or weeks_missing:  # a first run or a long pause: the tables changed wholesale
        analyze()
    return len(days)


ROLLUP_TABLES = (MemberDay, MemberWeek, MemberMonth, MemberFirst, DailyRollup, IdeaFact, FactDay, SpeedBucket, ScopeSummary)


def analyze():
    """Refresh the planner's statistics of the rollup tables after rewriting them wholesale: with the
    empty tables' statistics PostgreSQL sorts a month of member days on disk instead of hashing them."""
    for model in ROLLUP_TABLES:
        db.session.execute(text(f"ANALYZE {model.__tablename__}"))


def rebuild():
    """Everything from scratch: what `flask insights rebuild` runs."""
    for model in (*ROLLUP_TABLES, DirtyItem):
        db.session.execute(delete(model))
    snapshot = clock.now()
    yesterday = today() - timedelta(days=1)
    first = _first_day()
    days = []
    if first is not None and first <= yesterday:
        days = [first + timedelta(days=n) for n in range((yesterday - first).days + 1)]
    for day in [*days, today()]:
        _rollup_day(day, until=snapshot)
    recompute_weeks(None)
    recompute_months({month_of(day) for day in [*days, today()]})
    recompute_firsts(None)
    refresh_facts(db.session.scalars(select(Idea.id).where(Idea.is_public.is_(True))).all())
    recompute_summaries()
    state = _state()
    state.rolled_through, state.snapshot_at = yesterday, snapshot
    db.session.flush()
    analyze()
    return len(days)


def rolled_through():
    state = db.session.get(RollupState, 1)
    return state.rolled_through if state else None


def snapshot_at():
    """The moment the rollups reach: contributions made at or after it are read live. Before the first
    run with a snapshot, the start of today (the days before are as the job left them)."""
    state = db.session.get(RollupState, 1)
    return clock.aware(state.snapshot_at) if state and state.snapshot_at else day_start(today())
