from app import signals
from app.auth.models import User
from app.extensions import db
from tests.factories import UserFactory
from tests.voting.helpers import supporters, voting_idea
from voting import services
from voting.models import Support


def supporter_ids(idea):
    return {s.user_id for s in db.session.query(Support).filter_by(idea_id=idea.id)}


def merge(source, target):
    answers = signals.idea_merged.send(None, source_id=source.id, target_id=target.id, actor_id=None)
    return dict(answers)[services.move_supports_on_merge]


def unmerge(source, target):
    answers = signals.idea_unmerged.send(None, source_id=source.id, target_id=target.id, actor_id=None)
    return dict(answers)[services.restore_supports_on_unmerge]


def test_merge_moves_supporters_without_counting_anyone_twice(session):
    target = voting_idea()
    source = voting_idea(challenge=target.challenge)
    both, only_source, only_target = UserFactory(), UserFactory(), UserFactory()
    for member in (both, only_source):
        services.support_idea(member, source, source.challenge)
    for member in (both, only_target):
        services.support_idea(member, target, target.challenge)
    services.support_idea(db.session.get(User, target.author_id), source, source.challenge)  # the target's author, on the duplicate

    moved = merge(source, target)

    assert moved == [only_source.id]
    assert supporter_ids(target) == {both.id, only_source.id, only_target.id}
    assert target.supporter_count == 3


def test_unmerge_restores_both_ideas(session):
    target = voting_idea()
    source = voting_idea(challenge=target.challenge)
    members = supporters(3)
    for member in members:
        services.support_idea(member, source, source.challenge)
    services.support_idea(members[0], target, target.challenge)
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
    services.support_idea(member, source, source.challenge)
    merge(source, target)
    services.withdraw_support(member, target, target.challenge)
    assert unmerge(source, target) == []
    assert target.supporter_count == 0 and source.supporter_count == 1
