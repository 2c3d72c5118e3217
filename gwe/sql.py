"""Statements of the hot paths written out once, run without the ORM's query compiler.

Building a query costs Django more than running it (a notify spent over half its time
compiling four small statements: tests/bench/profile.py). These few are the same SQL the
ORM would write, built once per model, with values prepared by the model's own fields so
that JSON, dates and time zones are stored exactly as the ORM stores them."""

from collections.abc import Sequence
from functools import cache

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import CharField, ForeignKey, Model, TextField


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
    """The objects' values as their fields store them (JSON, dates, time zones). A string
    for a text column, or for a reference to one, is stored as it is: the field's
    preparation would hand it back unchanged."""
    textual = _textual(fields)
    return [
        value
        if text and type(value := getattr(obj, field.attname)) is str
        else field.get_db_prep_save(getattr(obj, field.attname), connection)
        for obj in objects
        for field, text in zip(fields, textual, strict=True)
    ]


@cache
def _textual(fields: tuple) -> tuple[bool, ...]:
    def text(field) -> bool:
        target = field.target_field if isinstance(field, ForeignKey) else field
        return type(target) in (CharField, TextField)

    return tuple(text(field) for field in fields)


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
def _columns(model: type[Model], table: str, vendor: str) -> str:
    return ", ".join(f"{table}.{quoted(str(f.column))}" for f in model._meta.concrete_fields)


@cache
def _select_sql(model: type[Model], where: str, vendor: str) -> str:
    table = quoted(model._meta.db_table)
    return f"SELECT {_columns(model, table, vendor)} FROM {table} WHERE {where}"


def select[M: Model](model: type[M], where: str, params: list) -> list[M]:
    """The rows `where` names (SQL after WHERE, %s for each of `params`), loaded as the ORM
    loads them (its fields' own conversions)."""
    with connection.cursor() as cursor:
        cursor.execute(_select_sql(model, where, connection.vendor), params)
        rows = cursor.fetchall()
    return [_loaded(model, row) for row in rows]


def by_pk[M: Model](model: type[M], pk: object) -> M | None:
    """The row, or None."""
    column = quoted(str(model._meta.pk.column))  # type: ignore[union-attr]
    return next(iter(select(model, f"{column} = %s", [pk])), None)


@cache
def _page_with_visit_sql(vendor: str) -> tuple[str, int]:
    from gwe.models import Page, Visit

    page, visit = quoted(Page._meta.db_table), quoted(Visit._meta.db_table)
    return (
        f"SELECT {_columns(Page, page, vendor)}, {_columns(Visit, visit, vendor)}"
        f" FROM {page} JOIN {visit} ON {visit}.{quoted('id')} = {page}.{quoted('visit_id')}"
        f" WHERE {page}.{quoted('id')} = %s"
    ), len(Page._meta.concrete_fields)


def page_with_visit(page_id: str):
    """A page and its visit, as `select_related("visit")` loads them, in one statement.
    Raises DoesNotExist."""
    from gwe.models import Page, Visit

    sql, split = _page_with_visit_sql(connection.vendor)
    row = one(sql, [page_id])
    if row is None:
        raise Page.DoesNotExist(page_id)
    page = _loaded(Page, row[:split])
    page.visit = _loaded(Visit, row[split:])
    return page


def _loaded[M: Model](model: type[M], row: Sequence) -> M:
    """The model instance of a row of its concrete fields, as the ORM makes it."""
    names, converters = _loader(model)
    values = list(row)
    for i, column, field_converters in converters:
        for convert in field_converters:
            values[i] = convert(values[i], column, connection)
    return model.from_db(connection.alias, names, values)


def _loader(model: type[Model]) -> tuple[list[str], list]:
    """The fields' names and, for those that have any, the conversions of their stored values
    (this connection's: each thread has its own)."""
    wrapper = connections[DEFAULT_DB_ALIAS]  # this thread's
    loaders = wrapper.__dict__.setdefault("gwe_loaders", {})
    loader = loaders.get(model)
    if loader is None:
        fields = model._meta.concrete_fields
        converters = []
        for i, field in enumerate(fields):
            column = field.get_col(model._meta.db_table)
            found = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
            if found:
                converters.append((i, column, found))
        loader = loaders[model] = ([f.attname for f in fields], converters)
    return loader


def one(sql: str, params: list) -> tuple | None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()
