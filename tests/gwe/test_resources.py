import pytest


def test_the_placeholder_invitation_is_served_with_its_actions(client):
    response = client.get("/server/resources/invite.html")

    assert response.status_code == 200
    assert b'data-gwe-action="accept"' in response.content
    assert b'data-gwe-action="reject"' in response.content


def test_only_the_allowed_sites_may_frame_it(client, settings):
    settings.GWE_ALLOWED_ORIGINS = ["https://shop.example", "https://www.shop.example"]

    response = client.get("/server/resources/invite.html")

    assert "X-Frame-Options" not in response.headers
    assert response.headers["Content-Security-Policy"] == (
        "frame-ancestors 'self' https://shop.example https://www.shop.example"
    )


@pytest.mark.parametrize(
    "path", ["/server/resources/nothing.html", "/server/resources/..%2Fx.html"]
)
def test_unknown_resources_are_404(client, path):
    assert client.get(path).status_code == 404
