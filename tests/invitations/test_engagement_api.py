"""The engagement gateway and the page's reports, over HTTP."""

import json

import pytest
from django.contrib.auth.models import Permission, User
from rest_framework.test import APIClient

from invitations.config import forget_configuration
from invitations.models import Invitation
from invitations.services import invitation_token
from notifications.models import Notification
from tests.support.factories import start_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def strategy():
    """An external engagement strategy's account."""
    user = User.objects.create_user("strategy", password="strategy-pass")
    user.user_permissions.add(
        Permission.objects.get(codename="add_invitation"),
        Permission.objects.get(codename="change_invitation"),
    )
    client = APIClient()
    client.force_authenticate(user)
    forget_configuration()
    return client


def test_engage_offers_the_named_invitation_to_the_latest_page(strategy):
    started = start_page()

    response = strategy.post(
        "/server/data/gateway/engage",
        {"visitID": started.visit.pk, "invitation": "inviteGMS", "data": {"why": "vip"}},
        format="json",
    )

    assert response.status_code == 202
    invitation = Invitation.objects.get(pk=response.json()["invitationID"])
    assert (invitation.template.slug, invitation.rule, invitation.page_id) == (
        "inviteGMS",
        None,
        started.page.pk,
    )
    assert invitation.data == {"why": "vip"}


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"visitID": "nope", "invitation": "invite"}, 400),
        ({"visitID": "A" * 22, "invitation": "invite"}, 404),
        ({"invitation": "invite"}, 400),
    ],
)
def test_engage_refuses_what_it_cannot_do(strategy, body, status):
    assert strategy.post("/server/data/gateway/engage", body, format="json").status_code == status
    assert not Invitation.objects.exists()


def test_engage_is_refused_while_another_invitation_is_on_the_page(strategy):
    started = start_page()
    body = {"visitID": started.visit.pk, "invitation": "invite"}
    assert strategy.post("/server/data/gateway/engage", body, format="json").status_code == 202

    again = strategy.post("/server/data/gateway/engage", body, format="json")

    assert again.status_code == 409
    assert again.json()["reason"] == "another invitation is on screen (one at a time)"
    assert Invitation.objects.count() == 1


def test_engage_is_refused_when_nobody_can_answer(strategy, settings):
    settings.GWE_MEDIA_ADAPTERS = {
        "gwe-chat": {
            "BACKEND": "media_adapters.memory.InMemoryAdapter",
            "OPTIONS": {"available": False},
        }
    }
    started = start_page()

    response = strategy.post(
        "/server/data/gateway/engage",
        {"visitID": started.visit.pk, "invitation": "invite"},
        format="json",
    )

    assert response.status_code == 409
    assert response.json()["reason"] == "nobody is available (gwe-chat)"
    assert not Invitation.objects.exists()


def test_engage_names_an_unknown_invitation(strategy):
    started = start_page()

    response = strategy.post(
        "/server/data/gateway/engage",
        {"visitID": started.visit.pk, "invitation": "nothing-like-it"},
        format="json",
    )

    assert response.status_code == 404
    assert "nothing-like-it" in response.json()["error"]


def test_engage_needs_credentials_and_permission():
    started = start_page()
    User.objects.create_user("nobody", password="nobody-pass")
    body = {"visitID": started.visit.pk, "invitation": "invite"}
    anonymous, unprivileged = APIClient(), APIClient()
    unprivileged.force_authenticate(User.objects.get(username="nobody"))

    assert anonymous.post("/server/data/gateway/engage", body, format="json").status_code == 401
    assert unprivileged.post("/server/data/gateway/engage", body, format="json").status_code == 403


def test_noengage_withdraws_pending_invitations_from_the_page(strategy):
    started = start_page()
    engaged = strategy.post(
        "/server/data/gateway/engage",
        {"visitID": started.visit.pk, "invitation": "invite"},
        format="json",
    ).json()

    response = strategy.post(
        "/server/data/gateway/noengage",
        {"visitID": started.visit.pk, "reason": "agent left"},
        format="json",
    )

    assert response.json() == {"cancelled": [engaged["invitationID"]]}
    invitation = Invitation.objects.get()
    assert (invitation.state, invitation.reason) == ("cancelled", "agent left")
    removal = Notification.objects.get(channel="gpe.removeContent")
    assert removal.data == {"notificationID": invitation.notification_id}


def test_the_page_reports_steps_with_the_invitations_token(client, strategy):
    started = start_page()
    invitation_id = strategy.post(
        "/server/data/gateway/engage",
        {"visitID": started.visit.pk, "invitation": "invite"},
        format="json",
    ).json()["invitationID"]
    url = f"/server/data/invitations/{invitation_id}/"
    token = invitation_token(invitation_id)

    def report(step, body):
        return client.post(url + step, json.dumps(body), content_type="application/json")

    assert report("shown", {"token": "forged"}).status_code == 403
    assert report("shown", "not an object").status_code == 400
    assert client.post(url + "shown", "{oops", content_type="application/json").status_code == 400
    assert report("shown", {"token": token}).json()["state"] == "shown"
    assert report("accepted", {"token": token, "fields": {"n": 1}}).status_code == 400
    accepted = report("accepted", {"token": token, "fields": {"first_name": "Ann"}}).json()
    assert (accepted["invitationID"], accepted["state"]) == (invitation_id, "accepted")
    assert accepted["engagement"]["status"] == "started"
    assert report("rejected", {"token": token}).status_code == 409


def test_the_invitation_page_escapes_what_the_visitor_supplied(client, strategy):
    started = start_page()
    from gwe.services import identity_link

    identity_link(
        visit_id=started.visit.pk, attributes={"email": "x@example.com", "first_name": "<b>Ann</b>"}
    )
    invitation_id = strategy.post(
        "/server/data/gateway/engage",
        {"visitID": started.visit.pk, "invitation": "invite-callback"},
        format="json",
    ).json()["invitationID"]

    page = client.get(
        f"/server/resources/invite-callback.html?invitation={invitation_id}"
        f"&token={invitation_token(invitation_id)}"
    )

    assert page.status_code == 200
    html = page.content.decode()
    assert "&lt;b&gt;Ann&lt;/b&gt;" in html
    assert "<b>Ann</b>" not in html
    assert "frame-ancestors" in page["Content-Security-Policy"]
