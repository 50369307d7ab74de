"""A burst of 10,000 notifications from one event, and from 10,000 events; the pages a member reads after.

    .venv/bin/python bench/notifications_fanout.py [sqlite|postgresql ...] [--followers 10000] [--events 10000]

Everything runs in this process, as the notification job would (no Redis:
the outbox rows are recorded, not handed over), so the figures are the
database's and the application's own time:

1. Fan-out, defaults: a challenge with 10,000 followers moves to voting;
   the job (notifications.services.events.challenge_phase_changed) makes
   10,000 notifications, which wait for the daily digest (no e-mail row).
   Then the morning's digest collection: 10,000 digest e-mails and their
   send_email outbox rows, 2,000 per job (the job chains itself).
2. Fan-out, everyone wants it at once: the same 10,000 followers chose
   "immediately" for what they follow; the next phase change makes 10,000
   notifications, 10,000 e-mail rows and 10,000 outbox rows in one job.
3. 10,000 events for one member: notify() once per event, committed every
   500 (as jobs would), then that member's pages.
4. Pages after: GET /notifications/count (the nav's htmx poll; 304 and 200),
   /notifications (the centre, first page) and a deep page, for a follower
   and for the member with 10,000 notifications. The nav count on every
   page is a stored column (no query of its own).
"""
import argparse
import logging
import sys
import time
from datetime import timedelta
from pathlib import Path

if not __package__:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.voting_common import bulk, database_url, line, make_app, member_session, percentiles, reset_schema, seed  # noqa: E402


def _counts():
    from sqlalchemy import func, select

    from app.extensions import db
    from app.outbox import OutboxJob
    from notifications.models import Notification, OutgoingEmail

    return tuple(db.session.scalar(select(func.count()).select_from(table))
                 for table in (Notification, OutgoingEmail, OutboxJob))


def _timed(label, work):
    from app.database import writing
    from app.extensions import db

    before = _counts()
    started = time.perf_counter()
    with writing():
        work()
        db.session.commit()
    seconds = time.perf_counter() - started
    after = _counts()
    made = [a - b for a, b in zip(after, before, strict=True)]
    print(f"{label:<58} {seconds:6.2f} s  (+{made[0]:,} notifications, +{made[1]:,} e-mail rows, "
          f"+{made[2]:,} outbox rows)", flush=True)
    return seconds


def _phase(challenge_id, after):
    from app.extensions import db
    from challenges.models import Challenge
    from notifications.services import events

    challenge = db.session.get(Challenge, challenge_id)
    before, challenge.phase = challenge.phase, after
    db.session.flush()
    events.challenge_phase_changed(challenge_id, before, after)


def _digests():
    from app import clock
    from notifications.services import digests

    morning = (clock.now() + timedelta(days=1)).replace(hour=digests.DIGEST_HOUR, minute=5)
    while digests.collect_digests(now=morning):
        pass  # each call is what one chained collect_digests job does


def _events(member_id, count):
    from app.extensions import db
    from notifications.services.delivery import notify

    for n in range(count):
        notify([member_id], "comments", f"Comment number {n} on your idea.", url=f"/ideas/{1 + n % 10}")
        if n % 500 == 499:
            db.session.commit()


def _pages(backend, app, member_id, who, requests, expect):
    client = app.test_client()
    client.set_cookie("session", member_session(app, member_id)["Cookie"].split("=", 1)[1])
    assert expect in client.get("/notifications").get_data(as_text=True), "the centre shows the member's notifications"
    etag = client.get("/notifications/count").headers["ETag"]
    for label, path, headers, status in (
        ("count poll 304", "/notifications/count", {"If-None-Match": etag}, 304),
        ("count poll 200", "/notifications/count", {}, 200),
        ("centre page 1", "/notifications", {}, 200),
        ("centre page 300", "/notifications?page=300", {}, 200),
    ):
        samples = []
        for _ in range(requests):
            began = time.perf_counter()
            response = client.get(path, headers=headers)
            samples.append(time.perf_counter() - began)
            assert response.status_code == status, (path, response.status_code)
        print(line(f"{backend} {who}: {label}", percentiles(samples[10:])), flush=True)


def run(backend, followers, events, requests):
    from app.extensions import db
    from challenges.models import ChallengeFollow
    from notifications.models import NotificationPreference

    app = make_app(database_url(backend, name="notifications_fanout"))
    reset_schema(app)
    members = followers + 1  # member 1 owns the challenge
    seed(app, members=members, ideas=10, supports=0)
    with app.app_context():
        bulk(ChallengeFollow.__table__, [{"user_id": m, "challenge_id": 1} for m in range(2, members + 1)])
        db.session.commit()
        print(f"-- {backend}: {followers:,} followers, then {events:,} events for one member", flush=True)
        _timed(f"{backend} fan-out 1 event -> {followers:,} (daily digest)", lambda: _phase(1, "voting"))
        _timed(f"{backend} morning digests for {followers:,} members", _digests)
        bulk(NotificationPreference.__table__,
             [{"user_id": m, "kind": "following", "delivery": "immediately"} for m in range(2, members + 1)])
        db.session.commit()
        _timed(f"{backend} fan-out 1 event -> {followers:,} (immediately)", lambda: _phase(1, "review"))
        _timed(f"{backend} {events:,} events -> 1 member (commits of 500)", lambda: _events(1, events))
    _pages(backend, app, 2, "follower (2 notifications)", requests, "Voting has opened")
    _pages(backend, app, 1, f"member with {events:,}", requests, f"Comment number {events - 1} ")


def main():
    logging.getLogger("kindling.requests").setLevel(logging.WARNING)  # one JSON line per request otherwise
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("backends", nargs="*", help="sqlite and/or postgresql (default: both)")
    parser.add_argument("--followers", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    for backend in args.backends or ["sqlite", "postgresql"]:
        run(backend, args.followers, args.events, args.requests)


if __name__ == "__main__":
    main()
