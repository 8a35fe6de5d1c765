"""An output serializer's JSON built from ``values()`` rows, without model instances.

``RowRenderer(SomeSerializer, custom={...})`` reads the serializer's own fields once (its
``Meta.fields``, each field's ``source`` and type, nested serializers recursively) and turns
them into the columns to read (``renderer.columns``, for ``values()``) and a function of a row
that gives the item (``renderer.item(row)``), with the keys in the serializer's order. So a
field is named once, in the serializer: the lean read paths (``exchange/pages.py`` and the
other apps' ``pages`` modules) name only what a row cannot say by itself, in ``custom``:

- to-many fields (``many=True``, ``ListField``): ``Related()``, the list the page put in the
  row under the field's name (``Relation``: in the page's own statement on PostgreSQL, one
  query per relation for the whole page elsewhere);
- computed fields (``SerializerMethodField``, a model property): ``Computed(columns, build)``.

Values are formatted as DRF formats them: ``DateTimeField`` in the current time zone with
``Z`` for UTC, ``DateField`` ISO 8601, ``TimeField`` as ``TIME_FORMAT``; types whose database
value is already the JSON value (text, numbers, booleans, JSON) as they are; any other field
by its own ``to_representation``. ``tests/api/test_list_pages.py`` checks the result against
the serializers themselves.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cache
from operator import itemgetter
from typing import Any

from django.contrib.postgres.expressions import ArraySubquery
from django.db import connections, models
from django.db.models import F, OuterRef, QuerySet
from django.db.models.constants import LOOKUP_SEP
from django.db.models.functions import JSONObject
from django.utils import timezone
from rest_framework import fields as drf
from rest_framework import relations, serializers
from rest_framework.settings import api_settings

Row = dict[str, Any]


def datetime_text(value: datetime | None) -> str | None:
    """DRF's ``DateTimeField`` output (ISO 8601 in the current time zone, ``Z`` for UTC)
    without a field instance and its per-value lookups."""
    if value is None:
        return None
    text = value.astimezone(timezone.get_current_timezone()).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def day_text(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def time_text(value: time | None) -> str | None:
    return None if value is None else value.strftime(api_settings.TIME_FORMAT)


def grouped(rows: Iterable[tuple[int, Any]]) -> dict[int, list[Any]]:
    """``(key, value)`` pairs as ``{key: [values in order]}``."""
    groups: dict[int, list[Any]] = defaultdict(list)
    for key, value in rows:
        groups[key].append(value)
    return groups


@dataclass(frozen=True)
class Related:
    """A to-many field: the page puts its list in the row under the field's name."""


@dataclass(frozen=True)
class Computed:
    """A field no column holds: ``build(row)`` from ``columns`` (relative to the serializer's
    own prefix, as the other fields)."""

    columns: tuple[str, ...]
    build: Callable[[Row], Any]


# The database value is already the JSON value (or None).
AS_IS = (
    drf.CharField,
    drf.ChoiceField,
    drf.IntegerField,
    drf.FloatField,
    drf.BooleanField,
    drf.JSONField,
)


def _converter(field: drf.Field) -> Callable[[Any], Any] | None:
    """How a column's value becomes the field's JSON value; None: as it is."""
    # DRF sets ``format`` and ``timezone`` on a field only when they are given.
    default_format = "format" not in vars(field)
    if type(field) is drf.DateTimeField and default_format and "timezone" not in vars(field):
        if api_settings.DATETIME_FORMAT == drf.ISO_8601:
            return datetime_text
    elif type(field) is drf.DateField and default_format:
        if api_settings.DATE_FORMAT == drf.ISO_8601:
            return day_text
    elif type(field) is drf.TimeField and default_format:
        if api_settings.TIME_FORMAT != drf.ISO_8601:
            return time_text
    elif isinstance(field, AS_IS):
        return None
    return lambda value: None if value is None else field.to_representation(value)


def _getter(column: str, convert: Callable[[Any], Any] | None) -> Callable[[Row], Any]:
    get = itemgetter(column)
    if convert is None:
        return get
    return lambda row: convert(get(row))


class RowRenderer:
    """``serializer_class``'s items from rows holding ``columns`` (see the module)."""

    def __init__(
        self,
        serializer_class: type[serializers.Serializer],
        *,
        custom: dict[str, Related | Computed] | None = None,
        prefix: str = "",
        serializer: serializers.Serializer | None = None,
    ) -> None:
        custom = custom or {}
        fields = (serializer or serializer_class()).fields
        unknown = set(custom) - set(fields)
        if unknown:
            raise ValueError(f"{serializer_class.__name__} has no fields {sorted(unknown)}")
        columns: list[str] = []
        builders: list[tuple[str, Callable[[Row], Any]]] = []
        for name, field in fields.items():
            source = prefix + "__".join(field.source_attrs)
            spec = custom.get(name)
            if isinstance(spec, Related):
                builders.append((name, itemgetter(name)))
            elif isinstance(spec, Computed):
                wanted = tuple(prefix + column for column in spec.columns)
                columns.extend(wanted)
                builders.append((name, spec.build))
            elif isinstance(field, serializers.Serializer):
                nested = RowRenderer(type(field), prefix=source + "__", serializer=field)
                columns.extend(nested.columns)
                builders.append((name, nested.item))
            elif isinstance(
                field,
                serializers.ListSerializer
                | relations.ManyRelatedField
                | drf.ListField
                | drf.SerializerMethodField,
            ):
                raise ValueError(f"{serializer_class.__name__}.{name}: say how to build it")
            elif isinstance(field, relations.SlugRelatedField):
                columns.append(f"{source}__{field.slug_field}")
                builders.append((name, itemgetter(columns[-1])))
            else:
                columns.append(source)
                builders.append((name, _getter(source, _converter(field))))
        self.columns: tuple[str, ...] = tuple(dict.fromkeys(columns))
        self._builders = tuple(builders)

    def item(self, row: Row) -> dict[str, Any]:
        return {name: build(row) for name, build in self._builders}

    def items(self, rows: Sequence[Row]) -> list[dict[str, Any]]:
        builders = self._builders
        return [{name: build(row) for name, build in builders} for row in rows]


def _field_at(model: Any, column: str) -> Any:
    """The model field a ``values()`` column (``need__code``) reads."""
    *path, name = column.split(LOOKUP_SEP)
    for part in path:
        model = model._meta.get_field(part).related_model
    return model._meta.get_field(name)


@dataclass(frozen=True)
class Relation:
    """A to-many field of a page's rows: the related rows of ``queryset`` (in its order)
    whose ``key`` column holds the page row's id, as ``renderer``'s items (or, without
    one, the values of ``column``).

    On PostgreSQL they come in the page's own statement (``subquery()``: an ``ARRAY(SELECT
    …)``, JSON objects for items); elsewhere ``fill`` reads them in one query for the page."""

    name: str
    queryset: QuerySet
    key: str
    renderer: Callable[[], RowRenderer] | None = None
    column: str = ""

    @property
    def array(self) -> str:
        return f"{self.name}_array"

    def subquery(self) -> ArraySubquery:
        related = self.queryset.filter(**{self.key: OuterRef("pk")})
        if self.renderer is None:
            return ArraySubquery(related.values(self.column))
        columns = self.renderer().columns
        return ArraySubquery(related.values(json=JSONObject(**{c: F(c) for c in columns})))

    def fill(self, rows: Sequence[Row]) -> None:
        """Puts each row's list under ``name``."""
        if not rows:
            return
        renderer = self.renderer() if self.renderer else None
        if self.array in rows[0]:
            if renderer is None:
                for row in rows:
                    row[self.name] = row.pop(self.array)
                return
            parse = _json_parser(self.queryset.model, renderer.columns)  # type: ignore[arg-type]
            for row in rows:
                row[self.name] = [renderer.item(parse(obj)) for obj in row.pop(self.array)]
            return
        related = self.queryset.filter(**{f"{self.key}__in": [row["id"] for row in rows]})
        if renderer is None:
            groups = grouped(related.values_list(self.key, self.column))
        else:
            groups = grouped(
                (r[self.key], renderer.item(r)) for r in related.values(self.key, *renderer.columns)
            )
        for row in rows:
            row[self.name] = groups.get(row["id"], [])


@cache
def _json_parser(model: Any, columns: tuple[str, ...]) -> Callable[[Row], Row]:
    """A JSON object of ``Relation.subquery`` as the row ``values()`` gives: its dates,
    times and datetimes (JSON text) parsed by their model fields."""
    parsers = {
        column: field.to_python
        for column in columns
        if isinstance(field := _field_at(model, column), models.DateField | models.TimeField)
    }

    def parse(obj: Row) -> Row:
        for column, to_python in parsers.items():
            if obj[column] is not None:
                obj[column] = to_python(obj[column])
        return obj

    return parse


def rows_of(queryset: QuerySet, columns: Iterable[str], relations: Sequence[Relation]) -> QuerySet:
    """``queryset`` as plain rows of ``columns`` (no instances, no prefetches), with the
    relations' arrays on PostgreSQL."""
    plain = queryset.select_related(None).prefetch_related(None)
    if connections[queryset.db].vendor == "postgresql":
        return plain.values(*columns, **{r.array: r.subquery() for r in relations})
    return plain.values(*columns)


def fill(rows: Sequence[Row], relations: Sequence[Relation]) -> None:
    for relation in relations:
        relation.fill(rows)
