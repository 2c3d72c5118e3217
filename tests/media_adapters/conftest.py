import pytest

from media_adapters import memory
from media_adapters.base import Engagement
from media_adapters.gms import GmsAdapter
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
    adapter = GmsAdapter(alias="gms", base_url=server.url, timeout=1.0, availability_path="/ok")

    def unavailable() -> None:
        server.reply(Reply(200, {"available": False}), path="/ok")
        adapter._availability = None  # what GMS said is kept a few seconds

    def failing() -> None:
        server.replies.clear()
        server.reply(*[Reply(503, {"message": "no agent"})] * 3)

    def attached() -> dict[str, str]:
        form = server.received[-1].form()
        return {key: form[key] for key in ("visitID", "pageID", "webengagement") if key in form}

    return Harness(adapter, attached, unavailable, failing, close=server.close)


# Every adapter GWE ships: each must pass tests/media_adapters/test_contract.py.
HARNESSES = {"memory": memory_harness, "gms": gms_harness}


@pytest.fixture(params=sorted(HARNESSES))
def harness(request):
    made = HARNESSES[request.param](request)
    yield made
    made.close()
