"""In a real Chromium: when nobody can answer, the visitor leaves a message instead — from an
invitation accepted after the only agent went away, and from the queue, rather than wait for
a busy agent. The message is in the console and the admin, and was emailed (the file email
backend)."""

import json
from pathlib import Path

import pytest

from tests.e2e.conftest import agent_signs_in_available, eventually, shop_page
from tests.support.servers import fresh_database, gwe_server

pytestmark = [pytest.mark.browser, pytest.mark.server]

WAIT = 10000  # ms
SET_UP = """
from django.contrib.auth.models import Group, User
from gwe.models import BusinessEventDefinition
from invitations.models import ChannelPacing
from media_adapters.gwe_chat.models import AgentStatus
BusinessEventDefinition.objects.filter(name="PricingDwell").update(delay_seconds=1)
ChannelPacing.objects.update_or_create(channel="gwe-chat", defaults={"enabled": False})
bob = User.objects.create_user("bob", password="bob-pass-1", first_name="Bob")
bob.groups.add(Group.objects.get_or_create(name="agents")[0])
for user in User.objects.filter(username__in=["admin", "bob"]):
    AgentStatus.objects.update_or_create(user=user, defaults={"max_chats": 1})
"""
LEFT = """
import json
from media_adapters.gwe_chat.models import LeftMessage
print(json.dumps([[m.name, m.text, m.chat_id or "", m.chat.state if m.chat_id else ""]
                  for m in LeftMessage.objects.order_by("created_at")]))
"""


@pytest.fixture(scope="module")
def mailbox(tmp_path_factory) -> Path:
    """Where the server's file email backend writes each email it sends."""
    return tmp_path_factory.mktemp("mail")


@pytest.fixture(scope="module")
def desk(tmp_path_factory, mailbox):
    tmp = tmp_path_factory.mktemp("desk")
    with (
        fresh_database(tmp) as database,
        gwe_server(
            tmp,
            database,
            GWE_MESSAGES_EMAIL_TO="desk@shop.example",
            GWE_EMAIL_BACKEND="file",
            GWE_EMAIL_FILE_PATH=str(mailbox),
        ).start() as server,
    ):
        server.manage("gwe_demo", "--url", server.url)
        server.manage("shell", "-c", SET_UP)
        yield server


def left(server) -> list:
    return json.loads(server.manage("shell", "-c", LEFT).splitlines()[-1])


def invited(context, url: str):
    """A visitor on the pricing page, once the demo rule's invitation is shown."""
    page = context.new_page()
    page.goto(url)
    frame = page.frame_locator("iframe[data-gwe-notification]")
    frame.locator('[data-gwe-action="accept"]').wait_for(timeout=15000)
    return page, frame


def leave_message(frame, name: str, text: str) -> None:
    frame.locator("#id_name").fill(name)
    frame.locator("#id_email").fill(f"{name.lower()}@example.com")
    frame.locator("#id_text").fill(text)
    frame.get_by_role("button", name="Send").click()
    frame.get_by_text(f"Thank you, {name}.").wait_for(timeout=WAIT)


def set_away(console) -> None:
    console.locator("#availability").click()
    console.wait_for_selector('#availability[aria-pressed="false"]', timeout=WAIT)


def test_an_invitation_accepted_after_the_agent_left_offers_to_leave_a_message(
    desk, mailbox, shop, chromium_browser
):
    agent = chromium_browser.new_context()
    console = agent_signs_in_available(desk, agent)
    pricing = shop.add("/demo/pricing/leave", shop_page(desk.url, "<h1>Pricing</h1>"))
    visitor = chromium_browser.new_context()
    _, frame = invited(visitor, pricing)

    set_away(console)  # the only agent goes before the visitor answers
    frame.locator('[data-gwe-action="accept"]').click()
    frame.get_by_text("No adviser is free right now").wait_for(timeout=WAIT)
    leave_message(frame, "Grace", "Do you deliver to Oslo?")

    assert left(desk) == [["Grace", "Do you deliver to Oslo?", "", ""]]
    emails = eventually(lambda: list(mailbox.iterdir()))
    sent = emails[0].read_text()
    assert "To: desk@shop.example" in sent
    assert "Do you deliver to Oslo?" in sent
    console.locator("#tab-messages", has_text="(1)").click(timeout=WAIT)  # in the console
    listed = console.locator("#messages-list li", has_text="Do you deliver to Oslo?")
    listed.get_by_role("button", name="Take").click(timeout=WAIT)
    listed.filter(has_text="Taken by you").wait_for(timeout=WAIT)
    assert console.locator("#messages-count").inner_text() == ""
    admin = console.context.new_page()
    admin.goto(f"{desk.url}/admin/gwe_chat/leftmessage/")
    assert admin.get_by_text("Do you deliver to Oslo?").is_visible()
    for context in (visitor, agent):
        context.close()


def test_a_visitor_waiting_in_the_queue_leaves_a_message_instead(desk, shop, chromium_browser):
    ada_side, bob_side = chromium_browser.new_context(), chromium_browser.new_context()
    ada = agent_signs_in_available(desk, ada_side)
    bob = agent_signs_in_available(desk, bob_side, "bob", "bob-pass-1")
    pricing = shop.add("/demo/pricing/queue", shop_page(desk.url, "<h1>Pricing</h1>"))
    first_side, second_side = chromium_browser.new_context(), chromium_browser.new_context()
    _, first = invited(first_side, pricing)
    _, second = invited(second_side, pricing)

    set_away(bob)  # two were invited for two agents; one agent goes
    first.locator('[data-gwe-action="accept"]').click()
    ada.locator("#chat-list li[data-chat]").first.wait_for(timeout=WAIT)
    second.locator('[data-gwe-action="accept"]').click()
    second.get_by_text("you are number 1 in the queue").wait_for(timeout=WAIT)
    second.get_by_role("button", name="Leave a message").click()
    second.get_by_text("Every adviser is still busy").wait_for(timeout=WAIT)
    leave_message(second, "Linus", "Call me about the pro plan.")

    [message] = [m for m in left(desk) if m[0] == "Linus"]
    assert message[1] == "Call me about the pro plan."
    assert (bool(message[2]), message[3]) == (True, "ended")  # the queued chat ended
    for context in (first_side, second_side, ada_side, bob_side):
        context.close()
