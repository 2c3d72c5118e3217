"""The chat desk in a real Chromium, two agents' consoles and a visitor: a new chat alerts
the agent whose console is not in front (a desktop notification); the visitor sees "Read";
the agent inserts a canned reply with /; and passes the chat to the other agent with a note,
who gets it with its transcript while the visitor reads who took over."""

import pytest

from tests.e2e.conftest import agent_signs_in_available, shop_page
from tests.support.servers import fresh_database, gwe_server

pytestmark = [pytest.mark.browser, pytest.mark.server]

WAIT = 10000  # ms
SET_UP = """
from django.contrib.auth.models import Group, User
from media_adapters.gwe_chat.models import CannedResponse
bob = User.objects.create_user("bob", password="bob-pass-1", first_name="Bob")
bob.groups.add(Group.objects.get_or_create(name="agents")[0])
CannedResponse.objects.create(shortcut="hello", text="Hello! How can I help?")
"""
# The console's page, told it is not in front, and its desktop notifications recorded.
NOT_IN_FRONT = """
window.__front = false;
window.__notifications = [];
document.hasFocus = function () { return window.__front; };
window.Notification = function (title, options) { window.__notifications.push(title); };
window.Notification.permission = 'granted';
window.Notification.requestPermission = function () { return Promise.resolve('granted'); };
"""


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("desk")
    with fresh_database(tmp) as database, gwe_server(tmp, database).start() as server:
        server.manage("gwe_demo", "--url", server.url)
        server.manage("shell", "-c", SET_UP)
        yield server


def test_alerts_read_marks_canned_replies_and_passing_a_chat_on(desk, shop, chromium_browser):
    ada_side = chromium_browser.new_context()
    ada_side.add_init_script(NOT_IN_FRONT)
    ada = agent_signs_in_available(desk, ada_side)
    button = '<button id="help" onclick="_gt.push([\'chat\'])">Talk to us</button>'
    help_page = shop.add("/desk/help", shop_page(desk.url, button, title="Help"))

    visitor = chromium_browser.new_context().new_page()
    visitor.goto(help_page)
    visitor.locator("#help").click()
    chat = visitor.frame_locator("iframe[data-gwe-engagement='visitor-chat']")
    chat.locator("#chat-status").filter(has_text="Waiting for an adviser").wait_for(timeout=WAIT)
    ada.locator("#chat-list li[data-chat]").first.wait_for(timeout=WAIT)
    ada.wait_for_function("() => window.__notifications.length > 0", timeout=WAIT)
    assert ada.evaluate("window.__notifications")[0].startswith("New chat: ")
    assert ada.locator("#alerts").inner_text() == "Desktop alerts: on"

    # In front again: what the visitor writes is marked read.
    ada.evaluate("window.__front = true")
    chat.locator("#chat-input").fill("Do you have boots in 44?")
    chat.locator("#chat-input").press("Enter")
    ada.locator("#transcript li.visitor", has_text="boots in 44").wait_for(timeout=WAIT)
    chat.locator("#chat-log li.visitor .read-mark", has_text="Read").wait_for(timeout=WAIT)

    # A canned reply, found with / and inserted with Enter.
    ada.locator("#message-input").press_sequentially("/hel", delay=30)
    ada.locator("#canned-list li", has_text="/hello").wait_for(timeout=WAIT)
    ada.locator("#message-input").press("Enter")
    assert ada.locator("#message-input").input_value() == "Hello! How can I help?"
    ada.locator("#message-input").press("Enter")
    chat.locator("#chat-log li.agent", has_text="Hello! How can I help?").wait_for(timeout=WAIT)

    # Passed on to Bob, with a note; the transcript goes along.
    bob_side = chromium_browser.new_context()
    bob = agent_signs_in_available(desk, bob_side, "bob", "bob-pass-1")
    ada.locator("#transfer").click()
    ada.locator("#transfer-to option", has_text="Bob").wait_for(state="attached", timeout=WAIT)
    ada.locator("#transfer-note").fill("Wants trail boots, size 44.")
    ada.locator("#transfer-send").click()
    ada.locator("#no-chats").wait_for(timeout=WAIT)
    bob.locator("#chat-list li[data-chat]").first.click(timeout=WAIT)
    bob.locator("#context-transfer", has_text="Wants trail boots, size 44.").wait_for(timeout=WAIT)
    bob.locator("#transcript li.visitor", has_text="boots in 44").wait_for(timeout=WAIT)
    chat.locator("#chat-log li.system", has_text="passed the chat to Bob.").wait_for(timeout=WAIT)
    chat.locator("#chat-status").filter(has_text="chatting with Bob").wait_for(timeout=WAIT)
    for context in (visitor.context, ada_side, bob_side):
        context.close()


def test_on_a_phone_the_chat_takes_the_whole_screen(desk, shop, chromium_browser, tmp_path):
    button = '<button id="help" onclick="_gt.push([\'chat\'])">Talk to us</button>'
    phone_ready = '<meta name="viewport" content="width=device-width, initial-scale=1">'
    help_page = shop.add(
        "/desk/phone",
        shop_page(desk.url, button, title="Help").replace("<head>", "<head>" + phone_ready),
    )
    agent = chromium_browser.new_context()
    agent_signs_in_available(desk, agent)
    phone = chromium_browser.new_context(
        viewport={"width": 375, "height": 667}, is_mobile=True, has_touch=True
    )
    page = phone.new_page()
    page.goto(help_page)

    page.locator("#help").click()
    chat = page.frame_locator("iframe[data-gwe-engagement='visitor-chat']")
    chat.locator("#chat-status").filter(has_text="Waiting for an adviser").wait_for(timeout=WAIT)
    page.wait_for_function(
        "() => document.querySelector('iframe[data-gwe-engagement]').offsetHeight === 667",
        timeout=WAIT,
    )
    box = page.locator("iframe[data-gwe-engagement='visitor-chat']").bounding_box()
    page.screenshot(path=str(tmp_path / "phone-chat.png"))

    assert box == {"x": 0, "y": 0, "width": 375, "height": 667}
    assert chat.locator("#chat-input").is_visible()
    assert chat.locator("#chat-send").bounding_box()["y"] < 667  # the composer is on screen
    for context in (phone, agent):
        context.close()
