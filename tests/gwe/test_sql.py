"""The hot paths' statements load rows exactly as the ORM does: every field's value and type
(dates with their time zone, JSON, nulls), on SQLite and PostgreSQL alike."""

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gwe import sql
from gwe.models import Page, Visit
from notifications.models import Notification
from notifications.services import NotifyMessage, notifications_store
from tests.support.factories import record_event, start_page

pytestmark = pytest.mark.django_db


def values(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def test_a_row_is_loaded_as_the_orm_loads_it():
    started = start_page("https://shop.example/p/1", title="Shoes", languageCode="fr")
    record_event(started, "SignIn", data={"userId": "u-1", "email": "a@example.com"})
    [stored] = notifications_store(
        visit_id=started.visit.pk, messages=[NotifyMessage("offers", {"n": [1, 2.5]})]
    )

    rows: list[tuple[Any, str]] = [
        (Visit, started.visit.pk),
        (Page, started.page.pk),
        (Notification, stored.pk),
    ]
    for model, pk in rows:
        loaded = sql.by_pk(model, pk)
        assert loaded is not None
        assert values(loaded) == values(model.objects.get(pk=pk))
        assert not loaded._state.adding
        assert loaded._state.db == connection.alias


def test_a_page_comes_with_its_visit_in_one_statement():
    started = start_page()

    with CaptureQueriesContext(connection) as statements:
        page = sql.page_with_visit(started.page.pk)

    assert len(statements) == 1
    expected = Page.objects.select_related("visit").get(pk=started.page.pk)
    assert values(page) == values(expected)
    assert values(page.visit) == values(expected.visit)
    with pytest.raises(Page.DoesNotExist):
        sql.page_with_visit("Z" * 22)
