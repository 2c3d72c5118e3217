"""The agent's workspace in a real Chromium, two browsers: a visitor browses the shop; the
agent sees them appear in *Visitors on the site*, sees their page change, invites them by
hand; the visitor accepts and they chat; the visitor closes the tab and leaves the list. A
visitor opens a chat with the site's button, another with the launcher, on a French page."""

import json

import pytest

from tests.e2e.conftest import agent_signs_in_available, shop_page
from tests.support.servers import fresh_database, gwe_server

pytestmark = [pytest.mark.browser, pytest.mark.server]

WAIT = 10000  # ms
OFFERED = """
import json
from gwe.models import Event
print(json.dumps([e.data for e in Event.objects.filter(event_name="InvitationOffered")]))
"""


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("workspace")
    with (
        fresh_database(tmp) as database,
        gwe_server(tmp, database, GWE_PRESENCE_GRACE_SECONDS="3").start() as server,
    ):
        server.manage("gwe_demo", "--url", server.url)
        yield server


def test_the_agent_sees_a_visitor_browse_invites_them_and_they_chat(
    workspace, shop, chromium_browser
):
    agent = chromium_browser.new_context()
    console = agent_signs_in_available(workspace, agent)
    console.locator("#tab-visitors").click()
    console.locator("#no-visitors").wait_for(timeout=WAIT)
    shoes = shop.add("/ws/shoes", shop_page(workspace.url, "<h1>Shoes</h1>", title="Shoes"))
    boots = shop.add("/ws/boots", shop_page(workspace.url, "<h1>Boots</h1>", title="Boots"))

    visitor = chromium_browser.new_context()
    page = visitor.new_page()
    page.goto(shoes)
    row = console.locator("#visitors-rows tr")
    row.filter(has_text="Shoes").wait_for(timeout=WAIT)
    assert console.locator("#visitors-count").inner_text() == "(1)"
    page.goto(boots)
    row.filter(has_text="Boots").wait_for(timeout=WAIT)
    assert row.count() == 1  # the same visitor, on another page
    assert "2 pages" in row.inner_text()

    console.locator("#invite-template").select_option("invite")
    row.get_by_role("button", name="Invite").click()
    console.locator("#visitors-status", has_text="Invitation offered").wait_for(timeout=WAIT)
    frame = page.frame_locator("iframe[data-gwe-notification]")
    frame.locator('[data-gwe-action="accept"]').click(timeout=WAIT)
    frame.locator("#chat-status").filter(has_text="Waiting for an adviser").wait_for(timeout=WAIT)

    console.locator("#tab-chats").click()
    offered = console.locator("#chat-list li[data-chat]")
    offered.first.wait_for(timeout=WAIT)
    offered.first.click()
    frame.locator("#chat-input").fill("Do you have them in 44?")
    frame.locator("#chat-input").press("Enter")
    console.locator("#transcript li.visitor", has_text="in 44?").wait_for(timeout=WAIT)
    console.locator("#message-input").fill("We do.")
    console.locator("#message-input").press("Enter")
    frame.locator("#chat-log li.agent", has_text="We do.").wait_for(timeout=WAIT)
    [offer] = json.loads(workspace.manage("shell", "-c", OFFERED).splitlines()[-1])
    assert offer["agent"] == "admin"

    console.locator("#tab-visitors").click()
    row.filter(has_text="in a chat").wait_for(timeout=WAIT)
    page.close()  # the visitor leaves: gone once the presence grace period is over
    console.locator("#no-visitors").wait_for(timeout=15000)
    assert console.locator("#visitors-count").inner_text() == "(0)"
    for context in (visitor, agent):
        context.close()


ATTACHED = """
import json
from media_adapters.gwe_chat.models import Chat
print(json.dumps([c.attached_data for c in Chat.objects.filter(invitation_id="")]))
"""


def test_the_site_s_own_button_and_the_launcher_open_a_chat_the_agent_receives(
    workspace, shop, chromium_browser
):
    agent = chromium_browser.new_context()
    console = agent_signs_in_available(workspace, agent)
    button = '<button id="help" onclick="_gt.push([\'chat\'])">Talk to us</button>'
    help_page = shop.add("/ws/help", shop_page(workspace.url, button, title="Help"))
    launcher = shop.add(
        "/ws/launcher",
        shop_page(
            workspace.url,
            "<h1>Hi</h1>",
            config_extra="_gt.push(['config', {chatButton: true, languageCode: 'fr-FR'}]);",
            title="Hi",
        ),
    )

    visitor = chromium_browser.new_context()
    page = visitor.new_page()
    page.goto(help_page)
    assert page.locator("#gwe-chat-launcher").count() == 0  # not asked for on this page
    page.locator("#help").click()
    chat = page.frame_locator("iframe[data-gwe-engagement='visitor-chat']")
    chat.locator("#chat-status").filter(has_text="Waiting for an adviser").wait_for(timeout=WAIT)
    console.locator("#chat-list li[data-chat]", has_text="Help").wait_for(timeout=WAIT)
    ids = page.evaluate("() => new Promise(resolve => _gt.push(['getIDs', resolve]))")
    [attached] = json.loads(workspace.manage("shell", "-c", ATTACHED).splitlines()[-1])
    assert attached == {"visitID": ids["visitID"], "pageID": ids["pageID"]}  # no webengagement

    other = chromium_browser.new_context().new_page()  # a French page: GWE speaks French
    other.goto(launcher)
    other.locator("#gwe-chat-launcher", has_text="Discuter avec nous").click(timeout=WAIT)
    french = other.frame_locator("iframe[data-gwe-engagement='visitor-chat']")
    waiting = "En attente d\u2019un conseiller"
    french.locator("#chat-status", has_text=waiting).wait_for(timeout=WAIT)
    assert french.locator("html").get_attribute("lang") == "fr"
    assert french.locator("#chat-end").inner_text() == "Terminer la discussion"
    for context in (visitor, other.context, agent):
        context.close()
