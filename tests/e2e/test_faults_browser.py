"""Faults a real page survives, in Chromium against a real server: Redis stops and starts
again while a contact center notifies and a strategy engages (the page gets both, in order,
once, without a reload); a visitor closes the tab during a chat (the agent's console shows
them gone within the grace period, and the chat ends once abandoned)."""

import json

import httpx
import pytest

from tests.e2e.conftest import (
    API_USER,
    agent_signs_in_available,
    engage,
    eventually,
    get_ids,
    shop_page,
)
from tests.support.servers import fresh_database, gwe_server

pytestmark = [pytest.mark.browser, pytest.mark.server]

WAIT = 10000  # ms
RECORDER = """
window.arrived = [];
_gt.push(['subscribe', 'offers', function (data, message) {
  window.arrived.push('offers:' + message.id);
}]);
_gt.push(['subscribe', 'gpe.appendContent', function (data, message) {
  window.arrived.push('invitation:' + message.id);
}]);
"""
ANSWERS_ALWAYS = json.dumps({"gwe-chat": {"BACKEND": "media_adapters.memory.InMemoryAdapter"}})


@pytest.fixture
def redis_backed(tmp_path, redis_server):
    """A GWE server on a Redis of the test's own, with an API account."""
    with (
        fresh_database(tmp_path) as database,
        gwe_server(
            tmp_path, database, REDIS_URL=redis_server.url, GWE_MEDIA_ADAPTERS=ANSWERS_ALWAYS
        ).start() as server,
    ):
        server.create_api_user(*API_USER)
        yield server


def test_what_is_sent_while_redis_is_away_reaches_the_page_in_order_once(
    redis_backed, redis_server, shop, browser_context
):
    gwe = redis_backed
    page = browser_context.new_page()
    page.goto(shop.add("/redis", shop_page(gwe.url, config_extra=RECORDER)))
    page.wait_for_function("() => window._gt && window._gt.gwe")
    visit = get_ids(page)["visitID"]
    eventually(lambda: httpx.get(f"{gwe.url}/server/health").json()["bus"] == "ok")

    redis_server.stop()
    notified = httpx.post(
        f"{gwe.url}/server/data/notification/notify/{visit}",
        json=[{"channel": "offers", "data": {"pct": 10}}],
        auth=API_USER,
        timeout=10,
    )
    engage(gwe, visit)
    assert notified.status_code == 202, notified.text
    page.wait_for_timeout(1000)
    assert page.evaluate("window.arrived") == []  # nothing can reach it now

    redis_server.start()
    page.wait_for_function("() => window.arrived.length >= 2", timeout=3 * WAIT)
    page.wait_for_timeout(1500)  # and nothing more comes

    [offer_id] = notified.json()["ids"]
    arrived = page.evaluate("window.arrived")
    assert arrived[0] == f"offers:{offer_id}"
    assert arrived[1].startswith("invitation:")
    assert len(arrived) == 2
    assert page.locator("iframe[data-gwe-notification]").count() == 1


@pytest.fixture
def quick_presence(tmp_path):
    """A server that notices a closed tab after 3 s and ends a chat abandoned for 5 s."""
    with (
        fresh_database(tmp_path) as database,
        gwe_server(
            tmp_path, database, GWE_PRESENCE_GRACE_SECONDS="3", GWE_CHAT_ABANDONED_SECONDS="5"
        ).start() as server,
    ):
        server.create_api_user(*API_USER)
        server.manage("gwe_demo", "--url", server.url)
        yield server


def test_a_visitor_who_closes_the_tab_is_shown_gone_and_the_chat_ends(
    quick_presence, shop, chromium_browser
):
    gwe = quick_presence
    agent_context = chromium_browser.new_context()
    console = agent_signs_in_available(gwe, agent_context)
    visitor_context = chromium_browser.new_context()
    visitor = visitor_context.new_page()
    visitor.goto(shop.add("/boots", shop_page(gwe.url, "<h1>Boots</h1>", title="Boots")))
    visitor.wait_for_function("() => window._gt && window._gt.gwe")
    engage(gwe, get_ids(visitor)["visitID"])
    chat = visitor.frame_locator("iframe[data-gwe-notification]")
    chat.locator('[data-gwe-action="accept"]').click(timeout=WAIT)
    chat.locator("#chat-status", has_text="Waiting for an adviser").wait_for(timeout=WAIT)
    console.locator("#chat-list li[data-chat]").first.click(timeout=WAIT)
    console.locator("#context", has_text="On the site now").wait_for(timeout=WAIT)
    assert "no page of the visit is open" not in console.inner_text("#context")

    visitor_context.close()  # the visitor closes the tab

    # Within the grace period (3 s) plus 5 s, the agent reads it, and the list says so.
    left = console.locator("#transcript li.system", has_text="The visitor has left the site")
    left.wait_for(timeout=8000)
    console.locator("#chat-list .badge.left").wait_for(timeout=WAIT)
    console.locator("#context", has_text="no page of the visit is open").wait_for(timeout=WAIT)
    # Away for 5 s more: the chat ends, and the agent reads why.
    console.locator("#transcript li.system", has_text="did not come back").wait_for(timeout=WAIT)
    agent_context.close()
