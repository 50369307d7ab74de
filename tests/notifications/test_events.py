"""Each event tells the right members, in-app and by e-mail, and nobody hears about their own actions."""
import re

from app import signals
from app.admin import services as admin_services
from app.auth.models import User
from app.extensions import db
from challenges.models import ChallengeModerator
from challenges.services import challenges as challenge_services
from challenges.services import comments, follows, ideas
from moderation.services import decisions, items, queue, sanctions
from tests.conftest import login
from tests.factories import ChallengeFactory, IdeaFactory, UserFactory
from tests.notifications.conftest import commit, emails_of, messages_of, notifications_of


def _pending_idea(challenge, author):
    idea = IdeaFactory(challenge=challenge, author=author, status="pending", published_at=None)
    queue.open_case(items.load_item("idea", idea.id), "pending")
    commit()
    return idea


def test_rejected_idea_tells_its_author_with_the_reason_by_email(client, moderator, inbox):
    author = UserFactory()
    idea = _pending_idea(ChallengeFactory(), author)
    login(client, moderator)
    response = client.post(f"/moderation/items/idea/{idea.id}/reject",
                           data={"reason": "off_topic", "note": "About parks, not food."})
    assert response.status_code == 303
    assert messages_of(moderator) == []  # nobody hears about their own decision
    [notification] = notifications_of(author)
    assert "rejected" in notification.message and "Off-topic" in notification.message
    assert notification.url == f"/ideas/{idea.id}" and notification.idea_id == idea.id
    assert db.session.get(User, author.id).unread_notifications == 1
    [message] = inbox.to(author.email)
    assert "rejected" in message["Subject"]
    assert message["List-Unsubscribe"].startswith("<http") and "/notifications/unsubscribe/" in message["List-Unsubscribe"]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    raw = inbox.envelopes[0].content.decode()
    assert re.search(r"^List-Unsubscribe: <http://[^>\s]+/notifications/unsubscribe/[^>\s]+>\r?$", raw, re.M)
    assert message["Message-ID"].startswith("<kindling.email.")
    plain = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Off-topic" in plain and f"/ideas/{idea.id}" in plain
    assert "<a href=" in html and "Unsubscribe" in html
    [row] = emails_of(author)
    assert row.sent_at is not None


def test_comments_and_replies_reach_author_parent_and_followers_but_not_the_commenter(session, inbox):
    challenge = ChallengeFactory()
    author, commenter, replier, follower = UserFactory(), UserFactory(), UserFactory(), UserFactory()
    idea = IdeaFactory(challenge=challenge, author=author)
    follows.follow_idea(follower, idea)
    first = comments.post_comment(commenter, idea, challenge, "Have you asked the bakeries?", accept_norms=True)
    commit()
    comments.post_comment(replier, idea, challenge, "They said yes last week.", parent_id=first.id,
                            accept_norms=True)
    commit()
    comments.post_comment(author, idea, challenge, "Thanks both!", accept_norms=True)
    commit()
    assert messages_of(author) == [f"{commenter.name} commented on your idea “{idea.title}”.",
                                   f"{replier.name} commented on your idea “{idea.title}”."]
    assert messages_of(commenter) == [f"{replier.name} replied to your comment on “{idea.title}”.",
                                      f"{author.name} commented on “{idea.title}”."] or \
        messages_of(commenter)[0].startswith(replier.name)
    assert messages_of(replier) == []  # replier follows nothing and heard nothing about their own comment
    assert len(messages_of(follower)) == 3
    # Comments on my idea wait for the daily digest; a reply comes at once.
    assert inbox.to(author.email) == []
    assert len(inbox.to(commenter.email)) == 1


def test_hidden_idea_followers_hear_nothing_more(session):
    challenge = ChallengeFactory()
    idea = IdeaFactory(challenge=challenge)
    follower = UserFactory()
    follows.follow_idea(follower, idea)
    moderator = UserFactory(is_moderator=True)
    decisions.decide(moderator, items.load_item("idea", idea.id), "hide", note="Checking")
    commit()
    assert [n for n in messages_of(db.session.get(User, idea.author_id)) if "hidden" in n]
    # An owner's review of a hidden idea cannot happen; a milestone signal still could: followers are not told.
    signals.milestone_reached.send(idea, idea_id=idea.id, level=1, supporters=100)
    commit()
    assert messages_of(follower) == []
    assert any("milestone" in m for m in messages_of(db.session.get(User, idea.author_id)))  # the author still sees their own idea


def test_review_sends_the_owner_feedback_to_the_author(session):
    challenge = ChallengeFactory(phase="review")
    idea = IdeaFactory(challenge=challenge)
    ideas.review_idea(challenge.owner, idea, challenge, "selected", "Brilliant, let us build it.")
    commit()
    [message] = messages_of(db.session.get(User, idea.author_id))
    assert "was selected" in message and "Brilliant, let us build it." in message
    assert messages_of(challenge.owner) == []


def test_phase_change_reaches_followers_not_the_owner(session):
    challenge = ChallengeFactory()
    follower = UserFactory()
    follows.follow_challenge(follower, challenge)
    follows.follow_challenge(challenge.owner, challenge)
    challenge_services.move_phase(challenge.owner, challenge, "voting")
    commit()
    assert messages_of(follower) == [f"Voting has opened on “{challenge.title}”."]
    assert messages_of(challenge.owner) == []


def test_new_public_idea_reaches_challenge_followers(session):
    challenge = ChallengeFactory()
    follower, author = UserFactory(), UserFactory()
    follows.follow_challenge(follower, challenge)
    idea = ideas.submit_idea(author, challenge, title="Community fridge in every building",
                                  description="Bakeries stock it at closing time; neighbours take what they need.",
                                  accept_norms=True)
    commit()
    if idea.status == "published":
        assert messages_of(follower) == [f"New idea in “{challenge.title}”: “{idea.title}”."]
    assert messages_of(author) == []


def test_roles_granted_are_announced(session, admin):
    member = UserFactory()
    admin_services.set_role(admin, member, "moderator", True)
    commit()
    assert messages_of(member) == ["You are now a moderator of the site."]


def test_suspension_and_its_lifting_are_told(session, moderator):
    member = UserFactory()
    sanctions.suspend(moderator, member, 7, "Spam links")
    commit()
    sanctions.lift_suspension(moderator, member)
    commit()
    messages = messages_of(member)
    assert "suspended" in messages[0] and "Spam links" in messages[0]
    assert messages[1] == "Your suspension was lifted."


def test_moderators_hear_about_their_queue_batched(session):
    challenge = ChallengeFactory(moderation_policy="pre_all")
    site_moderator = UserFactory(is_moderator=True)
    appointed = UserFactory()
    db.session.add(ChallengeModerator(challenge_id=challenge.id, user_id=appointed.id))
    outsider_challenge_moderator = UserFactory()
    db.session.add(ChallengeModerator(challenge_id=ChallengeFactory().id, user_id=outsider_challenge_moderator.id))
    commit()
    for n in range(3):
        ideas.submit_idea(UserFactory(), challenge, title=f"Pending idea number {n} for the queue",
                               description="Something the moderators must read before it goes public.",
                               accept_norms=True)
        commit()
    for moderator in (site_moderator, appointed):
        [notification] = notifications_of(moderator)
        assert notification.count == 3 and notification.message == "3 new items wait in your moderation queue."
        assert db.session.get(User, moderator.id).unread_notifications == 1
    assert notifications_of(outsider_challenge_moderator) == []


def test_holdup_signals_become_notifications(session):
    challenge = ChallengeFactory(format="holdup")
    member, waiting = UserFactory(), UserFactory()
    signals.holdup_registered.send(None, challenge_id=challenge.id, user_id=member.id, status="registered")
    signals.holdup_registered.send(None, challenge_id=challenge.id, user_id=waiting.id, status="waiting")
    signals.holdup_promoted.send(None, challenge_id=challenge.id, user_id=waiting.id)
    signals.holdup_report_ready.send(None, challenge_id=challenge.id, user_ids=[member.id, waiting.id])
    commit()
    assert messages_of(member) == [f"Your place at the hold-up “{challenge.title}” is confirmed.",
                                   f"The report of the hold-up “{challenge.title}” is ready."]
    assert "waitlist" in messages_of(waiting)[0] and "A place opened" in messages_of(waiting)[1]


def test_the_owners_message_reaches_the_participants_as_text(session):
    challenge = ChallengeFactory(format="holdup")
    member = UserFactory()
    signals.holdup_message.send(None, challenge_id=challenge.id, user_ids=[member.id, challenge.owner_id],
                                message_id=1, body="Bring {title.__class__} and {0} markers!", author_id=challenge.owner_id)
    commit()
    [message] = messages_of(member)
    assert message.endswith("Bring {title.__class__} and {0} markers!")
    assert messages_of(challenge.owner) == []



def test_an_owners_invitation_reaches_the_invited_members(session):
    from community.services import matching

    challenge = ChallengeFactory()
    invited = UserFactory()
    matching.invite(challenge.owner, challenge, [invited.id], "Your plumbing skills would help here.")
    commit()
    [message] = messages_of(invited)
    assert challenge.title in message and "Your plumbing skills would help here." in message
    assert messages_of(challenge.owner) == []


def test_a_fan_out_to_many_records_their_emails_and_send_jobs_in_a_fixed_number_of_statements(
        session, count_queries, inbox):
    from sqlalchemy import func, select

    from app.outbox import OutboxJob
    from challenges.models import ChallengeFollow
    from notifications.models import NotificationPreference
    from notifications.services import events

    def phase_change(followers):
        challenge = ChallengeFactory(phase="voting")
        members = [UserFactory() for _ in range(followers)]
        for member in members:
            db.session.add(ChallengeFollow(user_id=member.id, challenge_id=challenge.id))
            db.session.add(NotificationPreference(user_id=member.id, kind="following", delivery="immediately"))
        db.session.flush()
        with count_queries as counted:
            events.challenge_phase_changed(challenge.id, "submission", "voting")
            db.session.flush()
        commit()  # the send jobs run (in-process here)
        for member in members:
            assert [m["Subject"] for m in inbox.to(member.email)] == [f"Voting has opened on “{challenge.title}”."]
        return counted.count

    assert phase_change(3) == phase_change(30)
    jobs_made = db.session.scalar(select(func.count()).select_from(OutboxJob)
                                  .where(OutboxJob.name == "notifications.jobs:send_email", OutboxJob.status == "done"))
    assert jobs_made == 33
