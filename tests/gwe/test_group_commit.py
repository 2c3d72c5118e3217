"""Writes of many sockets share a transaction, each answered only once it has committed, each
undone alone when it fails, all refused when the commit fails."""

import asyncio
import threading

import pytest
from asgiref.sync import sync_to_async
from django.db import transaction

from gwe.commits import group_commit, written
from gwe.models import Event, Visit
from tests.support.factories import record_event, start_page

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


async def held_writer():
    """The writer busy with a write that waits until released: what comes meanwhile gathers."""
    release = threading.Event()
    holding = asyncio.ensure_future(written(release.wait, 5))
    await asyncio.sleep(0.05)
    return release, holding


async def test_writes_that_come_while_one_commits_share_the_next_transaction():
    started = await sync_to_async(start_page)()
    release, holding = await held_writer()
    before = group_commit.transactions

    writes = [asyncio.ensure_future(written(record_event, started, "AddToCart")) for _ in range(30)]
    await asyncio.sleep(0.05)
    assert not any(w.done() for w in writes)  # nothing answered before its commit
    release.set()
    events = await asyncio.gather(*writes)
    await holding

    assert group_commit.transactions - before == 2  # the held one, then all thirty together
    assert len({e.pk for e in events}) == 30
    assert await Event.objects.filter(event_name="AddToCart").acount() == 30


async def test_a_write_that_fails_is_undone_alone_and_gets_its_own_error():
    started = await sync_to_async(start_page)()
    release, holding = await held_writer()

    def fails():
        Visit.objects.filter(pk=started.visit.pk).update(language_code="xx")
        raise ValueError("this one is refused")

    first = asyncio.ensure_future(written(record_event, started, "First"))
    refused = asyncio.ensure_future(written(fails))
    last = asyncio.ensure_future(written(record_event, started, "Last"))
    release.set()
    await holding

    assert (await first).event_name == "First"
    with pytest.raises(ValueError, match="this one is refused"):
        await refused
    assert (await last).event_name == "Last"
    assert (await Visit.objects.aget(pk=started.visit.pk)).language_code != "xx"
    stored = Event.objects.filter(event_name__in=["First", "Last"])
    assert sorted([e async for e in stored.values_list("event_name", flat=True)]) == [
        "First",
        "Last",
    ]  # the batch done again, each once


async def test_a_write_done_again_hands_its_work_after_the_commit_on_once():
    started = await sync_to_async(start_page)()
    release, holding = await held_writer()
    told = []

    def tells():
        record_event(started, "Told")
        transaction.on_commit(lambda: told.append("told"))

    def fails():
        Visit.objects.filter(pk=started.visit.pk).update(language_code="xx")
        raise ValueError("refused")

    before = group_commit.reruns
    writes = [asyncio.ensure_future(written(w)) for w in (tells, fails)]
    release.set()
    await holding
    await asyncio.gather(*writes, return_exceptions=True)

    assert group_commit.reruns - before == 1
    assert told == ["told"]
    assert await Event.objects.filter(event_name="Told").acount() == 1


async def test_a_write_refused_after_reading_only_leaves_the_others_in_one_transaction():
    started = await sync_to_async(start_page)()
    release, holding = await held_writer()

    def refused():
        Visit.objects.get(pk=started.visit.pk)
        raise PermissionError("not allowed")

    before = (group_commit.transactions, group_commit.reruns)
    writes = [
        asyncio.ensure_future(written(record_event, started, "Before")),
        asyncio.ensure_future(written(refused)),
        asyncio.ensure_future(written(record_event, started, "After")),
    ]
    release.set()
    await holding
    outcomes = await asyncio.gather(*writes, return_exceptions=True)

    first, refusal, last = outcomes
    assert isinstance(refusal, PermissionError)
    assert isinstance(first, Event)
    assert isinstance(last, Event)
    assert [first.event_name, last.event_name] == ["Before", "After"]
    assert (group_commit.transactions, group_commit.reruns) == (before[0] + 2, before[1])


async def test_when_the_commit_fails_no_write_of_it_is_stored_or_answered_as_stored():
    started = await sync_to_async(start_page)()
    release, holding = await held_writer()

    def breaks_the_commit():
        # A reference checked at commit (deferred): the transaction cannot commit.
        Event.objects.create(visit_id=started.visit.pk, page_id="Z" * 22, event_name="Broken")

    good = asyncio.ensure_future(written(record_event, started, "Good"))
    bad = asyncio.ensure_future(written(breaks_the_commit))
    release.set()
    await holding

    for write in (good, bad):
        with pytest.raises(Exception, match=r"(?i)foreign key"):
            await write
    assert not await Event.objects.filter(event_name__in=["Good", "Broken"]).aexists()
    assert (await written(record_event, started, "After")).event_name == "After"  # goes on
