"""The live hold-up board under a full room: 50 participants polling every 2 s, 15 posting notes.

    .venv/bin/python bench/holdup_board.py [sqlite|postgresql ...] [--seconds 60]

A gunicorn server (2 workers x 8 threads, as on the 2-core target)
serves the board. 50 registered participants poll /live/board every
2 seconds with If-None-Match, as htmx does on the page; 15 of them post a
note every 4–8 seconds; the facilitator moves between the diverge and
cluster steps every 10 seconds (notes sent during the cluster step are
refused, as in a real session). Printed: poll latency (all, 304, changed),
the share of polls answered 304, note latency and outcomes.
"""
import argparse
import os
import random
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from datetime import time as day_time
from pathlib import Path
from urllib.parse import urlencode

if not __package__:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.voting_common import (  # noqa: E402
    Client,
    database_url,
    line,
    make_app,
    member_session,
    percentiles,
    reset_schema,
    server,
)

PARTICIPANTS, POSTERS, POLL_SECONDS = 50, 15, 2.0


def send(client, method, path, headers, body=None):
    """One request; gunicorn closes idle keep-alive connections after 2 s, so reconnect as a browser would."""
    import http.client

    for attempt in (1, 2):
        began = time.perf_counter()
        try:
            client.conn.request(method, path, body=body, headers=headers)
            response = client.conn.getresponse()
            response.read()
            return response, time.perf_counter() - began
        except (ConnectionError, http.client.HTTPException):
            client.conn.close()
            if attempt == 2:
                raise


def seed(app):
    """One hold-up started and at its diverge step, 50 registered participants. Returns slug, owner, participants."""
    from app.auth import services as accounts
    from app.extensions import db
    from challenges.holdups.services import live, registration, setup
    from challenges.services import challenges

    with app.app_context():
        owner = accounts.register_user("facilitator", "facilitator@example.org", "bench-password-12345")
        people = [accounts.register_user(f"participant{n}", f"participant{n}@example.org", "bench-password-12345")
                  for n in range(PARTICIPANTS)]
        now = datetime.now(UTC)
        challenge = challenges.create_challenge(
            owner, title="How might the bakery give away its unsold bread?", summary="A bench hold-up.",
            problem="Forty loaves a night.", norms="Be kind.", format="holdup", is_open=True,
            moderation_policy="post", tags=[],
            schedule=challenges.Schedule(submission_at=now - timedelta(days=1), voting_at=None,
                                         review_at=now + timedelta(days=30), results_at=now + timedelta(days=60)))
        challenge.phase = "submission"
        challenge.published_at = now
        soon = now + timedelta(minutes=5)
        holdup = setup.save_holdup(owner, challenge, day=soon.date(), at=day_time(soon.hour, soon.minute),
                                   time_zone="UTC", capacity=PARTICIPANTS, place="Market hall")
        for person in people:
            registration.register(person, challenge, holdup, accept_norms=True)
        live.start_session(owner, challenge, holdup)
        live.move(owner, challenge, holdup, 1, +1)
        live.move(owner, challenge, holdup, 2, +1)
        db.session.commit()
        result = challenge.slug, owner.id, [p.id for p in people]
        db.session.remove()
        return result


def run(backend, seconds):
    url = database_url(backend, "holdup")
    os.environ["HOLDUP_NOTE_PACE_SECONDS"] = "0"  # the bench paces the posters itself
    app = make_app(url)
    reset_schema(app)
    slug, owner_id, people = seed(app)
    sessions = {user_id: member_session(app, user_id) for user_id in [owner_id, *people]}
    board, form = f"/challenges/{slug}/live/board", "application/x-www-form-urlencoded"
    polls, lock = {"304": [], "200": [], "other": []}, threading.Lock()
    notes, note_codes, moves = [], {}, []
    with server(url) as port:
        warm = Client(port)
        warm.request("GET", f"/challenges/{slug}/live", sessions[owner_id])
        stop = time.perf_counter() + seconds

        def poller(index):
            rng = random.Random(index)
            client = Client(port)
            headers = dict(sessions[people[index]], **{"HX-Request": "true", "HX-Target": "board"})
            etag = None
            time.sleep(rng.random() * POLL_SECONDS)
            local = {"304": [], "200": [], "other": []}
            while time.perf_counter() < stop:
                began = time.perf_counter()
                sent = dict(headers, **({"If-None-Match": etag} if etag else {}))
                response, took = send(client, "GET", board, sent)
                key = str(response.status) if response.status in (200, 304) else "other"
                local[key].append(took)
                etag = response.getheader("ETag") or etag
                time.sleep(max(0.0, POLL_SECONDS - (time.perf_counter() - began)))
            with lock:
                for key, values in local.items():
                    polls[key].extend(values)

        def poster(index):
            rng = random.Random(1000 + index)
            client = Client(port)
            headers = dict(sessions[people[index]], **{"Content-Type": form})
            local, codes, n = [], {}, 0
            time.sleep(rng.random() * 4)
            while time.perf_counter() < stop:
                n += 1
                body = urlencode({"body": f"Idea {n} from participant {index}: " + rng.choice(
                    ["a bike courier rota", "a shared fridge", "half price after 18:30", "a late drop-off box"])})
                response, took = send(client, "POST", f"/challenges/{slug}/live/notes", headers, body)
                status = response.status
                local.append(took)
                codes[status] = codes.get(status, 0) + 1
                time.sleep(rng.uniform(4, 8))
            with lock:
                notes.extend(local)
                for code, count in codes.items():
                    note_codes[code] = note_codes.get(code, 0) + count

        def facilitator():
            client = Client(port)
            headers = dict(sessions[owner_id], **{"Content-Type": form})
            step, local = 3, []
            while time.perf_counter() + 10 < stop:
                time.sleep(10)
                action = "next" if step == 3 else "previous"
                _response, took = send(client, "POST", f"/challenges/{slug}/live/console", headers,
                                       urlencode({"action": action, "from_step": step}))
                local.append(took)
                step = 4 if step == 3 else 3
            with lock:
                moves.extend(local)

        threads = [threading.Thread(target=poller, args=(i,)) for i in range(PARTICIPANTS)]
        threads += [threading.Thread(target=poster, args=(i,)) for i in range(POSTERS)]
        threads.append(threading.Thread(target=facilitator))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    every = polls["304"] + polls["200"]
    share = len(polls["304"]) / len(every) if every else 0
    print(f"\n{backend}: {seconds} s, {PARTICIPANTS} participants polling every {POLL_SECONDS:.0f} s, "
          f"{POSTERS} posting, facilitator moving every 10 s")
    print(line("poll (all)", percentiles(every)))
    print(line("poll unchanged (304)", percentiles(polls["304"])))
    print(line("poll changed (200)", percentiles(polls["200"])))
    print(f"{'share of polls answered 304':<34} {share:.1%}   (other statuses: {len(polls['other'])})")
    print(line("note post", percentiles(notes)))
    print(f"{'note outcomes':<34} {dict(sorted(note_codes.items()))}  (303 posted, 422 outside diverge)")
    if moves:
        print(line("facilitator step move", percentiles(moves)))
    print(f"in-process CPU per poll, board as the run left it ({len(notes)} notes sent): "
          + ", ".join(f"{kind} {ms:.2f} ms" for kind, ms in cpu_per_poll(app, board, sessions[people[0]]).items()))
    return share


def cpu_per_poll(app, board, session_headers, polls=200):
    """CPU time of one poll in this process (no gunicorn, no queueing): the figure background load moves least.

    Best of three rounds each: unchanged (304), changed with the board already rendered by another poller
    of the same kind, and changed with the board rendered for this poll."""
    import logging

    from challenges.holdups import board_cache

    logging.getLogger("kindling.requests").disabled = True
    client = app.test_client()
    headers = dict(session_headers, **{"HX-Request": "true", "HX-Target": "board"})
    etag = client.get(board, headers=headers).headers["ETag"]

    def one(kind):
        if kind == "rendered for this poll":
            board_cache.forget()
        response = client.get(board, headers=dict(headers, **({"If-None-Match": etag} if kind == "unchanged" else {})))
        assert response.status_code == (304 if kind == "unchanged" else 200), response.status_code

    figures = {}
    for kind in ("unchanged", "changed, shared copy", "rendered for this poll"):
        rounds = []
        for _ in range(3):
            began = time.process_time()
            for _ in range(polls):
                one(kind)
            rounds.append((time.process_time() - began) / polls * 1000)
        figures[kind] = min(rounds)
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("backends", nargs="*", default=["sqlite"], choices=["sqlite", "postgresql", []])
    parser.add_argument("--seconds", type=int, default=60)
    args = parser.parse_args()
    for backend in args.backends or ["sqlite"]:
        run(backend, args.seconds)


if __name__ == "__main__":
    main()
