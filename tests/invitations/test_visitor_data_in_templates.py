"""What a visitor set reaches an invitation's page only as text and only for that visitor:
a `javascript:` URL in an attribute a template links is left out, and an invitation's visitor
attributes are shown only with the invitation's token (its page's address carries it)."""

import pytest

from gwe.services import identity_link
from invitations import rendering
from invitations import services as invitations
from invitations.models import InvitationTemplate
from tests.support.factories import start_page

pytestmark = pytest.mark.django_db

LINKED = '<a id="site" href="{{ visitor.website }}">{{ visitor.name }}</a>'


@pytest.mark.parametrize(
    "website",
    ["javascript:alert(1)", " JavaScript:alert(1)", "java\tscript:alert(1)", "data:text/html,x"],
)
def test_a_visitor_set_url_that_would_run_script_is_left_out(website):
    template = InvitationTemplate(slug="t", body_html=LINKED, title="Hi")

    shown = rendering.render(template, visitor={"website": website, "name": "Grace"})

    assert 'href=""' in shown.body
    assert "script:" not in shown.body.lower().replace(" ", "")
    assert "data:" not in shown.body
    assert "Grace" in shown.body


def test_an_ordinary_url_and_text_with_a_colon_are_shown_as_they_are():
    template = InvitationTemplate(slug="t", body_html=LINKED, title="Hi")

    shown = rendering.render(
        template, visitor={"website": "https://grace.example/", "name": "Grace: CEO"}
    )

    assert 'href="https://grace.example/"' in shown.body
    assert "Grace: CEO" in shown.body


def test_an_invitation_s_visitor_attributes_need_its_token(client):
    template = InvitationTemplate.objects.create(
        slug="named", name="Named", body_html="<p>Hello {{ visitor.name }}</p>", title="Hi"
    )
    started = start_page()
    identity_link(visit_id=started.visit.pk, attributes={"email": "g@example.com", "name": "Grace"})
    invitation = invitations.invitation_offer(page=started.page, template=template, rule=None)
    base = f"/server/resources/named.html?invitation={invitation.pk}"

    with_token = client.get(f"{base}&token={invitations.invitation_token(invitation.pk)}")
    without = client.get(base)
    forged = client.get(f"{base}&token={invitations.invitation_token('Z' * 22)}")

    assert "Hello Grace" in with_token.content.decode()
    for answer in (without, forged):
        assert "Grace" not in answer.content.decode()
        assert '"invitation": null' in answer.content.decode()  # a preview: reports nothing
