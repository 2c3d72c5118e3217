"""A visitor whose browser has no WebSocket at all, in a real Chromium, on a customer's page of
another origin: the tracker falls back to HTTP and still gets its IDs, its notifications (by
long poll), the demo rule's invitation, and the built-in chat with an agent whose console
has WebSockets as usual."""

import time
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.e2e.conftest import (
    API_USER,
    agent_signs_in_available,
    engage,
    eventually,
    get_ids,
    said_in,
    shop_page,
)

pytestmark = [pytest.mark.browser, pytest.mark.server]

WAIT = 10000  # ms
NO_WEBSOCKET = "delete window.WebSocket;"  # before any script of the page, in every frame
SUBSCRIBED = """<h1>Pricing</h1>
<script>
  window.offers = [];
  _gt.push(['subscribe', 'offers', function (data) { window.offers.push(data.text); }]);
</script>"""


@pytest.fixture(scope="module")
def demo_gwe(gwe):
    """The module's server with the demo loaded: its pricing-page rule (PricingDwell, 8 s on
    a /demo/pricing page) and its admin, who is an agent (password admin)."""
    gwe.manage("gwe_demo", "--url", gwe.url)
    return gwe


@pytest.fixture
def agent_console(demo_gwe, chromium_browser):
    """The agent's console, in a browser with WebSockets as usual."""
    context = chromium_browser.new_context()
    yield agent_signs_in_available(demo_gwe, context)
    context.close()


@pytest.fixture
def visitor_context(chromium_browser):
    context = chromium_browser.new_context(viewport={"width": 1024, "height": 700})
    context.add_init_script(NO_WEBSOCKET)
    yield context
    context.close()


def notify(gwe, visit_id: str, text: str) -> None:
    response = httpx.post(
        f"{gwe.url}/server/data/notification/notify/{visit_id}",
        json=[{"channel": "offers", "data": {"text": text}}],
        auth=API_USER,
        timeout=10,
    )
    assert response.status_code == 202, response.text


def status(gwe, visit_id: str) -> list[tuple]:
    response = httpx.get(
        f"{gwe.url}/server/data/notification/visit/{visit_id}", auth=API_USER, timeout=10
    )
    return [(n["channel"], n["status"], n["deliveredTo"]) for n in response.json()]


def test_without_websockets_a_visitor_is_notified_invited_and_chats_over_http(
    demo_gwe, shop, agent_console, visitor_context, tmp_path
):
    visitor = visitor_context.new_page()
    sockets, polled = [], []
    visitor.on("websocket", lambda socket: sockets.append(socket.url))
    visitor.on("request", lambda request: polled.append(request.url))
    visitor.goto(shop.add("/demo/pricing", shop_page(demo_gwe.url, SUBSCRIBED, title="Pricing")))
    visitor.wait_for_function("() => window._gt && window._gt.gwe")
    assert visitor.evaluate("() => typeof WebSocket") == "undefined"

    # The IDs come over HTTP.
    ids = get_ids(visitor)
    assert len(ids["visitID"]) == len(ids["pageID"]) == 22

    # A contact center's notification reaches the page's callback within 2 s, by long poll.
    visitor.wait_for_function(
        "() => performance.getEntriesByType('resource')"
        ".some(r => r.name.endsWith('/server/data/tracker/poll'))",
        timeout=WAIT,
    )
    began = time.monotonic()
    notify(demo_gwe, ids["visitID"], "Free shipping today")
    visitor.wait_for_function("() => window.offers.length === 1", timeout=2000)
    assert time.monotonic() - began < 2
    assert visitor.evaluate("() => window.offers") == ["Free shipping today"]
    # ... and its receipt comes with the next poll.
    eventually(lambda: ("offers", "delivered", 1) in status(demo_gwe, ids["visitID"]))

    # The demo's rule invites after 8 s on the pricing page: the page is live while it polls.
    invitation = visitor.frame_locator("iframe[data-gwe-notification]")
    invitation.locator('[data-gwe-action="accept"]').click(timeout=3 * WAIT)

    # The chat opens in the invitation's place, over HTTP too.
    chat = visitor.frame_locator("iframe[data-gwe-notification]")
    chat.locator("#chat-status", has_text="Waiting for an adviser").wait_for(timeout=WAIT)
    console = agent_console
    offered = console.locator("#chat-list li[data-chat]")
    offered.first.wait_for(timeout=WAIT)
    offered.first.click()

    chat.locator("#chat-input").fill("Is the yearly plan cheaper?")
    chat.locator("#chat-input").press("Enter")
    console.locator("#transcript li.visitor", has_text="Is the yearly plan cheaper?").wait_for(
        timeout=WAIT
    )
    console.locator("#message-input").press_sequentially("Yes, by two months.", delay=20)
    chat.locator("#chat-typing", has_text="Adviser is typing…").wait_for(timeout=WAIT)
    console.locator("#message-input").press("Enter")
    chat.locator("#chat-log li.agent", has_text="Yes, by two months.").wait_for(timeout=WAIT)
    chat.locator("#chat-status", has_text="You are chatting with admin.").wait_for(timeout=WAIT)
    visitor.screenshot(path=str(tmp_path / "chat-without-websockets.png"))

    # Each message once, in order, on both sides.
    said = said_in(chat)
    assert said[1:] == [
        "Is the yearly plan cheaper?",
        "admin joined the chat.",
        "admin\nYes, by two months.",
    ]
    heard = console.locator("#transcript li.visitor").all_inner_texts()
    assert [t.strip().splitlines()[-1] for t in heard] == ["Is the yearly plan cheaper?"]
    assert sockets == []
    assert any("/server/data/chat/" in url and url.endswith("/poll") for url in polled)

    # The visitor ends it: both are told.
    chat.locator("#chat-end").click()
    chat.locator("#chat-status", has_text="This chat has ended.").wait_for(timeout=WAIT)
    console.locator("#transcript li.system", has_text="The visitor ended the chat.").wait_for(
        timeout=WAIT
    )


# A socket that never opens, as behind a proxy that refuses the upgrade: each window counts
# its attempts.
REFUSED_WEBSOCKET = """
window.socketAttempts = 0;
window.WebSocket = function () {
  var socket = this;
  window.socketAttempts += 1;
  setTimeout(function () { if (socket.onclose) socket.onclose({code: 1006}); }, 10);
};
window.WebSocket.OPEN = 1;
"""


def test_where_sockets_never_open_the_page_and_the_chat_use_http_after_two_tries(
    demo_gwe, shop, agent_console, chromium_browser
):
    context = chromium_browser.new_context()
    context.add_init_script(REFUSED_WEBSOCKET)
    visitor = context.new_page()
    visitor.goto(shop.add("/refused", shop_page(demo_gwe.url, SUBSCRIBED, title="Refused")))
    ids = get_ids(visitor)

    notify(demo_gwe, ids["visitID"], "Still here")
    visitor.wait_for_function("() => window.offers.length === 1", timeout=WAIT)
    engage(demo_gwe, ids["visitID"])
    frame = visitor.frame_locator("iframe[data-gwe-notification]")
    frame.locator('[data-gwe-action="accept"]').click(timeout=WAIT)
    frame.locator("#chat-status", has_text="Waiting for an adviser").wait_for(timeout=WAIT)
    frame.locator("#chat-input").fill("Hello from behind a proxy")
    frame.locator("#chat-input").press("Enter")

    chat_frame = next(f for f in visitor.frames if "/server/resources/chat.html" in f.url)
    chat_id = parse_qs(urlsplit(chat_frame.url).query)["chat"][0]
    console = agent_console
    console.locator(f'#chat-list li[data-chat="{chat_id}"]').click(timeout=WAIT)
    console.locator("#transcript li.visitor", has_text="Hello from behind a proxy").wait_for(
        timeout=WAIT
    )
    console.locator("#message-input").fill("We hear you.")
    console.locator("#message-input").press("Enter")
    frame.locator("#chat-log li.agent", has_text="We hear you.").wait_for(timeout=WAIT)

    assert visitor.evaluate("() => window.socketAttempts") == 2
    assert chat_frame.evaluate("() => window.socketAttempts") == 2
    context.close()
