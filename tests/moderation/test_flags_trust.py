"""Flags, trust limits for new members, and watched words."""
from datetime import timedelta

import pytest

from app import clock
from app.permissions import Refused
from challenges.services import comments as challenge_comments
from challenges.services import ideas as challenge_ideas
from challenges.services.errors import ChallengeError
from moderation.models import WatchedWord
from moderation.services import decisions, flags, watched_words
from moderation.services.errors import ModerationError
from tests.factories import CommentFactory, IdeaFactory, UserFactory
from tests.moderation.conftest import case_of, item

DESCRIPTION = "A shared fridge in each building, stocked by bakeries at closing time."


def submit(author, challenge, title="Share leftover bread with the neighbours", description=DESCRIPTION, paced=False):
    return challenge_ideas.submit_idea(author, challenge, title=title, description=description, accept_norms=True,
                                       paced=paced)


# Flags


def test_three_distinct_flags_hide_the_item_until_a_moderator_decides(session, challenge, moderator):
    idea = IdeaFactory(challenge=challenge)
    for _ in range(2):
        flags.flag_item(UserFactory(), item(idea), "spam")
    assert idea.status == "published" and case_of(idea).flag_count == 2
    flags.flag_item(UserFactory(), item(idea), "other", "Links to a casino")
    assert idea.status == "hidden"
    assert challenge.idea_count == 0
    assert case_of(idea).reason == "flagged"
    decisions.decide(moderator, item(idea), "approve", case_id=case_of(idea).id)
    assert idea.status == "published" and challenge.idea_count == 1


def test_one_flag_per_member_per_item(session, challenge, member):
    idea = IdeaFactory(challenge=challenge)
    flags.flag_item(member, item(idea), "spam")
    with pytest.raises(ModerationError, match="already flagged"):
        flags.flag_item(member, item(idea), "offensive")
    assert case_of(idea).flag_count == 1


def test_authors_and_suspended_members_cannot_flag(session, challenge, member):
    idea = IdeaFactory(challenge=challenge, author=member)
    with pytest.raises(ModerationError, match="your own"):
        flags.flag_item(member, item(idea), "spam")
    suspended = UserFactory(suspended_until=clock.now() + timedelta(days=1))
    with pytest.raises(Refused):
        flags.flag_item(suspended, item(idea), "spam")
    assert case_of(idea) is None


def test_flag_needs_a_known_reason_and_text_for_other(session, challenge, member):
    idea = IdeaFactory(challenge=challenge)
    with pytest.raises(ModerationError, match="Choose why"):
        flags.flag_item(member, item(idea), "boring")
    with pytest.raises(ModerationError, match="what is wrong"):
        flags.flag_item(member, item(idea), "other", "")


def test_flagged_comment_dismissed_keeps_it(session, challenge, moderator):
    comment = CommentFactory(idea=IdeaFactory(challenge=challenge))
    flags.flag_item(UserFactory(), item(comment), "off_topic")
    entry = decisions.decide(moderator, item(comment), "dismiss", case_id=case_of(comment).id)
    assert comment.status == "published" and entry.before["queue"] == "flagged"
    assert case_of(comment) is None


# Trust


def test_first_three_contributions_wait_then_publish_directly(session, challenge, moderator, member):
    challenge.moderation_policy = "pre_new"
    clock.freeze(clock.now())
    statuses = []
    for n in range(4):
        clock.freeze(clock.now() + timedelta(minutes=1))
        idea = submit(member, challenge, title=f"Idea number {n} about bread sharing")
        statuses.append(idea.status)
        if idea.status == "pending":
            assert case_of(idea).reason == "pending"
            decisions.decide(moderator, item(idea), "approve")
    assert statuses == ["pending", "pending", "pending", "published"]
    assert case_of(idea) is None


def test_new_members_get_two_links_at_most(session, challenge, member):
    links = " ".join(f"https://example.org/{n}" for n in range(3))
    with pytest.raises(ChallengeError, match="at most 2 links") as refused:
        submit(member, challenge, description=f"{DESCRIPTION} {links}")
    assert refused.value.field == "description"
    submit(member, challenge, description=f"{DESCRIPTION} https://a.example https://b.example")


def test_new_members_post_one_of_a_kind_per_30_seconds(session, challenge, member):
    clock.freeze(clock.now())
    idea = submit(member, challenge, paced=True)
    # The natural first journey: an idea, then at once a comment. Never refused.
    clock.freeze(clock.now() + timedelta(seconds=5))
    challenge_comments.post_comment(member, idea, challenge, "First comment, just after my idea", paced=True)
    clock.freeze(clock.now() + timedelta(seconds=10))
    with pytest.raises(ChallengeError, match="wait 21 more seconds") as refused:
        challenge_comments.post_comment(member, idea, challenge, "Me again", paced=True)
    assert refused.value.field == "body"
    with pytest.raises(ChallengeError, match="one idea every 30 seconds: wait 16 more seconds"):
        submit(member, challenge, title="A second idea too soon after the first", paced=True)
    clock.freeze(clock.now() + timedelta(seconds=19.5))
    with pytest.raises(ChallengeError, match="wait 1 more second\\."):
        challenge_comments.post_comment(member, idea, challenge, "Me again", paced=True)
    clock.freeze(clock.now() + timedelta(seconds=0.5))
    challenge_comments.post_comment(member, idea, challenge, "Me again", paced=True)


def test_new_members_submit_ten_ideas_a_day(session, challenge, member):
    start = clock.now()
    for n in range(10):
        clock.freeze(start + timedelta(minutes=n))
        submit(member, challenge, paced=True, title=f"Idea number {n} about bread sharing")
    clock.freeze(start + timedelta(minutes=11))
    with pytest.raises(ChallengeError, match="10 ideas a day"):
        submit(member, challenge, paced=True, title="One idea too many today")
    clock.freeze(start + timedelta(days=1, minutes=1))
    submit(member, challenge, paced=True, title="A new day, a new idea")


def test_the_pace_is_a_setting(app, session, challenge, member, monkeypatch):
    monkeypatch.setitem(app.config, "NEW_MEMBER_PACE_SECONDS", 0)
    submit(member, challenge, paced=True)
    submit(member, challenge, paced=True, title="Straight after the first one")


def test_scripts_are_not_paced(app, session, challenge, member):
    submit(member, challenge)
    submit(member, challenge, title="Straight after the first one")
    with app.test_request_context("/"):  # what decides is what the caller asks, not where it runs
        submit(member, challenge, title="A third one from a script in a request")


def test_trusted_members_are_not_limited(session, challenge):
    member = UserFactory(created_at=clock.now() - timedelta(days=8))
    for _ in range(3):
        IdeaFactory(challenge=challenge, author=member)
    links = " ".join(f"https://example.org/{n}" for n in range(5))
    submit(member, challenge, paced=True, description=f"{DESCRIPTION} {links}")
    submit(member, challenge, paced=True, title="Straight after the first one")


# Watched words


@pytest.fixture
def words(session, admin):
    watched_words.add_watched_word(admin, "casino", "block", message="No gambling adverts, please.")
    watched_words.add_watched_word(admin, "crypto", "queue")
    watched_words.add_watched_word(admin, r"free\s+money", "flag", is_regex=True)


def test_blocked_word_refuses_the_post_with_the_message(session, challenge, member, words):
    with pytest.raises(ChallengeError, match="No gambling adverts") as refused:
        submit(member, challenge, description=f"{DESCRIPTION} Visit our CASINO tonight.")
    assert refused.value.field == "description"
    submit(member, challenge, description=f"{DESCRIPTION} Casinos-free zone? no: casinoless.")


def test_queued_word_sends_it_to_the_queue(session, challenge, member, words):
    idea = submit(member, challenge, description=f"{DESCRIPTION} Paid in crypto.")
    assert idea.status == "pending"
    case = case_of(idea)
    assert case.reason == "watched" and "crypto" in case.note


def test_flag_word_publishes_it_flagged(session, challenge, member, words):
    idea = submit(member, challenge, description=f"{DESCRIPTION} Free   money for all!")
    assert idea.status == "published"
    assert case_of(idea).reason == "watched" and "free" in case_of(idea).note


def test_watched_word_validation(session, admin, moderator):
    with pytest.raises(ModerationError, match="valid pattern"):
        watched_words.add_watched_word(admin, "(unclosed", "block", is_regex=True)
    with pytest.raises(ModerationError, match="Choose what happens"):
        watched_words.add_watched_word(admin, "spam", "explode")
    with pytest.raises(Refused):
        watched_words.add_watched_word(moderator, "spam", "block")
    watched_words.add_watched_word(admin, "spam", "block")
    with pytest.raises(ModerationError, match="already watched"):
        watched_words.add_watched_word(admin, "spam", "flag")


def test_vote_anomalies_reported_by_voting_enter_the_queue(session, challenge, moderator):
    from app import signals

    idea = IdeaFactory(challenge=challenge)
    signals.vote_anomaly.send(None, idea_id=idea.id, note="40 supports from accounts made today")
    case = case_of(idea)
    assert case.reason == "vote_anomaly" and "40 supports" in case.note
    decisions.decide(moderator, item(idea), "dismiss", case_id=case.id)
    assert case_of(idea) is None


def test_a_backtracking_watched_pattern_is_refused_and_cannot_stall_a_post(session, admin):
    import time

    from moderation.services.watched_words import add_watched_word, match_watched_words

    with pytest.raises(ModerationError, match="too long"):
        add_watched_word(admin, r"(a|aa)+$", "block", is_regex=True)
    # One that slipped in before the check (added straight to the table) still cannot stall anyone.
    session.add(WatchedWord(pattern=r"(a|aa)+$", is_regex=True, action="block", created_by_id=admin.id,
                            created_at=clock.now()))
    session.flush()
    started = time.monotonic()
    hits = match_watched_words("a" * 60 + "!")
    assert time.monotonic() - started < 2
    assert [(h.pattern, h.action) for h in hits] == [(r"(a|aa)+$", "queue")]
