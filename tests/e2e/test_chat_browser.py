"""The built-in chat in a real Chromium: an agent signs in to the console and says they are
available; a visitor on a customer's page of another origin is invited, accepts, and chats
with the agent inside the invitation's frame. The agent sees the visitor's pages and the
invitation that started it, and each sees the other typing; the chat follows the visitor to
their next page. A chat the agent leaves waiting goes to another agent, by the server's own
sweep."""

import httpx
import pytest

from tests.e2e.conftest import API_USER, engage, get_ids, said_in, shop_page

pytestmark = [pytest.mark.browser, pytest.mark.server]

WAIT = 10000  # ms


@pytest.fixture(scope="module")
def chat_gwe(gwe):
    """The module's server with the demo's admin, who is an agent (password admin)."""
    gwe.manage("gwe_demo", "--url", gwe.url)
    return gwe


@pytest.fixture
def agent_console(chat_gwe, chromium_browser):
    context = chromium_browser.new_context()
    page = context.new_page()
    page.goto(f"{chat_gwe.url}/admin/login/?next=/agent/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "admin")
    page.click("input[type=submit]")
    page.wait_for_url(f"{chat_gwe.url}/agent/")
    yield page
    context.close()


@pytest.fixture
def visitor_page(chat_gwe, shop, chromium_browser):
    context = chromium_browser.new_context()
    page = context.new_page()
    page.goto(shop.add("/boots", shop_page(chat_gwe.url, "<h1>Boots</h1>", title="Trail boots")))
    page.wait_for_function("() => window._gt && window._gt.gwe")
    yield page
    context.close()


def test_a_visitor_and_an_agent_chat_from_an_invitation(
    chat_gwe, shop, agent_console, visitor_page
):
    console = agent_console
    availability = console.locator("#availability")
    availability.wait_for()
    console.wait_for_selector("#availability:not([disabled])", timeout=WAIT)
    availability.click()
    console.wait_for_selector('#availability[aria-pressed="true"]', timeout=WAIT)

    ids = get_ids(visitor_page)
    invitation_id = engage(chat_gwe, ids["visitID"])
    invitation = visitor_page.frame_locator("iframe[data-gwe-notification]")
    invitation.locator('[data-gwe-action="accept"]').click(timeout=WAIT)

    # The invitation's frame becomes the chat (open: "embed").
    chat = visitor_page.frame_locator("iframe[data-gwe-notification]")
    status = chat.locator("#chat-status")
    status.filter(has_text="Waiting for an adviser").wait_for(timeout=WAIT)

    # The agent is offered it, with what the visitor did beside it.
    offered = console.locator("#chat-list li[data-chat]")
    offered.first.wait_for(timeout=WAIT)
    offered.first.click()
    pages = console.locator("#context-pages")
    pages.filter(has_text="Trail boots").wait_for(timeout=WAIT)
    assert "/boots" in pages.inner_text()
    steps = console.locator("#context-invitation")
    steps.filter(has_text="InvitationAccepted").wait_for(timeout=WAIT)
    assert "invite" in steps.inner_text()
    assert "EngagementStarted" in steps.inner_text()
    attached = console.locator("#context-attached").inner_text()
    assert ids["visitID"] in attached
    assert ids["pageID"] in attached

    # The visitor writes; the agent sees them typing, then the words, as text.
    chat.locator("#chat-input").press_sequentially("Do you have <b>size 44</b>?", delay=30)
    console.locator("#typing", has_text="Visitor is typing…").wait_for(timeout=WAIT)
    chat.locator("#chat-input").press("Enter")
    heard = console.locator("#transcript li.visitor")
    heard.filter(has_text="Do you have <b>size 44</b>?").wait_for(timeout=WAIT)
    assert console.locator("#transcript b").count() == 0

    # The agent answers; the visitor sees them typing, then the answer and who it is.
    console.locator("#message-input").press_sequentially("Yes, we do.", delay=30)
    chat.locator("#chat-typing", has_text="Adviser is typing…").wait_for(timeout=WAIT)
    console.locator("#message-input").press("Enter")
    chat.locator("#chat-log li.agent", has_text="Yes, we do.").wait_for(timeout=WAIT)
    status.filter(has_text="You are chatting with admin.").wait_for(timeout=WAIT)

    # The visitor goes on to another page: the chat comes with them, its transcript once,
    # and the conversation goes on there.
    said = said_in(chat)
    checkout = shop.add("/checkout", shop_page(chat_gwe.url, "<h1>Checkout</h1>", title="Pay"))
    visitor_page.goto(checkout)
    chat.locator("#chat-log li.agent", has_text="Yes, we do.").wait_for(timeout=WAIT)
    assert said_in(chat) == said
    assert get_ids(visitor_page)["visitID"] == ids["visitID"]
    console.locator("#message-input").fill("Your basket is waiting.")
    console.locator("#message-input").press("Enter")
    chat.locator("#chat-log li.agent", has_text="Your basket is waiting.").wait_for(timeout=WAIT)

    # The visitor ends the chat: both are told.
    chat.locator("#chat-end").click()
    status.filter(has_text="This chat has ended.").wait_for(timeout=WAIT)
    console.locator("#transcript li.system", has_text="The visitor ended the chat.").wait_for(
        timeout=WAIT
    )
    history = httpx.get(
        f"{chat_gwe.url}/server/data/visits/{ids['visitID']}/events?eventType=SYSTEM",
        auth=API_USER,
        timeout=10,
    ).json()
    started = [e for e in history if e["eventName"] == "EngagementStarted"]
    assert [e["data"]["invitationID"] for e in started] == [invitation_id]


LEFT_WAITING = """
from datetime import timedelta
from django.contrib.auth.models import Group, User
from django.utils import timezone
from media_adapters.gwe_chat.models import AgentStatus, Chat
bob = User.objects.create_user("bob", password="bob-pass-1")
bob.groups.add(Group.objects.get(name="agents"))
AgentStatus.objects.create(user=bob, available=True, last_seen=timezone.now())
Chat.objects.filter(state="waiting").update(routed_at=timezone.now() - timedelta(seconds=61))
"""


def test_a_chat_the_agent_leaves_waiting_goes_to_another(chat_gwe, agent_console, visitor_page):
    console = agent_console
    availability = console.locator("#availability")
    console.wait_for_selector("#availability:not([disabled])", timeout=WAIT)
    if availability.get_attribute("aria-pressed") != "true":
        availability.click()
    console.wait_for_selector('#availability[aria-pressed="true"]', timeout=WAIT)
    engage(chat_gwe, get_ids(visitor_page)["visitID"])
    visitor_page.frame_locator("iframe[data-gwe-notification]").locator(
        '[data-gwe-action="accept"]'
    ).click(timeout=WAIT)
    chat = visitor_page.frame_locator("iframe[data-gwe-notification]")
    chat.locator("#chat-status", has_text="Waiting for an adviser").wait_for(timeout=WAIT)
    offered = console.locator("#chat-list li[data-chat]")
    offered.first.wait_for(timeout=WAIT)

    # The admin does not answer for a minute, and Bob is free: the server's own sweep (every
    # 10 s) passes the chat on.
    chat_gwe.manage("shell", "--no-imports", "-c", LEFT_WAITING)

    chat.locator("#chat-log li", has_text="passing you on to another adviser").wait_for(
        timeout=3 * WAIT
    )
    console.wait_for_selector('#availability[aria-pressed="false"]', timeout=WAIT)
    assert offered.count() == 0
    owner = chat_gwe.manage(
        "shell",
        "--no-imports",
        "-c",
        "from media_adapters.gwe_chat.models import Chat; "
        "print(Chat.objects.filter(state='waiting').get().agent.username)",
    )
    assert owner.strip() == "bob"


SPA = """<h1>My orders</h1>
<nav><a href="/spa/orders" data-route>Orders</a> <a href="/spa/returns" data-route>Returns</a>
<a href="/spa/" data-route>Overview</a></nav>
<script>
  document.querySelectorAll('[data-route]').forEach(function (link) {
    link.addEventListener('click', function (event) {
      event.preventDefault();
      history.pushState({}, '', link.getAttribute('href'));
    });
  });
  window.appended = 0;  // what the server asked the page to show, followed chats included
  _gt.push(['subscribe', 'gpe.appendContent', function () { window.appended += 1; }]);
</script>"""


def test_on_a_single_page_app_the_chat_is_one_frame_whatever_the_route_changes(
    chat_gwe, shop, agent_console, chromium_browser
):
    console = agent_console
    console.wait_for_selector("#availability:not([disabled])", timeout=WAIT)
    if console.locator("#availability").get_attribute("aria-pressed") != "true":
        console.locator("#availability").click()
    console.wait_for_selector('#availability[aria-pressed="true"]', timeout=WAIT)
    context = chromium_browser.new_context()
    visitor = context.new_page()
    warnings: list[str] = []
    visitor.on("console", lambda message: warnings.append(message.text))
    visitor.goto(shop.add("/spa/", shop_page(chat_gwe.url, SPA, title="Orders")))
    visitor.wait_for_function("() => window._gt && window._gt.gwe")
    engage(chat_gwe, get_ids(visitor)["visitID"])
    frames = visitor.locator("iframe[data-gwe-notification]")
    chat = visitor.frame_locator("iframe[data-gwe-notification]")
    chat.locator('[data-gwe-action="accept"]').click(timeout=WAIT)
    chat.locator("#chat-status", has_text="Waiting for an adviser").wait_for(timeout=WAIT)

    # Three route changes: three new pages, and the chat follows to each of them...
    for route in ("Orders", "Returns", "Overview"):
        page_before = get_ids(visitor)["pageID"]
        visitor.get_by_role("link", name=route).click()
        visitor.wait_for_function(
            "before => new Promise(resolve => _gt.push(['getIDs', ids => "
            "resolve(ids.pageID !== before)]))",
            arg=page_before,
        )
    visitor.wait_for_function("() => window.appended === 4", timeout=WAIT)

    # ... in the one frame it already has.
    assert frames.count() == 1
    chat.locator("#chat-status", has_text="Waiting for an adviser").wait_for(timeout=WAIT)
    # The frame may not navigate the customer's page (it sandboxes itself), and the browser
    # had nothing to warn about.
    blocked = visitor.frames[1].evaluate(
        "() => { try { top.location.href = 'about:blank'; return false; } "
        "catch (error) { return true; } }"
    )
    assert blocked is True
    assert visitor.url.endswith("/spa/")
    assert not [w for w in warnings if "can escape its sandboxing" in w]

    # The visitor ends the chat and closes it once: it is gone, and stays gone.
    chat.locator("#chat-end").click()
    chat.locator("#chat-close").click(timeout=WAIT)
    frames.first.wait_for(state="detached", timeout=WAIT)
    visitor.get_by_role("link", name="Orders").click()
    visitor.wait_for_timeout(1000)
    assert frames.count() == 0
    context.close()
