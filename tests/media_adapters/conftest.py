from urllib.parse import parse_qs, urlsplit

import pytest

from media_adapters import memory
from media_adapters.base import Engagement
from media_adapters.gms import GmsAdapter
from media_adapters.url import UrlAdapter
from media_adapters.webhook import WebhookAdapter
from tests.media_adapters.harness import Harness
from tests.support.fake_http import FakeHttpServer, Reply


def memory_harness(request) -> Harness:
    adapter = memory.InMemoryAdapter(alias="memory")

    def failing() -> None:
        adapter.options["fail"] = "Nobody can take your call right now."

    def unavailable() -> None:
        adapter.options["available"] = False

    def attached():
        return memory.outbox[-1].attached_data

    assert adapter.options["open"] == Engagement.Open.POPUP
    return Harness(adapter, attached, unavailable, failing)


def gms_harness(request) -> Harness:
    """GMS, faked by a real local HTTP server that answers as GMS does."""
    server = FakeHttpServer()
    confirmation = {"_action": "ConfirmationDialog", "_text": "We will call you."}
    server.reply(Reply(200, confirmation), path="/genesys/1/service/callback/samples_new")
    adapter = GmsAdapter(
        alias="gms",
        base_url=server.url,
        timeout=1.0,
        availability_path="/ok",
        availability_cache_seconds=0,  # GMS is asked every time
    )

    def unavailable() -> None:
        server.reply(Reply(200, {"available": False}), path="/ok")

    def failing() -> None:
        server.replies.clear()
        server.reply(*[Reply(503, {"message": "no agent"})] * 3)

    def attached() -> dict[str, str]:
        form = server.received[-1].form()
        return {key: form[key] for key in ("visitID", "pageID", "webengagement") if key in form}

    return Harness(adapter, attached, unavailable, failing, close=server.close)


def webhook_harness(request) -> Harness:
    """A third-party service: a real local HTTP server that checks the signature."""
    server = FakeHttpServer(secret="contract-secret")
    server.reply(Reply(200, {"url": "https://widget.example/chat/1"}), path="/engage")
    adapter = WebhookAdapter(
        alias="webhook",
        url=server.url + "/engage",
        secret="contract-secret",
        availability_url=server.url + "/available",
        availability_cache_seconds=0,
        timeout=1.0,
        backoff=0.01,
    )

    def unavailable() -> None:
        server.reply(Reply(200, {"available": False}), path="/available")

    def failing() -> None:
        server.replies.clear()
        server.reply(*[Reply(502)] * 3, path="/engage")

    def attached() -> dict[str, str]:
        return server.received[-1].json()["attached_data"]

    return Harness(adapter, attached, unavailable, failing, close=server.close)


class RecordingUrlAdapter(UrlAdapter):
    """Keeps the URLs it built: what the widget would have been given."""

    def start(self, context):
        engagement = super().start(context)
        self.opened = [*getattr(self, "opened", []), engagement.url]
        return engagement


def url_harness(request) -> Harness:
    """A widget opened at a URL: its far side is the browser, which the adapter never calls;
    the widget's service is asked (a real local HTTP server) whether anyone is there."""
    server = FakeHttpServer()
    adapter = RecordingUrlAdapter(
        alias="url",
        url="https://widget.example/indexGPE.html",
        availability_url=server.url + "/available",
        availability_cache_seconds=0,
    )

    def unavailable() -> None:
        server.reply(Reply(200, {"available": False}), path="/available")

    def attached() -> dict[str, str]:
        query = parse_qs(urlsplit(adapter.opened[-1]).query, keep_blank_values=True)
        return {key: query[key][0] for key in ("visitID", "pageID", "webengagement")}

    # Nothing can fail when it starts: it only builds a URL (the widget may fail later, in the
    # visitor's browser, where GWE does not see it).
    return Harness(adapter, attached, unavailable, lambda: None, close=server.close, can_fail=False)


def gwe_chat_harness(request) -> Harness:
    """The built-in chat, on the test database: one agent, Available, console connected."""
    request.getfixturevalue("db")
    from django.contrib.auth.models import Group, User

    from media_adapters.gwe_chat import GweChatAdapter
    from media_adapters.gwe_chat.models import AgentStatus, Chat
    from media_adapters.gwe_chat.services import agent_set_available

    agent = User.objects.create_user("contract-agent")
    agent.groups.add(Group.objects.get_or_create(name="agents")[0])
    agent_set_available(user=agent, available=True)

    def unavailable() -> None:
        AgentStatus.objects.update(available=False)

    def failing() -> None:
        User.objects.filter(pk=agent.pk).delete()  # no agent at all

    def attached() -> dict[str, str]:
        return Chat.objects.latest("created_at").attached_data

    return Harness(GweChatAdapter(alias="gwe-chat"), attached, unavailable, failing)


# Every adapter GWE ships: each must pass tests/media_adapters/test_contract.py.
HARNESSES = {
    "memory": memory_harness,
    "gms": gms_harness,
    "webhook": webhook_harness,
    "url": url_harness,
    "gwe-chat": gwe_chat_harness,
}


@pytest.fixture(params=sorted(HARNESSES))
def harness(request):
    made = HARNESSES[request.param](request)
    yield made
    made.close()
