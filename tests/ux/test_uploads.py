"""Uploaded avatars and challenge covers (issue 15 item 15): checked, re-encoded, served by content hash."""
import io
import re
from datetime import timedelta

import pytest
from PIL import Image

from app import clock
from tests.conftest import login
from tests.factories import ChallengeFactory, UserFactory


@pytest.fixture(autouse=True)
def _upload_dir(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path / "uploads"))


def png(size=(300, 200), colour=(200, 40, 40), mode="RGB", **info):
    out = io.BytesIO()
    image = Image.new(mode, size, colour)
    image.save(out, "PNG", **info)
    out.seek(0)
    return out


def profile_data(upload, name="photo.png", **extra):
    return {"display_name": "Ada L", "bio": "I build things.", "skills": "design", "interests": "food",
            "avatar_image": (upload, name), **extra}


def upload_avatar(client, user, upload, name="photo.png", **extra):
    return client.post(f"/users/{user.username}/edit", data=profile_data(upload, name, **extra),
                       content_type="multipart/form-data")


def test_a_member_uploads_an_avatar_which_is_re_encoded_and_served_with_long_caching(client, session):
    user = UserFactory()
    login(client, user)
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "secret location")
    response = upload_avatar(client, user, png((800, 600), pnginfo=info))
    assert response.status_code == 302
    session.refresh(user)
    assert re.fullmatch(r"avatar-[0-9a-f]{32}\.webp", user.avatar_file)
    page = client.get(f"/users/{user.username}").get_data(as_text=True)
    assert f'src="/uploads/{user.avatar_file}"' in page
    served = client.get(f"/uploads/{user.avatar_file}")
    assert served.status_code == 200 and served.mimetype == "image/webp"
    assert "max-age=31536000" in served.headers["Cache-Control"] and "immutable" in served.headers["Cache-Control"]
    image = Image.open(io.BytesIO(served.data))
    assert image.format == "WEBP" and max(image.size) <= 256
    assert b"secret location" not in served.data
    assert client.get("/uploads/avatar-../../etc.webp").status_code == 404


def test_a_text_file_renamed_png_is_refused_beside_the_field_and_the_text_is_kept(client, session):
    user = UserFactory()
    login(client, user)
    response = upload_avatar(client, user, io.BytesIO(b"hello, I am not a picture\n" * 10))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'<p class="error" id="avatar_image-error">That file is not an image', page)
    assert "I build things." in page  # nothing else typed is lost
    session.refresh(user)
    assert user.avatar_file is None and user.bio != "I build things."


def test_an_oversized_upload_is_refused_with_a_clear_message(client, session, app, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", 2000)
    user = UserFactory()
    login(client, user)
    noisy = Image.effect_noise((200, 200), 80).convert("RGB")
    out = io.BytesIO()
    noisy.save(out, "PNG")
    out.seek(0)
    response = upload_avatar(client, user, out)
    assert response.status_code == 422
    assert "too large: choose an image under" in response.get_data(as_text=True)
    session.refresh(user)
    assert user.avatar_file is None


def test_a_huge_dimension_image_is_refused_as_a_decompression_bomb(client, session):
    user = UserFactory()
    login(client, user)
    response = upload_avatar(client, user, png((8000, 8000), colour=0, mode="1"))
    assert response.status_code == 422
    assert "too many pixels" in response.get_data(as_text=True)
    session.refresh(user)
    assert user.avatar_file is None


def test_the_forms_post_files_without_javascript_with_labelled_fields(client, session):
    challenge = ChallengeFactory()
    login(client, challenge.owner)
    for url, name in ((f"/users/{challenge.owner.username}/edit", "avatar_image"),
                      (f"/challenges/{challenge.slug}/edit", "cover_image"), ("/challenges/new", "cover_image")):
        page = client.get(url).get_data(as_text=True)
        assert 'enctype="multipart/form-data"' in page and 'name="csrf_token"' in page
        assert f'<label for="{name}">' in page and 'type="file"' in page


def test_the_member_removes_their_avatar_and_initials_come_back(client, session):
    user = UserFactory()
    login(client, user)
    assert upload_avatar(client, user, png()).status_code == 302
    session.refresh(user)
    assert user.avatar_file
    data = profile_data(io.BytesIO(b""), name="", remove_avatar="y")
    assert client.post(f"/users/{user.username}/edit", data=data,
                       content_type="multipart/form-data").status_code == 302
    session.refresh(user)
    assert user.avatar_file is None
    assert "/uploads/" not in client.get(f"/users/{user.username}").get_data(as_text=True)


def test_only_the_member_may_upload_and_a_suspended_member_cannot(client, session):
    owner, other = UserFactory(), UserFactory()
    login(client, other)
    assert upload_avatar(client, owner, png()).status_code == 403
    other.suspended_until = clock.now() + timedelta(days=3)
    session.flush()
    assert upload_avatar(client, other, png()).status_code == 403
    session.refresh(owner)
    session.refresh(other)
    assert owner.avatar_file is None and other.avatar_file is None


def challenge_data(challenge, upload, name="cover.png", **extra):
    return {"title": challenge.title, "summary": challenge.summary, "problem": challenge.problem,
            "tags": "", "norms": challenge.norms, "format": challenge.format, "moderation_policy": "post",
            "submission_at": clock.now().date().isoformat(),
            "voting_at": (clock.now() + timedelta(days=30)).date().isoformat(),
            "review_at": (clock.now() + timedelta(days=60)).date().isoformat(),
            "results_at": (clock.now() + timedelta(days=90)).date().isoformat(),
            "cover_image": (upload, name), **extra}


def test_the_owner_adds_a_cover_shown_on_the_page_and_the_card_then_removes_it(client, session):
    challenge = ChallengeFactory()
    login(client, challenge.owner)
    response = client.post(f"/challenges/{challenge.slug}/edit", data=challenge_data(challenge, png((2400, 1200))),
                           content_type="multipart/form-data")
    assert response.status_code == 302
    session.refresh(challenge)
    assert re.fullmatch(r"cover-[0-9a-f]{32}\.webp", challenge.cover_file)
    src = f'src="/uploads/{challenge.cover_file}"'
    assert src in client.get(f"/challenges/{challenge.slug}").get_data(as_text=True)
    assert src in client.get("/challenges").get_data(as_text=True)
    image = Image.open(io.BytesIO(client.get(f"/uploads/{challenge.cover_file}").data))
    assert image.size == (1600, 800)
    response = client.post(f"/challenges/{challenge.slug}/edit",
                           data=challenge_data(challenge, io.BytesIO(b""), name="", remove_cover="y"),
                           content_type="multipart/form-data")
    assert response.status_code == 302
    session.refresh(challenge)
    assert challenge.cover_file is None


def test_a_bad_cover_is_refused_beside_its_field_keeping_the_form(client, session):
    challenge = ChallengeFactory()
    login(client, challenge.owner)
    data = challenge_data(challenge, io.BytesIO(b"GIF89a not really"), name="x.gif", summary="A new summary here.")
    response = client.post(f"/challenges/{challenge.slug}/edit", data=data, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="cover_image-error">That file is not an image' in page and "A new summary here." in page
    session.refresh(challenge)
    assert challenge.cover_file is None


def test_a_new_challenge_can_have_a_cover_and_only_the_owner_may_change_it(client, session):
    member = UserFactory()
    login(client, member)
    template = ChallengeFactory.build(title="How might we share tools between neighbours?")
    response = client.post("/challenges/new", data=challenge_data(template, png()),
                           content_type="multipart/form-data")
    assert response.status_code == 302
    from challenges.models import Challenge

    created = session.query(Challenge).filter_by(owner_id=member.id).one()
    assert created.cover_file
    other = ChallengeFactory()
    response = client.post(f"/challenges/{other.slug}/edit", data=challenge_data(other, png()),
                           content_type="multipart/form-data")
    assert response.status_code == 403
