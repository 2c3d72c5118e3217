import pytest

from media_adapters import memory
from media_adapters.base import Engagement
from tests.media_adapters.harness import Harness


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


# Every adapter GWE ships: each must pass tests/media_adapters/test_contract.py.
HARNESSES = {"memory": memory_harness}


@pytest.fixture(params=sorted(HARNESSES))
def harness(request):
    made = HARNESSES[request.param](request)
    yield made
    made.close()
