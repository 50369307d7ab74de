"""Demo data for `flask seed-demo`: accounts of every role, then each feature's content."""
import importlib

from app.auth import services as auth
from app.auth.models import User
from app.extensions import db

DEMO_PASSWORD = "kindling-demo-2026"

# username, e-mail, display name, roles, bio, skills, interests
DEMO_MEMBERS = [
    ("ada", "ada@kindling.test", "Ada Admin", ("admin", "moderator"),
     "Runs this Kindling site.", ["community management"], ["civic tech"]),
    ("moe", "moe@kindling.test", "Moe Moderator", ("moderator",),
     "Keeps the conversation kind and on topic.", ["moderation", "facilitation"], ["education"]),
    ("olivia", "olivia@kindling.test", "Olivia Owner", (),
     "Founder of a small urban-farming start-up; posts challenges and runs hold-ups.",
     ["entrepreneurship", "agronomy"], ["food", "cities"]),
    ("mia", "mia@kindling.test", "Mia Member", (),
     "Volunteer designer who likes a good problem.", ["design", "prototyping"], ["energy", "housing"]),
    ("noah", "noah@kindling.test", "Noah Volunteer", (),
     "Data analyst, weekend volunteer.", ["data", "python"], ["mobility", "energy"]),
    ("lea", "lea@kindling.test", "Léa Bénévole", (),
     "Étudiante en urbanisme.", ["urbanisme", "enquêtes"], ["énergie", "logement"]),
]


# Each feature adds its part of the demo, in this order, given the members by username.
FEATURE_DEMOS = ("challenges.demo", "voting.demo", "moderation.demo", "challenges.holdups.demo", "search.demo")


def seed_demo():
    """Create the demo accounts and content. Returns False when already loaded."""
    if db.session.query(User.id).filter_by(username_key="ada").first():
        return False
    members = {}
    for username, email, name, roles, bio, skills, interests in DEMO_MEMBERS:
        user = auth.register_user(username, email, DEMO_PASSWORD)
        user.is_admin = "admin" in roles
        user.is_moderator = "moderator" in roles
        auth.update_profile(user, display_name=name, bio=bio, skills=skills, interests=interests)
        members[username] = user
    db.session.flush()
    for module_name in FEATURE_DEMOS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name != module_name:
                raise
            continue  # that feature has no demo content
        module.seed_demo(members)
        db.session.flush()
    return True
