"""The demo's engagement loop in a real Chromium, on a customer page of another origin: the
demo rule fires on the pricing page, the invitation appears, and what the visitor does with it
is recorded as life-cycle events in the visit's history."""

import json

import pytest

from tests.e2e.conftest import API_USER, eventually, get_ids, history, shop_page
from tests.support.servers import fresh_database, gwe_server

pytestmark = [pytest.mark.browser, pytest.mark.server]

# The demo as `make run` loads it, made quicker: the pricing-page timer fires after 1 s instead
# of 8, and an ignored invitation times out after 3 s instead of 30.
QUICKER_DEMO = """
from gwe.models import BusinessEventDefinition
from invitations.models import InvitationTemplate
BusinessEventDefinition.objects.filter(name="PricingDwell").update(delay_seconds=1)
InvitationTemplate.objects.filter(slug="invite").update(timeout_seconds=3)
"""
DECISIONS = """
import json
from invitations.models import EngagementDecision
print(json.dumps([d.reasons for d in EngagementDecision.objects.filter(visit_id={visit_id!r})
                  .order_by("decided_at")]))
"""
DEMO_RULE = "Demo: chat on the pricing page"


# Who answers does not matter here (tests/e2e/test_chat_browser.py has the real chat): an
# in-memory adapter stands in for the demo's chat, so no agent needs to be signed in.
ANSWERED = {
    "gwe-chat": {
        "BACKEND": "media_adapters.memory.InMemoryAdapter",
        "OPTIONS": {"text": "Thank you: we are connecting you."},
    }
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("demo")
    with (
        fresh_database(tmp) as database,
        gwe_server(tmp, database, GWE_MEDIA_ADAPTERS=json.dumps(ANSWERED)).start() as server,
    ):
        server.create_api_user(*API_USER)
        server.manage("gwe_demo", "--url", server.url)
        server.manage("shell", "-c", QUICKER_DEMO)
        yield server


def open_pricing_page(demo, shop, context):
    page = context.new_page()
    page.goto(shop.add("/demo/pricing", shop_page(demo.url, "<h1>Pricing</h1>")))
    page.wait_for_function("() => window._gt && window._gt.gwe")
    return page, get_ids(page)


def invitation_frame(page):
    element = page.wait_for_selector("iframe[data-gwe-notification]", timeout=10000)
    frame = element.content_frame()
    frame.wait_for_selector('[data-gwe-action="accept"]')
    return frame


def invitation_events(demo, visit_id: str) -> list[dict]:
    events = history(demo, f"visits/{visit_id}/events?eventType=SYSTEM")
    return [e for e in events if e["eventName"].startswith(("Invitation", "Engagement"))]


def steps_recorded(demo, visit_id: str, last: str) -> list[dict]:
    def recorded():
        events = invitation_events(demo, visit_id)
        return events if events and events[-1]["eventName"] == last else None

    return eventually(recorded, timeout=10)


def decisions(demo, visit_id: str) -> list[list[dict]]:
    output = demo.manage("shell", "--no-imports", "-c", DECISIONS.format(visit_id=visit_id))
    return json.loads(output.splitlines()[-1])


def test_the_demo_rule_invites_and_an_accept_is_recorded(demo, shop, browser_context):
    page, ids = open_pricing_page(demo, shop, browser_context)

    invitation = invitation_frame(page)
    invitation.click('[data-gwe-action="accept"]')
    invitation.wait_for_selector("text=we are connecting you")

    events = steps_recorded(demo, ids["visitID"], "EngagementStarted")
    assert [e["eventName"] for e in events] == [
        "InvitationOffered",
        "InvitationShown",
        "InvitationAccepted",
        "EngagementStarted",
    ]
    assert {e["pageID"] for e in events} == {ids["pageID"]}
    assert {e["data"]["rule"] for e in events} == {DEMO_RULE}
    assert {e["data"]["template"] for e in events} == {"invite"}
    assert len({e["data"]["invitationID"] for e in events}) == 1


def test_a_rejected_invitation_goes_away_and_the_policy_suppresses_a_second_offer(
    demo, shop, browser_context
):
    page, ids = open_pricing_page(demo, shop, browser_context)
    invitation_frame(page).click('[data-gwe-action="reject"]')
    page.wait_for_selector("iframe[data-gwe-notification]", state="detached", timeout=5000)
    steps_recorded(demo, ids["visitID"], "InvitationRejected")

    again, again_ids = open_pricing_page(demo, shop, browser_context)  # same visit, new page
    assert again_ids["visitID"] == ids["visitID"]
    eventually(lambda: len(decisions(demo, ids["visitID"])) == 2, timeout=10)

    [first, second] = decisions(demo, ids["visitID"])
    assert first == [{"rule": DEMO_RULE, "offered": True, "why": "offered invite"}]
    assert (second[0]["rule"], second[0]["offered"]) == (DEMO_RULE, False)
    assert "rejected less than 600 s ago" in second[0]["why"]
    assert again.query_selector("iframe[data-gwe-notification]") is None
    names = [e["eventName"] for e in invitation_events(demo, ids["visitID"])]
    assert names.count("InvitationOffered") == 1


def test_an_ignored_invitation_times_out_and_is_removed(demo, shop, browser_context):
    page, ids = open_pricing_page(demo, shop, browser_context)
    invitation_frame(page)

    page.wait_for_selector("iframe[data-gwe-notification]", state="detached", timeout=10000)

    events = steps_recorded(demo, ids["visitID"], "InvitationTimedOut")
    assert [e["eventName"] for e in events] == [
        "InvitationOffered",
        "InvitationShown",
        "InvitationTimedOut",
    ]


def test_the_admins_preview_follows_unsaved_edits(demo, browser_context):
    template_id = demo_template(demo, "pk")
    page = browser_context.new_page()
    page.goto(
        f"{demo.url}/admin/login/?next=/admin/invitations/invitationtemplate/{template_id}/change/"
    )
    page.fill("#id_username", "admin")
    page.fill("#id_password", "admin")  # gwe_demo's password on a debug server
    page.click("input[type=submit]")
    desktop = page.frame_locator('iframe[data-gwe-preview="desktop"]')
    desktop.locator("h1").wait_for()

    page.fill("#id_title", "Typed, not saved")

    desktop.locator("h1", has_text="Typed, not saved").wait_for(timeout=5000)
    mobile = page.frame_locator('iframe[data-gwe-preview="mobile"]')
    mobile.locator("text=Typed, not saved").wait_for(timeout=5000)
    assert demo_template(demo, "title") != "Typed, not saved"


def demo_template(demo, field: str) -> str:
    script = (
        "from invitations.models import InvitationTemplate; "
        f"print(InvitationTemplate.objects.get(slug='invite').{field})"
    )
    return demo.manage("shell", "--no-imports", "-c", script).splitlines()[-1]
