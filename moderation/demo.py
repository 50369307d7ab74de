"""Demo content for the moderation desk: things waiting, flags, decisions in the log."""
from datetime import timedelta

from sqlalchemy import select

from app import clock
from app.auth import services as auth
from app.auth.models import User
from app.demo import DEMO_PASSWORD
from app.extensions import db
from challenges.models import Challenge, Comment, Idea
from challenges.services import ideas as challenge_ideas
from moderation.services import decisions, flags, items, queue, sanctions, watched_words

PENDING = [
    ("sam", "Swap shelves in the library for surplus bread",
     "Bakeries drop their evening surplus at the public library, where a shelf is free for anyone to take."),
    ("sam", "Earn crypto for every kilo of saved food",
     "A token rewards each household for the food it saves; the tokens buy coffee at partner cafés."),
    ("sam", "Compost bins at every market exit",
     "Stallholders drop peelings and bruised fruit in bins that a community garden empties each morning."),
    ("lea", "Une appli de dons entre voisins pour les restes",
     "Chaque voisin publie ce qu'il ne mangera pas ce soir ; un autre passe le chercher avant 21 h."),
]


def seed_demo(members):
    moe, ada = members["moe"], members["ada"]
    watched_words.add_watched_word(ada, "casino", "block", message="Gambling adverts are not welcome here.")
    watched_words.add_watched_word(ada, "crypto", "queue")
    watched_words.add_watched_word(ada, r"free\s+money", "flag", is_regex=True)

    challenge = db.session.scalar(
        select(Challenge).where(Challenge.phase == "submission").order_by(Challenge.id).limit(1))
    if challenge is None:
        return
    sam = auth.register_user("sam", "sam@kindling.test", DEMO_PASSWORD)
    auth.update_profile(sam, display_name="Sam Newcomer", bio="Joined this week.", skills=[], interests=["food"])
    members["sam"] = sam
    db.session.flush()

    # New members' first contributions wait for a moderator under "pre_new".
    policy, challenge.moderation_policy = challenge.moderation_policy, "pre_new"
    pending = [challenge_ideas.submit_idea(members[username], challenge, title=title, description=description,
                                           accept_norms=True) for username, title, description in PENDING]

    # Moe approved one of Sam's after it waited two hours, and rejected one of
    # Léa's with a note she can appeal.
    waited = queue.open_case_for("idea", pending[2].id)
    if waited is not None:
        waited.opened_at = clock.now() - timedelta(hours=2)
    decisions.decide(moe, items.load_item("idea", pending[2].id), "approve")
    decisions.decide(moe, items.load_item("idea", pending[3].id), "reject", reason="duplicate",
                     note="Very close to “Share leftover bread”; add your app idea there as a comment?")
    # Sam then edited his approved idea: still a new member, so the edit waits in the queue
    # ("Edit awaiting approval") while everyone else sees the approved text.
    compost = db.session.get(Idea, pending[2].id)
    challenge_ideas.edit_idea(sam, compost, title=compost.title, description=compost.description
                              + " Any stallholder who fills a bin gets a free bag of compost in spring.")
    challenge.moderation_policy = policy

    public = list(db.session.scalars(
        select(Idea).where(Idea.challenge_id == challenge.id, Idea.status == "published").order_by(Idea.id)))
    if public:
        target = public[-1]
        for flagger in ("mia", "noah"):
            if members[flagger].id != target.author_id:
                flags.flag_item(members[flagger], items.load_item("idea", target.id), "off_topic",
                                "Seems to be about parking, not food.")
    comment = db.session.scalar(select(Comment).join(Idea, Idea.id == Comment.idea_id).where(
        Idea.challenge_id == challenge.id, Comment.status == "published").order_by(Comment.id.desc()).limit(1))
    if comment is not None:
        for flagger in ("mia", "noah", "olivia", "ada"):
            if members[flagger].id != comment.author_id:
                found = items.load_item("comment", comment.id)
                if found.status == "published":
                    flags.flag_item(members[flagger], found, "spam")

    owner = db.session.get(User, challenge.owner_id)
    if owner.id != members["noah"].id:
        sanctions.appoint_moderator(owner, challenge, members["noah"])
