"""An accepted invitation goes to its template's media adapter, once; the outcome is recorded
and the page is told what the visitor sees next."""

import json

import pytest

from gwe.models import Event
from gwe.services import identity_link
from invitations import services
from invitations.config import forget_configuration
from invitations.models import EngagementDecision, EngagementRule, Invitation, InvitationTemplate
from media_adapters import memory
from tests.support.factories import record_event, start_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def adapters(settings):
    """Set GWE_MEDIA_ADAPTERS["gwe-chat"]'s in-memory options for the test."""

    def configure(**options) -> None:
        settings.GWE_MEDIA_ADAPTERS = {
            "gwe-chat": {"BACKEND": "media_adapters.memory.InMemoryAdapter", "OPTIONS": options}
        }

    return configure


@pytest.fixture
def offered():
    forget_configuration()
    started = start_page("https://shop.example/pricing", title="Pricing", languageCode="fr-FR")
    invitation = services.invitation_offer(
        page=started.page, template=InvitationTemplate.objects.get(slug="invite"), rule=None
    )
    return invitation


def accept(client, invitation: Invitation, fields: dict | None = None) -> dict:
    response = client.post(
        f"/server/data/invitations/{invitation.pk}/accepted",
        json.dumps({"token": services.invitation_token(invitation.pk), "fields": fields or {}}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()


def history(invitation: Invitation) -> list[Event]:
    return list(
        Event.objects.filter(visit_id=invitation.visit_id, event_name__startswith="Engagement")
    )


def test_an_accept_starts_the_engagement_with_the_whole_context(client, offered, adapters):
    adapters(text="An adviser will answer in a moment.", url="/chat/1", open="embed")
    identity_link(visit_id=offered.visit_id, attributes={"email": "ann@example.com"})

    reply = accept(client, offered, {"first_name": "Ann"})

    assert reply["engagement"] == {
        "status": "started",
        "text": "An adviser will answer in a moment.",
        "url": "/chat/1",
        "open": "embed",
        "choices": [],
    }
    [context] = memory.outbox
    assert (context.visit_id, context.page_id) == (offered.visit_id, offered.page_id)
    assert context.attached_data == {
        "visitID": offered.visit_id,
        "pageID": offered.page_id,
        "webengagement": "",
    }
    assert context.fields == {"first_name": "Ann"}
    assert context.identity == {"email": "ann@example.com"}
    assert (context.template, context.rule, context.invitation_id) == ("invite", None, offered.pk)
    assert (context.url, context.title, context.language) == (
        "https://shop.example/pricing",
        "Pricing",
        "fr-FR",
    )
    offered.refresh_from_db()
    assert (offered.engagement, offered.engagement_reference) == ("started", "memory-1")
    [started] = history(offered)
    assert started.event_name == "EngagementStarted"
    assert started.data["adapter"] == "gwe-chat"
    assert started.data["reference"] == "memory-1"


def test_an_accept_reported_twice_starts_one_engagement(client, offered, adapters):
    adapters()

    first, second = accept(client, offered), accept(client, offered)

    assert first["engagement"] == second["engagement"]
    assert len(memory.outbox) == 1
    assert len(history(offered)) == 1


def test_an_adapter_that_fails_gives_the_visitor_its_words_and_records_why(
    client, offered, adapters
):
    adapters(fail="Nobody can take your call right now.")

    reply = accept(client, offered)

    assert reply["state"] == "accepted"
    assert reply["engagement"] == {
        "status": "failed",
        "error": "Nobody can take your call right now.",
    }
    offered.refresh_from_db()
    assert offered.engagement == "failed"
    assert offered.engagement_detail == "Nobody can take your call right now."
    [failed] = history(offered)
    assert (failed.event_name, failed.data["permanent"]) == ("EngagementFailed", False)


def test_an_adapter_that_is_not_configured_is_a_clear_permanent_failure(client, offered, settings):
    settings.GWE_MEDIA_ADAPTERS = {}

    reply = accept(client, offered)

    assert reply["engagement"]["status"] == "failed"
    assert "not available on this site" in reply["engagement"]["error"]
    offered.refresh_from_db()
    assert "no media adapter 'gwe-chat'" in offered.engagement_detail


def test_a_template_option_the_adapter_does_not_know_is_reported_not_raised(
    client, offered, adapters
):
    adapters()
    InvitationTemplate.objects.filter(slug="invite").update(adapter_options={"colour": "red"})
    offered.refresh_from_db()

    reply = accept(client, offered)

    assert reply["engagement"]["status"] == "failed"
    offered.refresh_from_db()
    assert "colour" in offered.engagement_detail


def test_a_rejected_invitation_starts_nothing(client, offered, adapters):
    adapters()
    token = services.invitation_token(offered.pk)
    client.post(
        f"/server/data/invitations/{offered.pk}/rejected",
        json.dumps({"token": token}),
        content_type="application/json",
    )

    assert accept_refused(client, offered) == 409
    assert memory.outbox == []


def accept_refused(client, invitation) -> int:
    response = client.post(
        f"/server/data/invitations/{invitation.pk}/accepted",
        json.dumps({"token": services.invitation_token(invitation.pk)}),
        content_type="application/json",
    )
    return response.status_code


def test_no_invitation_is_offered_when_its_adapter_has_nobody(adapters):
    adapters(available=False)
    EngagementRule.objects.create(
        name="Cart", event_name="AddToCart", template=InvitationTemplate.objects.get(slug="invite")
    )
    forget_configuration()
    started = start_page()

    record_event(started, "AddToCart")

    assert not Invitation.objects.exists()
    [decision] = EngagementDecision.objects.all()
    assert decision.reasons[0]["why"] == "nobody is available (gwe-chat)"


def test_a_link_the_page_may_not_open_is_refused(client, offered, adapters):
    adapters(url="javascript:alert(1)")

    reply = accept(client, offered)

    assert reply["engagement"]["status"] == "failed"
    assert "javascript" not in json.dumps(reply)
    offered.refresh_from_db()
    assert "may not open" in offered.engagement_detail
