import base64
from datetime import datetime, timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from gwe.ids import new_id
from gwe.models import Event, Page, Visit
from tests.support.factories import record_event, start_page

pytestmark = pytest.mark.django_db

EVENT_KEYS = {
    "eventID",
    "eventType",
    "eventName",
    "visitID",
    "globalVisitID",
    "pageID",
    "timestamp",
    "url",
    "title",
    "referrer",
    "category",
    "languageCode",
    "data",
}
PAGE_KEYS = {"pageID", "url", "title", "referrer", "startTime", "endTime"}
VISIT_KEYS = {
    "visitID",
    "globalVisitID",
    "identityID",
    "startTime",
    "endTime",
    "onSite",
    "userAgent",
    "languageCode",
    "pages",
    "events",
}


def basic_client(username: str, password: str) -> APIClient:
    client = APIClient()
    credentials = base64.b64encode(f"{username}:{password}".encode()).decode()
    client.credentials(HTTP_AUTHORIZATION=f"Basic {credentials}")
    return client


def parse_time(text: str) -> datetime:
    assert text.endswith("Z"), text
    return datetime.fromisoformat(text)


def in_the_past(started, name: str, seconds: int, **fields):
    """An event the page sent `seconds` ago (the tracker's own timestamp, in ms)."""
    when = timezone.now() - timedelta(seconds=seconds)
    return record_event(started, name, timestamp=int(when.timestamp() * 1000), **fields)


def categorize(event: Event, *categories: str) -> Event:
    Event.objects.filter(pk=event.pk).update(category=list(categories))
    return event


@pytest.fixture
def reader(db):
    """A contact-center system's account that may read visitor history."""
    user = User.objects.create_user("crm", password="crm-pass-1")
    user.user_permissions.add(Permission.objects.get(codename="view_visit"))
    return user


@pytest.fixture
def api(reader):
    return basic_client("crm", "crm-pass-1")


@pytest.fixture
def token_api(reader):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=reader).key}")
    return client


@pytest.fixture
def shopping_visit():
    """A visitor who views shoes, adds a pair to the cart, signs in and moves to the cart."""
    shoes = start_page(
        "https://shop.example/shoes",
        title="Shoes",
        referrer="https://search.example/?q=shoes",
        languageCode="fr-FR",
    )
    record_event(shoes, "AddToCart", data={"sku": "SH-42", "price": 59.9})
    record_event(shoes, "SignIn", data={"email": "ann@example.com"})
    record_event(shoes, "PageExited", eventType="SYSTEM")
    cart = start_page("https://shop.example/cart", title="Cart", visitID=shoes.visit.pk)
    record_event(cart, "Checkout")
    return shoes, cart


def test_a_visit_is_its_pages_and_events_oldest_first(api, shopping_visit):
    shoes, cart = shopping_visit

    response = api.get(f"/server/data/visits/{shoes.visit.pk}")

    assert response.status_code == 200
    visit = response.json()
    assert set(visit) == VISIT_KEYS
    assert visit["visitID"] == shoes.visit.pk
    assert visit["globalVisitID"] == shoes.visit.global_visit_id
    assert visit["identityID"] == "ann@example.com"
    assert visit["languageCode"] == "fr-FR"
    assert visit["endTime"] is None
    assert [p["pageID"] for p in visit["pages"]] == [shoes.page.pk, cart.page.pk]
    assert visit["pages"][0] == {
        "pageID": shoes.page.pk,
        "url": "https://shop.example/shoes",
        "title": "Shoes",
        "referrer": "https://search.example/?q=shoes",
        "startTime": visit["pages"][0]["startTime"],
        "endTime": visit["pages"][0]["endTime"],
    }
    assert visit["pages"][0]["endTime"] is not None
    assert visit["pages"][1]["endTime"] is None
    assert [e["eventName"] for e in visit["events"]] == [
        "VisitStarted",
        "PageEntered",
        "AddToCart",
        "SignIn",
        "PageExited",
        "PageEntered",
        "Checkout",
    ]
    times = [parse_time(e["timestamp"]) for e in visit["events"]]
    assert times == sorted(times)


def test_an_event_is_the_json_of_the_tracker_protocol(api, shopping_visit):
    shoes, _ = shopping_visit
    stored = Event.objects.get(event_name="AddToCart")
    categorize(stored, "shoes", "sale")

    response = api.get(f"/server/data/visits/{shoes.visit.pk}/events", {"eventName": "AddToCart"})

    assert response.status_code == 200
    [event] = response.json()
    assert set(event) == EVENT_KEYS
    assert event == {
        "eventID": stored.pk,
        "eventType": "BUSINESS",
        "eventName": "AddToCart",
        "visitID": shoes.visit.pk,
        "globalVisitID": shoes.visit.global_visit_id,
        "pageID": shoes.page.pk,
        "timestamp": event["timestamp"],
        "url": "https://shop.example/shoes",
        "title": "Shoes",
        "referrer": "https://search.example/?q=shoes",
        "category": ["shoes", "sale"],
        "languageCode": "fr-FR",
        "data": {"sku": "SH-42", "price": 59.9},
    }
    assert parse_time(event["timestamp"]) == stored.timestamp


def test_a_visit_idle_past_the_timeout_ended_at_its_last_activity(api, settings):
    started = start_page()
    idle_since = timezone.now() - timedelta(seconds=settings.GWE_VISIT_TIMEOUT_SECONDS + 5)
    Visit.objects.filter(pk=started.visit.pk).update(last_activity=idle_since)

    visit = api.get(f"/server/data/visits/{started.visit.pk}").json()

    assert parse_time(visit["endTime"]) == idle_since


def test_a_visit_that_was_closed_shows_its_recorded_end(api):
    started = start_page()
    ended = timezone.now() - timedelta(minutes=3)
    Visit.objects.filter(pk=started.visit.pk).update(end_time=ended)

    visit = api.get(f"/server/data/visits/{started.visit.pk}").json()

    assert parse_time(visit["endTime"]) == ended


def test_events_filter_by_name_and_type(api, shopping_visit):
    visit_id = shopping_visit[0].visit.pk
    url = f"/server/data/visits/{visit_id}/events"

    names = [e["eventName"] for e in api.get(url, {"eventType": "BUSINESS"}).json()]
    entered = api.get(url, {"eventName": "PageEntered", "eventType": "SYSTEM"}).json()
    none = api.get(url, {"eventName": "PageEntered", "eventType": "BUSINESS"}).json()

    assert names == ["AddToCart", "SignIn", "Checkout"]
    assert [e["url"] for e in entered] == [
        "https://shop.example/shoes",
        "https://shop.example/cart",
    ]
    assert none == []


def test_events_filter_by_a_part_of_the_url_in_any_case(api, shopping_visit):
    visit_id = shopping_visit[0].visit.pk

    events = api.get(f"/server/data/visits/{visit_id}/events", {"url": "/CART"}).json()

    assert [e["eventName"] for e in events] == ["PageEntered", "Checkout"]


def test_events_filter_by_one_of_their_categories(api):
    started = start_page()
    one = categorize(record_event(started, "ViewShoes"), "shoes")
    several = categorize(record_event(started, "ViewSale"), "sale", "shoes")
    categorize(record_event(started, "ViewSocks"), "socks", "sale")
    categorize(record_event(started, "ViewShoeHorn"), "shoe")
    categorize(record_event(started, "ViewQuoted"), 'the "best" shoes')
    record_event(started, "Uncategorized")
    url = f"/server/data/visits/{started.visit.pk}/events"

    shoes = api.get(url, {"category": "shoes"}).json()
    quoted = api.get(url, {"category": 'the "best" shoes'}).json()
    nothing = api.get(url, {"category": "hats"}).json()

    assert [e["eventID"] for e in shoes] == [one.pk, several.pk]
    assert [e["eventName"] for e in quoted] == ["ViewQuoted"]
    assert nothing == []


def test_events_filter_by_age_in_seconds(api):
    started = start_page()
    in_the_past(started, "LongAgo", 3 * 60 * 60)
    in_the_past(started, "AWhileAgo", 20 * 60)
    just_now = record_event(started, "JustNow")
    url = f"/server/data/visits/{started.visit.pk}/events"

    recent = api.get(url, {"age": 600, "eventType": "BUSINESS"}).json()
    this_morning = api.get(url, {"age": 3600, "eventType": "BUSINESS"}).json()

    assert [e["eventID"] for e in recent] == [just_now.pk]
    assert [e["eventName"] for e in this_morning] == ["AWhileAgo", "JustNow"]


def test_filters_combine(api):
    started = start_page("https://shop.example/shoes")
    categorize(record_event(started, "AddToCart"), "shoes")
    categorize(in_the_past(started, "AddToCart", 3600), "shoes")
    categorize(record_event(started, "AddToCart", url="https://shop.example/socks"), "shoes")
    categorize(record_event(started, "Wishlist"), "shoes")
    url = f"/server/data/visits/{started.visit.pk}/events"

    events = api.get(
        url,
        {"eventName": "AddToCart", "category": "shoes", "url": "shoes", "age": 60},
    ).json()

    assert len(events) == 1
    assert events[0]["url"] == "https://shop.example/shoes"


def test_a_page_has_its_own_events_only(api, shopping_visit):
    shoes, cart = shopping_visit

    response = api.get(f"/server/data/pages/{cart.page.pk}/events")

    assert response.status_code == 200
    events = response.json()
    assert [e["eventName"] for e in events] == ["PageEntered", "Checkout"]
    assert {e["pageID"] for e in events} == {cart.page.pk}
    assert {e["globalVisitID"] for e in events} == {shoes.visit.global_visit_id}
    assert all(set(e) == EVENT_KEYS for e in events)


def test_an_identity_has_its_visits_newest_first_with_their_pages(api, shopping_visit):
    first_visit = shopping_visit[0].visit
    later = start_page("https://shop.example/account", title="Account")
    record_event(later, "UserInfo", data={"email": "ann@example.com", "plan": "gold"})
    start_page()  # someone else's visit

    response = api.get("/server/data/identities/ann@example.com/visits")

    assert response.status_code == 200
    visits = response.json()
    assert [v["visitID"] for v in visits] == [later.visit.pk, first_visit.pk]
    assert all(set(v) == VISIT_KEYS - {"events"} for v in visits)
    assert {v["identityID"] for v in visits} == {"ann@example.com"}
    assert [p["url"] for p in visits[1]["pages"]] == [
        "https://shop.example/shoes",
        "https://shop.example/cart",
    ]


def test_an_identity_may_hold_any_character(api):
    started = start_page()
    record_event(started, "SignIn", data={"userID": "acme/eu 42?#"})

    response = api.get("/server/data/identities/acme%2Feu%2042%3F%23/visits")

    assert response.status_code == 200
    assert [v["visitID"] for v in response.json()] == [started.visit.pk]


def test_a_token_authenticates_like_a_password(token_api, shopping_visit):
    response = token_api.get(f"/server/data/visits/{shopping_visit[0].visit.pk}")

    assert response.status_code == 200
    assert response.json()["visitID"] == shopping_visit[0].visit.pk


def test_a_superuser_may_read_history():
    User.objects.create_superuser("root", "", "root-pass-1")
    visit = start_page().visit

    assert (
        basic_client("root", "root-pass-1").get(f"/server/data/visits/{visit.pk}").status_code
        == 200
    )


@pytest.mark.parametrize(
    "path",
    [
        "visits/{visit}",
        "visits/{visit}/events",
        "pages/{page}/events",
        "identities/ann@example.com/visits",
    ],
)
def test_every_endpoint_asks_for_credentials(reader, shopping_visit, path):
    shoes, _ = shopping_visit
    url = "/server/data/" + path.format(visit=shoes.visit.pk, page=shoes.page.pk)

    anonymous = APIClient().get(url)
    wrong_password = basic_client("crm", "not-the-password").get(url)
    bad_token = APIClient().get(url, HTTP_AUTHORIZATION="Token " + "0" * 40)

    for response in (anonymous, wrong_password, bad_token):
        assert response.status_code == 401
        assert response.json()["error"]
    assert anonymous["WWW-Authenticate"].startswith("Basic")


@pytest.mark.parametrize(
    "path",
    [
        "visits/{visit}",
        "visits/{visit}/events",
        "pages/{page}/events",
        "identities/ann@example.com/visits",
    ],
)
def test_an_account_without_the_history_permission_is_refused(shopping_visit, path):
    User.objects.create_user("agent", password="agent-pass-1")
    shoes, _ = shopping_visit
    url = "/server/data/" + path.format(visit=shoes.visit.pk, page=shoes.page.pk)

    response = basic_client("agent", "agent-pass-1").get(url)

    assert response.status_code == 403
    assert "gwe.view_visit" in response.json()["error"]


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("visits/not-an-id", "visitID"),
        ("visits/{short}", "visitID"),
        ("visits/has%20spaces%20inside%20it!/events", "visitID"),
        ("pages/not-an-id/events", "pageID"),
        ("identities/{long}/visits", "identityID"),
    ],
)
def test_a_malformed_id_is_400(api, path, field):
    url = "/server/data/" + path.format(short=new_id()[:21], long="x" * 191)

    response = api.get(url)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid input"
    assert field in response.json()["fields"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"eventType": "CUSTOM"}, "eventType"),
        ({"age": "ten"}, "age"),
        ({"age": "-5"}, "age"),
        ({"age": "0"}, "age"),
        ({"age": "1e99"}, "age"),
        ({"eventName": "not a name"}, "eventName"),
        ({"url": "x" * 2049}, "url"),
    ],
)
def test_a_bad_filter_is_400_and_names_the_parameter(api, params, field):
    visit = start_page().visit

    response = api.get(f"/server/data/visits/{visit.pk}/events", params)

    assert response.status_code == 400
    assert list(response.json()["fields"]) == [field]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("visits/{id}", "unknown visit"),
        ("visits/{id}/events", "unknown visit"),
        ("pages/{id}/events", "unknown page"),
        ("identities/nobody@example.com/visits", "unknown identity"),
    ],
)
def test_an_unknown_id_is_404(api, path, message):
    start_page()

    response = api.get("/server/data/" + path.format(id=new_id()))

    assert response.status_code == 404
    assert response.json() == {"error": message}


def test_an_empty_filter_is_no_filter(api, shopping_visit):
    visit_id = shopping_visit[0].visit.pk
    url = f"/server/data/visits/{visit_id}/events"

    filtered = api.get(
        url, {"eventType": "", "eventName": "", "category": "", "url": "", "age": ""}
    )

    assert filtered.status_code == 200
    assert filtered.json() == api.get(url).json()
    assert len(filtered.json()) == 7


def test_a_known_visit_with_no_matching_event_is_an_empty_list(api):
    visit = start_page().visit

    response = api.get(f"/server/data/visits/{visit.pk}/events", {"eventName": "Nothing"})

    assert response.status_code == 200
    assert response.json() == []


def big_visit(pages: int, events_per_page: int) -> Visit:
    first = start_page("https://shop.example/0")
    for n in range(pages):
        started = (
            first if n == 0 else start_page(f"https://shop.example/{n}", visitID=first.visit.pk)
        )
        for _ in range(events_per_page):
            record_event(started, "Scroll", data={"n": n})
    return first.visit


def test_reading_a_long_visit_costs_a_fixed_number_of_queries(api, django_assert_max_num_queries):
    visit = big_visit(pages=15, events_per_page=8)
    last_page = Page.objects.filter(visit=visit).reverse()[0]
    api.get(f"/server/data/visits/{visit.pk}")  # credentials checked and remembered

    with django_assert_max_num_queries(6):
        whole = api.get(f"/server/data/visits/{visit.pk}").json()
    with django_assert_max_num_queries(5):
        events = api.get(f"/server/data/visits/{visit.pk}/events", {"category": "x"}).json()
    with django_assert_max_num_queries(5):
        page_events = api.get(f"/server/data/pages/{last_page.pk}/events").json()

    assert (len(whole["pages"]), len(whole["events"])) == (15, 1 + 15 + 15 * 8)
    assert events == []
    assert len(page_events) == 9


def test_reading_an_identity_with_many_visits_costs_a_fixed_number_of_queries(
    api, django_assert_max_num_queries
):
    for _ in range(12):
        started = start_page()
        start_page("https://shop.example/more", visitID=started.visit.pk)
        record_event(started, "SignIn", data={"email": "bob@example.com"})
    api.get("/server/data/identities/bob@example.com/visits")

    with django_assert_max_num_queries(6):
        visits = api.get("/server/data/identities/bob@example.com/visits").json()

    assert len(visits) == 12
    assert all(len(v["pages"]) == 2 for v in visits)
