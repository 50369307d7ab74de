"""The desk through HTTP: access for every route, htmx and plain forms, query counts, the log."""
import csv
import io
import re

import pytest
from flask import url_for

from app import clock
from app.auth.models import User
from app.extensions import db
from challenges.models import ChallengeModerator, Idea
from moderation.models import AuditEntry
from moderation.routes import bp
from moderation.services import decisions, flags, queue, sanctions, watched_words
from moderation.words_routes import bp as words_bp
from tests.conftest import login
from tests.factories import ChallengeFactory, CommentFactory, IdeaFactory, UserFactory
from tests.moderation.conftest import case_of, item

HTMX = {"HX-Request": "true"}


def _url_for_rule(rule, idea, member):
    values = {"kind": "idea", "item_id": idea.id, "action": "approve", "username": member.username, "word_id": 1}
    return url_for(rule.endpoint, **{arg: values[arg] for arg in rule.arguments})


def desk_rules(app, *blueprints):
    names = {b.name for b in blueprints}
    return [r for r in app.url_map.iter_rules() if r.endpoint.split(".")[0] in names]


@pytest.mark.parametrize("who", ["member", "appointed elsewhere", "suspended member"])
def test_every_desk_route_is_403_for_non_moderators(app, client, session, who):
    idea = IdeaFactory(status="pending")
    queue.open_case(item(idea), "pending")
    user = UserFactory(suspended_until=clock.now().replace(year=2099) if who == "suspended member" else None)
    if who == "appointed elsewhere":
        session.add(ChallengeModerator(challenge_id=ChallengeFactory().id, user_id=user.id))
        session.flush()
    login(client, user)
    rules = desk_rules(app, bp)
    assert len(rules) >= 8
    checked = 0
    for rule in rules:
        with app.test_request_context():
            url = _url_for_rule(rule, idea, UserFactory())
        if who == "appointed elsewhere" and rule.endpoint in ("moderation.queue", "moderation.log",
                                                              "moderation.log_csv"):
            continue  # their desk, showing only their challenge (tested below)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(url, method=method) if method == "GET" else client.post(url)
            assert response.status_code == 403, (method, url)
            checked += 1
    assert checked >= (5 if who == "appointed elsewhere" else 8)
    assert idea.status == "pending" and session.query(AuditEntry).count() == 0


def test_watched_words_are_403_for_moderators_and_members(app, client, session):
    for user in (UserFactory(is_moderator=True), UserFactory()):
        login(client, user)
        for rule in desk_rules(app, words_bp):
            with app.test_request_context():
                url = url_for(rule.endpoint, **({"word_id": 1} if "word_id" in rule.arguments else {}))
            assert client.get(url).status_code in (403, 405)
            assert client.post(url, data={"pattern": "x", "action": "block"}).status_code == 403


def test_visitors_are_sent_to_log_in(client, session):
    response = client.get("/moderation/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_appointed_moderator_sees_only_their_challenge(client, session, appointed, challenge):
    mine = IdeaFactory(challenge=challenge, status="pending", title="Mine: a bakery bread route")
    other = IdeaFactory(status="pending", title="Other: a compost hub in every street")
    for idea in (mine, other):
        queue.open_case(item(idea), "pending")
    login(client, appointed)
    page = client.get("/moderation/").get_data(as_text=True)
    assert mine.title in page and other.title not in page
    assert client.get(f"/moderation/items/idea/{other.id}").status_code == 403
    assert client.post(f"/moderation/items/idea/{other.id}/approve").status_code == 403
    response = client.post(f"/moderation/items/idea/{mine.id}/approve", follow_redirects=True)
    session.refresh(mine)
    assert "Approved." in response.get_data(as_text=True) and mine.status == "published"


def test_queue_page_and_fragment(moderator_client, pending_idea, pending_comment):
    full = moderator_client.get("/moderation/")
    body = full.get_data(as_text=True)
    assert full.status_code == 200 and "<html" in body and "HX-Request" in full.headers["Vary"]
    assert pending_idea.title in body and pending_comment.body in body
    assert "2 items waiting" in body
    part = moderator_client.get("/moderation/?kind=comment", headers=HTMX | {"HX-Target": "queue-list"})
    fragment = part.get_data(as_text=True)
    assert "<html" not in fragment and pending_comment.body in fragment and pending_idea.title not in fragment
    assert "HX-Request" in part.headers["Vary"]


def test_queue_shows_flags_history_and_sorts_by_flags(moderator_client, session, challenge):
    calm = IdeaFactory(challenge=challenge, title="A calm idea with one flag on it")
    loud = IdeaFactory(challenge=challenge, title="A loud idea with two flags on it")
    flags.flag_item(UserFactory(), item(calm), "spam")
    for reason in ("offensive", "off_topic"):
        flags.flag_item(UserFactory(display_name="Flagger"), item(loud), reason, "Rude words")
    body = moderator_client.get("/moderation/?sort=flags").get_data(as_text=True)
    assert body.index(loud.title) < body.index(calm.title)
    assert "Offensive</strong> by <bdi>Flagger</bdi>: Rude words" in body
    assert "Approved · rejected" in body
    oldest = moderator_client.get("/moderation/").get_data(as_text=True)
    assert oldest.index(calm.title) < oldest.index(loud.title)


def test_queue_runs_a_fixed_number_of_queries(moderator_client, session, challenge, count_queries):
    def add(n):
        for _ in range(n):
            idea = IdeaFactory(challenge=challenge, status="pending", published_at=None)
            queue.open_case(item(idea), "pending")
            comment = CommentFactory(idea=IdeaFactory(challenge=challenge), status="pending")
            queue.open_case(item(comment), "pending")
            flags.flag_item(UserFactory(), item(IdeaFactory(challenge=challenge)), "spam")

    add(1)
    moderator_client.get("/moderation/")
    with count_queries as small:
        assert moderator_client.get("/moderation/").status_code == 200
    add(12)
    with count_queries as large:
        assert moderator_client.get("/moderation/").status_code == 200
    assert small.count == large.count <= 16


def test_htmx_approve_swaps_the_card(moderator_client, session, pending_idea):
    case = case_of(pending_idea)
    response = moderator_client.post(
        f"/moderation/items/idea/{pending_idea.id}/approve",
        data={"case_id": case.id, "seen_status": "pending"}, headers=HTMX | {"HX-Target": f"case-{case.id}"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert "Approved" in body and 'data-decided' in body
    session.refresh(pending_idea)
    assert pending_idea.status == "published"


def test_second_moderator_is_told_already_decided(client, session, pending_idea):
    first = UserFactory(is_moderator=True, display_name="Moe")
    case = case_of(pending_idea)
    login(client, first)
    client.post(f"/moderation/items/idea/{pending_idea.id}/approve", data={"case_id": case.id,
                                                                           "seen_status": "pending"})
    login(client, UserFactory(is_moderator=True))
    response = client.post(
        f"/moderation/items/idea/{pending_idea.id}/reject",
        data={"case_id": case.id, "seen_status": "pending", "reason": "spam"},
        headers=HTMX | {"HX-Target": f"case-{case.id}"})
    assert "Already decided by Moe at" in response.get_data(as_text=True)
    plain = client.post(f"/moderation/items/idea/{pending_idea.id}/hide",
                        data={"case_id": case.id, "seen_status": "pending"}, follow_redirects=True)
    assert "Already decided by Moe at" in plain.get_data(as_text=True)
    session.expire_all()
    assert db.session.get(Idea, pending_idea.id).status == "published"
    assert [e.action for e in session.query(AuditEntry)] == ["approve"]


@pytest.mark.parametrize("action,data,message", [
    ("reject", {}, "Choose a reason"),
    ("reject", {"reason": "other"}, "Write a note"),
    ("merge", {"target_id": "SELF"}, "cannot be merged into itself"),
    ("merge", {"target_id": "OTHER"}, "within one challenge"),
    ("merge", {"target_id": "abc"}, "Merge into idea number"),
    ("tags", {"tags": "<script>"}, "may only use"),
])
def test_bad_input_gets_a_clear_message_and_changes_nothing(moderator_client, session, pending_idea, action, data,
                                                            message):
    other = IdeaFactory(challenge=ChallengeFactory())
    data = {k: {"SELF": str(pending_idea.id), "OTHER": str(other.id)}.get(v, v) for k, v in data.items()}
    response = moderator_client.post(f"/moderation/items/idea/{pending_idea.id}/{action}", data=data,
                                     follow_redirects=True)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert pending_idea.status == "pending" and session.query(AuditEntry).count() == 0


def test_bad_input_in_the_queue_keeps_the_card_with_the_message(moderator_client, pending_idea):
    case = case_of(pending_idea)
    response = moderator_client.post(f"/moderation/items/idea/{pending_idea.id}/reject",
                                     data={"case_id": case.id, "seen_status": "pending"},
                                     headers=HTMX | {"HX-Target": f"case-{case.id}"})
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "Choose a reason" in body and f'id="case-{case.id}"' in body


def test_suspend_an_admin_is_refused_with_a_message(moderator_client, session):
    admin = UserFactory(is_admin=True)
    response = moderator_client.post(f"/moderation/members/{admin.username}/suspend",
                                     data={"days": "7", "reason": "x"}, follow_redirects=True)
    assert "Admins and moderators cannot be suspended" in response.get_data(as_text=True)
    assert not admin.is_suspended()


def test_suspended_member_sees_why_and_until_when(client, session, moderator):
    member = UserFactory()
    login(client, moderator)
    client.post(f"/moderation/members/{member.username}/suspend", data={"days": "3", "reason": "Spam links"})
    login(client, member)
    home = client.get("/").get_data(as_text=True)
    assert "Suspended until" in home
    standing = client.get("/my/moderation").get_data(as_text=True)
    assert "Your account is suspended until" in standing and "Spam links" in standing
    idea = IdeaFactory()
    refused = client.post(f"/flag/idea/{idea.id}", data={"reason": "spam"})
    assert refused.status_code == 403 and "suspended until" in refused.get_data(as_text=True)
    login(client, moderator)
    client.post(f"/moderation/members/{member.username}/lift", data={})
    session.refresh(member)
    assert not member.is_suspended()


def test_item_page_shows_history_and_all_actions(moderator_client, session, moderator, challenge):
    idea = IdeaFactory(challenge=challenge)
    decisions.decide(moderator, item(idea), "hide", note="Checking a claim")
    body = moderator_client.get(f"/moderation/items/idea/{idea.id}").get_data(as_text=True)
    assert "Checking a claim" in body and "status: published → " in body.replace("<td class=\"mod-diff\">", "")
    assert "Restore" in body and "Lock comments" in body and "Edit tags" in body
    assert moderator_client.get("/moderation/items/idea/999999").status_code == 404
    assert moderator_client.get("/moderation/items/poll/1").status_code == 404
    assert moderator_client.post(f"/moderation/items/idea/{idea.id}/explode").status_code == 404


def test_log_filters_and_csv_export(moderator_client, session, moderator, challenge):
    author = UserFactory(username="carol")
    idea = IdeaFactory(challenge=challenge, author=author)
    decisions.decide(moderator, item(idea), "hide", note="=HYPERLINK(\"evil\")")
    locked = IdeaFactory(challenge=challenge)
    decisions.decide(moderator, item(locked), "lock")
    page = moderator_client.get("/moderation/log?member=carol").get_data(as_text=True)
    assert f"idea #{idea.id}<" in page and f"idea #{locked.id}<" not in page
    fragment = moderator_client.get("/moderation/log?action=lock", headers=HTMX | {"HX-Target": "log-table"})
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and f"idea #{locked.id}<" in body and f"idea #{idea.id}<" not in body
    exported = moderator_client.get(f"/moderation/log.csv?moderator={moderator.username}")
    assert exported.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    assert [r["action"] for r in rows] == ["lock", "hide"]
    assert rows[1]["member"] == "carol" and rows[1]["note"].startswith("'=")
    assert '"status": "hidden"' in rows[1]["after"]


def test_log_of_an_appointed_moderator_is_their_challenge_only(client, session, appointed, challenge, moderator):
    decisions.decide(moderator, item(IdeaFactory(challenge=challenge)), "hide", note="in mine")
    decisions.decide(moderator, item(IdeaFactory()), "hide", note="elsewhere")
    sanctions.suspend(moderator, UserFactory(), 1, "site-wide matter")
    login(client, appointed)
    page = client.get("/moderation/log").get_data(as_text=True)
    assert "in mine" in page and "elsewhere" not in page and "site-wide matter" not in page


# Members' side


def test_flag_without_javascript_and_with_htmx(client, session, challenge):
    idea = IdeaFactory(challenge=challenge)
    login(client, UserFactory())
    page = client.get(f"/flag/idea/{idea.id}")
    assert page.status_code == 200 and "Why should a moderator look at this?" in page.get_data(as_text=True)
    refused = client.post(f"/flag/idea/{idea.id}", data={"reason": "other"})
    assert refused.status_code == 422 and "Tell the moderators" in refused.get_data(as_text=True)
    done = client.post(f"/flag/idea/{idea.id}", data={"reason": "spam"})
    assert done.status_code == 303 and done.headers["Location"].endswith(f"/ideas/{idea.id}")
    login(client, UserFactory())
    swapped = client.post(f"/flag/idea/{idea.id}", data={"reason": "duplicate"},
                          headers=HTMX | {"HX-Target": f"flag-idea-{idea.id}"})
    assert "Flagged. Thank you" in swapped.get_data(as_text=True)
    assert case_of(idea).flag_count == 2


def test_idea_page_hooks(client, session, challenge, moderator):
    idea = IdeaFactory(challenge=challenge)
    comment = CommentFactory(idea=idea)
    login(client, UserFactory())
    page = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert f'id="flag-idea-{idea.id}"' in page and f'id="flag-comment-{comment.id}"' in page
    assert "Moderate</a>" not in page
    login(client, moderator)
    page = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert f"/moderation/items/idea/{idea.id}" in page
    assert re.search(r'<a href="/moderation/"[^>]*>Moderation', page)


def test_rejected_author_sees_the_reason_and_appeals_once(client, session, challenge, moderator):
    author = UserFactory()
    idea = IdeaFactory(challenge=challenge, author=author, status="pending", published_at=None)
    decisions.decide(moderator, item(idea), "reject", reason="off_topic", note="This is about parks, not food.")
    login(client, author)
    page = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert "Off-topic for this challenge" in page and "This is about parks, not food." in page
    short = client.post(f"/appeal/idea/{idea.id}", data={"message": "no"})
    assert short.status_code == 422 and "10 to 2,000 characters" in short.get_data(as_text=True)
    done = client.post(f"/appeal/idea/{idea.id}", data={"message": "It is about food gardens in parks."},
                       follow_redirects=True)
    assert "Your appeal is with the moderators." in done.get_data(as_text=True)
    assert "You appealed" in client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert case_of(idea).reason == "appeal"
    login(client, UserFactory())
    assert client.get(f"/appeal/idea/{idea.id}").status_code == 404  # a rejected idea is not theirs to know about


def test_owner_appoints_and_removes_moderators(client, session):
    challenge = ChallengeFactory()
    owner = db.session.get(User, challenge.owner_id)
    helper = UserFactory(username="helper")
    login(client, UserFactory())
    assert client.get(f"/challenges/{challenge.slug}/moderators").status_code == 403
    login(client, owner)
    missing = client.post(f"/challenges/{challenge.slug}/moderators", data={"username": "nobody"})
    assert missing.status_code == 422 and "no member with that username" in missing.get_data(as_text=True)
    client.post(f"/challenges/{challenge.slug}/moderators", data={"username": "helper"})
    assert db.session.get(ChallengeModerator, (challenge.id, helper.id)) is not None
    login(client, helper)
    assert client.get("/moderation/").status_code == 200
    login(client, owner)
    client.post(f"/challenges/{challenge.slug}/moderators/{helper.id}/remove")
    assert db.session.get(ChallengeModerator, (challenge.id, helper.id)) is None
    assert [e.action for e in session.query(AuditEntry)] == ["appoint", "dismiss_moderator"]


def test_admin_edits_watched_words(admin_client, session):
    bad = admin_client.post("/admin/watched-words/", data={"pattern": "(", "is_regex": "y", "action": "block"})
    assert bad.status_code == 422 and "not a valid pattern" in bad.get_data(as_text=True)
    admin_client.post("/admin/watched-words/", data={"pattern": "casino", "action": "block"})
    page = admin_client.get("/admin/watched-words/").get_data(as_text=True)
    assert "casino" in page and "Block the post" in page
    word = watched_words.watched_words()[0]
    admin_client.post(f"/admin/watched-words/{word.id}/delete")
    assert watched_words.watched_words() == []


def test_member_page_shows_history_and_the_suspension_form(moderator_client, session, moderator, challenge):
    author = UserFactory(username="dora")
    idea = IdeaFactory(challenge=challenge, author=author, status="pending", published_at=None)
    decisions.decide(moderator, item(idea), "reject", reason="spam")
    page = moderator_client.get("/moderation/members/dora").get_data(as_text=True)
    assert "Approved · rejected</dt><dd>0 · 1" in page
    assert "Suspend</h2>" in page and '<option selected value="7">7 days</option>' in page.replace(
        'value="7" selected', 'selected value="7"')
    assert moderator_client.get("/moderation/members/nobody").status_code == 404


def test_members_see_their_standing(client, session):
    login(client, UserFactory())
    page = client.get("/my/moderation").get_data(as_text=True)
    assert "in good standing" in page and "No moderator has acted" in page


@pytest.mark.parametrize("action,status,data,after", [
    ("approve", "pending", {}, "published"),
    ("reject", "pending", {"reason": "spam"}, "rejected"),
    ("hide", "published", {}, "hidden"),
    ("restore", "hidden", {}, "published"),
    ("dismiss", "flagged", {}, "published"),
    ("lock", "published", {}, "published"),
    ("unlock", "locked", {}, "published"),
    ("tags", "published", {"tags": "food, markets"}, "published"),
    ("merge", "published", {"target_id": "TARGET"}, "merged"),
    ("unmerge", "merged", {}, "published"),
])
def test_every_action_through_a_plain_form_lands_in_the_log(moderator_client, session, moderator, challenge,
                                                            action, status, data, after):
    target = IdeaFactory(challenge=challenge)
    idea = IdeaFactory(challenge=challenge, status={"flagged": "published", "locked": "published",
                                                    "merged": "published"}.get(status, status))
    if status == "flagged":
        flags.flag_item(UserFactory(), item(idea), "spam")
    if status == "locked":
        idea.comments_locked = True
    if status == "merged":
        decisions.decide(moderator, item(idea), "merge", target_id=target.id)
    session.flush()
    data = {k: str(target.id) if v == "TARGET" else v for k, v in data.items()}
    response = moderator_client.post(f"/moderation/items/idea/{idea.id}/{action}",
                                     data=data | {"seen_status": idea.status, "note": "Because."})
    assert response.status_code == 303
    session.expire_all()
    assert session.get(Idea, idea.id).status == after
    entry = session.query(AuditEntry).order_by(AuditEntry.id.desc()).first()
    assert (entry.action, entry.actor_id, entry.item_id, entry.note) == (action, moderator.id, idea.id, "Because.")
    assert entry.before != entry.after


def test_queue_offers_possible_duplicates_for_pending_ideas(moderator_client, pending_idea):
    page = moderator_client.get("/moderation/").get_data(as_text=True)
    assert f"similar-ideas?idea={pending_idea.id}" in page and "Possible duplicates" in page


def test_what_a_viewer_may_not_know_exists_answers_404(client, session):
    from tests.conftest import login

    owner, stranger = UserFactory(), UserFactory()
    draft = ChallengeFactory(owner=owner, phase="draft")
    hidden = IdeaFactory(status="hidden")
    login(client, stranger)
    assert client.get(f"/challenges/{draft.slug}/moderators").status_code == 404
    assert client.get(f"/appeal/idea/{hidden.id}").status_code == 404
    assert client.get("/appeal/idea/2147483000").status_code == 404
    assert client.get(f"/flag/idea/{hidden.id}").status_code == 404


def test_a_site_moderator_sees_no_draft_in_the_queue_filter(moderator_client, session):
    draft = ChallengeFactory(phase="draft", title="Secret plans for the riverside park")
    ChallengeFactory(title="Public plans for the riverside park")
    page = moderator_client.get("/moderation/").get_data(as_text=True)
    assert "Public plans for the riverside park" in page
    assert draft.title not in page


def test_an_appointed_moderator_cannot_decide_on_their_own_comment(client, session):
    from tests.conftest import login

    challenge = ChallengeFactory()
    appointed = UserFactory()
    session.add(ChallengeModerator(challenge_id=challenge.id, user_id=appointed.id))
    idea = IdeaFactory(challenge=challenge)
    comment = CommentFactory(idea=idea, author=appointed, status="hidden")
    session.flush()
    login(client, appointed)
    page = client.get(f"/moderation/items/comment/{comment.id}").get_data(as_text=True)
    assert "needs another moderator" in page and "/restore" not in page
    refused = client.post(f"/moderation/items/comment/{comment.id}/restore", follow_redirects=True)
    assert "needs another moderator" in refused.get_data(as_text=True)
    session.refresh(comment)
    assert comment.status == "hidden"
