"""Each serving process does what GWE_SWEEPS says, each job at its own pace, from the start:
at ASGI lifespan start-up, or with its first connection (daphne has no lifespan); a sweep that
fails is tried again at its next turn."""

import asyncio
import io

import pytest
from channels.testing import ApplicationCommunicator, HttpCommunicator
from django.core.management import CommandError, call_command

from gwe.asgi import application
from notifications.sweeps import sweeps

runs: dict[str, int] = {"often": 0, "seldom": 0, "failing": 0}
HERE = "tests.notifications.test_sweeps"


def often() -> None:
    runs["often"] += 1


def seldom() -> None:
    runs["seldom"] += 1


def failing() -> None:
    runs["failing"] += 1
    raise RuntimeError("the database is away")


@pytest.fixture
def jobs(settings):
    settings.GWE_SWEEPS = {f"{HERE}.often": 0.05, f"{HERE}.seldom": 10, f"{HERE}.failing": 0.05}
    runs.update(often=0, seldom=0, failing=0)
    yield
    sweeps.stop()


# database_sync_to_async tidies the thread's connections around each sweep.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
async def test_a_process_sweeps_from_lifespan_start_up_each_at_its_own_pace(jobs):
    server = ApplicationCommunicator(application, {"type": "lifespan"})
    await server.send_input({"type": "lifespan.startup"})
    assert await server.receive_output(timeout=2) == {"type": "lifespan.startup.complete"}

    await asyncio.sleep(0.5)
    await server.send_input({"type": "lifespan.shutdown"})
    assert await server.receive_output(timeout=2) == {"type": "lifespan.shutdown.complete"}
    ran = dict(runs)
    await asyncio.sleep(0.2)

    assert 4 <= ran["often"] <= 11
    assert ran["seldom"] == 0
    assert ran["failing"] >= 4  # tried again after each failure
    assert runs == ran  # stopped with the process


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
async def test_without_lifespan_the_first_request_starts_them_once(jobs):
    assert runs["often"] == 0
    for _ in range(3):  # one set of sweeps per process, not per request
        await HttpCommunicator(application, "GET", "/server/health").get_response()

    await asyncio.sleep(0.5)

    assert len(sweeps.tasks) == 3
    assert 4 <= runs["often"] <= 16  # one set: three would run it about thirty times


@pytest.mark.django_db
def test_cron_runs_every_sweep_once_or_the_ones_named(jobs):
    out = io.StringIO()
    call_command("gwe_sweep", "often", stdout=out)

    assert runs == {"often": 1, "seldom": 0, "failing": 0}
    assert out.getvalue() == "often: None\n"
    with pytest.raises(CommandError, match="no sweep nothing"):
        call_command("gwe_sweep", "nothing")
