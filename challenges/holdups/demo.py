"""Demo hold-ups: one upcoming (registrations and a waitlist), one finished (board, clusters, dots, actions, report)."""
from datetime import time, timedelta

from app import clock
from app.auth import services as auth
from app.demo import DEMO_PASSWORD
from challenges.holdups.services import board, live, registration, report, setup
from challenges.holdups.services.common import registration_of
from challenges.services import challenges

NORMS = """- Listen first, then build on what others say.
- One idea per note; short is good.
- The entrepreneur decides what happens next; we help.
"""

# Volunteers who only take part in hold-ups: enough people for a waitlist.
VOLUNTEERS = [
    ("hugo", "hugo@kindling.test", "Hugo Helper", "Retired baker; knows every market in town."),
    ("ines", "ines@kindling.test", "Inès Idées", "Product designer, likes workshops."),
    ("kenji", "kenji@kindling.test", "Kenji Volunteer", "Logistics at a food bank."),
]


def _challenge(owner, title, summary, problem, tags, days):
    challenge = challenges.create_challenge(
        owner, title=title, summary=summary, problem=problem, norms=NORMS, format="holdup", is_open=True,
        moderation_policy="post", tags=tags,
        schedule=challenges.Schedule(submission_at=clock.now() + timedelta(days=days - 1), voting_at=None,
                                     review_at=clock.now() + timedelta(days=days + 60),
                                     results_at=clock.now() + timedelta(days=days + 90)))
    challenge.phase = "submission"
    challenge.published_at = clock.now() + timedelta(days=days - 1)
    return challenge


def seed_demo(members):
    people = dict(members)
    for username, email, name, bio in VOLUNTEERS:
        user = auth.register_user(username, email, DEMO_PASSWORD)
        auth.update_profile(user, display_name=name, bio=bio, skills=[], interests=["food"])
        people[username] = user
    olivia = people["olivia"]
    real_now = clock.now()

    # Upcoming, in five days at 18:30 Paris time: four seats, all taken, two waiting.
    upcoming = _challenge(
        olivia, "Hold-up: how can my urban farm sell its surplus salads before they wilt?",
        "Two hours, one problem: help Olivia's rooftop farm stop composting a third of its harvest.",
        "Our rooftop farm harvests **120 kg of salad a week**; a third wilts before it is sold.\n\n"
        "We sell to two restaurants and at one Saturday market. What could we try next month?",
        ["food", "cities"], days=0)
    day = (real_now + timedelta(days=5)).date()
    holdup = setup.save_holdup(olivia, upcoming, day=day, at=time(18, 30), time_zone="Europe/Paris", capacity=4,
                               place="La Ruche, 24 rue de l'Est, Paris", online_link="https://meet.example.org/salads",
                               facilitator_username="olivia", public_can_watch=True)
    for username in ("mia", "noah", "lea", "hugo", "ines", "kenji"):
        registration.register(people[username], upcoming, holdup, accept_norms=True)
    registration.message_people(olivia, upcoming, holdup, "Thank you for registering! Bring a pen; "
                                 "tea and salad are on us.", "all")

    # Finished, a week ago: the whole session replayed on a clock that moves.
    finished = _challenge(
        olivia, "Hold-up: how might the market's bakery give away its unsold bread?",
        "A finished hold-up: read its report, then see the ideas it added to the pool.",
        "Every evening the bakery at the covered market throws away **about 40 loaves**.\n\n"
        "It has no car, closes at 19:30, and the nearest food bank closes at 18:00.",
        ["food", "circular economy"], days=-8)
    start = real_now - timedelta(days=7)
    clock.freeze(start - timedelta(days=3))
    try:
        past = setup.save_holdup(olivia, finished, day=start.date(), at=time(start.hour, 0),
                                 time_zone="UTC", capacity=12, place="Covered market, stall 14",
                                 facilitator_username="moe", public_can_watch=True)
        crew = ["mia", "noah", "lea", "hugo", "kenji"]
        for username in crew:
            registration.register(people[username], finished, past, accept_norms=True)
        registration.set_credited(people["kenji"], finished, False)
        moe = people["moe"]
        when = clock.aware(past.starts_at)
        clock.freeze(when)
        live.start_session(moe, finished, past)

        def later(minutes):
            nonlocal when
            when += timedelta(minutes=minutes)
            clock.freeze(when)

        def mine(username):
            return registration_of(people[username], finished.id)

        later(14)
        question = board.post_question(people["noah"], finished, past, mine("noah"),
                                       "Which hours can volunteers collect the bread?")
        live.move(moe, finished, past, 1, +1)
        later(9)
        board.mark_answered(moe, finished, past, question)
        live.move(moe, finished, past, 2, +1)
        notes = {}
        for username, text in (("noah", "A bike courier rota from the stall to the food bank"),
                               ("lea", "Un frigo solidaire devant la halle"),
                               ("mia", "Sell day-old bread at half price from 18:30"),
                               ("hugo", "Bread pudding workshops with the school canteen"),
                               ("kenji", "Ask the food bank for a late drop-off box"),
                               ("noah", "A shared fridge in the market hall"),
                               ("mia", "Surplus bags on a waste-saving app")):
            later(2)
            notes[text] = board.post_note(people[username], finished, past, mine(username), text)
        later(12)
        live.move(moe, finished, past, 3, +1)
        fridge = board.create_cluster(moe, finished, past, None, "Community fridges")
        giving = board.create_cluster(moe, finished, past, None, "Getting bread to the food bank")
        selling = board.create_cluster(moe, finished, past, None, "Selling surplus")
        for text, cluster in (("Un frigo solidaire devant la halle", fridge), ("A shared fridge in the market hall", fridge),
                              ("A bike courier rota from the stall to the food bank", giving),
                              ("Ask the food bank for a late drop-off box", giving),
                              ("Sell day-old bread at half price from 18:30", selling),
                              ("Surplus bags on a waste-saving app", selling)):
            board.move_note(moe, finished, past, None, notes[text], cluster)
        later(16)
        live.move(moe, finished, past, 4, +1)
        for username, targets in (("mia", ["fridge", "fridge", "giving"]), ("noah", ["giving", "giving", "fridge"]),
                                  ("lea", ["fridge", "selling", "fridge"]), ("hugo", ["giving", "bread", "bread"]),
                                  ("kenji", ["giving", "giving", "selling"])):
            for target in targets:
                if target == "bread":
                    board.place_dot(people[username], finished, past, mine(username), "note",
                                    notes["Bread pudding workshops with the school canteen"].id)
                else:
                    cluster = {"fridge": fridge, "giving": giving, "selling": selling}[target]
                    board.place_dot(people[username], finished, past, mine(username), "cluster", cluster.id)
        later(9)
        live.move(moe, finished, past, 5, +1)  # closes the vote
        due = (when + timedelta(days=14)).date()
        board.add_action(moe, finished, past, None, what="Meet the food bank about a 19:45 drop-off box",
                         who_id=olivia.id, due_on=due, cluster_id=giving.id)
        board.add_action(people["noah"], finished, past, mine("noah"), what="Draft a bike courier rota (5 volunteers)",
                         who_id=people["noah"].id, due_on=due, cluster_id=giving.id)
        board.add_action(people["lea"], finished, past, mine("lea"), what="Ask the market hall about fridge space",
                         who_id=people["lea"].id, due_on=due + timedelta(days=7), cluster_id=fridge.id)
        later(31)
        live.move(moe, finished, past, 6, +1)
        later(12)
        live.end_session(moe, finished, past)
        later(60)
        report.promote_cluster(moe, finished, past, giving)
        report.promote_note(moe, finished, past, notes["Un frigo solidaire devant la halle"])
        clock.freeze(real_now - timedelta(days=2))
        report.post_follow_up(olivia, finished, past, "We met the food bank: from next month they leave a box "
                              "at the bakery's back door every evening. Noah's courier rota starts on Monday. "
                              "Thank you all!")
    finally:
        clock.freeze(None)
    return {"upcoming": upcoming, "finished": finished}
