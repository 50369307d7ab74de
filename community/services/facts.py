"""Per-idea facts (speed and quality), their daily sums, and the medians the dashboards read.

The job writes one IdeaFact per public idea, then sums them per scope and
day (FactDay) and counts each duration per bucket (SpeedBucket). A median
over any period then reads those few rows to learn which bucket holds the
middle value and its rank there, and fetches that one value from the facts'
index: exact, without walking every idea of the period.
"""
import math
from collections import defaultdict

from sqlalchemy import delete, func, insert, select

from app import clock
from app.extensions import db
from app.permissions import public_ideas_clause
from challenges.models import Challenge, Comment, Idea
from community.models import SITE, FactDay, IdeaFact, SpeedBucket
from community.services.days import CHUNK, core, day_of
from moderation.models import ModerationCase
from voting.models import IdeaMilestone, Support

REVIEW_OUTCOMES = ("shortlisted", "selected", "not_selected")
DURATIONS = ("first_response_s", "decision_s", "review_s")
BUCKETS_PER_DOUBLING = 8  # a bucket spans about 9 % of its values: few facts to read for a median


def bucket_of(seconds):
    return int(math.floor(BUCKETS_PER_DOUBLING * math.log2(1.0 + max(0.0, seconds))))


# Writing (jobs)


def refresh_facts(idea_ids):
    """Redo these ideas' facts and the daily sums of every day they were or now are on."""
    idea_ids = sorted(set(idea_ids))
    days = set()
    for position in range(0, len(idea_ids), CHUNK):
        days |= _refresh_fact_chunk(idea_ids[position:position + CHUNK])
    recompute_fact_days(days)


def _refresh_fact_chunk(chunk):
    days = set(db.session.scalars(select(IdeaFact.day).where(IdeaFact.idea_id.in_(chunk)).distinct()))
    db.session.execute(delete(IdeaFact).where(IdeaFact.idea_id.in_(chunk)))
    ideas = db.session.execute(
        select(Idea.id, Idea.challenge_id, Idea.author_id, Idea.created_at, Idea.status, Idea.builds_on_id,
               Idea.supporter_count, Idea.status_changed_at)
        .join(Challenge, Challenge.id == Idea.challenge_id)
        .where(Idea.id.in_(chunk), public_ideas_clause())).all()
    if not ideas:
        return days
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
    return days | {row["day"] for row in rows}


def recompute_fact_days(days=None):
    """FactDay and SpeedBucket rows for these days (None: every day), from the facts."""
    if days is not None and not days:
        return
    days = sorted(days) if days is not None else None
    for model in (FactDay, SpeedBucket):
        db.session.execute(delete(model).where(model.day.in_(days)) if days is not None else delete(model))
    where = [IdeaFact.day.in_(days)] if days is not None else []
    sums = defaultdict(lambda: [0, 0, 0, 0, 0, 0])
    buckets = {}
    for row in core(select(IdeaFact.challenge_id, IdeaFact.day, IdeaFact.supporters, IdeaFact.milestone,
                           IdeaFact.outcome, IdeaFact.builds_on, *(getattr(IdeaFact, d) for d in DURATIONS))
                    .where(*where)):
        for scope_id in (row.challenge_id, SITE):
            figures = sums[(scope_id, row.day)]
            for position, amount in enumerate((1, row.supporters, row.milestone, row.outcome == "shortlisted",
                                               row.outcome == "selected", row.builds_on)):
                figures[position] += int(amount)
            for metric in DURATIONS:
                seconds = getattr(row, metric)
                if seconds is None:
                    continue
                key = (scope_id, metric, row.day, bucket_of(seconds))
                count, low, high = buckets.get(key, (0, seconds, seconds))
                buckets[key] = (count + 1, min(low, seconds), max(high, seconds))
    if sums:
        db.session.execute(insert(FactDay), [
            {"scope_id": scope_id, "day": day, "ideas": f[0], "supporters": f[1], "milestone": f[2],
             "shortlisted": f[3], "selected": f[4], "builds_on": f[5]} for (scope_id, day), f in sorted(sums.items())])
    if buckets:
        db.session.execute(insert(SpeedBucket), [
            {"scope_id": scope_id, "metric": metric, "day": day, "bucket": bucket, "count": count, "low": low,
             "high": high} for (scope_id, metric, day, bucket), (count, low, high) in sorted(buckets.items())])


# Reading (dashboards)


def quality(scope_id, period):
    row = db.session.execute(select(
        *(func.coalesce(func.sum(column), 0) for column in (
            FactDay.ideas, FactDay.supporters, FactDay.milestone, FactDay.shortlisted, FactDay.selected,
            FactDay.builds_on))).where(
        FactDay.scope_id == scope_id, FactDay.day >= period.start, FactDay.day <= period.end)).one()
    ideas, supporters, milestone, shortlisted, selected, builds_on = (int(value) for value in row)

    def share(n):
        return n / ideas if ideas else None

    return {"quality": {
        "ideas": ideas, "milestone_share": share(milestone), "shortlisted_share": share(shortlisted),
        "selected_share": share(selected), "supports_per_idea": supporters / ideas if ideas else None,
        "builds_on": builds_on, "milestone": milestone, "shortlisted": shortlisted, "selected": selected,
    }}


def median(scope_id, period, metric):
    """The exact median of one IdeaFact duration over the ideas submitted in the period, or None.

    One grouped read of the buckets and one read of at most two facts, whatever the data."""
    buckets = [(int(count), low, high) for _bucket, count, low, high in db.session.execute(
        select(SpeedBucket.bucket, func.sum(SpeedBucket.count), func.min(SpeedBucket.low), func.max(SpeedBucket.high))
        .where(SpeedBucket.scope_id == scope_id, SpeedBucket.metric == metric, SpeedBucket.day >= period.start,
               SpeedBucket.day <= period.end)
        .group_by(SpeedBucket.bucket).order_by(SpeedBucket.bucket))]
    total = sum(count for count, _low, _high in buckets)
    if not total:
        return None
    rank, before, position = (total - 1) // 2, 0, 0  # the lower middle value, 0-based
    while rank >= before + buckets[position][0]:
        before += buckets[position][0]
        position += 1
    count, low, high = buckets[position]
    within = rank - before
    column = getattr(IdeaFact, metric)
    where = [column >= low, column <= high, IdeaFact.day >= period.start, IdeaFact.day <= period.end]
    if scope_id != SITE:
        where.append(IdeaFact.challenge_id == scope_id)
    # A bucket of equal values (often many 0 s) needs no walking: read its first two.
    values = db.session.scalars(select(column).where(*where).order_by(column)
                                .offset(0 if low == high else within).limit(2)).all()
    lower = low if low == high else values[0]
    if total % 2:
        return lower
    if within + 1 < count:
        upper = low if low == high else values[1]
    else:  # the upper middle value opens the next bucket
        upper = buckets[position + 1][1]
    return (lower + upper) / 2
