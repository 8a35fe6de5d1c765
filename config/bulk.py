"""Writing many rows at once: ``bulk_insert`` (model instances, their ids set) and
``insert_values`` (plain values, no instance a row), the paths every large write takes.

On PostgreSQL a large batch goes in through ``COPY``: the rows stream to the server as data,
so nothing builds, quotes or parses an ``INSERT`` of thousands of literals (for a matching
round's 12,000 proposals with their JSON breakdowns that was most of the round's time).
Values are prepared exactly as ``bulk_create`` prepares them (each field's ``pre_save`` and
``get_db_prep_save``), and primary keys are drawn from the table's own sequence first, so
the objects come back with their ids as ``bulk_create``'s do. Small batches, and every
batch on other databases, use ``bulk_create`` itself.

``insert_values`` takes the rows as tuples of the fields' Python values, for a writer that
needs no instances back (a round's proposals and unmatched rows): building a model instance
a row cost more than the ``COPY`` itself. Elsewhere it builds the instances and takes
``bulk_create``, so SQLite stores the same rows.
"""

import functools
import json
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.models.expressions import RawSQL
from django.utils import timezone
from psycopg import sql

# Below this many rows an INSERT is as quick, and simpler to read in a query log.
COPY_FROM_ROWS = 500
BATCH_SIZE = 2000
# Ids per ``pk__in`` filter where the database takes them one parameter each.
CHUNK = 2000


def bulk_insert[Row: models.Model](objects: Sequence[Row]) -> list[Row]:
    """Inserts ``objects`` (all of one model, without primary keys) and returns them with
    their ids set. Call inside the caller's transaction; signals are not sent, as with
    ``bulk_create``."""
    rows = list(objects)
    if not rows:
        return rows
    model = type(rows[0])
    # The connection itself, not ``django.db.connection``: every attribute read through
    # that proxy looks the connection up again, and preparing a value reads several.
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql" or len(rows) < COPY_FROM_ROWS:
        return model._default_manager.bulk_create(rows, batch_size=BATCH_SIZE)
    opts = model._meta
    fields = list(opts.concrete_fields)
    prepare = [_preparer(field, connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [opts.db_table, opts.pk.column, len(rows)],
        )
        for row, (pk,) in zip(rows, cursor.fetchall(), strict=True):
            row.pk = pk
        with _copy(cursor, opts.db_table, fields) as copy:
            for row in rows:
                copy.write_row([value(row) for value in prepare])
    for row in rows:
        row._state.adding = False
        row._state.db = connection.alias
    return rows


def insert_values(
    model: type[models.Model], names: Sequence[str], rows: Sequence[Sequence[Any]]
) -> int:
    """Inserts ``rows`` of ``model``, each a tuple of values for the fields ``names`` (by
    attribute name: ``request_id`` for a foreign key), in that order, and returns how many.
    The values are those the fields hold in Python (numbers, text, aware datetimes, a
    ``JSONField``'s lists and dicts), prepared as each field prepares them. Every other
    field takes its default, an ``auto_now``/``auto_now_add`` field the time of writing (on
    the ``COPY`` path one instant for the batch), the primary key the table's sequence. No ids come
    back and no instance is built on the ``COPY`` path; small batches, and every batch on
    other databases, are instances through ``bulk_create``. Call inside the caller's
    transaction; signals are not sent."""
    if not rows:
        return 0
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql" or len(rows) < COPY_FROM_ROWS:
        model._default_manager.bulk_create(
            [model(**dict(zip(names, row, strict=True))) for row in rows], batch_size=BATCH_SIZE
        )
        return len(rows)
    opts = model._meta
    by_name = {field.attname: field for field in opts.concrete_fields}
    given = [by_name[name] for name in names]
    others = [f for f in opts.concrete_fields if f.attname not in names and not f.primary_key]
    prepare = [_value_preparer(field, connection) for field in given]
    now = timezone.now()
    defaults = [_default_maker(field, connection, now) for field in others]
    with connection.cursor() as cursor, _copy(cursor, opts.db_table, given + others) as copy:
        for row in rows:
            values = [prep(value) for prep, value in zip(prepare, row, strict=True)]
            copy.write_row(values + [make() for make in defaults])
    return len(rows)


def _copy(cursor: Any, table: str, fields: Sequence[Any]) -> Any:
    """``COPY table (fields' columns) FROM STDIN`` on the cursor's psycopg cursor."""
    columns: list[sql.Composable] = [sql.Identifier(str(field.column)) for field in fields]
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(columns)
    )
    return cursor.cursor.copy(statement)


# Fields whose database value is the attribute's plain Python value (after the same cast
# their ``get_prep_value`` does): read directly, without ``get_db_prep_save``'s calls, which
# cost more than the COPY for a round's tens of thousands of rows.
_CASTS: dict[str, Callable[[Any], Any]] = {
    **dict.fromkeys(
        (
            "AutoField",
            "BigAutoField",
            "SmallAutoField",
            "IntegerField",
            "BigIntegerField",
            "SmallIntegerField",
            "PositiveIntegerField",
            "PositiveBigIntegerField",
            "PositiveSmallIntegerField",
        ),
        int,
    ),
    "FloatField": float,
    "BooleanField": bool,
    "CharField": str,
    "TextField": str,
}


def _preparer(field: Any, connection: Any) -> Callable[[models.Model], Any]:
    """A row's database value for ``field``, as ``bulk_create`` prepares it."""
    target = field.target_field if field.is_relation else field
    cast = _CASTS.get(target.get_internal_type())
    if cast is not None and type(field).pre_save is models.Field.pre_save:
        attname = field.attname

        def plain(row: models.Model) -> Any:
            value = getattr(row, attname)
            return value if value is None or type(value) is cast else cast(value)

        return plain
    if isinstance(field, models.DateTimeField) and settings.USE_TZ:

        def aware(row: models.Model) -> Any:
            value = field.pre_save(row, add=True)
            if value is None or (isinstance(value, datetime) and value.tzinfo is not None):
                return value
            return field.get_db_prep_save(value, connection)

        return aware
    return lambda row: field.get_db_prep_save(field.pre_save(row, add=True), connection)


def _value_preparer(field: Any, connection: Any) -> Callable[[Any], Any]:
    """A value's database form for ``field``, as
    ``bulk_create`` prepares a value it is given (no ``pre_save``: the caller's value is
    the row's)."""
    target = field.target_field if field.is_relation else field
    cast = _CASTS.get(target.get_internal_type())
    if cast is not None:

        def plain(value: Any) -> Any:
            return value if value is None or type(value) is cast else cast(value)

        return plain
    if isinstance(field, models.DateTimeField) and settings.USE_TZ:

        def aware(value: Any) -> Any:
            if value is None or (isinstance(value, datetime) and value.tzinfo is not None):
                return value
            return field.get_db_prep_save(value, connection)

        return aware
    if isinstance(field, models.JSONField):
        # JSON as its text, which the ``COPY`` hands to the column to parse: what
        # ``get_db_prep_save``'s adapter would send, without an adapter a value.
        dumps = functools.partial(json.dumps, cls=field.encoder)

        def json_text(value: Any) -> Any:
            if isinstance(value, list | dict):
                return dumps(value)
            return field.get_db_prep_save(value, connection)

        return json_text
    return lambda value: field.get_db_prep_save(value, connection)


def _default_maker(field: Any, connection: Any, now: datetime) -> Callable[[], Any]:
    """The database value of a field a row leaves out: the batch's instant for an
    ``auto_now``/``auto_now_add`` field, else the field's default (a callable default is
    called for each row, as for each instance)."""
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        value = field.get_db_prep_save(now, connection)
        return lambda: value
    if field.has_default() and callable(field.default):
        return lambda: field.get_db_prep_save(field.get_default(), connection)
    value = field.get_db_prep_save(field.get_default(), connection)
    return lambda: value


def pk_batches(ids: Sequence[int]) -> Iterable[Any]:
    """What to filter ``pk__in`` by, batch after batch: on PostgreSQL every id at once, as
    one array parameter (tens of thousands of separate parameters cost more to bind and
    parse than the query takes to run); elsewhere chunks of ``CHUNK`` ids."""
    if connection.vendor == "postgresql":
        if ids:
            yield RawSQL("SELECT unnest(%s::bigint[])", (int_array(ids),))
        return
    yield from _chunks(ids)


def int_array(ids: Iterable[int]) -> str:
    """Integers as one PostgreSQL array literal (``'{1,2,3}'``, cast ``::bigint[]`` in the
    statement): one text parameter instead of psycopg quoting each element, which for a
    round's 20,000 ids costs more than the statement takes to run."""
    return "{" + ",".join(str(int(pk)) for pk in ids) + "}"


def _chunks(items: Sequence[int], size: int = CHUNK) -> Iterable[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
