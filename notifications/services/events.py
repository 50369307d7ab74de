"""What each event means, and for whom. Called by notifications.jobs with ids."""
import re

from sqlalchemy import select

from app import clock
from app.auth.models import User
from app.extensions import db
from challenges.models import (
    IDEA_PUBLIC,
    IDEA_STATUS_LABELS,
    Challenge,
    ChallengeFollow,
    ChallengeModerator,
    Comment,
    Idea,
    IdeaFollow,
)
from notifications.models import Notification
from notifications.services.delivery import notify

_IDEA_URL = re.compile(r"^/ideas/(\d+)")
PHASE_NEWS = {
    "submission": "“{title}” now takes ideas.",
    "voting": "Voting has opened on “{title}”.",
    "review": "“{title}” is in review: the owner is reading the ideas.",
    "results": "The results of “{title}” are published.",
    "closed": "“{title}” is closed.",
}
DECISION_NEWS = {
    "shortlisted": "Your idea “{title}” was shortlisted.",
    "selected": "Your idea “{title}” was selected!",
    "not_selected": "Your idea “{title}” was not selected this time.",
}


def idea_url(idea):
    return f"/ideas/{idea.id}"


def challenge_url(challenge):
    return f"/challenges/{challenge.slug}"


def _load_idea(idea_id):
    idea = db.session.get(Idea, idea_id)
    return (idea, db.session.get(Challenge, idea.challenge_id)) if idea else (None, None)


def idea_followers(idea_id):
    return set(db.session.scalars(select(IdeaFollow.user_id).where(IdeaFollow.idea_id == idea_id)))


def challenge_followers(challenge_id):
    return set(db.session.scalars(select(ChallengeFollow.user_id).where(ChallengeFollow.challenge_id == challenge_id)))


def moderation_notice(user_ids, message, url):
    """Moderation already words its decisions (approved, rejected and why, merged, suspended, lifted)."""
    idea = None
    match = _IDEA_URL.match(url or "")
    if match:
        idea = db.session.get(Idea, int(match.group(1)))
        if idea is not None and idea.status == "merged":
            idea = None  # the message is about the merge itself; its URL leads to the idea that stays
    notify(user_ids, "decisions", message, url=url, idea=idea)


def idea_status_changed(idea_id, before, after, actor_id):
    idea, challenge = _load_idea(idea_id)
    if idea is None or idea.status != after:
        return  # it has moved on since; the later event tells the story
    title, url = idea.title, idea_url(idea)
    if before == "pending" and after == "published":
        # A new public idea: those who follow the challenge hear about it (the author heard from moderation).
        notify(challenge_followers(challenge.id) - {idea.author_id}, "following",
               f"New idea in “{challenge.title}”: “{title}”.", url=url, idea=idea, challenge=challenge,
               actor_id=idea.author_id)
    elif after == "hidden":
        notify([idea.author_id], "decisions", f"Your idea “{title}” was hidden by the moderators while they look at it.",
               url=url, idea=idea, challenge=challenge, actor_id=actor_id)
    elif before == "hidden" and after in IDEA_PUBLIC:
        notify([idea.author_id], "decisions", f"Your idea “{title}” is visible again.", url=url, idea=idea,
               challenge=challenge, actor_id=actor_id)
    elif after == "in_review":
        notify([idea.author_id], "idea_updates", f"Your idea “{title}” completed its milestone ladder and is in review.",
               url=url, idea=idea, challenge=challenge, actor_id=actor_id)
        notify(idea_followers(idea.id) - {idea.author_id}, "following", f"“{title}” is in review.", url=url,
               idea=idea, challenge=challenge, actor_id=actor_id)
    elif after == "expired":
        notify([idea.author_id], "idea_updates",
               f"Your idea “{title}” missed its milestone deadline and has expired.", url=url, idea=idea,
               challenge=challenge, actor_id=actor_id)


def idea_reviewed(idea_id, decision, actor_id):
    idea, challenge = _load_idea(idea_id)
    if idea is None or decision not in DECISION_NEWS:
        return
    feedback = f" The owner’s feedback: {idea.feedback}" if idea.feedback else ""
    notify([idea.author_id], "idea_updates", DECISION_NEWS[decision].format(title=idea.title) + feedback,
           url=idea_url(idea), idea=idea, challenge=challenge, actor_id=actor_id)
    label = IDEA_STATUS_LABELS.get(decision, decision).lower()
    notify(idea_followers(idea.id) - {idea.author_id}, "following", f"“{idea.title}” was {label}.",
           url=idea_url(idea), idea=idea, challenge=challenge, actor_id=actor_id)


def comment_published(comment_id):
    """A comment became public (posted, or approved): its idea's author, the parent's author, followers."""
    comment = db.session.get(Comment, comment_id)
    if comment is None or comment.status != "published":
        return
    idea, challenge = _load_idea(comment.idea_id)
    if idea is None:
        return
    author = db.session.get(User, comment.author_id)
    url = f"{idea_url(idea)}#comment-{comment.id}"
    told = {comment.author_id}
    if comment.parent_id:
        parent = db.session.get(Comment, comment.parent_id)
        if parent is not None and parent.status == "published" and parent.author_id not in told:
            notify([parent.author_id], "replies", f"{author.name} replied to your comment on “{idea.title}”.",
                   url=url, idea=idea, challenge=challenge, actor_id=comment.author_id)
            told.add(parent.author_id)
    if idea.author_id not in told:
        notify([idea.author_id], "comments", f"{author.name} commented on your idea “{idea.title}”.", url=url,
               idea=idea, challenge=challenge, actor_id=comment.author_id)
        told.add(idea.author_id)
    notify(idea_followers(idea.id) - told, "following", f"{author.name} commented on “{idea.title}”.", url=url,
           idea=idea, challenge=challenge, actor_id=comment.author_id)


def comment_status_changed(comment_id, before, after):
    comment = db.session.get(Comment, comment_id)
    if comment is None or comment.status != after:
        return
    if before == "pending" and after == "published":
        return comment_published(comment_id)
    idea, challenge = _load_idea(comment.idea_id)
    url = f"{idea_url(idea)}#comment-{comment.id}"
    if after == "hidden":
        notify([comment.author_id], "decisions", f"Your comment on “{idea.title}” was hidden while moderators look at it.",
               url=url, idea=idea, challenge=challenge)
    elif before == "hidden" and after == "published":
        notify([comment.author_id], "decisions", f"Your comment on “{idea.title}” is visible again.", url=url,
               idea=idea, challenge=challenge)


def milestone_reached(idea_id, level, supporters):
    idea, challenge = _load_idea(idea_id)
    if idea is None:
        return
    notify([idea.author_id], "idea_updates",
           f"Your idea “{idea.title}” reached milestone {level}: {supporters:,} supporters.",
           url=idea_url(idea), idea=idea, challenge=challenge)
    notify(idea_followers(idea.id) - {idea.author_id}, "following",
           f"“{idea.title}” reached {supporters:,} supporters.", url=idea_url(idea), idea=idea, challenge=challenge)


def challenge_phase_changed(challenge_id, before, after):
    challenge = db.session.get(Challenge, challenge_id)
    if challenge is None or challenge.phase != after or after not in PHASE_NEWS:
        return
    # The owner moved it, or set the date it moved on: not news to them.
    notify(challenge_followers(challenge.id), "following", PHASE_NEWS[after].format(title=challenge.title),
           url=challenge_url(challenge), challenge=challenge, actor_id=challenge.owner_id)


def idea_merged(source_id, target_id, actor_id):
    """Followers of the merged idea hear where it went (its author and supporters hear from moderation)."""
    source, _ = _load_idea(source_id)
    target, challenge = _load_idea(target_id)
    if source is None or target is None or source.status != "merged":
        return
    followers = idea_followers(source.id) - {source.author_id, target.author_id}
    notify(followers, "following", f"“{source.title}” was merged into “{target.title}”.", url=idea_url(target),
           idea=target, challenge=challenge, actor_id=actor_id)


def roles_granted(user_id, roles, actor_id):
    for role in roles:
        notify([user_id], "account", f"You are now a {role} of the site.",
               url="/moderation" if role == "moderator" else "/admin", actor_id=actor_id)


def queue_grew(challenge_id):
    """Moderators hear that their queue has new items: one unread message, its count growing, never one each."""
    challenge = db.session.get(Challenge, challenge_id)
    if challenge is None:
        return
    moderators = set(db.session.scalars(select(User.id).where(User.is_moderator | User.is_admin)))
    moderators |= set(db.session.scalars(
        select(ChallengeModerator.user_id).where(ChallengeModerator.challenge_id == challenge_id)))
    if not moderators:
        return
    waiting = db.session.scalars(
        select(Notification).where(Notification.kind == "moderation_queue", Notification.read_at.is_(None),
                                   Notification.user_id.in_(moderators))
    ).all()
    for notification in waiting:
        notification.count += 1
        notification.created_at = clock.now()
        notification.message = f"{notification.count} new items wait in your moderation queue."
    db.session.flush()
    notify(moderators - {n.user_id for n in waiting}, "moderation_queue", "A new item waits in your moderation queue.",
           url="/moderation")


def holdup_event(kind, challenge_id, user_ids, message):
    challenge = db.session.get(Challenge, challenge_id)
    if challenge is None:
        return
    notify(user_ids, "holdups", message.format(title=challenge.title), url=challenge_url(challenge),
           challenge=challenge)
