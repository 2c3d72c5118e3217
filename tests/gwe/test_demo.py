import io

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from gwe.models import BusinessEventDefinition
from invitations.models import EngagementRule

pytestmark = pytest.mark.django_db

SNIPPET = "_gt.push(['config', {httpEndpoint: 'http://testserver'}]);"
SCRIPT = "s.src = 'http://testserver/server/resources/js/build/GPE.min.js'"


def demo(**options) -> str:
    out = io.StringIO()
    call_command("gwe_demo", stdout=out, **options)
    return out.getvalue()


@pytest.mark.parametrize(
    "path",
    [
        "/demo/",
        "/demo/products/trail-runner/",
        "/demo/pricing/",
        "/demo/account/",
        "/demo/app/",
        "/demo/app/orders/1042",
    ],
)
def test_every_demo_page_embeds_the_tracker_as_a_customer_would(client, path):
    response = client.get(path)

    assert response.status_code == 200
    assert SNIPPET in response.content.decode()
    assert SCRIPT in response.content.decode()


def test_a_product_page_has_the_button_the_demo_event_watches(client):
    page = client.get("/demo/products/summit-boot/").content.decode()

    assert '<button class="add-to-cart" data-sku="SHOE-SB">' in page
    assert client.get("/demo/products/no-such-shoe/").status_code == 404


def test_the_demo_data_is_loaded_once_however_often_it_runs(client, settings):
    settings.DEBUG = True  # as `make run` serves it
    first = demo(url="http://127.0.0.1:8000")
    second = demo(url="http://127.0.0.1:8000")

    add_to_cart = BusinessEventDefinition.objects.get(name="AddToCart")
    assert add_to_cart.selector == "button.add-to-cart"
    assert sorted(add_to_cart.values.values_list("name", flat=True)) == ["product", "sku"]
    assert User.objects.filter(username="admin", is_superuser=True).count() == 1
    assert "user admin, password admin" in first
    assert "password unchanged" in second
    demo_rule = EngagementRule.objects.get(event_name="PricingDwell")
    assert demo_rule.template.slug == "invite"
    assert BusinessEventDefinition.objects.get(name="PricingDwell").url_pattern == "/demo/pricing"
    assert "http://127.0.0.1:8000/demo/" in first
    assert client.login(username="admin", password="admin")
    assert client.get("/admin/").status_code == 200


def test_outside_development_the_admin_password_is_random(settings):
    settings.DEBUG = False

    printed = demo()

    password = printed.split("password ")[1].split(")")[0]
    assert password != "admin"
    assert User.objects.get(username="admin").check_password(password)


def test_the_landing_page_points_to_the_demo_the_admin_and_the_api(client):
    page = client.get("/").content.decode()

    assert 'href="/demo/"' in page
    assert 'href="/admin/"' in page
    assert 'href="/server/api/docs/"' in page
