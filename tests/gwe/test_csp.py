"""Scripts run only from GWE's files and its pages' own inline scripts, which carry the
response's nonce: a script that found its way into a page (a template's HTML, a visitor's
text) does not run, in the admin, the agent's console and the pages the tracker frames."""

import re

import pytest

from invitations.models import InvitationTemplate
from media_adapters.gwe_chat.tokens import visitor_token
from tests.media_adapters.test_gwe_chat import make_agent, make_chat

pytestmark = pytest.mark.django_db


def script_policy(response) -> str:
    policy = response["Content-Security-Policy"]
    [scripts] = [d.strip() for d in policy.split(";") if d.strip().startswith("script-src")]
    return scripts


def nonce_of(response) -> str:
    return re.search(r"'nonce-([^']+)'", script_policy(response)).group(1)


def test_the_admin_and_the_console_run_only_their_own_scripts(client):
    agent = make_agent("ann")
    agent.is_staff = agent.is_superuser = True
    agent.save()
    client.force_login(agent)

    for path in ("/admin/", "/agent/", "/admin/invitations/invitationtemplate/add/"):
        response = client.get(path)

        assert response.status_code == 200, path
        assert script_policy(response).startswith("script-src 'self'"), path
        assert "unsafe-inline" not in script_policy(response)


def test_a_framed_page_keeps_its_framing_policy_and_gets_the_script_policy(client):
    chat = make_chat(make_agent("ann"))

    response = client.get(
        f"/server/resources/chat.html?chat={chat.pk}&token={visitor_token(chat.pk)}"
    )

    policy = response["Content-Security-Policy"]
    assert "frame-ancestors" in policy
    assert "sandbox allow-scripts" in policy
    nonce = nonce_of(response)
    inline = re.findall(r"<script(?: [^>]*)?>", response.content.decode())
    assert inline
    assert all(f'nonce="{nonce}"' in tag or "src=" in tag or "json" in tag for tag in inline)


def test_a_script_in_a_template_s_html_gets_no_nonce(client):
    InvitationTemplate.objects.create(
        slug="sneaky", name="Sneaky", title="Hi", body_html="<script>alert(1)</script><p>Hi</p>"
    )

    response = client.get("/server/resources/sneaky.html")

    page = response.content.decode()
    assert "<script>alert(1)</script>" in page  # there, as the admin wrote it, but it will not run
    assert "unsafe-inline" not in script_policy(response)
    assert "nonce=" not in page  # GWE's own script on the page is a file of its own
