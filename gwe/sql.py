"""Statements of the hot paths written out once, run without the ORM's query compiler.

Building a query costs Django more than running it (a notify spent over half its time
compiling four small statements: tests/bench/profile.py). These few are the same SQL the
ORM would write, built once per model, with values prepared by the model's own fields so
that JSON, dates and time zones are stored exactly as the ORM stores them."""

from collections.abc import Sequence
from functools import cache

from django.db import connection
from django.db.models import Model


def quoted(name: str) -> str:
    return connection.ops.quote_name(name)


@cache
def _insert_sql(model: type[Model], rows: int, vendor: str) -> tuple[str, tuple]:
    fields = tuple(f for f in model._meta.concrete_fields)
    columns = ", ".join(quoted(str(f.column)) for f in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    table = quoted(model._meta.db_table)
    return f"INSERT INTO {table} ({columns}) VALUES {', '.join([row] * rows)}", fields


def _values(objects: Sequence[Model], fields: tuple) -> list:
    """The objects' values as their fields store them (JSON, dates, time zones)."""
    return [
        field.get_db_prep_save(getattr(obj, field.attname), connection)
        for obj in objects
        for field in fields
    ]


def _stored(objects: Sequence[Model]) -> None:
    """Mark the objects as the ORM marks what it saved."""
    for obj in objects:
        obj._state.adding = False
        obj._state.db = connection.alias


def insert(objects: Sequence[Model]) -> None:
    """INSERT the objects (all of one model, primary keys set) in one statement."""
    if not objects:
        return
    sql, fields = _insert_sql(type(objects[0]), len(objects), connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, _values(objects, fields))
    _stored(objects)


@cache
def _insert_unless_there_sql(model: type[Model], conflict: tuple[str, ...], vendor: str) -> str:
    sql, _ = _insert_sql(model, 1, vendor)
    columns = ", ".join(quoted(str(model._meta.get_field(name).column)) for name in conflict)  # type: ignore[union-attr]
    pk = quoted(str(model._meta.pk.column))  # type: ignore[union-attr]
    return f"{sql} ON CONFLICT ({columns}) DO NOTHING RETURNING {pk}"


def insert_unless_there(obj: Model, conflict: tuple[str, ...]) -> bool:
    """INSERT the object unless a row with its values of `conflict` (the fields of a unique
    constraint) is there already; whether it was. One statement, no savepoint."""
    model = type(obj)
    sql = _insert_unless_there_sql(model, conflict, connection.vendor)
    _, fields = _insert_sql(model, 1, connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, _values([obj], fields))
        inserted = cursor.fetchone() is not None
    if inserted:
        _stored([obj])
    return inserted


@cache
def _select_sql(model: type[Model], where: str, vendor: str) -> str:
    columns = ", ".join(quoted(str(f.column)) for f in model._meta.concrete_fields)
    return f"SELECT {columns} FROM {quoted(model._meta.db_table)} WHERE {where}"


def select[M: Model](model: type[M], where: str, params: list) -> list[M]:
    """The rows `where` names (SQL after WHERE, %s for each of `params`), loaded as the ORM
    loads them (its fields' own conversions)."""
    return list(model.objects.raw(_select_sql(model, where, connection.vendor), params))  # type: ignore[attr-defined]


def by_pk[M: Model](model: type[M], pk: object) -> M | None:
    """The row, or None."""
    column = quoted(str(model._meta.pk.column))  # type: ignore[union-attr]
    return next(iter(select(model, f"{column} = %s", [pk])), None)


def page_with_visit(page_id: str):
    """A page and its visit, as `select_related("visit")` loads them. Raises DoesNotExist."""
    from gwe.models import Page, Visit

    page = by_pk(Page, page_id)
    if page is None:
        raise Page.DoesNotExist(page_id)
    visit = by_pk(Visit, page.visit_id)
    if visit is None:
        raise Visit.DoesNotExist(page.visit_id)
    page.visit = visit
    return page


def one(sql: str, params: list) -> tuple | None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()
