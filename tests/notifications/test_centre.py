"""The centre, the unread count in the navigation bar, preferences and unsubscribe links."""
import re

from sqlalchemy import select

from app.auth.models import User
from app.extensions import db
from challenges.holdups.services.zones import set_viewer_zone
from notifications.models import Notification, NotificationPreference
from notifications.services.delivery import notify
from notifications.services.emails import unsubscribe_token
from tests.conftest import login
from tests.factories import IdeaFactory, UserFactory
from tests.notifications.conftest import commit, emails_of


def unread(member):
    return db.session.scalar(select(User.unread_notifications).where(User.id == member.id))


def _fill(member, ideas, per_idea=2):
    for idea in ideas:
        for n in range(per_idea):
            notify([member.id], "comments", f"Comment {n} on {idea.title}", url=f"/ideas/{idea.id}", idea=idea)
    notify([member.id], "account", "You are now a moderator of the site.", url="/moderation")
    commit()


def test_centre_groups_per_idea_newest_first_and_marks_read(client, member):
    ideas = [IdeaFactory(), IdeaFactory()]
    _fill(member, ideas)
    login(client, member)
    page = client.get("/notifications").get_data(as_text=True)
    assert 'aria-label="5 unread"' in page  # the navigation bar, without JavaScript
    assert page.index("You are now a moderator") < page.index(ideas[1].title) < page.index(ideas[0].title)
    assert "2 updates on" in page and page.count("is-unread") >= 3
    first = db.session.scalars(select(Notification).where(Notification.idea_id == ideas[0].id)).first()
    response = client.get(f"/notifications/{first.id}")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/ideas/{ideas[0].id}")
    assert unread(member) == 4
    # Marking a group read marks every item about that idea.
    client.post(f"/notifications/{first.id}/read")
    assert unread(member) == 3
    client.post("/notifications/read-all")
    assert unread(member) == 0
    assert 'aria-label="0 unread"' not in client.get("/notifications").get_data(as_text=True)


def test_someone_elses_notification_is_404_and_visitors_log_in(client, member):
    other = UserFactory()
    notify([other.id], "account", "Private", url="/")
    commit()
    theirs = db.session.scalars(select(Notification).where(Notification.user_id == other.id)).one()
    assert client.get("/notifications").status_code == 302
    login(client, member)
    assert client.get(f"/notifications/{theirs.id}").status_code == 404
    assert client.post(f"/notifications/{theirs.id}/read").status_code == 404


def test_centre_pages_with_a_fixed_number_of_queries(client, member, count_queries):
    _fill(member, [IdeaFactory() for _ in range(20)])  # 41 notifications: two pages
    login(client, member)
    with count_queries as counted:
        first = client.get("/notifications")
    assert first.status_code == 200
    # The member, then one query for the page of notifications with their ideas' titles.
    assert counted.count <= 3, counted.statements
    assert "Older" in first.get_data(as_text=True)
    second = client.get("/notifications?page=2").get_data(as_text=True)
    assert "Newer" in second and "Older" not in second
    assert client.get("/notifications?page=999999999999").status_code == 200


def test_unread_count_poll_answers_304_while_unchanged(client, member):
    login(client, member)
    first = client.get("/notifications/count", headers={"HX-Request": "true"})
    assert first.status_code == 200 and first.headers["ETag"]
    again = client.get("/notifications/count", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    notify([member.id], "account", "News", url="/")
    commit()
    changed = client.get("/notifications/count", headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and 'aria-label="1 unread"' in changed.get_data(as_text=True)


def test_preferences_are_saved_and_honoured(client, member, inbox):
    login(client, member)
    page = client.get("/settings/notifications").get_data(as_text=True)
    assert '<label for="pref-comments">' in page and "Daily digest (default)" in page
    assert "sent around 08:00 in your time zone, UTC" in page
    set_viewer_zone(member, "Pacific/Auckland")
    commit()
    page = client.get("/settings/notifications").get_data(as_text=True)
    assert "sent around 08:00 in your time zone, Pacific/Auckland" in page
    choices = {"decisions": "off", "idea_updates": "weekly", "comments": "immediately", "replies": "daily",
               "following": "off", "account": "immediately", "moderation_queue": "immediately", "holdups": "off",
               "invitations": "weekly"}
    assert client.post("/settings/notifications", data=choices).status_code == 302
    bad = client.post("/settings/notifications", data={**choices, "replies": "hourly"})
    assert bad.status_code == 422 and "Choose immediately" in bad.get_data(as_text=True)
    assert db.session.get(NotificationPreference, (member.id, "replies")).delivery == "daily"
    notify([member.id], "decisions", "Your idea was approved.", url="/")
    notify([member.id], "comments", "Someone commented.", url="/")
    commit()
    assert [m["Subject"] for m in inbox.to(member.email)] == ["Someone commented."]
    assert len(db.session.scalars(select(Notification).where(Notification.user_id == member.id)).all()) == 2


def test_unsubscribe_link_works_logged_out_and_by_one_click_post(client, member, inbox):
    notify([member.id], "replies", "Ada replied to your comment.", url="/")
    commit()
    [message] = inbox.to(member.email)
    link = re.search(r"<(http[^>]+)>", message["List-Unsubscribe"]).group(1)
    path = link.split("127.0.0.1:5000", 1)[1]
    page = client.get(path)  # nobody logged in
    assert page.status_code == 200 and "Replies to my comments" in page.get_data(as_text=True)
    assert db.session.get(NotificationPreference, (member.id, "replies")) is None  # GET only asks
    # RFC 8058: the mail client POSTs this body, no cookie, no CSRF token.
    done = client.post(path, data={"List-Unsubscribe": "One-Click"}, csrf=False)
    assert done.status_code == 200 and "no more e-mails" in done.get_data(as_text=True)
    assert db.session.get(NotificationPreference, (member.id, "replies")).delivery == "off"
    notify([member.id], "replies", "Another reply.", url="/")
    commit()
    assert len(inbox.to(member.email)) == 1  # in-app only from now on
    assert client.get("/notifications/unsubscribe/forged-token").status_code == 404
    assert client.post(path[:-3] + "xyz", csrf=False).status_code == 404


def test_unsubscribe_tokens_expire(client, member, monkeypatch):
    from notifications.services import emails

    token = unsubscribe_token(member.id, ["replies"])
    assert client.get(f"/notifications/unsubscribe/{token}").status_code == 200
    monkeypatch.setattr(emails, "UNSUBSCRIBE_MAX_AGE", -1)  # as if the link were older than three months
    expired = client.post(f"/notifications/unsubscribe/{token}", csrf=False)
    assert expired.status_code == 404 and "not valid any more" in expired.get_data(as_text=True)
    assert db.session.get(NotificationPreference, (member.id, "replies")) is None


def test_email_is_sent_once_even_when_the_job_runs_twice(session, member, inbox):
    from notifications import jobs as notification_jobs

    notify([member.id], "replies", "Once only.", url="/")
    commit()
    [row] = emails_of(member)
    notification_jobs.send_email(row.id)
    commit()
    assert len(inbox.to(member.email)) == 1
