import pytest

from gwe.models import BusinessEventDefinition, CapturedValue
from gwe.selectors import timer_event_names, tracker_definitions

pytestmark = pytest.mark.django_db


@pytest.fixture
def add_to_cart():
    definition = BusinessEventDefinition.objects.create(
        name="AddToCart", trigger="click", selector="button.add-to-cart", url_pattern="/products/"
    )
    CapturedValue.objects.create(
        definition=definition, name="sku", source="attribute", attribute="data-sku"
    )
    return definition


def test_timeout_30_ships_with_gwe():
    timeout = BusinessEventDefinition.objects.get(name="Timeout-30")

    assert timeout.action == "timer:30000"
    assert timeout.max_per_page == 1


def test_the_tracker_reads_enabled_definitions_with_their_values(add_to_cart):
    BusinessEventDefinition.objects.create(
        name="Hover", trigger="mouseover", selector=".help", enabled=False
    )

    by_name = {d["name"]: d for d in tracker_definitions()}

    assert "Hover" not in by_name
    assert by_name["AddToCart"] == {
        "name": "AddToCart",
        "action": "click",
        "selector": "button.add-to-cart",
        "urlPattern": "/products/",
        "maxPerPage": 0,
        "values": [{"name": "sku", "source": "attribute", "selector": "", "attribute": "data-sku"}],
    }


def test_timers_are_the_system_events_a_page_may_send(add_to_cart):
    BusinessEventDefinition.objects.create(name="Linger-60", trigger="timer", delay_seconds=60)

    assert "Linger-60" in timer_event_names()
    assert "AddToCart" not in timer_event_names()
