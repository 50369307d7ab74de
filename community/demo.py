"""Community demo: neighbours who took part over the past weeks, an engagement plan, rollups, recognition.

Olivia's challenges get supports and comments spread over the last five
weeks (so the insights charts have days to show), a plan with targets, and
a confirmed contributor of the month; the site-wide one is confirmed by ada.
"""
import random
from datetime import timedelta

from markupsafe import escape
from sqlalchemy import select

from app import clock
from app.auth import services as auth
from app.extensions import db
from challenges.holdups.models import Holdup
from challenges.models import Challenge, Comment, Idea
from community.models import SITE
from community.services import plans, recognition, rollups
from voting.models import Support

# username, display name, skills, interests
NEIGHBOURS = [
    ("amara", "Amara Diallo", ["logistics"], ["food", "cities"]),
    ("bruno", "Bruno Costa", ["electrician"], ["energy", "housing"]),
    ("chen", "Chen Wei", ["data"], ["energy"]),
    ("dara", "Dara Okafor", ["cooking"], ["food"]),
    ("elif", "Elif Yilmaz", ["architecture"], ["housing", "cities"]),
    ("femi", "Femi Adeyemi", ["volunteering"], ["food"]),
    ("greta", "Greta Lind", ["teaching"], ["energy", "education"]),
    ("hana", "Hana Sato", ["plumbing"], ["housing"]),
]
COMMENTS = [
    "Could the market's cold room be opened an hour later for this?",
    "We tried something like this in our building: it worked once people knew who to call.",
    "Love it. Who would keep the rota going over the summer holidays?",
    "Maybe start with one market as a pilot and measure the kilos saved.",
    "The housing association might pay for the first sensors.",
    "I can help with the spreadsheet side of it.",
]


def seed_demo(members):
    rng = random.Random(12)
    now = clock.now()
    neighbours = []
    for username, name, skills, interests in NEIGHBOURS:
        user = auth.register_user(username, f"{username}@kindling.test", _password())
        auth.update_profile(user, display_name=name, bio="A neighbour taking part in Kindling.",
                            skills=skills, interests=interests)
        user.created_at = now - timedelta(days=rng.randint(40, 70))
        neighbours.append(user)
    db.session.flush()
    olivia = members["olivia"]
    challenges = db.session.scalars(select(Challenge).where(
        Challenge.owner_id == olivia.id, Challenge.phase.in_(("submission", "voting"))).order_by(Challenge.id)).all()
    for challenge in challenges:
        ideas = db.session.scalars(select(Idea).where(Idea.challenge_id == challenge.id, Idea.is_public.is_(True))
                                   .order_by(Idea.id)).all()
        first_day = max(1, (now - clock.aware(challenge.submission_at)).days - 1)
        for position, idea in enumerate(ideas):
            # Ideas arrived over the challenge's first days; the first one gathers the most.
            idea.created_at = now - timedelta(days=first_day - position, hours=rng.randint(0, 12))
        _activity(rng, challenge, ideas, neighbours, first_day, now)
    db.session.flush()
    if challenges:
        waste = challenges[0]
        plans.save_plan(olivia, waste, "Bring every market's stallholders and their neighbours into the conversation.",
                        ["stallholders", "food banks", "residents"], {
                            "participants": (25, (now + timedelta(days=30)).date()),
                            "ideas": (12, (now + timedelta(days=20)).date()),
                            "comments": (60, (now + timedelta(days=30)).date()),
                            "first_time_share": (40, (now + timedelta(days=30)).date()),
                            "response_hours": (24, (now + timedelta(days=20)).date()),
                        })
    upcoming = next((c for c in challenges if c.format == "holdup"
                     and getattr(db.session.get(Holdup, c.id), "status", "") == "scheduled"), None)
    if upcoming is not None:
        plans.save_plan(olivia, upcoming, "Leave the session with three offers to try next month.",
                        ["restaurants", "market regulars"], {
                            "registrations": (8, (now + timedelta(days=4)).date()),
                            "attendance": (4, (now + timedelta(days=6)).date()),
                        })
    rollups.rebuild()
    recognition.award_badges()
    recognition.propose_all()
    if challenges and recognition.proposal(challenges[0].id):
        recognition.decide(olivia, challenges[0], recognition.proposal(challenges[0].id)["month"])
    if recognition.proposal(SITE):
        recognition.decide(members["ada"], None, recognition.proposal(SITE)["month"])


def _activity(rng, challenge, ideas, neighbours, first_day, now):
    for user in neighbours:
        if rng.random() < 0.25:
            continue  # not everyone joins every challenge
        for position, idea in enumerate(ideas):
            if idea.author_id == user.id or rng.random() > 0.8 - 0.15 * position:
                continue
            created = _moment(rng, idea, first_day, now)
            db.session.add(Support(user_id=user.id, idea_id=idea.id, created_at=created))
            idea.supporter_count += 1
            if rng.random() < 0.45:
                text = rng.choice(COMMENTS)
                db.session.add(Comment(idea_id=idea.id, author_id=user.id, body=text, body_html=f"<p>{escape(text)}</p>",
                                       status="published", depth=0,
                                       created_at=created + timedelta(hours=rng.randint(1, 30))))
                idea.comment_count += 1
                challenge.comment_count += 1


def _moment(rng, idea, first_day, now):
    since = clock.aware(idea.created_at)
    span = max(1.0, (now - since).total_seconds() / 3600 - 31)
    return since + timedelta(hours=rng.uniform(1, span))


def _password():
    from app.demo import DEMO_PASSWORD

    return DEMO_PASSWORD
