import time

import httpx
import pytest

from tests.support.servers import CustomerSite, embed_snippet, fresh_database, gwe_server

API_USER = ("history-reader", "history-pass-1")

ADD_TO_CART = """
from gwe.models import BusinessEventDefinition, CapturedValue
d, _ = BusinessEventDefinition.objects.update_or_create(
    name="AddToCart", defaults={"trigger": "click", "selector": "button.add-to-cart"})
CapturedValue.objects.update_or_create(
    definition=d, name="sku", defaults={"source": "attribute", "attribute": "data-sku"})
"""


@pytest.fixture(scope="module")
def gwe(tmp_path_factory):
    """One real GWE server (daphne) for the module's browser tests, with an API account and
    the AddToCart definition a shop would make in the admin."""
    tmp = tmp_path_factory.mktemp("gwe")
    with fresh_database(tmp) as database, gwe_server(tmp, database).start() as server:
        server.create_api_user(*API_USER)
        server.manage("shell", "-c", ADD_TO_CART)
        yield server


@pytest.fixture(scope="module")
def shop():
    """The customer's site, on another origin than GWE."""
    site = CustomerSite()
    yield site
    site.close()


@pytest.fixture
def browser_context(chromium_browser):
    context = chromium_browser.new_context()
    yield context
    context.close()


def shop_page(gwe_url: str, body: str = "", *, config_extra: str = "", title: str = "Shop") -> str:
    return f"""<!doctype html><html><head><title>{title}</title>
{embed_snippet(gwe_url, extra=config_extra)}
</head><body>{body}</body></html>"""


def history(gwe, path: str):
    """GET on the History API, as a contact center would."""
    response = httpx.get(f"{gwe.url}/server/data/{path}", auth=API_USER, timeout=10)
    response.raise_for_status()
    return response.json()


def eventually(check, timeout: float = 10.0):
    """The check's result once it is truthy (it may raise until then)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
            if result:
                return result
        except (httpx.HTTPError, KeyError, AssertionError):
            if time.monotonic() > deadline:
                raise
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.1)


def get_ids(page) -> dict:
    return page.evaluate("() => new Promise(resolve => _gt.push(['getIDs', resolve]))")


def engage(gwe, visit_id: str, invitation: str = "invite") -> str:
    """An external strategy offers the visit an invitation (engage gateway)."""
    response = httpx.post(
        f"{gwe.url}/server/data/gateway/engage",
        json={"visitID": visit_id, "invitation": invitation},
        auth=API_USER,
        timeout=10,
    )
    assert response.status_code == 202, response.text
    return response.json()["invitationID"]


def agent_signs_in_available(gwe, context, username: str = "admin", password: str = "admin"):
    """The agent console of `context`'s browser, signed in, its agent Available."""
    console = context.new_page()
    console.goto(f"{gwe.url}/agent/login/?next=/agent/")  # agents need not be staff
    console.fill("#id_username", username)
    console.fill("#id_password", password)
    console.click("button[type=submit]")
    console.wait_for_url(f"{gwe.url}/agent/")
    console.wait_for_selector("#availability:not([disabled])", timeout=10000)
    if console.locator("#availability").get_attribute("aria-pressed") != "true":
        console.locator("#availability").click()
    console.wait_for_selector('#availability[aria-pressed="true"]', timeout=10000)
    return console


def said_in(chat) -> list[str]:
    """A chat's messages as the visitor reads them, without the "Read" marks (they come once
    the agent has the chat in front of them)."""
    texts = chat.locator("#chat-log li").all_inner_texts()
    return [t.strip().removesuffix("\nRead") for t in texts]
