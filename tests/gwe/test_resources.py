import pytest

from invitations.models import InvitationTemplate

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("slug", ["invite", "invite-callback", "inviteGMS"])
def test_the_invitations_shipped_are_served_with_their_actions(client, slug):
    response = client.get(f"/server/resources/{slug}.html")

    assert response.status_code == 200
    assert b'data-gwe-action="accept"' in response.content
    assert b'data-gwe-action="reject"' in response.content


def test_an_edited_template_is_served_as_edited_in_the_visitors_language(client):
    template = InvitationTemplate.objects.get(slug="invite")
    template.title = "Questions about our prices?"
    template.save()
    template.translations.create(
        language="fr",
        title="Une question ?",
        text="Parlons-en.",
        accept_label="Oui",
        reject_label="Non",
    )

    english = client.get("/server/resources/invite.html").content.decode()
    french = client.get("/server/resources/invite.html?lang=fr-CA").content.decode()

    assert "Questions about our prices?" in english
    assert "Une question ?" in french
    assert "Questions about our prices?" not in french


def test_a_disabled_template_is_not_served(client):
    InvitationTemplate.objects.filter(slug="inviteGMS").update(enabled=False)

    assert client.get("/server/resources/inviteGMS.html").status_code == 404


def test_only_the_allowed_sites_may_frame_it(client, settings):
    settings.GWE_ALLOWED_ORIGINS = ["https://shop.example", "https://www.shop.example"]

    response = client.get("/server/resources/invite.html")

    assert "X-Frame-Options" not in response.headers
    assert response.headers["Content-Security-Policy"].startswith(
        "frame-ancestors 'self' https://shop.example https://www.shop.example;"
    )


def test_it_sandboxes_itself_so_that_it_cannot_navigate_or_cover_the_customer_page(client):
    response = client.get("/server/resources/invite.html")

    policy = response.headers["Content-Security-Policy"]
    sandbox = next(d.split()[1:] for d in policy.split(";") if d.split()[0] == "sandbox")
    # Its scripts run with GWE's origin (its requests, the chat's socket); its forms submit;
    # what it opens for the visitor is a page of its own, not sandboxed.
    assert set(sandbox) == {
        "allow-scripts",
        "allow-same-origin",
        "allow-forms",
        "allow-popups",
        "allow-popups-to-escape-sandbox",
    }


@pytest.mark.parametrize(
    "path", ["/server/resources/nothing.html", "/server/resources/..%2Fx.html"]
)
def test_unknown_resources_are_404(client, path):
    assert client.get(path).status_code == 404
