"""What one client may ask (SPEC §9): visits started, messages per socket, HTTP requests, and
wrong passwords. Past a limit the client gets 429 (with Retry-After, or `retryAfter` in the
error frame) while another client is served; behind a trusted proxy the client is the first
untrusted address of X-Forwarded-For, and a client cannot pick its own by sending one."""

import json

import pytest
from channels.testing import HttpCommunicator, WebsocketCommunicator
from django.contrib.auth import base_user
from django.contrib.auth.models import Permission, User

from gwe import limits
from gwe.asgi import application
from gwe.limits import Limiter, client_address
from gwe.models import Page, Visit
from tests.support.asgi import AsgiClient

PAGE = {"type": "page", "url": "https://shop.example/", "title": "Shop"}
PROXY = "10.0.0.1"


@pytest.fixture
def behind_a_proxy(settings):
    settings.GWE_TRUSTED_PROXIES = [PROXY, "10.1.0.0/16"]
    limits.reset()


def test_a_bucket_lets_a_burst_through_then_one_per_period():
    bucket = Limiter(per_second=1, burst=3)

    first = [bucket.take("a", now=100.0) for _ in range(4)]
    later = [bucket.take("a", now=101.0), bucket.take("a", now=101.0)]

    assert first[:3] == [0, 0, 0]
    assert first[3] == pytest.approx(1.0)
    assert later[0] == 0
    assert later[1] == pytest.approx(1.0)
    assert bucket.take("b", now=101.0) == 0  # another key has its own


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        ("203.0.113.5", None, "203.0.113.5"),
        ("203.0.113.5", "198.51.100.1", "203.0.113.5"),  # not a proxy of ours: ignored
        (PROXY, "198.51.100.1", "198.51.100.1"),
        (PROXY, "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # what the client prepended
        (PROXY, "198.51.100.1, 10.1.2.3", "198.51.100.1"),  # two proxies of ours
        (PROXY, " , ", PROXY),
        (None, None, "unknown"),
    ],
)
def test_the_client_is_the_first_untrusted_hop(behind_a_proxy, peer, forwarded, client):
    assert client_address(peer, forwarded) == client


def tracker_socket(forwarded_for: str, peer: str = PROXY) -> WebsocketCommunicator:
    socket = WebsocketCommunicator(
        application,
        "/server/ws/tracker",
        headers=[
            (b"origin", b"https://shop.example"),
            (b"x-forwarded-for", forwarded_for.encode()),
        ],
    )
    socket.scope["client"] = (peer, 50000)
    return socket


async def ask(socket, message) -> dict:
    await socket.send_json_to(message)
    return await socket.receive_json_from(timeout=5)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
async def test_past_its_visits_a_client_gets_429_while_another_is_served(behind_a_proxy, settings):
    settings.GWE_LIMIT_VISITS_PER_MINUTE = 3
    limits.reset()
    busy, other = tracker_socket("198.51.100.1"), tracker_socket("198.51.100.2")
    await busy.connect()
    await other.connect()

    started = [await ask(busy, PAGE) for _ in range(4)]
    still_open = await ask(busy, {"type": "ping"})
    served = await ask(other, PAGE)
    joined = await ask(  # a page of a visit already started is not a new visit
        busy,
        {**PAGE, "visitID": started[0]["visitID"], "visitToken": started[0]["visitToken"]},
    )

    assert [reply["type"] for reply in started] == ["ids", "ids", "ids", "error"]
    assert started[3]["status"] == 429
    assert 1 <= started[3]["retryAfter"] <= 20
    assert still_open == {"type": "pong"}
    assert served["type"] == "ids"
    assert joined["visitID"] == started[0]["visitID"]
    assert await Visit.objects.acount() == 4
    await busy.disconnect()
    await other.disconnect()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
async def test_a_socket_that_sends_too_fast_is_told_to_wait(settings):
    settings.GWE_LIMIT_MESSAGES_PER_SECOND = 2  # four seconds' worth at once: 8
    limits.reset()
    socket = tracker_socket("198.51.100.1", peer="198.51.100.1")
    await socket.connect()

    replies = [await ask(socket, {"type": "ping"}) for _ in range(10)]
    await socket.disconnect()

    assert [r["type"] for r in replies].count("pong") == 8
    assert replies[-1]["status"] == 429


async def post(body, *, forwarded_for: str) -> dict:
    communicator = HttpCommunicator(
        application,
        "POST",
        "/server/data/tracker",
        body=json.dumps(body).encode(),
        headers=[
            (b"origin", b"https://shop.example"),
            (b"content-type", b"text/plain;charset=UTF-8"),
            (b"x-forwarded-for", forwarded_for.encode()),
        ],
    )
    communicator.scope["client"] = (PROXY, 50000)
    return await communicator.get_response(timeout=5)


def retry_after(response) -> int:
    return int(dict(response["headers"])[b"Retry-After"])


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
async def test_a_batch_over_http_starting_too_many_visits_is_refused_whole(
    behind_a_proxy, settings
):
    settings.GWE_LIMIT_VISITS_PER_MINUTE = 3
    limits.reset()

    refused = await post([PAGE] * 5, forwarded_for="198.51.100.1")
    served = await post([PAGE], forwarded_for="198.51.100.2")

    assert refused["status"] == 429
    assert retry_after(refused) >= 1
    assert served["status"] == 200
    assert await Page.objects.acount() == 1  # the refused batch stored nothing


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
async def test_too_many_http_requests_from_one_client_get_429(behind_a_proxy, settings):
    settings.GWE_LIMIT_HTTP_PER_SECOND = 1  # five at once
    limits.reset()

    answers = [await post({"type": "ping"}, forwarded_for="198.51.100.1") for _ in range(6)]
    other = await post({"type": "ping"}, forwarded_for="198.51.100.2")

    assert [a["status"] for a in answers] == [200] * 5 + [429]
    assert retry_after(answers[-1]) == 1
    assert other["status"] == 200


@pytest.fixture
def hashes(monkeypatch) -> list[str]:
    """Each password hash the server checks (the costly part of a wrong password)."""
    checked: list[str] = []
    real = base_user.check_password

    def counted(password, encoded, setter=None, preferred="default"):
        checked.append(password)
        return real(password, encoded, setter, preferred)

    monkeypatch.setattr(base_user, "check_password", counted)
    return checked


def contact_center() -> User:
    user = User.objects.create_user("contact-center", password="right-pass-1")
    user.user_permissions.add(Permission.objects.get(codename="view_notification"))
    return user


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # through the ASGI app
def test_wrong_basic_passwords_lock_the_client_out_without_hashing(
    behind_a_proxy, settings, hashes
):
    settings.GWE_LOGIN_FAILURES = 5
    contact_center()
    path = "/server/data/notification/visit/" + "A" * 22

    def basic(password, client):
        return AsgiClient.basic("contact-center", password, peer=PROXY).request(
            "GET", path, b"", {"x-forwarded-for": client}
        )

    wrong = [basic("wrong", "198.51.100.1").status_code for _ in range(5)]
    hashed = len(hashes)
    locked = [basic(p, "198.51.100.1") for p in ("wrong", "right-pass-1")]
    hashed_when_locked = len(hashes) - hashed
    elsewhere = basic("right-pass-1", "198.51.100.2")

    assert wrong == [401] * 5
    assert [answer.status_code for answer in locked] == [429, 429]
    assert int(locked[1].headers["retry-after"]) > 200
    assert hashed_when_locked == 0  # refused before any hash
    assert elsewhere.status_code == 200  # nobody elsewhere can lock the account out


@pytest.mark.django_db
@pytest.mark.parametrize("login", ["/admin/login/", "/agent/login/"])
def test_a_login_form_says_when_to_try_again(client, settings, hashes, login):
    settings.GWE_LOGIN_FAILURES = 3
    User.objects.create_superuser("ada", password="right-pass-1")

    for _ in range(3):
        client.post(login, {"username": "ada", "password": "nope"})
    hashed = len(hashes)
    locked = client.post(login, {"username": "ada", "password": "right-pass-1"})

    assert locked.status_code == 200  # the form again, not a redirect into the site
    assert "Too many failed attempts. Try again in 5 minutes." in locked.content.decode()
    assert len(hashes) == hashed
