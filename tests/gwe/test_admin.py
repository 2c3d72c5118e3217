import pytest
from django.contrib.admin.utils import quote
from django.contrib.auth.models import Permission, User
from django.test import Client

from gwe.models import Event, Page, Visit
from tests.support.factories import record_event, start_page

pytestmark = pytest.mark.django_db

MODELS = ["visit", "page", "event", "identity"]


@pytest.fixture
def analyst(db) -> Client:
    """A business user who may look at visitor history in the admin, nothing more."""
    user = User.objects.create_user("analyst", password="analyst-pass-1", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="gwe", codename__startswith="view_")
    )
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def visit_of_ann():
    shoes = start_page("https://shop.example/shoes", title="Shoes")
    record_event(shoes, "AddToCart", data={"sku": "SH-42"})
    record_event(shoes, "SignIn", data={"email": "ann@example.com"})
    start_page("https://shop.example/cart", title="Cart", visitID=shoes.visit.pk)
    return Visit.objects.get(pk=shoes.visit.pk)


def admin_url(model: str, suffix: str = "") -> str:
    return f"/admin/gwe/{model}/{suffix}"


@pytest.mark.parametrize("model", MODELS)
def test_each_history_list_renders_for_a_business_user(analyst, visit_of_ann, model):
    response = analyst.get(admin_url(model))

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) >= 1


def test_the_visit_list_shows_who_and_how_many_pages(analyst, visit_of_ann):
    response = analyst.get(admin_url("visit"))

    [visit] = response.context["cl"].result_list
    assert visit.page_total == 2
    html = response.content.decode()
    assert visit_of_ann.pk in html
    identity_url = admin_url("identity", f"{quote('ann@example.com')}/change/")
    assert f'<a href="{identity_url}">ann@example.com</a>' in html
    assert ">active<" in html


def test_a_visit_page_shows_its_pages_events_and_json(analyst, visit_of_ann):
    response = analyst.get(admin_url("visit", f"{visit_of_ann.pk}/change/"))

    assert response.status_code == 200
    html = response.content.decode()
    assert f"/server/data/visits/{visit_of_ann.pk}?format=json" in html
    assert "https://shop.example/cart" in html
    for name in ("VisitStarted", "AddToCart", "SignIn"):
        assert name in html
    assert f"/admin/gwe/event/?visit__exact={visit_of_ann.pk}" in html


def test_the_event_list_follows_the_visit_link(analyst, visit_of_ann):
    start_page()  # another visit

    response = analyst.get(admin_url("event"), {"visit__exact": visit_of_ann.pk})

    shown = response.context["cl"].result_list
    assert {e.visit_id for e in shown} == {visit_of_ann.pk}
    assert len(shown) == Event.objects.filter(visit=visit_of_ann).count()


@pytest.mark.parametrize("model", ["page", "event", "identity"])
def test_each_detail_page_renders(analyst, visit_of_ann, model):
    pk = {
        "page": Page.objects.filter(visit=visit_of_ann)[0].pk,
        "event": Event.objects.get(event_name="AddToCart").pk,
        "identity": "ann@example.com",
    }[model]

    response = analyst.get(admin_url(model, f"{pk}/change/"))

    assert response.status_code == 200
    assert not response.context["has_change_permission"]


@pytest.mark.parametrize("model", MODELS)
def test_history_cannot_be_added_changed_or_deleted_even_by_a_superuser(
    admin_client, visit_of_ann, model
):
    pk = {
        "visit": visit_of_ann.pk,
        "page": Page.objects.all()[0].pk,
        "event": Event.objects.all()[0].pk,
        "identity": "ann@example.com",
    }[model]

    add = admin_client.get(admin_url(model, "add/"))
    delete = admin_client.get(admin_url(model, f"{pk}/delete/"))
    change = admin_client.get(admin_url(model, f"{pk}/change/"))
    changelist = admin_client.get(admin_url(model))

    assert add.status_code == 403
    assert delete.status_code == 403
    assert change.status_code == 200
    assert not change.context["has_change_permission"]
    assert b'name="_save"' not in change.content
    # No bulk delete: visits and identities offer only the privacy desk's export and erasure
    # (with its confirmation, gwe/admin.py); pages and events nothing.
    offered = [
        name
        for name, _ in changelist.context["cl"].model_admin.get_action_choices(
            changelist.wsgi_request
        )
        if name
    ]
    assert offered == (
        ["export_selected", "erase_selected"] if model in ("visit", "identity") else []
    )


@pytest.mark.parametrize(
    ("term", "expected"),
    [("visit_id", 1), ("global_visit_id", 1), ("ann@exa", 1), ("nobody", 0)],
)
def test_visits_are_found_by_id_global_id_or_identity(analyst, visit_of_ann, term, expected):
    start_page()  # someone else
    query = getattr(visit_of_ann, "pk" if term == "visit_id" else term, term)

    response = analyst.get(admin_url("visit"), {"q": query})

    found = response.context["cl"].result_list
    assert len(found) == expected
    assert all(v.pk == visit_of_ann.pk for v in found)


def test_events_are_found_by_visit_id_or_name(analyst, visit_of_ann):
    start_page()

    by_visit = analyst.get(admin_url("event"), {"q": visit_of_ann.pk}).context["cl"]
    by_name = analyst.get(admin_url("event"), {"q": "addtocart"}).context["cl"]

    assert {e.visit_id for e in by_visit.result_list} == {visit_of_ann.pk}
    assert [e.event_name for e in by_name.result_list] == ["AddToCart"]


@pytest.mark.parametrize(("state", "expected"), [("active", "fresh"), ("ended", "closed")])
def test_visits_filter_by_state(analyst, state, expected):
    fresh = start_page().visit
    closed = start_page().visit
    Visit.objects.filter(pk=closed.pk).update(end_time=closed.start_time)
    ids = {"fresh": fresh.pk, "closed": closed.pk}

    response = analyst.get(admin_url("visit"), {"state": state})

    assert [v.pk for v in response.context["cl"].result_list] == [ids[expected]]


@pytest.mark.parametrize("model", MODELS)
def test_a_long_list_costs_a_fixed_number_of_queries(analyst, model, django_assert_max_num_queries):
    for n in range(30):
        started = start_page(f"https://shop.example/{n}")
        record_event(started, "SignIn", data={"email": f"user{n}@example.com"})
    analyst.get(admin_url(model))

    with django_assert_max_num_queries(10):
        response = analyst.get(admin_url(model))

    assert len(response.context["cl"].result_list) == {"event": 90}.get(model, 30)
