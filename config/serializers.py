"""Serializer building blocks shared by every app."""

from typing import Any

from rest_framework import serializers
from rest_framework.fields import empty


class WholeWhenNested(serializers.Serializer):
    """A nested item is always validated whole, even inside a partial (PATCH) parent.

    DRF's ``partial`` reaches every field through ``self.root``, so in a PATCH a nested
    item's required fields quietly become optional and an incomplete item reaches the
    database. ``partial`` means "leave out top-level fields you do not change"; an item the
    client does send replaces the old one and must be complete, exactly as on POST.
    """

    def run_validation(self, data: Any = empty) -> Any:
        if self.root is not self and getattr(self.root, "partial", False):
            whole = type(self)(data=data, context=self.context)
            whole.is_valid(raise_exception=True)
            return whole.validated_data
        return super().run_validation(data)


class SlugsRelatedField(serializers.ManyRelatedField):
    """``SlugRelatedField(many=True)`` that reads the given slugs in one query, not one
    each: ``SlugsRelatedField(child_relation=SlugRelatedField(slug_field=…, queryset=…))``.
    The same input, output, schema and errors (``invalid`` for an item that is not text or
    a number, ``does_not_exist`` naming the first unknown slug)."""

    def to_internal_value(self, data: Any) -> list[Any]:
        if isinstance(data, str) or not hasattr(data, "__iter__"):
            self.fail("not_a_list", input_type=type(data).__name__)
        if not self.allow_empty and len(data) == 0:
            self.fail("empty")
        child = self.child_relation
        slugs = []
        for item in data:
            if isinstance(item, bool) or not isinstance(item, str | int | float):
                child.fail("invalid")
            slugs.append(str(item))
        field = child.slug_field
        found = {
            str(getattr(obj, field)): obj
            for obj in child.get_queryset().filter(**{f"{field}__in": set(slugs)})
        }
        for slug in slugs:
            if slug not in found:
                child.fail("does_not_exist", slug_name=field, value=slug)
        return [found[slug] for slug in slugs]
