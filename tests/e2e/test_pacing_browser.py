"""Pacing in a real Chromium: one agent is Available with room for one chat, and four
visitors reach the demo's pricing page at once. Only as many see an invitation as pacing
allows; the one who accepts gets the agent; the Pacing API shows the numbers before and
after, and the others' decisions say why they were held back."""

import json
import time

import httpx
import pytest

from tests.e2e.conftest import API_USER, agent_signs_in_available, eventually, get_ids, shop_page
from tests.support.servers import fresh_database, gwe_server

pytestmark = [pytest.mark.browser, pytest.mark.server]

WAIT = 10000  # ms
SET_UP = """
from gwe.models import BusinessEventDefinition
from media_adapters.gwe_chat.models import AgentStatus
from django.contrib.auth.models import User
BusinessEventDefinition.objects.filter(name="PricingDwell").update(delay_seconds=1)
admin = User.objects.get(username="admin")
AgentStatus.objects.update_or_create(user=admin, defaults={"max_chats": 1})
"""
DECISIONS = """
import json
import time
from invitations.models import EngagementDecision
print(json.dumps([r["why"] for d in EngagementDecision.objects.all() for r in d.reasons]))
"""


@pytest.fixture(scope="module")
def paced(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("paced")
    with fresh_database(tmp) as database, gwe_server(tmp, database).start() as server:
        server.create_api_user(*API_USER)
        server.manage("gwe_demo", "--url", server.url)
        server.manage("shell", "-c", SET_UP)
        yield server


CHAT_VISITS = """
import json
import time
from media_adapters.gwe_chat.models import Chat
print(json.dumps([c.visit_id for c in Chat.objects.filter(agent__username="admin")]))
"""


def decisions(server) -> list[str]:
    return json.loads(server.manage("shell", "-c", DECISIONS).splitlines()[-1])


def invited(pages) -> list:
    return [p for p in pages if p.locator("iframe[data-gwe-notification]").count() == 1]


def pacing_now(server) -> dict:
    response = httpx.get(f"{server.url}/server/data/pacing/gwe-chat", auth=API_USER, timeout=10)
    response.raise_for_status()
    return response.json()


def test_only_as_many_visitors_are_invited_as_one_agent_can_answer(paced, shop, chromium_browser):
    agent = chromium_browser.new_context()
    console = agent_signs_in_available(paced, agent)
    before = eventually(lambda: (p := pacing_now(paced))["agentsReady"] == 1 and p)
    pricing = shop.add("/demo/pricing", shop_page(paced.url, "<h1>Pricing</h1>"))

    contexts = [chromium_browser.new_context() for _ in range(4)]
    pages = [context.new_page() for context in contexts]
    for page in pages:
        page.goto(pricing)
    for page in pages:
        page.wait_for_function("() => window._gt && window._gt.gwe")

    decided = eventually(lambda: len(reasons := decisions(paced)) >= 4 and reasons, timeout=15)
    eventually(lambda: invited(pages))
    time.sleep(1)  # had a second offer been made, its frame would be there by now
    after_offers = pacing_now(paced)

    assert (before["freeCapacity"], before["pendingOffers"], before["allowedOffers"]) == (1, 0, 1)
    assert len(invited(pages)) == 1
    held = [r.split(" (")[0] for r in decided if r.startswith("pacing:")]
    assert held == ["pacing: 1 offer pending for 1 free slot on gwe-chat"] * 3
    assert (after_offers["pendingOffers"], after_offers["allowedOffers"]) == (1, 0)

    visitor = invited(pages)[0]
    ids = get_ids(visitor)
    visitor.frame_locator("iframe[data-gwe-notification]").locator(
        '[data-gwe-action="accept"]'
    ).click(timeout=WAIT)
    chat = visitor.frame_locator("iframe[data-gwe-notification]")
    chat.locator("#chat-status").filter(has_text="Waiting for an adviser").wait_for(timeout=WAIT)
    offered = console.locator("#chat-list li[data-chat]")
    offered.first.wait_for(timeout=WAIT)
    after_accept = eventually(lambda: (p := pacing_now(paced))["pendingOffers"] == 0 and p)

    assert offered.count() == 1
    assert (after_accept["freeCapacity"], after_accept["allowedOffers"]) == (0, 0)
    assert json.loads(paced.manage("shell", "-c", CHAT_VISITS).splitlines()[-1]) == [ids["visitID"]]
    for context in [*contexts, agent]:
        context.close()
