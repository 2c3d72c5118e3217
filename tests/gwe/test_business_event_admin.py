import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from gwe.models import BusinessEventDefinition

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/gwe/businesseventdefinition/add/"
LIST_URL = "/admin/gwe/businesseventdefinition/"


@pytest.fixture
def marketer(db) -> Client:
    """A business user who manages business events, and nothing else."""
    user = User.objects.create_user("marketer", password="marketer-pass-1", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="gwe",
            content_type__model__in=["businesseventdefinition", "capturedvalue"],
        )
    )
    client = Client()
    client.force_login(user)
    return client


def definition_form(*values: dict, **fields) -> dict:
    """The add form as a browser posts it: the definition, then its captured values."""
    form = {
        "name": "AddToCart",
        "enabled": "on",
        "description": "",
        "trigger": "click",
        "selector": "button.add-to-cart",
        "delay_seconds": "",
        "url_pattern": "",
        "max_per_page": "0",
        "values-TOTAL_FORMS": str(len(values)),
        "values-INITIAL_FORMS": "0",
        "values-MIN_NUM_FORMS": "0",
        "values-MAX_NUM_FORMS": "1000",
    }
    form.update(fields)
    for n, value in enumerate(values):
        for key, text in {"selector": "", "attribute": "", **value}.items():
            form[f"values-{n}-{key}"] = text
    return {key: text for key, text in form.items() if text is not None}


def form_errors(response) -> dict:
    assert response.status_code == 200, "the form was accepted"
    return response.context["adminform"].form.errors


def test_a_business_user_defines_an_event_that_captures_a_value(marketer):
    response = marketer.post(
        ADD_URL,
        definition_form(
            {"name": "sku", "source": "attribute", "attribute": "data-sku"},
            {"name": "product", "source": "text", "selector": "h1.product-name"},
            url_pattern=r"/products/\d+",
            max_per_page="3",
        ),
    )

    assert response.status_code == 302
    definition = BusinessEventDefinition.objects.get(name="AddToCart")
    assert (definition.action, definition.selector, definition.url_pattern) == (
        "click",
        "button.add-to-cart",
        r"/products/\d+",
    )
    assert definition.max_per_page == 3
    assert [(v.name, v.source, v.selector, v.attribute) for v in definition.values.all()] == [
        ("sku", "attribute", "", "data-sku"),
        ("product", "text", "h1.product-name", ""),
    ]


def test_a_timer_is_defined_in_seconds(marketer):
    response = marketer.post(
        ADD_URL,
        definition_form(name="Timeout-60", trigger="timer", selector="", delay_seconds="60"),
    )

    assert response.status_code == 302
    assert BusinessEventDefinition.objects.get(name="Timeout-60").action == "timer:60000"


def test_a_timer_needs_a_delay(marketer):
    response = marketer.post(ADD_URL, definition_form(trigger="timer", selector=""))

    assert "delay_seconds" in form_errors(response)
    assert not BusinessEventDefinition.objects.filter(name="AddToCart").exists()


def test_a_click_needs_a_selector(marketer):
    response = marketer.post(ADD_URL, definition_form(selector=""))

    assert form_errors(response)["selector"] == ["Say which elements to watch."]


def test_a_url_pattern_must_be_a_regular_expression(marketer):
    response = marketer.post(ADD_URL, definition_form(url_pattern="/products/(unclosed"))

    [message] = form_errors(response)["url_pattern"]
    assert message.startswith("Not a valid regular expression")
    assert not BusinessEventDefinition.objects.filter(name="AddToCart").exists()


def test_an_attribute_value_must_name_its_attribute(marketer):
    response = marketer.post(ADD_URL, definition_form({"name": "sku", "source": "attribute"}))

    assert response.status_code == 200
    [values] = response.context["inline_admin_formsets"]
    assert values.formset.errors[0] == {"attribute": ["Name the attribute to read."]}
    assert not BusinessEventDefinition.objects.filter(name="AddToCart").exists()


def test_the_list_says_what_fires_each_event(marketer):
    BusinessEventDefinition.objects.create(name="Linger", trigger="timer", delay_seconds=45)
    BusinessEventDefinition.objects.create(name="Hover", trigger="mouseover", selector=".help")

    response = marketer.get(LIST_URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert "After 45 s on the page" in html
    assert "Mouse over an element" in html


def test_events_are_switched_on_and_off_from_the_list(marketer):
    hover = BusinessEventDefinition.objects.create(
        name="Hover", trigger="mouseover", selector=".help"
    )
    BusinessEventDefinition.objects.create(name="Linger", trigger="timer", delay_seconds=45)
    listed = list(BusinessEventDefinition.objects.order_by("name"))
    form = {"form-TOTAL_FORMS": len(listed), "form-INITIAL_FORMS": len(listed), "_save": "Save"}
    for n, definition in enumerate(listed):
        form[f"form-{n}-id"] = definition.pk
        if definition != hover:
            form[f"form-{n}-enabled"] = "on"

    response = marketer.post(LIST_URL, form)

    assert response.status_code == 302
    assert [(d.name, d.enabled) for d in BusinessEventDefinition.objects.all()] == [
        (d.name, d != hover) for d in listed
    ]
