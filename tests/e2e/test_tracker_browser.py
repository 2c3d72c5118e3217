"""The tracker in a real Chromium, embedded in a customer's page on another origin."""

import re

import pytest

from gwe.ids import is_valid_id
from tests.e2e.conftest import eventually, get_ids, history, shop_page

pytestmark = [pytest.mark.browser, pytest.mark.server]

PRODUCT = """<h1>Blue shoes</h1>
<button class="add-to-cart" data-sku="SHOE-1">Add to cart</button>
<a id="next" href="/cart">Cart</a>"""


def event_names(gwe, page_id):
    return [e["eventName"] for e in history(gwe, f"pages/{page_id}/events")]


def test_the_history_api_returns_the_page_and_its_business_event(gwe, shop, browser_context):
    url = shop.add("/shoes", shop_page(gwe.url, PRODUCT, title="Blue shoes"))
    page = browser_context.new_page()
    page.goto(url)

    ids = get_ids(page)
    page.click("button.add-to-cart")

    assert all(is_valid_id(ids[k]) for k in ("visitID", "pageID", "globalVisitID"))
    events = eventually(
        lambda: [
            e
            for e in history(gwe, f"pages/{ids['pageID']}/events")
            if e["eventName"] == "AddToCart"
        ]
    )
    assert events[0]["eventType"] == "BUSINESS"
    assert events[0]["data"] == {"sku": "SHOE-1"}
    assert events[0]["url"] == url
    visit = history(gwe, f"visits/{ids['visitID']}")
    assert visit["globalVisitID"] == ids["globalVisitID"]
    assert [(p["pageID"], p["url"], p["title"]) for p in visit["pages"]] == [
        (ids["pageID"], url, "Blue shoes")
    ]
    assert [e["eventName"] for e in visit["events"]][:2] == ["VisitStarted", "PageEntered"]


def test_a_single_page_app_route_change_starts_a_new_page_in_the_same_visit(
    gwe, shop, browser_context
):
    page = browser_context.new_page()
    page.goto(shop.add("/app", shop_page(gwe.url, "<main>Orders</main>")))
    before = get_ids(page)

    page.evaluate("history.pushState({}, '', '/app/orders/42')")
    after = get_ids(page)

    assert after["visitID"] == before["visitID"]
    assert after["pageID"] != before["pageID"]
    eventually(lambda: "PageExited" in event_names(gwe, before["pageID"]))
    visit = history(gwe, f"visits/{before['visitID']}")
    new_page = next(p for p in visit["pages"] if p["pageID"] == after["pageID"])
    assert new_page["url"].endswith("/app/orders/42")
    assert new_page["referrer"].endswith("/app")


def test_a_second_tab_shares_the_visit(gwe, shop, browser_context):
    url = shop.add("/tabs", shop_page(gwe.url))
    first, second = browser_context.new_page(), browser_context.new_page()
    first.goto(url)
    first_ids = get_ids(first)

    second.goto(url)
    second_ids = get_ids(second)

    assert second_ids["visitID"] == first_ids["visitID"]
    assert second_ids["globalVisitID"] == first_ids["globalVisitID"]
    assert second_ids["pageID"] != first_ids["pageID"]


def test_nothing_is_sent_or_stored_before_consent_nor_after_it_is_withdrawn(
    gwe, shop, browser_context
):
    url = shop.add(
        "/consent",
        shop_page(
            gwe.url,
            config_extra="_gt.push(['config', {consentRequired: true}]);"
            "_gt.push(['event', 'EarlyBird', {data: {n: 1}}]);",
        ),
    )
    page = browser_context.new_page()
    to_gwe = []
    page.on("request", lambda r: to_gwe.append(r.url) if r.url.startswith(gwe.url) else None)
    page.on("websocket", lambda ws: to_gwe.append(ws.url))
    page.goto(url)
    page.wait_for_function("() => window._gt && window._gt.gwe")
    page.wait_for_timeout(1000)

    assert to_gwe == [f"{gwe.url}/server/resources/js/build/GPE.min.js"]
    assert browser_context.cookies() == []

    page.evaluate("_gt.push(['consent', true])")
    ids = get_ids(page)

    assert "EarlyBird" in eventually(
        lambda: [n for n in event_names(gwe, ids["pageID"]) if n == "EarlyBird"]
    )
    assert {c["name"] for c in browser_context.cookies()} == {"_gwe_visit", "_gwe_gvid"}

    page.evaluate("_gt.push(['consent', false])")  # withdrawn: recorded, then nothing more
    assert eventually(lambda: "ConsentWithdrawn" in event_names(gwe, ids["pageID"]))
    sent_before = len(to_gwe)
    page.evaluate("_gt.push(['event', 'AfterWithdrawal', {data: {}}])")
    page.wait_for_timeout(500)
    assert "AfterWithdrawal" not in event_names(gwe, ids["pageID"])
    assert len(to_gwe) == sent_before
    assert browser_context.cookies() == []


def test_with_websockets_blocked_events_arrive_over_http(gwe, shop, browser_context):
    page = browser_context.new_page()
    page.route_web_socket(re.compile(r".*/server/ws/tracker"), lambda ws: ws.close())
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.goto(shop.add("/no-websockets", shop_page(gwe.url, PRODUCT)))

    ids = get_ids(page)
    page.click("button.add-to-cart")

    eventually(lambda: "AddToCart" in event_names(gwe, ids["pageID"]))
    assert f"{gwe.url}/server/data/tracker" in posts


def test_an_event_pushed_as_the_page_closes_arrives_with_the_page_exit(gwe, shop, browser_context):
    shop.add("/cart", shop_page(gwe.url, "<h1>Cart</h1>"))
    page = browser_context.new_page()
    page.goto(shop.add("/leaving", shop_page(gwe.url, PRODUCT)))
    ids = get_ids(page)

    page.evaluate("_gt.push(['event', 'LastWord', {data: {bye: true}}]); location.href = '/cart'")
    page.wait_for_url("**/cart")

    names = eventually(
        lambda: (
            (n := event_names(gwe, ids["pageID"])) and "PageExited" in n and "LastWord" in n and n
        )
    )
    assert names.count("LastWord") == 1
