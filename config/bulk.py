"""Writing many rows at once: ``bulk_insert``, the one path every large write takes.

On PostgreSQL a large batch goes in through ``COPY``: the rows stream to the server as data,
so nothing builds, quotes or parses an ``INSERT`` of thousands of literals (for a matching
round's 12,000 proposals with their JSON breakdowns that was most of the round's time).
Values are prepared exactly as ``bulk_create`` prepares them (each field's ``pre_save`` and
``get_db_prep_save``), and primary keys are drawn from the table's own sequence first, so
the objects come back with their ids as ``bulk_create``'s do. Small batches, and every
batch on other databases, use ``bulk_create`` itself.
"""

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.models.expressions import RawSQL
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
        columns: list[sql.Composable] = [sql.Identifier(str(field.column)) for field in fields]
        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(opts.db_table), sql.SQL(", ").join(columns)
        )
        with cursor.cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row([value(row) for value in prepare])
    for row in rows:
        row._state.adding = False
        row._state.db = connection.alias
    return rows


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


def pk_batches(ids: Sequence[int]) -> Iterable[Any]:
    """What to filter ``pk__in`` by, batch after batch: on PostgreSQL every id at once, as
    one array parameter (tens of thousands of separate parameters cost more to bind and
    parse than the query takes to run); elsewhere chunks of ``CHUNK`` ids."""
    if connection.vendor == "postgresql":
        if ids:
            yield RawSQL("SELECT unnest(%s::bigint[])", (list(ids),))
        return
    yield from _chunks(ids)


def _chunks(items: Sequence[int], size: int = CHUNK) -> Iterable[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
