"""`inviteGMS` accepted in a real Chromium, on a customer page of another origin: GMS (a fake
GMS, a real HTTP server on 127.0.0.1) gets the chat request with the page's visitID and pageID,
and the visitor sees what GMS answered."""

import httpx
import pytest

from tests.e2e.conftest import API_USER, eventually, get_ids, history, shop_page
from tests.support.fake_http import FakeHttpServer, Reply
from tests.support.servers import fresh_database, gwe_server

pytestmark = [pytest.mark.browser, pytest.mark.server]

CALLBACK = "/genesys/1/service/callback/samples_new"


@pytest.fixture(scope="module")
def gms():
    server = FakeHttpServer()
    yield server
    server.close()


@pytest.fixture(scope="module")
def gwe_with_gms(tmp_path_factory, gms):
    tmp = tmp_path_factory.mktemp("gms")
    with (
        fresh_database(tmp) as database,
        gwe_server(tmp, database, GMS_BASE_URL=gms.url, GMS_USER="gwe").start() as server,
    ):
        server.create_api_user(*API_USER)
        yield server


def invite(gwe, visit_id: str, slug: str) -> None:
    response = httpx.post(
        f"{gwe.url}/server/data/gateway/engage",
        json={"visitID": visit_id, "invitation": slug},
        auth=API_USER,
        timeout=10,
    )
    assert response.status_code == 202, response.text


def open_invitation(gwe, shop, context, slug: str):
    page = context.new_page()
    page.goto(shop.add(f"/products/{slug}", shop_page(gwe.url, "<h1>Shoes</h1>")))
    page.wait_for_function("() => window._gt && window._gt.gwe")
    ids = get_ids(page)
    page.wait_for_timeout(300)  # subscribed on the same socket
    invite(gwe, ids["visitID"], slug)
    element = page.wait_for_selector("iframe[data-gwe-notification]", timeout=10000)
    frame = element.content_frame()
    frame.wait_for_selector('[data-gwe-action="accept"]')
    return page, frame, ids


def test_an_accepted_gms_chat_reaches_gms_with_the_page_and_shows_its_answer(
    gwe_with_gms, gms, shop, browser_context
):
    gms.reply(
        Reply(200, {"_action": "ConfirmationDialog", "_text": "An agent will chat with you."}),
        path=CALLBACK,
    )
    _, invitation, ids = open_invitation(gwe_with_gms, shop, browser_context, "inviteGMS")

    invitation.click('[data-gwe-action="accept"]')

    invitation.wait_for_selector("text=An agent will chat with you.", timeout=10000)
    [request] = [r for r in gms.received if r.path == CALLBACK]
    form = request.form()
    assert (form["visitID"], form["pageID"]) == (ids["visitID"], ids["pageID"])
    assert (form["_media_type"], form["_call_direction"]) == ("chat", "USERORIGINATED")
    assert form["webengagement"] == ""
    assert request.headers["gms_user"] == "gwe"

    def started():
        events = history(gwe_with_gms, f"visits/{ids['visitID']}/events?eventType=SYSTEM")
        return [e for e in events if e["eventName"] == "EngagementStarted"]

    [event] = eventually(started)
    assert event["data"]["adapter"] == "gms"


def test_gms_with_no_agent_tells_the_visitor_so(gwe_with_gms, gms, shop, browser_context):
    gms.reply(Reply(503, {"message": "no agent available"}), path=CALLBACK)
    page, invitation, _ = open_invitation(gwe_with_gms, shop, browser_context, "inviteGMS")

    invitation.click('[data-gwe-action="accept"]')

    invitation.wait_for_selector("text=No agent is available right now", timeout=10000)
    invitation.click("button.gwe-close")
    page.wait_for_selector("iframe[data-gwe-notification]", state="detached", timeout=5000)
