"""The rules' copy of a visit, kept in the process: the same answers as the database, brought
up to date by what other processes store, untouched by what is rolled back."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from gwe.models import Event, Visit
from invitations.facts import Trigger, VisitFacts
from invitations.memory import RememberedFacts, memories
from invitations.models import EngagementRule, Invitation
from tests.support.factories import record_event, rule, start_page

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def only_these_rules():
    EngagementRule.objects.all().delete()


QUESTIONS = [
    ("pages_viewed",),
    ("returning",),
    *(
        ("event_count", name, window)
        for name in ["ProductView", "Search", "Checkout", "Other"]
        for window in (None, 60)
    ),
    *(
        ("steps_done", steps)
        for steps in (
            ["ProductView", "AddToCart"],
            ["AddToCart", "ProductView"],
            ["Search", "Checkout"],
        )
    ),
]


def ask(facts, question):
    name, *args = question
    answer = getattr(facts, name)
    return answer(*args) if args else answer


def answers_both_ways(started, name: str) -> tuple[list, list]:
    """What the rules would be told of one more event, by the copy and by the database."""
    visit = Visit.objects.get(pk=started.visit.pk)
    page = started.page
    now = timezone.now()
    trigger = Trigger(name, [], page.url, page.title, now)
    memory = memories.visits[visit.pk]
    with transaction.atomic():
        Event.objects.create(visit=visit, page=page, event_name=name)
        visit.refresh_from_db()
        page.visit = visit
        database = VisitFacts(visit=visit, page=page, trigger=trigger, now=now)
        remembered = RememberedFacts(memory, visit=visit, page=page, trigger=trigger, now=now)
        answers = [ask(remembered, q) for q in QUESTIONS], [ask(database, q) for q in QUESTIONS]
        transaction.set_rollback(True)
    return answers


def test_the_copy_answers_what_the_database_answers():
    rule("Watch", event_name="Nothing")  # some rule, so that events are looked at
    rule("Any event", url_pattern="/never")
    started = start_page("https://shop.example/products")
    for name in ["ProductView", "Search", "ProductView", "AddToCart", "Search"]:
        record_event(started, name)
    start_page("https://shop.example/cart", visitID=started.visit.pk)

    remembered, database = answers_both_ways(started, "Checkout")

    assert remembered == database
    assert remembered[:2] == [2, False]  # two pages, a new visitor
    assert remembered[QUESTIONS.index(("event_count", "Search", None))] == 2


def test_an_event_stored_by_another_process_counts_for_the_next_event_here():
    rule("Third cart", event_name="AddToCart", event_min_count=3)
    started = start_page()
    record_event(started, "AddToCart")
    # Another tab of the visit, served by another process: stored without this one knowing.
    Event.objects.create(visit_id=started.visit.pk, page=started.page, event_name="AddToCart")

    record_event(started, "AddToCart")

    assert Invitation.objects.filter(visit_id=started.visit.pk).count() == 1


def test_an_event_rolled_back_leaves_no_trace_in_the_copy():
    rule("Third cart", event_name="AddToCart", event_min_count=3)
    started = start_page()
    record_event(started, "AddToCart")

    @transaction.atomic
    def fails_after_the_event():
        record_event(started, "AddToCart")
        raise RuntimeError("the write fails after the event was looked at")

    with pytest.raises(RuntimeError):
        fails_after_the_event()

    record_event(started, "AddToCart")

    assert Invitation.objects.filter(visit_id=started.visit.pk).count() == 0
    assert memories.visits[started.visit.pk].count("AddToCart", None) == 2


def test_the_database_counts_every_change_to_a_visits_events():
    started = start_page()
    before = Visit.objects.get(pk=started.visit.pk).events_version

    event = Event.objects.create(visit_id=started.visit.pk, event_name="X")
    Event.objects.filter(pk=event.pk).delete()
    Event.objects.bulk_create(
        [
            Event(
                visit_id=started.visit.pk, event_name="Y", timestamp=timezone.now() - timedelta(s)
            )
            for s in range(3)
        ]
    )

    assert Visit.objects.get(pk=started.visit.pk).events_version == before + 5
