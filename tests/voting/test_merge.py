
from app import signals
from app.auth.models import User
from app.extensions import db
from tests.factories import UserFactory
from tests.voting.helpers import supporters, voting_idea
from voting.models import Support
from voting.services import supports


def supporter_ids(idea):
    return {s.user_id for s in db.session.query(Support).filter_by(idea_id=idea.id)}


def merge(source, target):
    """What moderation does: send the signal, gather the member ids the receivers report."""
    source.status = "merged"
    answers = signals.idea_merged.send(source, source_id=source.id, target_id=target.id, actor_id=None)
    return sorted({uid for _, moved in answers for uid in (moved or ())})


def unmerge(source, target):
    source.status = "published"
    answers = signals.idea_unmerged.send(source, source_id=source.id, target_id=target.id, actor_id=None)
    return sorted({uid for _, moved in answers for uid in (moved or ())})


def test_merge_moves_supporters_without_counting_anyone_twice(session):
    target = voting_idea()
    source = voting_idea(challenge=target.challenge)
    both, only_source, only_target = UserFactory(), UserFactory(), UserFactory()
    for member in (both, only_source):
        supports.support_idea(member, source, source.challenge)
    for member in (both, only_target):
        supports.support_idea(member, target, target.challenge)
    supports.support_idea(db.session.get(User, target.author_id), source, source.challenge)  # the target's author, on the duplicate

    moved = merge(source, target)

    assert moved == [only_source.id]
    assert supporter_ids(target) == {both.id, only_source.id, only_target.id}
    assert target.supporter_count == 3


def test_unmerge_restores_both_ideas(session):
    target = voting_idea()
    source = voting_idea(challenge=target.challenge)
    members = supporters(3)
    for member in members:
        supports.support_idea(member, source, source.challenge)
    supports.support_idea(members[0], target, target.challenge)
    merge(source, target)
    assert target.supporter_count == 3

    restored = unmerge(source, target)

    assert restored == sorted(m.id for m in members[1:])
    assert supporter_ids(target) == {members[0].id} and target.supporter_count == 1
    assert supporter_ids(source) == {m.id for m in members} and source.supporter_count == 3


def test_a_member_who_withdrew_after_the_merge_is_not_brought_back_on_the_target(session):
    target = voting_idea()
    source = voting_idea(challenge=target.challenge)
    member = UserFactory()
    supports.support_idea(member, source, source.challenge)
    merge(source, target)
    supports.withdraw_support(member, target, target.challenge)
    assert unmerge(source, target) == []
    assert target.supporter_count == 0 and source.supporter_count == 1


def test_a_moderators_merge_and_unmerge_keep_counts_exact(session):
    from moderation.services import decisions as moderation_decisions
    from moderation.services import items as moderation_items

    moderator = UserFactory(is_moderator=True)
    target = voting_idea()
    source = voting_idea(challenge=target.challenge)
    shared, only_source = UserFactory(), UserFactory()
    for member in (shared, only_source):
        supports.support_idea(member, source, source.challenge)
    supports.support_idea(shared, target, target.challenge)

    entry = moderation_decisions.decide(moderator, moderation_items.load_item("idea", source.id), "merge",
                                        target_id=target.id)

    assert entry.after["moved_supporters"] == [only_source.id]
    assert target.supporter_count == 2 and supporter_ids(target) == {shared.id, only_source.id}
    moderation_decisions.decide(moderator, moderation_items.load_item("idea", source.id), "unmerge")
    assert target.supporter_count == 1 and source.supporter_count == 2
    assert source.status == "published"
