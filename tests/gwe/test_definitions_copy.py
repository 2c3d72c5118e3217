"""The business-event definitions every page start sends are kept by the process and read
again once edited: a new definition, an edited captured value, a deleted one."""

import pytest

from gwe import selectors
from gwe.models import BusinessEventDefinition, CapturedValue

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def checked_at_every_use(monkeypatch):
    monkeypatch.setattr(selectors._definitions, "every", 0)


def values() -> list[tuple]:
    definitions = [d for d in selectors.tracker_definitions() if d["name"] == "AddToCart"]
    return [(d["name"], [v["selector"] for v in d["values"]]) for d in definitions]


def test_each_edit_is_seen_by_the_next_page_and_nothing_is_read_again_until_then(
    django_assert_num_queries,
):
    cart = BusinessEventDefinition.objects.create(name="AddToCart", selector="button.add")
    value = CapturedValue.objects.create(definition=cart, name="sku", selector=".sku")
    first = values()
    value.selector = "[data-sku]"
    value.save()
    edited = values()
    value.delete()
    deleted = values()
    with django_assert_num_queries(2):  # the version, nothing else
        values()

    assert first == [("AddToCart", [".sku"])]
    assert edited == [("AddToCart", ["[data-sku]"])]
    assert deleted == [("AddToCart", [])]
    assert "Timeout-30" in selectors.timer_event_names()  # the timer the migrations ship
