"""Every dashboard figure against a hand count of tests/community/factories.story()."""
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app import clock, signals
from app.extensions import db
from community.models import (
    SITE,
    DailyRollup,
    FactDay,
    IdeaFact,
    MemberDay,
    MemberFirst,
    MemberMonth,
    MemberWeek,
    ScopeSummary,
    SpeedBucket,
)
from community.services import facts, insights, periods, rollups
from tests.community.factories import NOW, SupportFactory, at, story
from tests.factories import ChallengeFactory, CommentFactory, IdeaFactory, UserFactory


@pytest.fixture
def told(session):
    clock.freeze(NOW)
    data = story()
    rollups.run_incremental()
    return data


def seven_days():
    return periods.make_period("7")


def test_gini_and_top_share_by_hand():
    assert insights.gini([1, 1, 1, 1]) == 0
    assert insights.gini([0, 0, 0, 4]) == pytest.approx(0.75)
    assert insights.gini([1, 3]) == pytest.approx(0.25)
    assert insights.gini([]) is None
    assert insights.top_share([5, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]) == pytest.approx(6 / 15)  # top 2 of 11
    assert insights.top_share([3, 1]) == pytest.approx(0.75)


def test_period_figures_match_the_hand_count(told):
    result = insights.figures(told["challenge"].id, seven_days())
    assert result["active"] == 4  # ana, ben, cy, dee; the hidden, pending, rejected and draft items never count
    assert (result["ideas"], result["comments"], result["supports"]) == (2, 5, 2)
    assert result["contributions"] == 9
    assert (result["new"], result["returning"]) == (3, 1)  # ana first contributed in February
    assert result["first_time_share"] == pytest.approx(7 / 9)
    assert result["gini"] == pytest.approx(2 * 26 / (4 * 9) - 5 / 4)  # contributions 1, 2, 3, 3
    assert result["top10"] == pytest.approx(3 / 9)
    assert (result["distinct_skills"], result["distinct_interests"]) == (2, 1)
    assert result["response_median_s"] == 86_400  # the support a day after the idea
    assert result["decision_median_s"] is None
    quality = result["quality"]
    assert quality["ideas"] == 2
    assert quality["milestone_share"] == pytest.approx(0.5)
    assert quality["supports_per_idea"] == pytest.approx(1.0)
    assert quality["builds_on"] == 1
    # Second: dee (13th, 14th) and ben (11th, then today's idea at 9:00, rolled up by the job's snapshot at noon).
    assert result["funnel"] == {"visitors": None, "registered": 1, "first": 3, "second": 2}
    assert result["cohorts"] == [{"month": "2026-02", "size": 1, "retained": [1]},
                                 {"month": "2026-03", "size": 3, "retained": []}]
    series = {row[0]: row[1:] for row in result["series"]}
    assert series[date(2026, 3, 13)] == (0, 2, 0, 1)
    assert series[date(2026, 3, 15)] == (1, 0, 0, 1)  # today, read live


def test_site_scope_adds_up_challenges_and_skips_drafts(told):
    result = insights.figures(SITE, seven_days())
    assert result["active"] == 4
    assert result["contributions"] == 9


def test_previous_period_and_all_time(told):
    previous = insights.figures(told["challenge"].id, seven_days().previous(), light=True)
    assert previous["active"] == 0
    everything = insights.figures(told["challenge"].id, periods.make_period("all", scope_id=told["challenge"].id))
    assert everything["active"] == 4
    assert everything["ideas"] == 3  # February's idea too
    assert (everything["new"], everything["returning"]) == (4, 0)
    assert everything["response_median_s"] == 86_400


def test_even_count_median_averages_the_middle_pair(told):
    SupportFactory(user=told["dee"], idea=told["february"], created_at=at(2, 20, 11))  # an hour after it was shared
    rollups.mark_dirty("idea", told["february"].id)
    rollups.run_incremental()
    period = periods.make_period("custom", date(2026, 2, 1), date(2026, 3, 15))
    assert facts.median(told["challenge"].id, period, "first_response_s") == pytest.approx((3600 + 86_400) / 2)
    assert facts.median(SITE, period, "first_response_s") == pytest.approx((3600 + 86_400) / 2)
    assert facts.median(told["challenge"].id, period, "review_s") is None


def test_medians_read_through_buckets_equal_the_plain_median(told):
    """Many facts in many buckets, odd and even counts: the bucketed median is the exact one."""
    import random
    import statistics

    rng = random.Random(3)
    challenge = told["challenge"]
    values = [round(rng.expovariate(1 / 5000), 3) for _ in range(200)] + [120.0] * 40  # ties in one bucket
    for n, seconds in enumerate(values):
        db.session.add(IdeaFact(idea_id=IdeaFactory(challenge=challenge).id, challenge_id=challenge.id,
                                day=date(2026, 1, 1 + n % 28), first_response_s=seconds))
    db.session.flush()
    facts.recompute_fact_days(None)
    january = periods.make_period("custom", date(2026, 1, 1), date(2026, 1, 31))
    assert len(values) % 2 == 0  # the middle pair, here; an odd count below
    assert facts.median(challenge.id, january, "first_response_s") == pytest.approx(statistics.median(values))
    weeks = periods.make_period("custom", date(2026, 1, 2), date(2026, 1, 20))
    inside = [v for n, v in enumerate(values) if 2 <= 1 + n % 28 <= 20]
    assert len(inside) % 2 == 1
    assert facts.median(SITE, weeks, "first_response_s") == pytest.approx(statistics.median(inside))


@pytest.mark.parametrize("values, expected", [
    ([0.0, 0.0, 0.0, 0.0, 0.0, 10.0, 20.0], 0.0),  # the middle sits in a bucket of equal values
    ([0.0, 0.0, 5.0, 7.0], 2.5),  # the middle pair straddles two buckets
    ([30.0, 0.0, 0.0, 31.0], 15.0),
])
def test_medians_across_buckets_of_equal_values(session, values, expected):
    challenge = ChallengeFactory()
    for seconds in values:
        db.session.add(IdeaFact(idea_id=IdeaFactory(challenge=challenge).id, challenge_id=challenge.id,
                                day=date(2026, 1, 5), first_response_s=seconds))
    db.session.flush()
    facts.recompute_fact_days(None)
    period = periods.make_period("custom", date(2026, 1, 1), date(2026, 1, 31))
    assert facts.median(challenge.id, period, "first_response_s") == pytest.approx(expected)


def _tables():
    rows = {}
    for model in (MemberDay, MemberWeek, MemberMonth, MemberFirst, DailyRollup, IdeaFact, FactDay, SpeedBucket):
        columns = list(model.__table__.columns)
        rows[model.__tablename__] = sorted(tuple(row) for row in db.session.execute(select(*columns)))
    rows["summaries"] = sorted((s.scope_id, s.data) for s in db.session.scalars(select(ScopeSummary)))
    return rows


def test_running_the_job_twice_changes_nothing(told):
    first = _tables()
    rollups.run_incremental()
    assert _tables() == first


def test_rebuild_equals_the_incremental_job(session):
    clock.freeze(at(3, 12, 23))
    story_data = story()
    rollups.run_incremental()  # day by day, as the scheduler would
    clock.freeze(at(3, 14, 1))
    rollups.run_incremental()
    clock.freeze(NOW)
    rollups.run_incremental()
    incremental = _tables()
    rollups.rebuild()
    assert _tables() == incremental
    assert story_data["challenge"].id in {row[0] for row in incremental["community_daily"]}


def test_hiding_an_idea_later_removes_its_contributions(told):
    idea = told["idea"]
    idea.status = "hidden"
    signals.idea_status_changed.send(idea, idea_id=idea.id, before="published", after="hidden", actor_id=None)
    db.session.flush()
    rollups.run_incremental()
    result = insights.figures(told["challenge"].id, seven_days())
    # Left: ben's idea today. Everything on the hidden idea (comments, supports) is gone.
    assert (result["active"], result["contributions"]) == (1, 1)
    incremental = _tables()
    rollups.rebuild()
    assert _tables() == incremental


def test_long_periods_read_months_and_edges_the_same_as_days(told):
    by_days = insights.per_member(told["challenge"].id, periods.make_period("custom", date(2026, 2, 1),
                                                                           date(2026, 3, 14)))[0]
    assert by_days == {told["ana"].id: [2, 1, 0], told["ben"].id: [0, 1, 1], told["cy"].id: [0, 0, 1],
                       told["dee"].id: [0, 3, 0]}


def test_plan_progress_by_hand(told):
    current = insights.plan_progress_figures(told["challenge"])
    assert current == {"participants": 4, "ideas": 3, "comments": 5, "supports": 2,
                       "first_time_share": 100.0, "response_hours": 24.0}


def test_cached_figures_are_dropped_when_the_job_runs_again(app, told):
    app.config["INSIGHTS_CACHE_SECONDS"] = 60
    try:
        period = periods.make_period("custom", date(2026, 3, 9), date(2026, 3, 14))
        before = insights.figures(told["challenge"].id, period)
        assert insights.figures(told["challenge"].id, period) is before  # kept
        told["idea"].status = "hidden"
        signals.idea_status_changed.send(told["idea"], idea_id=told["idea"].id, before="published", after="hidden",
                                         actor_id=None)
        clock.freeze(NOW + timedelta(minutes=10))
        rollups.run_incremental()
        after = insights.figures(told["challenge"].id, period)
        assert (before["active"], after["active"]) == (4, 0)
    finally:
        del app.config["INSIGHTS_CACHE_SECONDS"]


def test_periods_read_whole_weeks_months_and_days_each_day_once():
    for start, end in [(date(2026, 2, 1), date(2026, 3, 14)), (date(2026, 3, 2), date(2026, 3, 15)),
                       (date(2026, 1, 7), date(2026, 4, 20)), (date(2026, 3, 4), date(2026, 3, 6))]:
        covered = []
        for model, _column, first, last in insights._blocks(start, end):
            if model is MemberMonth:
                covered += [d for d in _days(first, rollups.next_month(last) - timedelta(days=1))]
            elif model is MemberWeek:
                assert first.weekday() == 0
                covered += _days(first, last + timedelta(days=6))
            else:
                covered += _days(first, last)
        assert sorted(covered) == _days(start, end)  # every day once, none outside


def _days(first, last):
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def test_weeks_sum_to_what_the_content_tables_say(told):
    """A period of whole weeks and edge days (2–15 March) against a direct count of the contributions."""
    period = periods.make_period("custom", date(2026, 3, 2), date(2026, 3, 15))
    direct = rollups.contributions(rollups.day_start(period.start), rollups.day_start(period.end + timedelta(days=1)))
    challenge_id = told["challenge"].id
    expected = {user_id: counts for (scope_id, user_id), counts in direct.items() if scope_id == challenge_id}
    assert insights.per_member(challenge_id, period)[0] == expected
    assert {row.week for row in db.session.scalars(select(MemberWeek))} == {date(2026, 3, 9), date(2026, 2, 16)}


def test_after_the_snapshot_only_new_contributions_are_read_live(told):
    """The job rolls today up to its run; what comes after is read live. The figures then equal those of
    a job run that sees everything (and a full rebuild)."""
    challenge = told["challenge"]
    assert rollups.snapshot_at() == NOW
    assert db.session.scalar(select(DailyRollup.ideas).where(
        DailyRollup.scope_id == challenge.id, DailyRollup.day == NOW.date())) == 1  # ben's idea at 9:00
    clock.freeze(NOW + timedelta(minutes=5))
    eve = UserFactory(username="eve")
    SupportFactory(user=eve, idea=told["today"], created_at=NOW + timedelta(minutes=1))  # a new member
    CommentFactory(idea=told["today"], author=told["ben"], created_at=NOW + timedelta(minutes=2))  # ben again
    db.session.flush()
    read_live = insights.figures(challenge.id, seven_days())
    progress_live = insights.plan_progress_figures(challenge)
    assert (read_live["active"], read_live["new"], read_live["contributions"]) == (5, 4, 11)
    today_row = {row[0]: row[1:] for row in read_live["series"]}[NOW.date()]
    assert today_row == (1, 1, 1, 2)  # ben counted once though he contributed before and after the snapshot
    assert (progress_live["participants"], progress_live["comments"], progress_live["supports"]) == (5, 6, 3)
    rollups.run_incremental()
    assert rollups.snapshot_at() == NOW + timedelta(minutes=5)
    for key in ("active", "new", "returning", "ideas", "comments", "supports", "first_time_share", "top10",
                "gini", "series", "funnel"):
        assert insights.figures(challenge.id, seven_days())[key] == read_live[key], key
    assert {key: value for key, value in insights.plan_progress_figures(challenge).items()
            if key in ("participants", "ideas", "comments", "supports")} == {
        key: progress_live[key] for key in ("participants", "ideas", "comments", "supports")}
    incremental = _tables()
    rollups.rebuild()
    assert _tables() == incremental


def test_the_first_job_after_the_daily_sums_came_in_sums_every_day(session):
    """As right after the upgrade that added FactDay: facts of old days exist, their daily sums do not;
    a recently touched idea must not make the job think the sums were already there."""
    clock.freeze(NOW)
    challenge = ChallengeFactory()
    old = IdeaFactory(challenge=challenge, created_at=at(1, 10), last_activity_at=at(1, 11),
                      status_changed_at=at(1, 10))
    CommentFactory(idea=old, created_at=at(1, 11))
    IdeaFactory(challenge=challenge)  # touched today
    db.session.flush()
    rollups.rebuild()
    assert at(1, 10).date() in {row.day for row in db.session.scalars(select(FactDay))}
    db.session.execute(FactDay.__table__.delete())
    db.session.execute(SpeedBucket.__table__.delete())
    rollups.run_incremental()
    assert at(1, 10).date() in {row.day for row in db.session.scalars(select(FactDay))}
    after = _tables()
    rollups.rebuild()
    assert after == _tables()
