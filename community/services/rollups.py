"""Daily rollups: who contributed what, per scope and day, written only by jobs.

A contribution is a public idea, a published comment on a public idea, or a
support of a public idea, in a published challenge (app.permissions'
public clause); it is dated by when it was made (UTC days). Every function
here recomputes its rows from the content tables, so running it twice
leaves the same rows, and `rebuild()` equals the incremental job's result.
"""
import json
import statistics
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from sqlalchemy import Date, and_, case, delete, func, insert, literal, select, update
from sqlalchemy.orm import aliased

from app import clock
from app.auth.models import User
from app.extensions import db
from app.permissions import public_ideas_clause
from challenges.models import Challenge, Comment, Idea, NormsAcceptance
from community.models import (
    SITE,
    DailyRollup,
    DirtyItem,
    IdeaFact,
    MemberDay,
    MemberFirst,
    MemberMonth,
    RollupState,
    ScopeSummary,
)
from moderation.models import ModerationCase
from voting.models import IdeaMilestone, Support

RECENT_DAYS = 3  # the job always redoes these, catching late changes no signal reports
REVIEW_OUTCOMES = ("shortlisted", "selected", "not_selected")
CHUNK = 500


def day_start(day):
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def day_of(moment):
    return clock.aware(moment).astimezone(UTC).date()


def month_of(day):
    return day.replace(day=1)


def next_month(month):
    return (month + timedelta(days=32)).replace(day=1)


def today():
    return clock.now().date()


def core(statement):
    """Run a read on the session's connection without the ORM's per-row work (big grouped results)."""
    db.session.flush()
    return db.session.connection().execute(statement)


def insert_ignore(model, rows):
    """Insert rows, skipping those whose key exists (two requests may report the same item)."""
    if not rows:
        return
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    db.session.execute(dialect_insert(model).on_conflict_do_nothing(), rows)


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


def rollup_days(days):
    """Recompute every scope's rows for these days, then the months and firsts they touch."""
    days = sorted(set(days))
    if not days:
        return
    touched_users = set()
    for day in days:
        touched_users |= _rollup_day(day)
    recompute_months({month_of(day) for day in days})
    recompute_firsts(touched_users)


def _rollup_day(day):
    start, end = day_start(day), day_start(day + timedelta(days=1))
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
        db.session.execute(delete(MemberMonth).where(MemberMonth.month == month))
        db.session.execute(insert(MemberMonth).from_select(
            ["scope_id", "month", "user_id", "ideas", "comments", "supports"],
            select(MemberDay.scope_id, literal(month, Date), MemberDay.user_id, func.sum(MemberDay.ideas),
                   func.sum(MemberDay.comments), func.sum(MemberDay.supports))
            .where(MemberDay.day >= month, MemberDay.day < next_month(month))
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


# Per-idea facts: speed and quality


def refresh_facts(idea_ids):
    idea_ids = sorted(set(idea_ids))
    for position in range(0, len(idea_ids), CHUNK):
        _refresh_fact_chunk(idea_ids[position:position + CHUNK])


def _refresh_fact_chunk(chunk):
    db.session.execute(delete(IdeaFact).where(IdeaFact.idea_id.in_(chunk)))
    ideas = db.session.execute(
        select(Idea.id, Idea.challenge_id, Idea.author_id, Idea.created_at, Idea.status, Idea.builds_on_id,
               Idea.supporter_count, Idea.status_changed_at)
        .join(Challenge, Challenge.id == Idea.challenge_id)
        .where(Idea.id.in_(chunk), public_ideas_clause())).all()
    if not ideas:
        return
    ids = [row.id for row in ideas]
    first_comment = dict(core(
        select(Comment.idea_id, func.min(Comment.created_at)).join(Idea, Idea.id == Comment.idea_id)
        .where(Comment.idea_id.in_(ids), Comment.status == "published", Comment.author_id != Idea.author_id)
        .group_by(Comment.idea_id)).all())
    first_support = dict(core(
        select(Support.idea_id, func.min(Support.created_at)).where(Support.idea_id.in_(ids))
        .group_by(Support.idea_id)).all())
    decisions = {}
    for item_id, opened_at, decided_at in core(
            select(ModerationCase.item_id, ModerationCase.opened_at, ModerationCase.decided_at)
            .where(ModerationCase.item_kind == "idea", ModerationCase.item_id.in_(ids),
                   ModerationCase.decided_at.is_not(None))
            .order_by(ModerationCase.decided_at)):
        decisions.setdefault(item_id, (clock.aware(opened_at), clock.aware(decided_at)))
    milestones = set(core(
        select(IdeaMilestone.idea_id).where(IdeaMilestone.idea_id.in_(ids), IdeaMilestone.reached >= 1)).scalars())
    rows = []
    for idea in ideas:
        created = clock.aware(idea.created_at)
        responses = [clock.aware(moment) for moment in (first_comment.get(idea.id), first_support.get(idea.id))
                     if moment is not None]
        decision = decisions.get(idea.id)
        if decision:
            responses.append(decision[1])
        first_response = min(responses) if responses else None
        rows.append({
            "idea_id": idea.id, "challenge_id": idea.challenge_id, "day": day_of(created),
            "first_response_s": max(0.0, (first_response - created).total_seconds()) if first_response else None,
            "decision_s": max(0.0, (decision[1] - decision[0]).total_seconds()) if decision else None,
            "review_s": max(0.0, (clock.aware(idea.status_changed_at) - created).total_seconds())
            if idea.status in REVIEW_OUTCOMES else None,
            "supporters": idea.supporter_count,
            "milestone": idea.id in milestones,
            "outcome": idea.status if idea.status in ("shortlisted", "selected") else "",
            "builds_on": idea.builds_on_id is not None,
        })
    db.session.execute(insert(IdeaFact), rows)


# Figures that do not depend on the period


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
    """The periodic job: every day not rolled up yet before today, the recent days again, the dirty ones."""
    state = _state()
    yesterday = today() - timedelta(days=1)
    start = (state.rolled_through + timedelta(days=1)) if state.rolled_through else _first_day()
    days = set()
    if start is not None:
        days.update(start + timedelta(days=n) for n in range((yesterday - start).days + 1))
    days.update(yesterday - timedelta(days=n) for n in range(RECENT_DAYS))
    dirty_days, idea_ids = _dirty_days_and_ideas()
    days |= {day for day in dirty_days if day <= yesterday}
    rollup_days(days)
    since = day_start(yesterday - timedelta(days=RECENT_DAYS - 1))
    idea_ids.update(db.session.scalars(select(Idea.id).where(
        (Idea.created_at >= since) | (Idea.last_activity_at >= since) | (Idea.status_changed_at >= since))))
    refresh_facts(idea_ids)
    recompute_summaries()
    state.rolled_through = yesterday
    db.session.flush()
    return len(days)


def rebuild():
    """Everything from scratch: what `flask insights rebuild` runs."""
    for model in (MemberDay, MemberMonth, MemberFirst, DailyRollup, IdeaFact, ScopeSummary, DirtyItem):
        db.session.execute(delete(model))
    yesterday = today() - timedelta(days=1)
    first = _first_day()
    days = []
    if first is not None and first <= yesterday:
        days = [first + timedelta(days=n) for n in range((yesterday - first).days + 1)]
    for day in days:
        _rollup_day(day)
    recompute_months({month_of(day) for day in days})
    recompute_firsts(None)
    refresh_facts(db.session.scalars(select(Idea.id).where(Idea.is_public.is_(True))).all())
    recompute_summaries()
    _state().rolled_through = yesterday
    db.session.flush()
    return len(days)


def rolled_through():
    state = db.session.get(RollupState, 1)
    return state.rolled_through if state else None


