"""The demo shop as a new user first sees it, in a real Chromium: every page loads without a
failed request (its icon included), the header says who is signed in, and product names
look like the shop's own links."""

import pytest

from tests.e2e.conftest import eventually

pytestmark = [pytest.mark.browser, pytest.mark.server]

PAGES = ["/demo/", "/demo/products/trail-runner/", "/demo/pricing/", "/demo/account/", "/demo/app/"]


@pytest.fixture
def visitor(gwe, browser_context):
    page = browser_context.new_page()
    page.failed = []  # type: ignore[attr-defined]
    page.on(
        "response",
        lambda response: response.status >= 400 and page.failed.append(response.url),  # type: ignore[attr-defined]
    )
    return page


def test_every_demo_page_loads_without_a_failed_request(gwe, visitor):
    for path in PAGES:
        visitor.goto(f"{gwe.url}{path}", wait_until="networkidle")
        visitor.locator("#visit-id", has_text="page").wait_for()

    assert visitor.failed == []  # type: ignore[attr-defined]
    icon = visitor.request.get(f"{gwe.url}/favicon.ico")
    assert icon.status == 200
    assert icon.headers["content-type"] == "image/x-icon"


def test_the_header_says_who_is_signed_in_on_every_page_until_they_sign_out(gwe, visitor):
    visitor.goto(f"{gwe.url}/demo/account/")
    account = visitor.locator("#account-link")
    assert account.inner_text() == "Sign in"
    visitor.fill("input[name=email]", "ada@example.com")
    visitor.fill("input[name=firstName]", "Ada")
    visitor.click("#sign-in button[type=submit]")

    visitor.locator("#signed-in-name", has_text="Ada").wait_for()
    assert account.inner_text() == "Ada · Account"
    visitor.goto(f"{gwe.url}/demo/pricing/")
    assert visitor.locator("#account-link").inner_text() == "Ada · Account"
    ids = visitor.evaluate("() => new Promise(resolve => _gt.push(['getIDs', resolve]))")
    eventually(lambda: gwe_identity(gwe, ids["visitID"]) == "ada@example.com")

    visitor.goto(f"{gwe.url}/demo/account/")
    visitor.click("#sign-out")
    assert visitor.locator("#account-link").inner_text() == "Sign in"
    assert visitor.locator("#sign-in").is_visible()


def test_product_names_are_styled_like_the_shop_not_as_default_links(gwe, visitor):
    visitor.goto(f"{gwe.url}/demo/")
    title = visitor.locator(".card h2 a").first

    style = title.evaluate(
        "a => { const s = getComputedStyle(a); return [s.color, s.textDecorationLine]; }"
    )
    heading = visitor.locator(".card h2").first.evaluate("h => getComputedStyle(h).color")
    assert style == [heading, "none"]


def gwe_identity(gwe, visit_id: str):
    from tests.e2e.conftest import history

    return history(gwe, f"visits/{visit_id}")["identityID"]
