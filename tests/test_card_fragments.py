"""The idea card's fragments (issue 13): slots give loaded templates, and the support part a card draws
with the support_button macro says what the idea page's box, which includes the template, says."""
from app import fragments
from tests.conftest import login
from tests.factories import IdeaFactory, UserFactory
from tests.voting.helpers import voting_idea
from voting.services import supports


def test_a_slot_gives_its_templates_loaded_once_and_by_name_while_templates_reload(app):
    environment = app.jinja_env
    templates = fragments.slot(environment, "idea_card")
    assert [t.name for t in templates] == ["voting/_idea_card_support.html"]
    assert fragments.slot(environment, "idea_card") is templates
    assert fragments.slot(environment, "no_such_slot") == ()
    environment.auto_reload = True
    try:
        assert fragments.slot(environment, "idea_card") == ("voting/_idea_card_support.html",)
    finally:
        environment.auto_reload = False


def box(html, box_id):
    return html.split(f'id="{box_id}"')[1].split("</div>")[0]


def test_a_members_cards_show_their_own_idea_and_their_support(client, session):
    member = UserFactory()
    supported = voting_idea()
    challenge = supported.challenge
    own, other = IdeaFactory(challenge=challenge, author=member), IdeaFactory(challenge=challenge)
    supports.support_idea(member, supported, challenge)
    login(client, member)
    html = client.get(f"/challenges/{challenge.slug}?sort=top").get_data(as_text=True)
    assert 'aria-pressed="true"' in box(html, f"support-card-{supported.id}")
    assert f'action="/ideas/{supported.id}/support/withdraw"' in box(html, f"support-card-{supported.id}")
    own_box = box(html, f"support-card-{own.id}")
    assert "Your idea" in own_box and "<form" not in own_box and 'class="hint"' not in own_box
    assert f'hx-post="/ideas/{other.id}/support"' in box(html, f"support-card-{other.id}")
    page = client.get(f"/ideas/{supported.id}").get_data(as_text=True)
    assert box(page, f"support-{supported.id}").count('aria-pressed="true"') == 1


def test_the_idea_page_says_why_a_member_cannot_support(client, session):
    idea = voting_idea(status="selected")
    login(client, UserFactory())
    page_box = box(client.get(f"/ideas/{idea.id}").get_data(as_text=True), f"support-{idea.id}")
    assert '<p class="hint">Supports change only while an idea is gathering support.</p>' in page_box
    card_box = box(client.get(f"/challenges/{idea.challenge.slug}").get_data(as_text=True), f"support-card-{idea.id}")
    assert "<form" not in card_box and 'class="hint"' not in card_box  # a card is compact: no reason
