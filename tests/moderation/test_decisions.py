"""Every moderation action: what changes, what the log says, and what is refused."""
from datetime import timedelta

import pytest

from app import clock, signals
from app.auth.models import User
from app.permissions import Refused
from challenges.models import Idea, IdeaFollow
from moderation.models import AuditEntry, AuditLogIsAppendOnly
from moderation.services import decisions, flags, queue, sanctions
from moderation.services.errors import AlreadyDecided, ModerationError
from tests.factories import ChallengeFactory, CommentFactory, IdeaFactory, UserFactory
from tests.moderation.conftest import case_of, item


def entries(session, obj=None):
    query = session.query(AuditEntry).order_by(AuditEntry.id)
    if obj is not None:
        query = query.filter(AuditEntry.item_id == obj.id)
    return query.all()


def test_approve_publishes_and_logs_who_when_what_before_after(session, moderator, pending_idea, challenge):
    clock.freeze(clock.now())
    case = case_of(pending_idea)
    entry = decisions.decide(moderator, item(pending_idea), "approve", case_id=case.id, seen_status="pending")
    assert pending_idea.status == "published"
    assert challenge.idea_count == 1
    assert (entry.actor_id, entry.action, entry.created_at) == (moderator.id, "approve", clock.now())
    assert entry.before["status"] == "pending" and entry.after["status"] == "published"
    assert entry.subject_id == pending_idea.author_id
    assert case.decided_by_id == moderator.id and case.decision == "approve"
    assert queue.open_case_for("idea", pending_idea.id) is None


def test_reject_needs_a_reason_and_tells_the_author(session, moderator, pending_idea):
    notices = []

    def record(sender, **kw):
        notices.append(kw)

    with signals.moderation_notice.connected_to(record):
        with pytest.raises(ModerationError, match="Choose a reason"):
            decisions.decide(moderator, item(pending_idea), "reject", reason="")
        assert pending_idea.status == "pending"
        with pytest.raises(ModerationError, match="Write a note"):
            decisions.decide(moderator, item(pending_idea), "reject", reason="other", note="  ")
        entry = decisions.decide(moderator, item(pending_idea), "reject", reason="off_topic", note="About parks.")
    assert pending_idea.status == "rejected"
    assert (entry.reason, entry.note) == ("off_topic", "About parks.")
    assert notices[-1]["user_ids"] == [pending_idea.author_id]
    assert "Off-topic" in notices[-1]["message"]
    assert flags.rejection_of(item(pending_idea)).note == "About parks."


def test_hide_and_restore_go_back_to_the_previous_status(session, moderator, challenge):
    idea = IdeaFactory(challenge=challenge, status="shortlisted")
    decisions.decide(moderator, item(idea), "hide", note="Under legal review")
    assert idea.status == "hidden"
    decisions.decide(moderator, item(idea), "restore")
    assert idea.status == "shortlisted"
    assert [e.action for e in entries(session, idea)] == ["hide", "restore"]


def test_comment_hide_restore_keeps_counters(session, moderator, challenge):
    comment = CommentFactory(idea=IdeaFactory(challenge=challenge))
    idea = session.get(Idea, comment.idea_id)
    decisions.decide(moderator, item(comment), "hide")
    assert (comment.status, idea.comment_count) == ("hidden", 0)
    decisions.decide(moderator, item(comment), "restore")
    assert (comment.status, idea.comment_count) == ("published", 1)


def test_approve_pending_comment(session, moderator, pending_comment):
    decisions.decide(moderator, item(pending_comment), "approve")
    assert pending_comment.status == "published"


def test_lock_and_unlock_comments(session, moderator, challenge):
    idea = IdeaFactory(challenge=challenge)
    decisions.decide(moderator, item(idea), "lock", note="Heated thread")
    assert idea.comments_locked
    with pytest.raises(ModerationError, match="already locked"):
        decisions.decide(moderator, item(idea), "lock")
    decisions.decide(moderator, item(idea), "unlock")
    assert not idea.comments_locked
    assert [(e.before["comments_locked"], e.after["comments_locked"]) for e in entries(session, idea)] == [
        (False, True), (True, False)]


def test_edit_tags(session, moderator, challenge):
    idea = IdeaFactory(challenge=challenge)
    entry = decisions.decide(moderator, item(idea), "tags", tags="Food, bread, food")
    assert entry.after == {"tags": ["bread", "food"]}
    with pytest.raises(ModerationError, match="at most 5"):
        decisions.decide(moderator, item(idea), "tags", tags="a,b,c,d,e,f")


def test_merge_moves_followers_once_tells_everyone_and_can_be_undone(session, moderator, challenge):
    source, target = IdeaFactory(challenge=challenge), IdeaFactory(challenge=challenge)
    both, only_source = UserFactory(), UserFactory()
    session.add_all([IdeaFollow(user_id=both.id, idea_id=source.id), IdeaFollow(user_id=both.id, idea_id=target.id),
                     IdeaFollow(user_id=only_source.id, idea_id=source.id)])
    target.follower_count = 1
    session.flush()
    supporter = UserFactory()
    heard, notices = [], []

    def voting(sender, **kw):  # stands in for the voting feature
        heard.append(kw)
        return [supporter.id]

    def record(sender, **kw):
        notices.append(kw)

    # Only this test's receivers are connected and then removed; the real
    # voting and search receivers stay as they are.
    with signals.idea_merged.connected_to(voting), signals.idea_unmerged.connected_to(voting), \
            signals.moderation_notice.connected_to(record):
        entry = decisions.decide(moderator, item(source), "merge", target_id=target.id, note="Same fridge idea")
        assert (source.status, source.merged_into_id) == ("merged", target.id)
        assert target.follower_count == 2
        assert entry.after["added_followers"] == [only_source.id]
        assert entry.after["moved_supporters"] == [supporter.id]
        assert heard[0] == {"source_id": source.id, "target_id": target.id, "actor_id": moderator.id}
        told = {uid for n in notices for uid in n["user_ids"]}
        assert {source.author_id, target.author_id, supporter.id} <= told
        assert challenge.idea_count == 1

        decisions.decide(moderator, item(source), "unmerge")
    assert (source.status, source.merged_into_id) == ("published", None)
    assert target.follower_count == 1
    assert session.get(IdeaFollow, (both.id, target.id)) is not None
    assert session.get(IdeaFollow, (only_source.id, target.id)) is None
    assert challenge.idea_count == 2


@pytest.mark.parametrize("problem", ["itself", "other challenge", "missing", "not public"])
def test_merge_refuses_bad_targets(session, moderator, challenge, problem):
    source = IdeaFactory(challenge=challenge)
    target_id = {
        "itself": lambda: source.id,
        "other challenge": lambda: IdeaFactory(challenge=ChallengeFactory()).id,
        "missing": lambda: 999_999,
        "not public": lambda: IdeaFactory(challenge=challenge, status="hidden").id,
    }[problem]()
    with pytest.raises(ModerationError):
        decisions.decide(moderator, item(source), "merge", target_id=target_id)
    assert source.status == "published"
    assert entries(session, source) == []


def test_acting_on_a_deleted_comment_is_refused(session, moderator, challenge):
    comment = CommentFactory(idea=IdeaFactory(challenge=challenge), status="deleted", body="")
    with pytest.raises(ModerationError, match="deleted by its author"):
        decisions.decide(moderator, item(comment), "hide")
    assert comment.status == "deleted"


def test_withdrawn_idea_leaves_the_queue(session, pending_idea, moderator):
    from challenges.services.ideas import withdraw_idea

    author = session.get(User, pending_idea.author_id)
    withdraw_idea(author, pending_idea)
    assert queue.open_case_for("idea", pending_idea.id) is None
    with pytest.raises(ModerationError, match="withdrew"):
        decisions.decide(moderator, item(pending_idea), "approve")


def test_second_decision_is_told_who_decided_and_when(session, pending_idea):
    first, second = UserFactory(is_moderator=True, display_name="Moe"), UserFactory(is_moderator=True)
    clock.freeze(clock.now().replace(microsecond=0))
    case = case_of(pending_idea)
    decisions.decide(first, item(pending_idea), "approve", case_id=case.id, seen_status="pending")
    with pytest.raises(AlreadyDecided) as refused:
        decisions.decide(second, item(pending_idea), "reject", reason="spam", case_id=case.id, seen_status="pending")
    assert refused.value.who.id == first.id
    assert f"Already decided by Moe at {clock.now():%Y-%m-%d %H:%M} UTC" in refused.value.message
    assert pending_idea.status == "published"
    assert [e.action for e in entries(session, pending_idea)] == ["approve"]


def test_per_challenge_moderator_cannot_act_elsewhere(session, appointed, challenge):
    mine = IdeaFactory(challenge=challenge)
    elsewhere = IdeaFactory(challenge=ChallengeFactory())
    decisions.decide(appointed, item(mine), "hide")
    with pytest.raises(Refused):
        decisions.decide(appointed, item(elsewhere), "hide")
    assert elsewhere.status == "published"


def test_unknown_action_and_wrong_kind(session, moderator, challenge):
    comment = CommentFactory(idea=IdeaFactory(challenge=challenge))
    with pytest.raises(ModerationError):
        decisions.decide(moderator, item(comment), "explode")
    with pytest.raises(ModerationError, match="Only ideas"):
        decisions.decide(moderator, item(comment), "merge", target_id=comment.idea_id)


# Appeals


def test_author_appeals_once_and_the_appeal_is_queued_then_granted(session, moderator, pending_idea):
    decisions.decide(moderator, item(pending_idea), "reject", reason="duplicate")
    author = session.get(User, pending_idea.author_id)
    with pytest.raises(ModerationError, match="10 to"):
        flags.appeal(author, item(pending_idea), "no")
    flags.appeal(author, item(pending_idea), "It is not a duplicate: mine is about bakeries.")
    case = case_of(pending_idea)
    assert case.reason == "appeal"
    with pytest.raises(ModerationError, match="once"):
        flags.appeal(author, item(pending_idea), "Please look again, really.")
    entry = decisions.decide(moderator, item(pending_idea), "approve", case_id=case.id)
    assert entry.action == "grant_appeal"
    assert pending_idea.status == "published"
    assert flags.appeal_of(item(pending_idea)).outcome == "granted"


def test_appeal_upheld_keeps_the_rejection(session, moderator, pending_idea):
    decisions.decide(moderator, item(pending_idea), "reject", reason="spam")
    author = session.get(User, pending_idea.author_id)
    flags.appeal(author, item(pending_idea), "This is a genuine idea, not spam.")
    entry = decisions.decide(moderator, item(pending_idea), "reject", reason="spam", note="Still an advert.",
                             case_id=case_of(pending_idea).id)
    assert entry.action == "uphold" and pending_idea.status == "rejected"


def test_only_the_author_appeals_a_rejected_item(session, moderator, challenge):
    idea = IdeaFactory(challenge=challenge)
    with pytest.raises(ModerationError, match="Only a rejected"):
        flags.appeal(session.get(User, idea.author_id), item(idea), "Long enough message here.")
    decisions.decide(moderator, item(idea), "reject", reason="spam")
    with pytest.raises(Refused):
        flags.appeal(UserFactory(), item(idea), "Long enough message here.")


# Suspensions


def test_suspend_and_lift(session, moderator, member):
    clock.freeze(clock.now())
    entry = sanctions.suspend(moderator, member, 7, "Repeated spam")
    assert member.is_suspended()
    assert clock.aware(member.suspended_until) == clock.now() + timedelta(days=7)
    assert (entry.action, entry.subject_id, entry.note) == ("suspend", member.id, "Repeated spam")
    sanctions.lift_suspension(moderator, member)
    assert not member.is_suspended()
    assert [e.action for e in entries(session)] == ["suspend", "unsuspend"]


@pytest.mark.parametrize("who,days,reason,message", [
    ("admin", 7, "x", "Admins and moderators cannot be suspended"),
    ("self", 7, "x", "yourself"),
    ("member", 5, "x", "duration"),
    ("member", 7, " ", "reason"),
])
def test_suspend_refusals(session, moderator, who, days, reason, message):
    target = {"admin": lambda: UserFactory(is_admin=True), "self": lambda: moderator,
              "member": lambda: UserFactory()}[who]()
    with pytest.raises(ModerationError, match=message):
        sanctions.suspend(moderator, target, days, reason)
    assert not target.is_suspended()


def test_appointed_moderators_cannot_suspend(session, appointed, member):
    with pytest.raises(Refused):
        sanctions.suspend(appointed, member, 7, "Spam")


# The log


def test_the_log_cannot_be_edited_or_deleted(session, moderator, pending_idea):
    entry = decisions.decide(moderator, item(pending_idea), "approve")
    with pytest.raises(AuditLogIsAppendOnly), session.begin_nested():
        entry.note = "rewritten"
    with pytest.raises(AuditLogIsAppendOnly), session.begin_nested():
        session.delete(entry)
    assert session.get(AuditEntry, entry.id).note == ""


def test_figures_median_time_to_decision(session, moderator, challenge):
    start = clock.now()
    for minutes in (10, 20, 90):
        clock.freeze(start)
        idea = IdeaFactory(challenge=challenge, status="pending", published_at=None)
        queue.open_case(item(idea), "pending")
        clock.freeze(start + timedelta(minutes=minutes))
        decisions.decide(moderator, item(idea), "approve")
    IdeaFactory(challenge=challenge, status="pending", published_at=None)
    queue.open_case(item(session.query(Idea).order_by(Idea.id.desc()).first()), "pending")
    figures = queue.figures(moderator)
    assert figures["queue"] == 1
    assert figures["median_7"] == 20 * 60 and figures["decided_30"] == 3
    assert queue.figures(moderator, now=start + timedelta(days=8))["median_7"] is None
