"""While a process serves pages, it does what GWE_SWEEPS says, each at its own pace, and a
sweep that fails is tried again at its next turn."""

import asyncio

import pytest

from notifications.bus import LocalBus

runs: dict[str, int] = {"often": 0, "seldom": 0, "failing": 0}


def often() -> None:
    runs["often"] += 1


def seldom() -> None:
    runs["seldom"] += 1


def failing() -> None:
    runs["failing"] += 1
    raise RuntimeError("the database is away")


class Page:
    async def notifications_published(self, messages) -> None: ...

    async def notifications_maybe_missed(self) -> None: ...


# database_sync_to_async tidies the thread's connections around each sweep.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
async def test_a_serving_process_sweeps_each_at_its_own_pace(settings):
    here = "tests.notifications.test_sweeps"
    settings.GWE_SWEEPS = {f"{here}.often": 0.05, f"{here}.seldom": 10, f"{here}.failing": 0.05}
    runs.update(often=0, seldom=0, failing=0)
    bus = LocalBus()

    assert runs["often"] == 0  # nothing until the process serves a page
    bus.follow("visit-1", Page())
    bus.follow("visit-2", Page())  # one set of sweeps per process, not per page
    await asyncio.sleep(0.5)
    for sweeper in bus.sweepers:
        sweeper.cancel()

    assert 4 <= runs["often"] <= 11
    assert runs["seldom"] == 0
    assert runs["failing"] >= 4  # tried again after each failure
